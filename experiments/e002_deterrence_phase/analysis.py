"""e002 analysis: does the simulated long-run honest share land on the side of the closed-form
deterrence boundary that gaia_sim.deterrence predicts, in at least 95% of cells?

    gaia-sim sweep experiments/e002_deterrence_phase/sweep.toml
    .venv/bin/python experiments/e002_deterrence_phase/analysis.py [results/sweeps/e002_deterrence_phase]

Per cell (mean of its replicates): the scenario's deterrence inputs come from
``deterrence.from_scenario`` (cost saving C and forfeited revenue R from the answer bank's measured
costs and the scenario's prices; f and S from the cell), with the detector's per-probe guilty-verdict
rates measured in the first epochs of the same runs (``early_tpr_cheaters``, ``early_flag_rate_honest``).
Predicted: deterred iff margin >= 0. Simulated: honest iff the mean honest share over the last 10% of
epochs is above the initial honest share (the runs are short, so the direction of the dynamics,
not where it ends, is what the condition predicts). The boundary drawn is ``min_stake`` per slash fraction with the sweep-wide mean rates.
Writes figure.png (and the sweep report's phase diagram with the boundary).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
S, F = "staking.node_stake", "slashing.slash_fraction"


def cells(root: Path) -> tuple[pd.DataFrame, object, object]:
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    frame = pd.read_parquet(root / "results.parquet")
    manifest = json.loads((root / "manifest.json").read_text())
    base = load_scenario(manifest["base_scenario"]).with_overrides(manifest["fixed"])
    answers = load_answers(base.answers)
    means = frame.groupby([S, F], as_index=False).mean(numeric_only=True)
    tpr, fpr = np.nanmean(means["early_tpr_cheaters"]), np.nanmean(means["early_flag_rate_honest"])
    rows = []
    for _, r in means.iterrows():
        d = deterrence.from_scenario(base.with_overrides({S: r[S], F: r[F]}), answers, tpr=_nz(r["early_tpr_cheaters"], tpr),
                                     fpr=_nz(r["early_flag_rate_honest"], fpr), verdict_rates=True)
        rows.append({"margin": d.margin, "predicted_deterred": d.deters})
    means = pd.concat([means, pd.DataFrame(rows)], axis=1)
    means["simulated_honest"] = means["mean_honest_share_last_10pct"] > base.population.honest
    means["agree"] = means["predicted_deterred"] == means["simulated_honest"]
    typical = deterrence.from_scenario(base, answers, tpr=tpr, fpr=fpr, verdict_rates=True)
    return means, typical, base


def _nz(v: float, default: float) -> float:
    return default if not np.isfinite(v) else float(v)


def boundary(typical, fractions) -> list[tuple[float, float]]:
    from dataclasses import replace

    return [(replace(typical, slash_fraction=f).min_stake, f) for f in fractions]


def figure(means: pd.DataFrame, line, path: Path) -> None:
    from matplotlib.figure import Figure

    grid = means.pivot(index=F, columns=S, values="mean_honest_share_last_10pct")
    xs, ys = np.asarray(grid.columns, float), np.asarray(grid.index, float)
    fig = Figure(figsize=(7.0, 4.8), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="long-run honest share (last 10% of epochs)")
    miss = means[~means["agree"]]
    ax.scatter(np.searchsorted(xs, miss[S]), np.searchsorted(ys, miss[F]), marker="x", c="red", s=60,
               label="cell on the wrong side")
    pts = [(np.interp(s, xs, np.arange(len(xs)), right=np.inf), np.interp(f, ys, np.arange(len(ys))))
           for s, f in line if np.isfinite(s)]
    pts = [(x, y) for x, y in pts if x <= len(xs) - 0.5]
    if pts:
        ax.plot(*zip(*pts), "w--", lw=2, label="analytic boundary (min stake)")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    ax.set(xlabel="node stake (tokens)", ylabel="slash fraction", title="e002: deterrence phase diagram")
    ax.legend(fontsize=8, loc="upper left")
    fig.savefig(path, dpi=110)


def main(root: Path) -> None:
    from gaia_sim.sweep.report import write_report

    means, typical, _ = cells(root)
    fractions = sorted(means[F].unique())
    line = boundary(typical, fractions)
    figure(means, line, HERE / "figure.png")
    write_report(root, boundary=[(s, f) for s, f in line if np.isfinite(s)])
    print(f"deterrence inputs (sweep means): p_detect={typical.p_detect:.3f} q={typical.false_positive:.4f} "
          f"C={typical.cost_saving:.3f} R={typical.reward:.3f} tokens/epoch")
    print("boundary (min stake per slash fraction):", {f: round(s, 2) for s, f in line})
    print(f"cells on the predicted side: {means['agree'].sum()} / {len(means)} = {means['agree'].mean():.1%}")
    print("predicted deterred:", int(means["predicted_deterred"].sum()), "| simulated honest:", int(means["simulated_honest"].sum()))
    grid = means.pivot(index=F, columns=S, values="mean_honest_share_last_10pct").round(2)
    print(grid.to_string())
    if len(means[~means["agree"]]):
        print("cells on the wrong side:\n", means.loc[~means["agree"], [S, F, "margin", "mean_honest_share_last_10pct"]].round(3).to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e002_deterrence_phase"))
