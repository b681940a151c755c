"""e016 analysis: where does the simulated deterrence boundary sit, in units of C, relative to the
closed form's, on cells within +-50% of C of the line (issue 16 item 1)?

    gaia-sim sweep experiments/e016_boundary_near_line/sweep_lazy.toml --workers 2
    gaia-sim sweep experiments/e016_boundary_near_line/sweep_model_swap.toml --workers 2
    PYTHONPATH=. .venv/bin/python experiments/e016_boundary_near_line/analysis.py

Rule, fixed in hypothesis.md before the sweeps ran:

- a cell's **predicted side** is the sign of its closed-form margin (placed by plan.py at
  plan.json's ``margins_over_C``, from the calibrated p, q and C);
- its **simulated side** is the sign of the mean, over its replicates, of delta = honest share over
  the last 10% of epochs - initial honest share (0: no movement, a miss); a t interval (90%)
  across replicates is reported beside it;
- the **simulated boundary** x50 (units of C) is where a logistic fit of the replicates' sides
  (honest 1, cheating 0, no movement 1/2) on margin / C crosses 1/2; its 90% interval is the
  percentile interval of 2,000 bootstrap resamples of the replicates within each cell (seed 0).
  The boundary's position error is x50 (the closed form puts the line at 0).

Writes cells.csv, result.json and figure.png next to this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
S = "staking.node_stake"
OUTCOME = "mean_honest_share_last_10pct"
BOOTSTRAP = 2000
LEVEL = 0.90


def replicate_sides(frame: pd.DataFrame, initial: float) -> pd.DataFrame:
    """Per run: delta and side (1 honest, 0 cheating, 0.5 no movement)."""
    delta = frame[OUTCOME] - initial
    return frame.assign(delta=delta, y=np.where(delta > 0, 1.0, np.where(delta < 0, 0.0, 0.5)))


def cells(runs: pd.DataFrame, plan: dict) -> pd.DataFrame:
    """One row per cell: margin / C, predicted and simulated sides, the mean delta and its interval."""
    from gaia_sim.outcomes import mean_interval

    margin = dict(zip(plan["stakes"], plan["margins_over_C"]))
    rows = []
    for stake, g in runs.groupby(S):
        mean, low, high = mean_interval(g["delta"].to_numpy(), LEVEL)
        m = margin[min(margin, key=lambda s: abs(s - stake))]
        rows.append(
            {
                S: stake,
                "margin_over_C": m,
                "predicted": 1 if m >= 0 else -1,
                "simulated": int(np.sign(mean)),
                "delta_mean": mean,
                "delta_low": low,
                "delta_high": high,
                "replicates": len(g),
                "replicates_agree": int(((g["y"] == 1.0) if m >= 0 else (g["y"] == 0.0)).sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["agree"] = out["predicted"] == out["simulated"]
    return out


def logistic_x50(x: np.ndarray, y: np.ndarray) -> float:
    """Margin / C at which the fitted P(honest side) = 1/2 (maximum likelihood, fractional y
    allowed); inf / -inf when the fit puts the line beyond the cells, nan when the slope is not
    positive."""
    from scipy.optimize import minimize

    def nll(w):
        z = w[0] + w[1] * x
        return float(np.sum(np.logaddexp(0.0, z) - y * z)) + 1e-6 * float(w @ w)

    w = minimize(nll, np.array([0.0, 5.0]), method="BFGS").x
    if not w[1] > 0:
        return float("nan")
    return float(-w[0] / w[1])


def boundary(runs: pd.DataFrame, plan: dict, seed: int = 0) -> dict:
    """x50 and its bootstrap interval (replicates resampled within each cell)."""
    margin = dict(zip(plan["stakes"], plan["margins_over_C"]))
    runs = runs.assign(x=runs[S].map(lambda s: margin[min(margin, key=lambda t: abs(t - s))]))
    x50 = logistic_x50(runs["x"].to_numpy(), runs["y"].to_numpy())
    rng = np.random.default_rng(seed)
    groups = [g[["x", "y"]].to_numpy() for _, g in runs.groupby("x")]
    draws = []
    for _ in range(BOOTSTRAP):
        sample = np.concatenate([g[rng.integers(len(g), size=len(g))] for g in groups])
        draws.append(logistic_x50(sample[:, 0], sample[:, 1]))
    draws = np.asarray(draws)
    finite = draws[np.isfinite(draws)]
    lo, hi = np.quantile(finite, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]) if len(finite) else (np.nan, np.nan)
    return {"x50": x50, "x50_low": float(lo), "x50_high": float(hi), "bootstrap_finite": int(len(finite))}


# ---- post hoc (not part of the rule fixed before the run) --------------------------------------------
def realized_saving(scenario, answers, behaviour: str) -> float:
    """C of one replicate's network as built (:func:`gaia_sim.deterrence.drawn_saving`, which this
    analysis first computed): the cheaters' mean net over the stacks they were drawn on, minus the
    honest nodes' mean over theirs, instead of the expected stack mix."""
    from gaia_sim import deterrence

    return deterrence.drawn_saving(scenario, answers, behaviour)


