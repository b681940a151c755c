"""e003 analysis: largest colluding validator share at which verdicts stay right, by quorum.

    gaia-sim sweep experiments/e003_collusion_tolerance/sweep.toml
    .venv/bin/python experiments/e003_collusion_tolerance/analysis.py [results/sweeps/e003_collusion_tolerance]

"Right": the ring's guilty-verdict rate per probe stays at least half of what it is with no colluding
validator, and honest nodes are not found guilty more often than alpha (0.01). Compared with the
quorum arithmetic: tolerance = 1 - quorum (colluders vote innocent; guilty needs honest stake >= quorum).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
QUORUM, MIX = "validation.quorum", "validator_population"
ALPHA = 0.01


def table(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(colluding_share=frame[MIX].map(lambda m: json.loads(m)["colluding"]))
    t = frame.groupby([QUORUM, "colluding_share"], as_index=False)[
        ["verdict_rate_colluding", "flag_rate_honest"]
    ].mean()
    clean = t[t["colluding_share"] == 0].set_index(QUORUM)["verdict_rate_colluding"]
    t["right"] = (t["verdict_rate_colluding"] >= 0.5 * t[QUORUM].map(clean)) & (t["flag_rate_honest"] <= ALPHA)
    return t


def tolerance(t: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for q, part in t.groupby(QUORUM):
        part = part.sort_values("colluding_share")
        ok = part["right"].cumprod().astype(bool)  # right at every share up to this one
        rows.append(
            {
                "quorum": round(q, 3),
                "tolerated_share": part.loc[ok, "colluding_share"].max(),
                "first_broken_share": part.loc[~ok, "colluding_share"].min(),
                "theory_1_minus_quorum": round(1 - q, 3),
            }
        )
    return pd.DataFrame(rows)


def figure(t: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for q, part in t.groupby(QUORUM):
        (line,) = ax.plot(part["colluding_share"], part["verdict_rate_colluding"], "o-", label=f"quorum {q:.2f}")
        ax.axvline(1 - q, color=line.get_color(), ls=":", lw=1)
    ax.set(
        xlabel="colluding validator stake share",
        ylabel="guilty verdicts per probe of a ring node",
        title="e003: collusion tolerance (dotted: 1 - quorum)",
        ylim=(-0.02, 1.02),
    )
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def main(root: Path) -> None:
    t = table(pd.read_parquet(root / "results.parquet"))
    figure(t, HERE / "figure.png")
    print(t.round(3).to_string(index=False))
    print(tolerance(t).to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e003_collusion_tolerance"))
