"""e018 runs: every run of plan.json, its honest share over the last 10% of epochs -> runs.csv.

PYTHONPATH=. .venv/bin/python experiments/e018_boundary_drawn_c/run.py [--workers 2] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
from tqdm import tqdm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def one(run: dict) -> dict:
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario(ROOT / run["scenario"]).with_overrides(
        {"seed": run["seed"], "staking.node_stake": run["stake"]}
        | ({"epochs": run["epochs"]} if "epochs" in run else {})
        | ({"network.nodes_per_domain": run["nodes"]} if "nodes" in run else {})
    )
    result = simulate(scenario)
    return run | {"mean_honest_share_last_10pct": result.summary["mean_honest_share_last_10pct"]}


def main() -> None:
    from gaia_sim.sweep.store import atomic_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=HERE, help="folder of plan.json and runs.csv (default: e018's)")
    args = ap.parse_args()
    runs = json.loads((args.dir / "plan.json").read_text())["runs"]
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(tqdm(pool.map(one, runs), total=len(runs), desc="e018 runs"))
    atomic_text(args.dir / "runs.csv", pd.DataFrame(rows).to_csv(index=False))


if __name__ == "__main__":
    main()
