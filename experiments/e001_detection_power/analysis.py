"""e001 analysis: power (guilty verdicts per cheater probe) vs questions per node, by behaviour.

    gaia-sim sweep experiments/e001_detection_power/sweep.toml
    .venv/bin/python experiments/e001_detection_power/analysis.py [results/sweeps/e001_detection_power]

Writes experiments/e001_detection_power/figure.png and prints the table used in the README.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
Q = "probes.questions_per_epoch"


def behaviour(population: str) -> str:
    return next(k for k, v in json.loads(population).items() if k != "honest" and v > 0)


def table(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(behaviour=frame["population"].map(behaviour))
    g = frame.groupby(["behaviour", Q])
    out = g[["tpr_cheaters", "flag_rate_honest"]].mean()
    out["tpr_sd"] = g["tpr_cheaters"].std()
    out["n"] = g.size()
    return out.reset_index()


def figure(t: pd.DataFrame, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for b, part in t.groupby("behaviour"):
        ax.errorbar(part[Q], part["tpr_cheaters"], yerr=part["tpr_sd"], marker="o", capsize=3, label=b)
    honest = t.groupby(Q)["flag_rate_honest"].mean()
    ax.plot(honest.index, honest.values, "k--", label="honest (false positives)")
    ax.set(
        xlabel="questions per probed node per epoch",
        ylabel="guilty verdicts per probe",
        title="e001: detection power per epoch (alpha = 0.01)",
        ylim=(-0.02, 1.02),
    )
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def main(root: Path) -> None:
    t = table(pd.read_parquet(root / "results.parquet"))
    figure(t, HERE / "figure.png")
    pd.set_option("display.width", 200)
    print(t.pivot(index=Q, columns="behaviour", values="tpr_cheaters").round(3).to_string())
    print("honest false-positive rate by questions:", t.groupby(Q)["flag_rate_honest"].mean().round(4).to_dict())
    print(
        "cells per row:", sorted(t["n"].unique()), "| max honest FPR:", float(np.round(t["flag_rate_honest"].max(), 4))
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/sweeps/e001_detection_power"))
