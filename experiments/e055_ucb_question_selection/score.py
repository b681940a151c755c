"""e055: score the confirmatory run against hypothesis.md (both arms' result files).

Run: .venv/bin/python experiments/e055_ucb_question_selection/score.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HARD = "gemma-2-27b as gemma-2-9b"


def per_cell(rows: list[dict]) -> dict:
    """(pairing, seed) -> (TPR, honest flag rate, caught, cheaters, flagged, honest)."""
    out = {}
    for r in rows:
        s = r["sets"]
        c, n = sum(x["caught"] for x in s), sum(x["cheaters"] for x in s)
        f, h = sum(x["flagged"] for x in s), sum(x["honest"] for x in s)
        out[(r["pairing"], r["seed"])] = (c / n, f / h, c, n, f, h)
    return out


def summary(cells: dict, pairing: str) -> dict:
    mine = [v for (p, _), v in sorted(cells.items()) if p == pairing]
    tpr = np.array([v[0] for v in mine])
    half = 2.069 * tpr.std(ddof=1) / np.sqrt(len(tpr)) if len(tpr) > 1 else float("nan")  # t(23) 97.5%
    return {
        "seeds": len(mine),
        "tpr_pooled": sum(v[2] for v in mine) / sum(v[3] for v in mine),
        "tpr_t_interval": [float(tpr.mean() - half), float(tpr.mean() + half)],
        "seeds_at_0.99": int((tpr >= 0.99).sum()),
        "worst_seed_tpr": float(tpr.min()),
        "honest_pooled": sum(v[4] for v in mine) / sum(v[5] for v in mine),
        "honest_cells_above_0.01": int(sum(v[1] > 0.01 for v in mine)),
        "worst_honest_cell": float(max(v[1] for v in mine)),
    }


def sets_of(rows: list[dict], pairing: str) -> list[float]:
    return [s["caught"] / s["cheaters"] for r in rows if r["pairing"] == pairing for s in r["sets"]]


def main() -> None:
    raw = {arm: json.loads((HERE / f"result_{arm}.json").read_text())["rows"] for arm in ("greedy", "ucb")}
    arms = {arm: per_cell(rows) for arm, rows in raw.items()}
    pairings = sorted({p for p, _ in arms["greedy"]})
    table = {arm: {p: summary(cells, p) for p in pairings} for arm, cells in arms.items()}
    for arm, rows in table.items():
        print(f"{arm}:")
        for p, s in rows.items():
            print(
                f"  {p:28s} TPR pooled {s['tpr_pooled']:.4f} (t interval {s['tpr_t_interval'][0]:.4f}-"
                f"{s['tpr_t_interval'][1]:.4f}), seeds >= 0.99 {s['seeds_at_0.99']}/{s['seeds']}, worst "
                f"{s['worst_seed_tpr']:.4f}; honest pooled {s['honest_pooled']:.4f}, cells > 0.01 "
                f"{s['honest_cells_above_0.01']}, worst {s['worst_honest_cell']:.4f}"
            )
    g, u = table["greedy"], table["ucb"]
    seeds = sorted({s for p, s in arms["greedy"] if p == HARD})
    diff = np.array([arms["ucb"][(HARD, s)][0] - arms["greedy"][(HARD, s)][0] for s in seeds])
    print(
        f"hard swap, paired by seed (ucb - greedy): mean {diff.mean():+.4f}, better on "
        f"{int((diff > 0).sum())}, worse on {int((diff < 0).sum())}, equal on {int((diff == 0).sum())}"
    )
    tails = {arm: sets_of(rows, HARD) for arm, rows in raw.items()}
    for arm, t in tails.items():
        print(
            f"hard swap's learned sets, {arm}: {len(t)} sets, worst {min(t):.3f}, below 0.95: {sum(x < 0.95 for x in t)}"
        )
    low_g, low_u = (sum(x < 0.95 for x in tails[a]) for a in ("greedy", "ucb"))
    cells = lambda t: sum(s["honest_cells_above_0.01"] for s in t.values())  # noqa: E731
    verdicts = {
        "H1": u[HARD]["tpr_pooled"] >= 0.99 and u[HARD]["tpr_pooled"] > g[HARD]["tpr_pooled"],
        "H2": min(tails["ucb"]) > min(tails["greedy"]) and (low_g < 2 or low_u <= low_g / 2),
        "H3": u[HARD]["seeds_at_0.99"] >= 22 and u[HARD]["seeds_at_0.99"] >= g[HARD]["seeds_at_0.99"],
        "H4": all(s["honest_pooled"] <= 0.01 for s in u.values()) and cells(u) <= cells(g) + 1,
        "H5": all(u[p]["tpr_pooled"] >= 0.99 for p in pairings if p != HARD),
        "H6": all(s["seeds_at_0.99"] == s["seeds"] and s["honest_cells_above_0.01"] == 0 for s in u.values()),
    }
    for h, ok in verdicts.items():
        print(f"{h}: {'holds' if ok else 'fails'}")
    (HERE / "score.json").write_text(json.dumps({"table": table, "verdicts": verdicts}, indent=1))


if __name__ == "__main__":
    main()
