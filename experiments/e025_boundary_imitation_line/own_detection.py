"""e025, post hoc: each model-swap network's own detection rate p (strategies frozen, 100 epochs, its seed)
against its simulated line (the first penalty on the honest side), for e022, e024 and e025.

    PYTHONPATH=. .venv/bin/python experiments/e025_boundary_imitation_line/own_detection.py
"""

import numpy as np
import pandas as pd

from gaia_sim import deterrence
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario

base = load_scenario("scenarios/boundary/model_swap_deterred.toml")
ans = load_answers(base.answers)
for exp in ("e024_boundary_switch_saving", "e025_boundary_imitation_line", "e022_boundary_longer_runs"):
    r = pd.read_csv(f"experiments/{exp}/runs.csv")
    r = r[r.threat == "model_swap"]
    for seed, g in r.groupby("seed"):
        C = g.C_own.iloc[0]
        line = g["line"].iloc[0] if "line" in g else C
        P = line + g.margin_over_C * C  # penalty in frozen-p units
        d = (g.mean_honest_share_last_10pct - 0.8).to_numpy()
        P = P.to_numpy()
        o = np.argsort(P)
        P, d = P[o], d[o]
        k = np.flatnonzero(d > 0)
        simP = (P[0] if k[0] == 0 else 0.5 * (P[k[0] - 1] + P[k[0]])) if len(k) else np.inf
        sc = base.with_overrides({"seed": int(seed)})
        sw = deterrence.switch_saving(sc, ans, "model_swapping")
        m = deterrence.measured_rates(sc, ans, "model_swapping", seeds=(int(seed),), epochs=100)
        pred = sw * 0.485 / m["p"]
        print(
            f"{exp[:4]} {seed:>11d} switch C {sw:.3f} p_own {m['p']:.3f} -> line {pred:.3f} | sim line ~{simP:.3f} (first honest-side P)"
        )
