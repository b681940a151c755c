"""e053: the hypotheses from result.json, and a table per learning setting.

Run: .venv/bin/python experiments/e053_item1_question_sets/score.py
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARD = "gemma-2-27b as gemma-2-9b"


def rate(rows, num: str, den: str) -> float:
    return sum(r[num] for r in rows) / sum(r[den] for r in rows)


def table(cells: list[dict]) -> None:
    by = collections.defaultdict(list)
    for c in cells:
        by[c["pairing"]].append(c)
    print(
        "| swap | decision TPR pooled | seeds >= 0.99 | worst seed | honest flag rate pooled | cells > 0.01 | worst cell | sets > 0.02 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for pairing, cs in by.items():
        tprs = [rate(c["sets"], "caught", "cheaters") for c in cs]
        hon = [rate(c["sets"], "flagged", "honest") for c in cs]
        sets = [s for c in cs for s in c["sets"]]
        print(
            f"| {pairing} | {rate(sets, 'caught', 'cheaters'):.4f} | {sum(t >= 0.99 for t in tprs)} / {len(cs)} | "
            f"{min(tprs):.3f} | {rate(sets, 'flagged', 'honest'):.4f} | {sum(h > 0.01 for h in hon)} | {max(hon):.4f} | "
            f"{sum(s['flagged'] / s['honest'] > 0.02 for s in sets)} |"
        )


def main() -> None:
    rows = json.loads((HERE / "result.json").read_text())["rows"]
    arms = {e: [r for r in rows if r["epochs"] == e] for e in sorted({r["epochs"] for r in rows})}
    for e, cells in arms.items():
        print(f"\n## {e} learning epochs ({len({c['seed'] for c in cells})} seeds)\n")
        table(cells)
    cells20, cells40 = arms.get(20, []), arms.get(40, [])
    hard20 = [c for c in cells20 if c["pairing"] == HARD]
    below = [c for c in hard20 if rate(c["sets"], "caught", "cheaters") < 0.99]
    missed = sum(s["cheaters"] - s["caught"] for c in below for s in c["sets"])
    in_worst = sum(max(s["cheaters"] - s["caught"] for s in c["sets"]) for c in below)
    share = in_worst / missed if missed else float("nan")
    print(
        f"\nH1: {len(below)} seeds below 0.99 at 20 epochs; {in_worst} of {missed} misses in their worst set ({share:.2f}) -> {'holds' if share >= 0.6 else 'fails'}"
    )
    over = [s for c in cells20 for s in c["sets"] if s["flagged"] / s["honest"] > 0.02]
    flags = sum(s["flagged"] for s in over)
    near = sum(s["honest_flags_by_test"]["nearest_stack"] for s in over)
    print(
        f"H2: {len(over)} cells above 0.02 at 20 epochs; nearest-stack behind {near} of their {flags} honest flags -> "
        f"{'holds' if over and near >= 0.8 * flags else 'fails'}"
    )
    for s in over:
        print(f"    questions {s['questions']}: {s['flagged']} of {s['honest']} ({s['honest_flags_by_test']})")
    if cells40:
        hard40 = [c for c in cells40 if c["pairing"] == HARD]
        t20, t40 = (rate([s for c in h for s in c["sets"]], "caught", "cheaters") for h in (hard20, hard40))
        n20, n40 = (sum(rate(c["sets"], "caught", "cheaters") >= 0.99 for c in h) for h in (hard20, hard40))
        print(
            f"H3: hard swap pooled {t20:.4f} -> {t40:.4f}, seeds >= 0.99 {n20} -> {n40} -> {'holds' if t40 > t20 and n40 >= n20 else 'fails'}"
        )
        o20, o40 = (sum(rate(c["sets"], "flagged", "honest") > 0.01 for c in cs) for cs in (cells20, cells40))
        print(f"H4: cells with honest rate > 0.01: {o20} -> {o40} -> {'holds' if o40 >= o20 else 'fails'}")
        ok = all(
            rate(c["sets"], "caught", "cheaters") >= 0.99 and rate(c["sets"], "flagged", "honest") <= 0.01
            for c in cells40
        )
        print(f"H5: every seed and swap at 40 epochs meets item 1 -> {'holds' if ok else 'fails'}")
        over40 = [s for c in cells40 for s in c["sets"] if s["flagged"] / s["honest"] > 0.02]
        print(f"    (40 epochs: {len(over40)} cells above 0.02)")
        for s in over40:
            print(f"    questions {s['questions']}: {s['flagged']} of {s['honest']} ({s['honest_flags_by_test']})")


if __name__ == "__main__":
    main()
