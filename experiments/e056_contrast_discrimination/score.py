"""e056: score the confirmatory run against hypothesis.md (both arms' result files).

Run: .venv/bin/python experiments/e056_contrast_discrimination/score.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LLAMA_9B = "llama-3-1-8b as gemma-2-9b"


def _e054_score():
    """e054's scoring helpers (the same per-seed cells, summaries and lines)."""
    spec = importlib.util.spec_from_file_location("e054_score", HERE.parent / "e054_learning_detector" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


E054 = _e054_score()
HARD, per_cell, summary = E054.HARD, E054.per_cell, E054.summary


def main() -> None:
    raw = {arm: json.loads((HERE / f"result_{arm}.json").read_text())["rows"] for arm in ("ucb", "ucb_contrast")}
    arms = {arm: per_cell(rows) for arm, rows in raw.items()}
    pairings = sorted({p for p, _ in arms["ucb"]})
    table = {arm: {p: summary(cells, p) for p in pairings} for arm, cells in arms.items()}
    for arm, rows in table.items():
        E054.print_arm(arm, rows)
    u, c = table["ucb"], table["ucb_contrast"]
    for pairing, column, name in ((HARD, 0, "TPR"), (LLAMA_9B, 1, "honest flag rate")):
        seeds = sorted({s for p, s in arms["ucb"] if p == pairing})
        diff = np.array([arms["ucb_contrast"][(pairing, s)][column] - arms["ucb"][(pairing, s)][column] for s in seeds])
        print(
            f"{pairing}, {name} paired by seed (contrast - ucb): mean {diff.mean():+.4f}, higher on "
            f"{int((diff > 0).sum())}, lower on {int((diff < 0).sum())}, equal on {int((diff == 0).sum())}"
        )
    cells = lambda t: sum(s["honest_cells_above_0.01"] for s in t.values())  # noqa: E731
    verdicts = {
        "H1": c[LLAMA_9B]["honest_pooled"] <= 0.01 and c[LLAMA_9B]["honest_pooled"] < u[LLAMA_9B]["honest_pooled"],
        "H2": c[HARD]["tpr_pooled"] >= 0.99 and c[HARD]["tpr_pooled"] >= u[HARD]["tpr_pooled"] - 0.002,
        "H3": c[HARD]["seeds_at_0.99"] >= 22,
        "H4": all(s["honest_pooled"] <= 0.01 for s in c.values()) and cells(c) <= 2 and cells(c) < cells(u),
        "H5": all(c[p]["tpr_pooled"] >= 0.99 for p in pairings if p != HARD),
        "H6": all(s["seeds_at_0.99"] == s["seeds"] and s["honest_cells_above_0.01"] == 0 for s in c.values()),
    }
    for h, ok in verdicts.items():
        print(f"{h}: {'holds' if ok else 'fails'}")
    (HERE / "score.json").write_text(json.dumps({"table": table, "verdicts": verdicts}, indent=1))


if __name__ == "__main__":
    main()
