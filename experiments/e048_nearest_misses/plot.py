"""e048's figure: `default_nearest`'s decisions on Gemma-2-27B serving as 9B, per held-out seed, before
and after the gamma tail (and the default detector), from the committed result files.

Run: .venv/bin/python experiments/e048_nearest_misses/plot.py  (writes decisions_by_seed.png here)
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
PAIRING = "gemma-2-27b as gemma-2-9b"


def series(path: Path, detector: str) -> dict[int, float]:
    rows = json.loads(path.read_text())["real"]
    return {r["seed"]: r["cheat_flag_rate"] for r in rows if r["pairing"] == PAIRING and r["detector"] == detector}


def main() -> None:
    before, after = HERE / "result_real_before.json", HERE / "result_real_after.json"
    fresh = HERE / "result_real_seeds14_25.json"
    lines = [
        ("default_nearest before (165c77f)", series(before, "default_nearest"), "tab:grey", "o"),
        ("default_nearest with the tail", series(after, "default_nearest"), "tab:blue", "o"),
        ("default (unchanged)", series(after, "default"), "tab:orange", "x"),
    ]
    if fresh.exists():
        lines += [
            ("default_nearest with the tail, fresh seeds (run 6)", series(fresh, "default_nearest"), "tab:blue", "s"),
            (None, series(fresh, "default"), "tab:orange", "x"),
        ]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for label, values, colour, marker in lines:
        seeds = sorted(values)
        ax.plot(seeds, [values[s] for s in seeds], marker=marker, ls="-", color=colour, label=label, alpha=0.85)
    ax.axhline(0.99, color="tab:red", ls="--", lw=1, label="issue 14 item 1 target 0.99")
    ax.set(
        xlabel="held-out seed (real runs, 5 learned questions x 5 answers, 600 cheater verdicts each)",
        ylabel="decision TPR at alpha 0.01",
        title="Gemma-2-27B serving as 9B: cheaters flagged per seed",
    )
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(HERE / "decisions_by_seed.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
