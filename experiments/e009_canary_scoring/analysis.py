"""e009 analysis: does scoring only detectable canary misses spare honest validators without
weakening the incentive against laziness?

    gaia-sim sweep experiments/e009_canary_scoring/sweep.toml --workers 2
    .venv/bin/python experiments/e009_canary_scoring/analysis.py [results/sweeps/e009_canary_scoring]

Per (scoring, canary role, canaries per epoch k), means over replicates of: lazy and honest
validator profit per validator-epoch, their difference, and each role's canary slash per
validator-epoch. d (share of canaries the detector flags) is measured from the honest validators'
canary losses under every_miss: 1 - slash / (k s V). Prediction (hypothesis 2 in sweep.toml):
lazy - honest = G - k d s V under both rules, with G the k = 0 difference. Writes figure.png.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
K, ROLE, RULE = "validation.canaries_per_epoch", "validation.canary_role", "validation.canary_scoring"


def table(frame: pd.DataFrame, slash_per_miss: float) -> pd.DataFrame:
    cols = [
        "profit_per_validator_lazy",
        "profit_per_validator_honest",
        "slashed_per_validator_lazy",
        "slashed_per_validator_honest",
    ]
    t = frame.groupby([RULE, ROLE, K], as_index=False)[cols].mean()
    t["lazy_minus_honest"] = t["profit_per_validator_lazy"] - t["profit_per_validator_honest"]
    gap0 = t[t[K] == 0].groupby([RULE, ROLE])["lazy_minus_honest"].first()
    t["G"] = [gap0[(r, o)] for r, o in zip(t[RULE], t[ROLE])]
    every = t[(t[RULE] == "every_miss") & (t[K] > 0)].set_index([ROLE, K])
    d = 1.0 - every["slashed_per_validator_honest"] / (every.index.get_level_values(K) * slash_per_miss)
    t["d"] = [d.get((o, k), np.nan) for o, k in zip(t[ROLE], t[K])]
    t["predicted"] = t["G"] - t[K] * t["d"].fillna(0.0) * slash_per_miss
    return t


def figure(t: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    from gaia_sim.atomic import atomic_write

    fig = Figure(figsize=(11.0, 4.0), layout="constrained")
    a, b = fig.subplots(1, 2)
    for (rule, role), part in t.groupby([RULE, ROLE]):
        style = "o-" if rule == "every_miss" else "s--"
        a.plot(part[K], part["lazy_minus_honest"], style, label=f"{rule}, {role}")
        b.plot(part[K], part["slashed_per_validator_honest"], style, label=f"{rule}, {role}")
    for _, part in t[t[RULE] == "every_miss"].groupby(ROLE):
        a.plot(part[K], part["predicted"], ":", color="grey")
    a.axhline(0, color="k", lw=0.8)
    a.set(
        xlabel="canaries per epoch",
        ylabel="lazy - honest validator profit (tokens/epoch)",
        title="incentive against laziness (dotted: G - k d s V)",
    )
    b.set(
        xlabel="canaries per epoch",
        ylabel="canary slash of an honest validator (tokens/epoch)",
        title="what canaries cost honest validators",
    )
    a.legend(fontsize=7)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def main(root: Path) -> None:
    from gaia_sim.scenario import load_scenario

    manifest = json.loads((root / "manifest.json").read_text())
    base = load_scenario(manifest["base_scenario"]).with_overrides(manifest["fixed"])
    s_v = base.validation.canary_slash * base.staking.validator_stake
    print(
        f"git revision of the sweep: {manifest.get('environment', {}).get('git_revision')}, {manifest.get('n_rows')} runs, "
        f"{manifest.get('wall_s', float('nan')):.0f} s wall; slash per missed canary s V = {s_v:g} tokens"
    )
    t = table(pd.read_parquet(root / "results.parquet"), s_v)
    figure(t, HERE / "figure.png")
    print(t.round(3).to_string(index=False))
    live = t[t[K] > 0]
    print(
        "max |simulated - predicted| lazy - honest:",
        f"{(live['lazy_minus_honest'] - live['predicted']).abs().max():.3f} tokens/epoch",
    )
    det = live[live[RULE] == "detectable_miss"]
    print(
        "honest validators' canary slash under detectable_miss: max",
        f"{det['slashed_per_validator_honest'].max():.4f} tokens/epoch",
    )
    for role, part in live[live[RULE] == "every_miss"].groupby(ROLE):
        g, dd = part["G"].iloc[0], part["d"].mean()
        print(
            f"{role}: G = {g:.2f}, d = {dd:.2f} (mean over k), k* = G / (d s V) = {g / (dd * s_v):.2f} canaries per epoch"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e009_canary_scoring"))
