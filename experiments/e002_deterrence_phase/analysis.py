"""e002 analysis: does the simulated long-run honest share land on the side of the closed-form
deterrence boundary that gaia_sim.deterrence predicts, in at least 95% of cells?

    gaia-sim sweep experiments/e002_deterrence_phase/sweep.toml --workers 1
    .venv/bin/python experiments/e002_deterrence_phase/analysis.py [results/sweeps/e002_deterrence_phase] [OUT_DIR]

Rule, fixed before the sweep ran (README):

- **Predicted side** of a cell: deterred iff margin = (p - q) f S - C >= 0 (``deterrence.from_scenario``
  with ``verdict_rates``). C (tokens/epoch cheating saves) is the closed form (``mean_economics``:
  the answer bank's measured costs over the honest stack mix, the model's queue timeouts); f and S
  are the cell's; p and q (guilty verdicts per probe of lazy and of honest nodes) do not depend on
  f or S and are measured once, in calibration runs of the same scenario with strategies frozen
  (``strategy.dynamics = none``) at the initial mix: 4 seeds x 30 epochs, pooled (the per-cell rates
  of the first 5 epochs are too noisy: 10 lazy nodes x 5 epochs per run).
- **Simulated side**: honest iff the mean over the replicates of the honest share averaged over the
  last 10% of epochs is above the initial honest share, cheating iff below; no movement (equal) is a
  miss. Headline: share of all cells on the predicted side. Also reported: the decisive cells
  (|margin| >= 10% of C) and the share of single replicates on the predicted side.

Writes figure.png and cells.csv next to this file, and the sweep report's phase diagram with the boundary.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
S, F = "staking.node_stake", "slashing.slash_fraction"
CALIBRATION_SEEDS = (1001, 1002, 1003, 1004)
CALIBRATION_EPOCHS = 30
DECISIVE = 0.10  # |margin| >= this share of C
CURVE_SHARES = (0.2, 0.25, 0.3, 0.35, 0.4)  # lazy shares at which the detector's power is measured (explanatory)


def calibrate(base, answers) -> dict[str, float]:
    """p, q (guilty verdicts per probe) and the measured C (lazy minus honest revenue - cost per node
    epoch) with strategies frozen at the initial mix, pooled over the calibration seeds
    (``deterrence.measured_rates``)."""
    from gaia_sim.deterrence import measured_rates

    r = measured_rates(base, answers, "lazy", seeds=CALIBRATION_SEEDS, epochs=CALIBRATION_EPOCHS)
    return {
        "p": r["p"],
        "q": r["q"],
        "C_measured": r["C_measured"],
        "verdicts_lazy": r["verdicts_cheater"],
        "verdicts_honest": r["verdicts_honest"],
    }


def power_curve(base, answers) -> list[float]:
    """Guilty verdicts per probe of lazy nodes at each of CURVE_SHARES (strategies frozen, the
    calibration seeds and epochs). Explanatory only (added after e002's headline run, not part of
    the rule): it gives each cell's basin edge (``deterrence.basin_edge``)."""
    from gaia_sim.deterrence import measured_rates

    return [
        measured_rates(base, answers, "lazy", share=x, seeds=CALIBRATION_SEEDS, epochs=CALIBRATION_EPOCHS)["p"]
        for x in CURVE_SHARES
    ]


def side(delta: float) -> int:
    """+1 honest side, -1 cheating side, 0 no movement (the simulated-side rule)."""
    return int(np.sign(delta))


def cells(frame: pd.DataFrame, base, answers, cal: dict, curve: list[float] | None = None) -> pd.DataFrame:
    """One row per (stake, slash fraction): margin, predicted and simulated sides, agreement, and
    (explanatory, when ``curve`` is given) the basin edge: the lazy share up to which the margin
    stays positive with the detector's measured power at each share."""
    from gaia_sim import deterrence

    initial = base.population.honest
    frame = frame.assign(delta=frame["mean_honest_share_last_10pct"] - initial)
    frame["rep_side"] = frame["delta"].map(side)
    rows = []
    for (s, f), g in frame.groupby([S, F]):
        d = deterrence.from_scenario(
            base.with_overrides({S: s, F: f}), answers, tpr=cal["p"], fpr=cal["q"], verdict_rates=True
        )
        pred = 1 if d.deters else -1
        rows.append(
            {
                S: s,
                F: f,
                "margin": d.margin,
                "margin_over_C": d.margin / d.cost_saving,
                "predicted": pred,
                "honest_share": g["mean_honest_share_last_10pct"].mean(),
                "simulated": side(g["delta"].mean()),
                "replicates": len(g),
                "replicates_agree": int((g["rep_side"] == pred).sum()),
                "early_tpr": g["early_tpr_cheaters"].mean(),
                "basin_edge": np.nan
                if curve is None
                else deterrence.basin_edge(
                    CURVE_SHARES, curve, f, s, d.cost_saving, d.reward, d.false_positive, d.jail_loss
                ),
            }
        )
    out = pd.DataFrame(rows)
    out["agree"] = out["predicted"] == out["simulated"]
    out["decisive"] = out["margin_over_C"].abs() >= DECISIVE
    return out


def boundary(typical, fractions) -> list[tuple[float, float]]:
    """(min stake, slash fraction) along the boundary."""
    return [(replace(typical, slash_fraction=f).min_stake, f) for f in fractions]


