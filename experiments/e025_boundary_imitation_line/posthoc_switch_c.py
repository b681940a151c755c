"""e025, post hoc: the same runs with each run's margin re-expressed in units of switch C from switch C
(margin' = (line - C) / C + margin), and the logistic line x50 of e018's analysis fitted on it
(90% bootstrap interval). Not a registered test: the cells were placed around the imitation line.

    PYTHONPATH=. .venv/bin/python experiments/e025_boundary_imitation_line/posthoc_switch_c.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    e018 = _module("e018_analysis", ROOT / "experiments" / "e018_boundary_drawn_c" / "analysis.py")
    e016 = e018._e016()
    runs = e016.replicate_sides(pd.read_csv(HERE / "runs.csv"), e018.INITIAL_HONEST)
    runs["margin_over_C"] = (runs["line"] - runs["C_own"]) / runs["C_own"] + runs["margin_over_C"]
    for threat, g in runs.groupby("threat"):
        b = e018.boundary(g, e016.logistic_x50)
        agree = ((g["margin_over_C"] >= 0) == (g["y"] == 1.0)).sum()
        print(
            f"{threat}: line x50 {b['x50']:+.3f} switch C [{b['x50_low']:+.3f}, {b['x50_high']:+.3f}]; runs on "
            f"the side of switch C {agree} / {len(g)}"
        )


if __name__ == "__main__":
    main()
