"""e055: score the confirmatory run against hypothesis.md (both arms' result files).

Run: .venv/bin/python experiments/e055_ucb_question_selection/score.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _e054_score():
    """e054's scoring helpers (the same per-seed cells, summaries and lines)."""
    spec = importlib.util.spec_from_file_location("e054_score", HERE.parent / "e054_learning_detector" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


E054 = _e054_score()
HARD, per_cell, summary = E054.HARD, E054.per_cell, E054.summary


def sets_of(rows: list[dict], pairing: str) -> list[float]:
    return [s["caught"] / s["cheaters"] for r in rows if r["pairing"] == pairing for s in r["sets"]]


def main() -> None:
    raw = {arm: json.loads((HERE / f"result_{arm}.json").read_text())["rows"] for arm in ("greedy", "ucb")}
    arms = {arm: per_cell(rows) for arm, rows in raw.items()}
    pairings = sorted({p for p, _ in arms["greedy"]})
    table = {arm: {p: summary(cells, p) for p in pairings} for arm, cells in arms.items()}
    for arm, rows in table.items():
        E054.print_arm(arm, rows)
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
