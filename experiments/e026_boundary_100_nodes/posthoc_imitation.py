"""e026, post hoc: the imitation line (deterrence.imitation_line; in e025's folder when this ran) of each
100-node network, in units of its switch C, beside the networks' simulated crossing (the first margin
on the honest side). Not a registered test.

    PYTHONPATH=. .venv/bin/python experiments/e026_boundary_100_nodes/posthoc_imitation.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = {
    "lazy": ("scenarios/boundary/lazy_deterred.toml", "lazy"),
    "model_swap": ("scenarios/boundary/model_swap_deterred.toml", "model_swapping"),
}


def main() -> None:
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    runs = pd.read_csv(HERE / "runs.csv")
    for threat, (path, behaviour) in SCENARIOS.items():
        base = load_scenario(ROOT / path)
        answers = load_answers(base.answers)
        lines = []
        for seed, g in runs[runs.threat == threat].groupby("seed"):
            g = g.sort_values("margin_over_C")
            c = float(g["C_own"].iloc[0])
            scenario = base.with_overrides(
                {
                    "seed": int(seed),
                    "epochs": int(g["epochs"].iloc[0]),
                    "network.nodes_per_domain": int(g["nodes"].iloc[0]),
                }
            )
            line = (deterrence.imitation_line(scenario, answers, behaviour) - c) / c
            honest = g["margin_over_C"][g["mean_honest_share_last_10pct"] > 0.8]
            crossing = float(honest.iloc[0]) if len(honest) else np.inf
            lines.append(line)
            print(f"{threat:10s} {seed:>11d} imitation line {line:+.2f} C; first honest-side margin {crossing:+.2f}")
        print(f"{threat}: mean imitation line {np.mean(lines):+.2f} C")


if __name__ == "__main__":
    main()
