"""e004 analysis: at what canary rate does laziness stop paying for validators, and do verdicts recover?

    gaia-sim sweep experiments/e004_lazy_validators_canaries/sweep.toml
    .venv/bin/python experiments/e004_lazy_validators_canaries/analysis.py [results/sweeps/e004_lazy_validators_canaries]

Per cell: profit per validator-epoch of lazy and honest validators (rewards - probe costs - slashes),
their difference, the guilty-verdict rate per probe of cheating nodes (tpr_cheaters) over the run, and
the honest validators' canary miss rate: canaries are planted known-bad nodes answering from the bank's
``validation.canary_role`` configuration and judged by the detector among the probed nodes, so an honest
validator misses what the detector misses. Estimated from the stake it lost: slash per validator-epoch /
(canary_slash x validator_stake x canaries per epoch); exact while honest validators lose little stake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
K, MIX, ROLE = "validation.canaries_per_epoch", "validator_population", "validation.canary_role"


def table(frame: pd.DataFrame, slash: float, stake: float) -> pd.DataFrame:
    frame = frame.assign(lazy_share=frame[MIX].map(lambda m: json.loads(m)["lazy"]))
    if ROLE not in frame:
        frame = frame.assign(**{ROLE: "cheaper_model"})
    cols = [
        "profit_per_validator_lazy",
        "profit_per_validator_honest",
        "slashed_per_validator_lazy",
        "slashed_per_validator_honest",
        "tpr_cheaters",
    ]
    t = frame.groupby([ROLE, "lazy_share", K], as_index=False)[cols].mean()
    t["lazy_minus_honest"] = t["profit_per_validator_lazy"] - t["profit_per_validator_honest"]
    t["honest_canary_miss_rate"] = t["slashed_per_validator_honest"] / (slash * stake * t[K].where(t[K] > 0))
    return t


def figure(t: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    from gaia_sim.atomic import atomic_write

    fig = Figure(figsize=(13.0, 4.0), layout="constrained")
    a, b, c = fig.subplots(1, 3)
    for (role, share), part in t.groupby([ROLE, "lazy_share"]):
        a.plot(part[K], part["lazy_minus_honest"], "o-", label=f"{role}, lazy share {share:.1f}")
        c.plot(part[K], part["tpr_cheaters"], "o-", label=f"{role}, lazy share {share:.1f}")
    for role, part in t.groupby(ROLE):
        part = part.groupby(K, as_index=False)["honest_canary_miss_rate"].mean()
        b.plot(part[K], part["honest_canary_miss_rate"], "o-", label=role)
    a.axhline(0, color="k", lw=0.8)
    a.set(
        xlabel="canaries per epoch",
        ylabel="lazy - honest validator profit (tokens/epoch)",
        title="does laziness pay?",
        xscale="symlog",
    )
    b.set(
        xlabel="canaries per epoch",
        ylabel="share of its canaries an honest validator misses",
        title="canary misses (detector on canary answers)",
        xscale="symlog",
        ylim=(-0.02, 1.02),
    )
    c.set(
        xlabel="canaries per epoch",
        ylabel="guilty verdicts per cheater probe",
        title="verdict correctness",
        xscale="symlog",
        ylim=(-0.02, 1.02),
    )
    ticks = sorted(t[K].unique())
    for ax in (a, b, c):
        ax.set_xticks(ticks, [str(int(k)) for k in ticks])
    a.legend(fontsize=7)
    b.legend(fontsize=7)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))


def main(root: Path) -> None:
    from gaia_sim.scenario import load_scenario

    manifest = json.loads((root / "manifest.json").read_text())
    base = load_scenario(manifest["base_scenario"]).with_overrides(manifest["fixed"])
    print(
        f"git revision of the sweep: {manifest.get('environment', {}).get('git_revision')}, {manifest.get('n_rows')} runs, "
        f"{manifest.get('wall_s', float('nan')):.0f} s wall; canary role: {base.validation.canary_role}"
    )
    t = table(pd.read_parquet(root / "results.parquet"), base.validation.canary_slash, base.staking.validator_stake)
    figure(t, HERE / "figure.png")
    print(t.round(3).to_string(index=False))
    pays = t[t["lazy_minus_honest"] > 0]
    print("cells where laziness pays:", pays[[ROLE, "lazy_share", K]].to_dict("records"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e004_lazy_validators_canaries"))