def realized(runs: pd.DataFrame, plan: dict, scenario) -> pd.DataFrame:
    """Each run's margin at its own network's C (same p, q, f, S): margin_real / C_expected."""
    from dataclasses import replace

    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers

    answers = load_answers(scenario.answers)
    behaviour = deterrence.main_cheater(scenario)
    saving = {
        seed: realized_saving(scenario.with_overrides({"seed": int(seed)}), answers, behaviour)
        for seed in runs["seed"].unique()
    }
    out = []
    for _, r in runs.iterrows():
        d = deterrence.from_scenario(
            scenario.with_overrides({S: r[S]}), answers, tpr=plan["p"], fpr=plan["q"], verdict_rates=True
        )
        out.append(replace(d, cost_saving=saving[r["seed"]]).margin / plan["C"])
    return runs.assign(C_realized=runs["seed"].map(saving), x_realized=out)


def figure(results: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    from gaia_sim.atomic import atomic_write

    fig = Figure(figsize=(9.0, 4.0), layout="constrained")
    for i, (threat, r) in enumerate(results.items()):
        ax = fig.add_subplot(1, len(results), i + 1)
        c = pd.DataFrame(r["cells"])
        err = [c["delta_mean"] - c["delta_low"], c["delta_high"] - c["delta_mean"]]
        ax.errorbar(
            c["margin_over_C"], c["delta_mean"], yerr=err, fmt="o", capsize=3, label="cell mean, 90% t interval"
        )
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="k", ls="--", lw=1, label="closed-form line")
        b = r["boundary"]
        if np.isfinite(b["x50"]):
            ax.axvline(b["x50"], color="C3", lw=1.5, label=f"simulated line {b['x50']:+.2f} C")
            ax.axvspan(b["x50_low"], b["x50_high"], color="C3", alpha=0.15)
        ax.set(xlabel="closed-form margin / C", ylabel="honest share change (last 10% of epochs)", title=threat)
        ax.legend(fontsize=7, loc="upper left")
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def main() -> None:
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.store import atomic_text

    plan = json.loads((HERE / "plan.json").read_text())
    results, tables = {}, []
    for threat, p in plan.items():
        root = ROOT / "results" / "sweeps" / f"e016_{threat}"
        initial = load_scenario(ROOT / p["scenario"]).population.honest
        runs = replicate_sides(pd.read_parquet(root / "results.parquet"), initial)
        c = cells(runs, p)
        b = boundary(runs, p)
        results[threat] = {"cells": c.to_dict("records"), "boundary": b,
                           "cells_agree": int(c["agree"].sum())}  # fmt: skip
        tables.append(c.assign(threat=threat))
        real = realized(runs, p, load_scenario(ROOT / p["scenario"]))
        xr = logistic_x50(real["x_realized"].to_numpy(), real["y"].to_numpy())
        agree = int(
            (np.sign(real["x_realized"]) == np.where(real["y"] == 1.0, 1, np.where(real["y"] == 0.0, -1, 0))).sum()
        )
        results[threat]["post_hoc_realized"] = {
            "C_realized_by_seed": {str(k): v for k, v in real.groupby("seed")["C_realized"].first().items()},
            "x50_on_realized_margin": xr,
            "replicates_on_realized_side": agree,
            "replicates": len(real),
        }
        print(
            f"  post hoc, each run's own network: C by seed {real.groupby('seed')['C_realized'].first().round(3).to_dict()}; "
            f"replicates on the side of their own margin {agree} / {len(real)}; x50 on that margin {xr:+.3f} C"
        )
        print(f"{threat}: cells on the predicted side {int(c['agree'].sum())} / {len(c)}; replicates "
              f"{int(c['replicates_agree'].sum())} / {int(c['replicates'].sum())}; simulated line x50 = "
              f"{b['x50']:+.3f} C [{b['x50_low']:+.3f}, {b['x50_high']:+.3f}]")  # fmt: skip
        print(c.round(3).to_string(index=False))
    allc = pd.concat(tables)
    results["all"] = {"cells_agree": int(allc["agree"].sum()), "cells": len(allc)}
    print(
        f"all: {int(allc['agree'].sum())} / {len(allc)} = {allc['agree'].mean():.1%} of near-line cells on the predicted side"
    )
    atomic_text(HERE / "cells.csv", allc.round(4).to_csv(index=False))
    atomic_text(HERE / "result.json", json.dumps(results, indent=2, sort_keys=True, default=float) + "\n")
    figure({k: v for k, v in results.items() if k != "all"}, HERE / "figure.png")


if __name__ == "__main__":
    main()
