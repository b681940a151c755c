"""Score e049's hypotheses (hypothesis.md, fixed before the run) from the committed result.json.

Run: .venv/bin/python experiments/e049_item1_confirmation/score.py  (prints the table in README.md)

Pooled intervals treat the 24 x 600 cheater (24 x 5,400 honest) verdicts as independent, as the
hypotheses were written; verdicts of one seed share its nodes and questions, so those intervals are
too narrow. The t interval over seeds (one value per seed) and the per-seed counts (H3, H5) do not
rely on that.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from gaia_sim.outcomes import mean_interval, rate_upper_bound

HERE = Path(__file__).resolve().parent
HARD = "gemma-2-27b as gemma-2-9b"
Z95 = 1.959963984540054


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Two-sided Wilson score interval (Wilson, JASA 22, 1927)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def pooled(rows: list[dict], rate: str, count: str) -> tuple[float, float]:
    k = sum(round(r[rate] * r[count]) for r in rows)
    n = sum(r[count] for r in rows)
    return k, n


def main() -> None:
    rows = json.loads((HERE / "result.json").read_text())["real"]
    seeds = sorted({r["seed"] for r in rows})
    pairings = list(dict.fromkeys(r["pairing"] for r in rows))
    print(f"{len(seeds)} seeds ({seeds[0]}-{seeds[-1]}), {len(rows)} rows\n")
    print(
        f"{'swap':28s} {'detector':16s} {'decision TPR':>12s} {'Wilson 95%':>17s} {'seeds>=0.99':>11s}"
        f" {'honest rate':>11s} {'CP upper':>9s} {'cells>0.01':>10s}"
    )
    verdict = {}
    for pairing in pairings:
        for det in ("default", "default_nearest"):
            sel = [r for r in rows if r["pairing"] == pairing and r["detector"] == det]
            k, n = pooled(sel, "cheat_flag_rate", "n_cheat")
            lo, hi = wilson(k, n)
            hk, hn = pooled(sel, "honest_flag_rate", "n_honest")
            upper = rate_upper_bound(hk, hn, 0.95)
            good_seeds = sum(r["cheat_flag_rate"] >= 0.99 for r in sel)
            over = [r["seed"] for r in sel if r["honest_flag_rate"] > 0.01]
            verdict[pairing, det] = (k / n, lo, good_seeds, upper, over)
            print(
                f"{pairing:28s} {det:16s} {k / n:12.4f} {lo:8.4f}-{hi:.4f} {good_seeds:8d}/{len(sel)}"
                f" {hk / hn:11.4f} {upper:9.4f} {len(over):10d}" + (f"  (seeds {over})" if over else "")
            )
    nearest = {p: verdict[p, "default_nearest"] for p in pairings}
    tpr, lo, good, _, _ = nearest[HARD]
    per_seed = [r["cheat_flag_rate"] for r in rows if r["pairing"] == HARD and r["detector"] == "default_nearest"]
    mean, t_lo, t_hi = mean_interval(per_seed)
    print(
        f"\n27B as 9B, default_nearest, per-seed mean {mean:.4f} (t 95% {t_lo:.4f}-{t_hi:.4f}),"
        f" worst seed {min(per_seed):.4f}; seeds as replicates, no independence within a seed assumed"
    )
    print()
    print(f"H1 27B as 9B pooled {tpr:.4f} >= 0.99 and Wilson lower {lo:.4f} >= 0.985: {tpr >= 0.99 and lo >= 0.985}")
    others = {p: v[0] for p, v in nearest.items() if p != HARD}
    print(
        f"H2 other swaps pooled >= 0.99 ({', '.join(f'{v:.4f}' for v in others.values())}):"
        f" {all(v >= 0.99 for v in others.values())}"
    )
    print(f"H3 seeds with 27B as 9B >= 0.99: {good} of {len(seeds)} (>= 21): {good >= 21}")
    uppers = {p: v[3] for p, v in nearest.items()}
    print(f"H4 every swap's pooled CP upper <= 0.01 (max {max(uppers.values()):.4f}): {max(uppers.values()) <= 0.01}")
    cells = sum(len(v[4]) for v in nearest.values())
    print(f"H5 honest cells over 0.01: {cells} of {len(pairings) * len(seeds)}: {cells == 0}")
    default_tpr = verdict[HARD, "default"][0]
    print(f"H6 default 27B as 9B pooled {default_tpr:.4f} in [0.60, 0.78]: {0.60 <= default_tpr <= 0.78}")


if __name__ == "__main__":
    main()
