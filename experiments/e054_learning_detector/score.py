"""e054: score the confirmatory run against hypothesis.md (both learners' result files).

Run: .venv/bin/python experiments/e054_learning_detector/score.py
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


def print_arm(title: str, rows: dict) -> None:
    """One arm's :func:`summary` per swap, a line each."""
    print(f"{title}:")
    for p, s in rows.items():
        print(
            f"  {p:28s} TPR pooled {s['tpr_pooled']:.4f} (t interval {s['tpr_t_interval'][0]:.4f}-"
            f"{s['tpr_t_interval'][1]:.4f}), seeds >= 0.99 {s['seeds_at_0.99']}/{s['seeds']}, worst "
            f"{s['worst_seed_tpr']:.4f}; honest pooled {s['honest_pooled']:.4f}, cells > 0.01 "
            f"{s['honest_cells_above_0.01']}, worst {s['worst_honest_cell']:.4f}"
        )


def main() -> None:
    arms = {
        learner: per_cell(json.loads((HERE / f"result_{learner}.json").read_text())["rows"])
        for learner in ("default", "default_nearest")
    }
    pairings = sorted({p for p, _ in arms["default"]})
    table = {learner: {p: summary(cells, p) for p in pairings} for learner, cells in arms.items()}
    for learner, rows in table.items():
        print_arm(f"learned from {learner}'s verdicts", rows)
    d, n = table["default"], table["default_nearest"]
    seeds = sorted({s for p, s in arms["default"] if p == HARD})
    diff = np.array([arms["default_nearest"][(HARD, s)][0] - arms["default"][(HARD, s)][0] for s in seeds])
    print(
        f"hard swap, paired by seed (nearest - default): mean {diff.mean():+.4f}, better on "
        f"{int((diff > 0).sum())}, worse on {int((diff < 0).sum())}, equal on {int((diff == 0).sum())}"
    )
    cells = lambda t: sum(s["honest_cells_above_0.01"] for s in t.values())  # noqa: E731
    verdicts = {
        "H1": n[HARD]["tpr_pooled"] >= 0.99 and n[HARD]["tpr_pooled"] > d[HARD]["tpr_pooled"],
        "H2": n[HARD]["seeds_at_0.99"] >= 23 and n[HARD]["seeds_at_0.99"] > d[HARD]["seeds_at_0.99"],
        "H3": all(s["honest_pooled"] <= 0.01 for t in (d, n) for s in t.values()) and cells(n) <= cells(d) + 1,
        "H4": all(n[p]["tpr_pooled"] >= 0.99 for p in pairings if p != HARD),
        "H5": all(s["seeds_at_0.99"] == s["seeds"] and s["honest_cells_above_0.01"] == 0 for s in n.values()),
    }
    for h, ok in verdicts.items():
        print(f"{h}: {'holds' if ok else 'fails'}")
    (HERE / "score.json").write_text(json.dumps({"table": table, "verdicts": verdicts}, indent=1))


if __name__ == "__main__":
    main()