def figure(c: pd.DataFrame, line, path: Path, name: str = "e002") -> None:
    from matplotlib.figure import Figure

    from gaia_sim.atomic import atomic_write

    grid = c.pivot(index=F, columns=S, values="honest_share")
    xs, ys = np.asarray(grid.columns, float), np.asarray(grid.index, float)
    fig = Figure(figsize=(9.0, 4.8), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="long-run honest share (last 10% of epochs, mean of replicates)")
    miss = c[~c["agree"]]
    ax.scatter(
        np.searchsorted(xs, miss[S]),
        np.searchsorted(ys, miss[F]),
        marker="x",
        c="red",
        s=70,
        label="cell on the wrong side",
    )
    logx = np.log(np.maximum(xs, 1e-9))
    pts = [
        (np.interp(np.log(s), logx[1:], np.arange(1, len(xs))), np.interp(f, ys, np.arange(len(ys))))
        for s, f in line
        if np.isfinite(s) and xs[1] <= s <= xs[-1]
    ]
    if pts:
        ax.plot(*zip(*pts), "w--", lw=2, label="closed-form boundary (min stake)")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs], rotation=45)
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys])
    ax.set(
        xlabel="node stake (tokens, log-spaced after 0)",
        ylabel="slash fraction",
        title=f"{name}: deterrence phase diagram (lazy nodes, initial honest share 0.8)",
    )
    ax.legend(fontsize=8, loc="center left")  # over the cheating cells, clear of any miss
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def main(root: Path, out: Path = HERE) -> None:
    """Analyse the sweep in ``root``; write figure.png and cells.csv to ``out`` (e007 reuses this)."""
    from gaia_sim import deterrence
    from gaia_sim.atomic import atomic_write
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.report import write_report

    frame = pd.read_parquet(root / "results.parquet")
    manifest = json.loads((root / "manifest.json").read_text())
    base = load_scenario(manifest["base_scenario"]).with_overrides(manifest["fixed"])
    answers = load_answers(base.answers)
    cal = calibrate(base, answers)
    curve = power_curve(base, answers)
    c = cells(frame, base, answers, cal, curve)
    typical = deterrence.from_scenario(base, answers, tpr=cal["p"], fpr=cal["q"], verdict_rates=True)
    line = boundary(typical, sorted(c[F].unique()))
    figure(c, line, out / "figure.png", manifest["name"].split("_")[0])
    atomic_write(out / "cells.csv", lambda tmp: c.round(4).to_csv(tmp, index=False))
    write_report(root, boundary=[(s, f) for s, f in line if np.isfinite(s)])
    env = manifest.get("environment", {})
    print(
        f"sweep {manifest['name']}: git {env.get('git_revision')}, {manifest.get('n_rows')} runs, "
        f"{manifest.get('wall_s', float('nan')):.0f} s wall, {manifest.get('workers')} worker(s)"
    )
    print(
        f"calibration (strategies frozen, {len(CALIBRATION_SEEDS)} seeds x {CALIBRATION_EPOCHS} epochs): "
        f"p={cal['p']:.3f} ({cal['verdicts_lazy']} verdicts) q={cal['q']:.4f} ({cal['verdicts_honest']}) "
        f"C measured={cal['C_measured']:.3f}; closed form C={typical.cost_saving:.3f} tokens/epoch"
    )
    print(f"sweep-mean early (first 5 epochs) guilty rate of lazy nodes: {frame['early_tpr_cheaters'].mean():.3f}")
    print("boundary (min stake per slash fraction):", {f: round(s, 2) for s, f in line})
    dec = c[c["decisive"]]
    print(f"ALL cells on the predicted side: {c['agree'].sum()} / {len(c)} = {c['agree'].mean():.1%}")
    print(
        f"decisive cells (|margin| >= {DECISIVE:.0%} of C): {dec['agree'].sum()} / {len(dec)} = {dec['agree'].mean():.1%}"
    )
    print(f"single replicates on the predicted side: {c['replicates_agree'].sum()} / {c['replicates'].sum()}")
    print(
        "predicted deterred:",
        int((c["predicted"] > 0).sum()),
        "| simulated honest:",
        int((c["simulated"] > 0).sum()),
        "| no movement:",
        int((c["simulated"] == 0).sum()),
    )
    print(c.pivot(index=F, columns=S, values="honest_share").round(2).to_string())
    miss = c[~c["agree"]]
    if len(miss):
        print(
            "cells on the wrong side:\n",
            miss[[S, F, "margin", "margin_over_C", "basin_edge", "honest_share", "replicates_agree"]]
            .round(3)
            .to_string(index=False),
        )
    print(
        "explanatory (not the rule): lazy nodes' guilty rate per probe at lazy shares",
        dict(zip(CURVE_SHARES, np.round(curve, 3))),
    )
    deterred = c[c["predicted"] > 0]
    for lo, hi in [(0.0, 0.25), (0.25, 0.3), (0.3, 0.35), (0.35, 1.0)]:
        band = deterred[(deterred["basin_edge"] >= lo) & (deterred["basin_edge"] < hi)]
        if len(band):
            print(
                f"  predicted-deterred cells with basin edge in [{lo}, {hi}): {len(band)}, on the predicted side "
                f"{int(band['agree'].sum())}, replicates honest {int(band['replicates_agree'].sum())} / {int(band['replicates'].sum())}"
            )


if __name__ == "__main__":
    # analysis.py [SWEEP_DIR] [OUT_DIR]: e007 and e008 apply this rule to their own sweeps, e.g.
    # analysis.py results/sweeps/e008_deterrence_8_questions experiments/e008_deterrence_8_questions
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e002_deterrence_phase"),
        Path(sys.argv[2]) if len(sys.argv) > 2 else HERE,
    )
