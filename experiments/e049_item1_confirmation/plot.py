"""e049's figure: per seed (26-49), `default_nearest`'s decision TPR on each swap (left) and its honest
flag rate (right), the default's beside it, from the committed result.json.

Run: .venv/bin/python experiments/e049_item1_confirmation/plot.py  (writes by_seed.png here)
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    rows = json.loads((HERE / "result.json").read_text())["real"]
    pairings = list(dict.fromkeys(r["pairing"] for r in rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
    for pairing, colour in zip(pairings, ("tab:blue", "tab:red", "tab:green", "tab:purple")):
        for det, style in (("default_nearest", "o-"), ("default", "x:")):
            sel = sorted((r for r in rows if r["pairing"] == pairing and r["detector"] == det), key=lambda r: r["seed"])
            seeds = [r["seed"] for r in sel]
            label = f"{pairing} ({det})"
            left.plot(seeds, [r["cheat_flag_rate"] for r in sel], style, color=colour, ms=4, label=label)
            right.plot(seeds, [r["honest_flag_rate"] for r in sel], style, color=colour, ms=4)
    left.axhline(0.99, color="black", lw=0.8)
    right.axhline(0.01, color="black", lw=0.8)
    left.set(
        ylim=(0.5, 1.005),
        xlabel="seed",
        ylabel="decision TPR (600 cheater verdicts)",
        title="cheaters convicted (line: item 1's 0.99)",
    )
    right.set(
        xlabel="seed", ylabel="honest flag rate (5,400 verdicts)", title="honest nodes flagged (line: alpha 0.01)"
    )
    left.legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    fig.savefig(HERE / "by_seed.png", dpi=110)


if __name__ == "__main__":
    main()
