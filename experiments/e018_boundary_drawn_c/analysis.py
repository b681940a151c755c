"""e018 analysis: boundary accuracy with each run's margin in units of its own network's C.

    PYTHONPATH=. .venv/bin/python experiments/e018_boundary_drawn_c/analysis.py [--dir FOLDER]

Rule (hypothesis.md, fixed before the runs; e016's rule with C_own in place of the expected-mix C):
- a cell is (threat, margin level); its **predicted side** is the sign of the margin;
- its **simulated side** is the sign of the mean over its replicates (5 in e018) of delta = honest share over
  the last 10% of epochs - the initial honest share (0.8); no movement is a miss;
- the **simulated line** x50 per threat is where a logistic fit of the replicates' sides (honest 1,
  cheating 0, no movement 1/2) on margin / C_own crosses 1/2, with the 90% percentile interval of
  2,000 bootstrap resamples of the replicates within each cell (seed 0).
Targets (issue 16 item 1): >= 90% of the 16 cells on the predicted side; |x50| <= 0.10 per threat.
Writes cells.csv and result.json here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
INITIAL_HONEST = 0.8
BOOTSTRAP, LEVEL = 2000, 0.90


def _e016():
    """e016's analysis module (its logistic fit and side rule are this experiment's rule)."""
    path = ROOT / "experiments" / "e016_boundary_near_line" / "analysis.py"
    spec = importlib.util.spec_from_file_location("e016_analysis", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cells(runs: pd.DataFrame) -> pd.DataFrame:
    from gaia_sim.outcomes import mean_interval

    rows = []
    for (threat, m), g in runs.groupby(["threat", "margin_over_C"]):
        mean, low, high = mean_interval(g["delta"].to_numpy(), LEVEL)
        agree = (g["y"] == 1.0) if m >= 0 else (g["y"] == 0.0)
        rows.append(
            {
                "threat": threat,
                "margin_over_C": m,
                "predicted": 1 if m >= 0 else -1,
                "simulated": int(np.sign(mean)),
                "delta_mean": mean,
                "delta_low": low,
                "delta_high": high,
                "replicates_agree": int(agree.sum()),
                "replicates": len(g),
            }
        )
    out = pd.DataFrame(rows)
    return out.assign(agree=out["predicted"] == out["simulated"])


def boundary(runs: pd.DataFrame, fit) -> dict:
    x, y = runs["margin_over_C"].to_numpy(), runs["y"].to_numpy()
    rng = np.random.default_rng(0)
    groups = [g[["margin_over_C", "y"]].to_numpy() for _, g in runs.groupby("margin_over_C")]
    draws = np.array(
        [fit(*np.concatenate([g[rng.integers(len(g), size=len(g))] for g in groups]).T) for _ in range(BOOTSTRAP)]
    )
    finite = draws[np.isfinite(draws)]
    lo, hi = np.quantile(finite, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]) if len(finite) else (np.nan, np.nan)
    return {"x50": fit(x, y), "x50_low": float(lo), "x50_high": float(hi), "bootstrap_finite": int(len(finite))}


def main() -> None:
    import argparse

    from gaia_sim.sweep.store import atomic_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=HERE, help="folder of runs.csv (default: e018's)")
    here = ap.parse_args().dir
    e016 = _e016()
    runs = pd.read_csv(here / "runs.csv")
    runs = e016.replicate_sides(runs, INITIAL_HONEST)
    table = cells(runs)
    atomic_text(here / "cells.csv", table.to_csv(index=False))
    result = {"cells_agree": int(table["agree"].sum()), "cells": len(table)}
    for threat, g in runs.groupby("threat"):
        t = table[table["threat"] == threat]
        result[threat] = boundary(g, e016.logistic_x50) | {
            "cells_agree": int(t["agree"].sum()),
            "cells": len(t),
            "replicates_agree": int(t["replicates_agree"].sum()),
            "replicates": int(t["replicates"].sum()),
            "C_own": sorted(g.groupby("seed")["C_own"].first().round(3).tolist()),
        }
    atomic_text(here / "result.json", json.dumps(result, indent=2) + "\n")
    print(table.to_string(index=False))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
