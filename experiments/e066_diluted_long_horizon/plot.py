"""e066's plot from its committed result files: the share of diluted cheaters convicted by each
epoch (left; dashed: the exploratory arm with the per-epoch rule (b) off) and the share of honest nodes convicted at least once (right), against the guarantee.

Run: .venv/bin/python experiments/e066_diluted_long_horizon/plot.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELS = {"none": "no cheating", "lazy_refusal": "refusal", "cheaper_model": "cheaper model"}
COLOURS = {
    ("none", 0.0): "tab:grey",
    ("lazy_refusal", 0.1): "tab:blue",
    ("cheaper_model", 0.1): "tab:orange",
    ("cheaper_model", 0.25): "tab:green",
}


def main() -> None:
    rows = [r for f in ("result_a.json", "result_b.json") for r in json.loads((HERE / f).read_text())]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for r in rows:
        name = f"{LABELS[r['role']]}" + (f", {r['share']:.0%} of answers" if r["share"] else "")
        epochs = range(1, r["epochs"] + 1)
        if "cheater_convicted_by_epoch" in r:
            left.plot(epochs, r["cheater_convicted_by_epoch"], label=name, color=COLOURS[(r["role"], r["share"])])
        right.plot(epochs, r["honest_ever_by_epoch"], label=name, color=COLOURS[(r["role"], r["share"])])
    off = [
        r
        for f in ("result_epoch_alpha0_a.json", "result_epoch_alpha0_b.json")
        for r in json.loads((HERE / f).read_text())
    ]
    for r in off:  # the exploratory arm: the per-epoch rule (b) off; no honest node was convicted there
        if "cheater_convicted_by_epoch" in r:
            left.plot(
                range(1, r["epochs"] + 1),
                r["cheater_convicted_by_epoch"],
                color=COLOURS[(r["role"], r["share"])],
                ls="--",
                lw=1,
            )
    left.plot([], [], color="black", ls="--", lw=1, label="dashed: per-epoch rule off (honest: 0 convicted)")
    right.axhline(0.0105, color="black", ls="--", lw=1, label="1.05 alpha (balance rule)")
    right.plot([1, 200], [0.0105 + 0.2 / 27 / 200, 0.018], color="black", ls=":", lw=1, label="with the per-epoch rule")
    left.set(xlabel="epoch", ylabel="share of cheaters convicted by then", ylim=(0, 1.02))
    left.set_title("Diluted cheaters (30 nodes, 3 cheaters, 5 x 3 answers)", fontsize=10)
    right.set(xlabel="epoch", ylabel="share of honest nodes convicted at least once", ylim=(0, 0.02))
    right.set_title("Honest nodes: against the anytime-valid bound", fontsize=10)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "convicted_by_epoch.png", dpi=110)


if __name__ == "__main__":
    main()
