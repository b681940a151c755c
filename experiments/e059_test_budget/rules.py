"""e059: decision rules over the four tests of ``default_nearest``, scored on the same verdicts
(collect.py's ``.npy``): the weighted Bonferroni of today (nearest stack at alpha / 2, the other
three at alpha / 6), other weights, and Fisher's combination of the four p-values; per swap the
decision TPR / honest flag rate, the development seeds' missed cells, and the missed cells expected
over 48 seeds when cells are drawn from the swap's learned sets (e058's null model).

Run: .venv/bin/python experiments/e059_test_budget/rules.py FILE.npy
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

ALPHA = 0.01
SWAPS = ("9B as 27B", "27B as 9B", "Llama as 27B", "Llama as 9B")


def cells(flag, cheat, group, m) -> np.ndarray:
    """(G, 4) (caught, cheaters, flagged, honest) per value of ``group`` within mask ``m``."""
    keys = np.unique(group[m])
    return np.array(
        [
            (flag[g & cheat].sum(), (g & cheat).sum(), flag[g & ~cheat].sum(), (g & ~cheat).sum())
            for g in (m & (group == key) for key in keys)
        ]
    )


def missed(c: np.ndarray) -> np.ndarray:
    return (c[..., 0] < 0.99 * c[..., 1]) | (c[..., 2] > 0.01 * c[..., 3])


def report(label, flag, cheat, seed, swap, learned_set, rng, draws=4000) -> None:
    parts, expected = [], 0.0
    for s, name in enumerate(SWAPS):
        m = swap == s
        by_seed = cells(flag, cheat, seed, m)
        sets = cells(flag, cheat, seed * 100 + learned_set, m)
        pick = np.argpartition(rng.random((draws, 48, len(sets))), 5, axis=-1)[..., :5]
        e = float(missed(sets[pick].sum(-2)).sum(1).mean())
        expected += e
        tot = by_seed.sum(0)
        parts.append(
            f"{name} {tot[0] / tot[1]:.4f}/{tot[2] / tot[3]:.4f} missed {int(missed(by_seed).sum())} exp48 {e:.2f}"
        )
    print(f"{label:34s} " + " | ".join(parts) + f" | exp48 total {expected:.2f}", flush=True)


def main() -> None:
    r = np.load(sys.argv[1])
    seed, swap, learned_set, cheat, flagged = r[:, 0], r[:, 1], r[:, 2], r[:, 5].astype(bool), r[:, 6].astype(bool)
    p = np.where(np.isnan(r[:, 7:11]), 1.0, r[:, 7:11])  # nearest stack, location, dispersion, share
    rng = np.random.default_rng(59)
    print(f"{len(np.unique(seed))} seeds, {len(r)} verdicts; decision TPR / honest flag rate per swap")
    report("today (flags as recorded)", flagged, cheat, seed, swap, learned_set, rng)
    for wn in (0.5, 0.6, 0.7, 0.8, 1.0):
        w = np.array([wn] + [(1 - wn) / 3] * 3)
        report(f"nearest at {wn:.1f} alpha, rest shared", (p <= ALPHA * w).any(1), cheat, seed, swap, learned_set, rng)
    fisher = stats.chi2.sf(-2.0 * np.log(np.clip(p, 1e-300, 1.0)).sum(1), 8)
    for level in (ALPHA / 2, ALPHA / 4):
        report(f"today or Fisher(4 tests) <= {level}", flagged | (fisher <= level), cheat, seed, swap, learned_set, rng)


if __name__ == "__main__":
    main()
