"""e058: are item 1's missed (seed, swap) cells what the learned sets' own variation predicts?

Reads e056's 48 seeds of ``learned_ucb_contrast`` (judged by ``default_nearest``) and resamples
cells from each swap's pooled learned sets (hypothesis.md). Pure numpy on stored results; seeded.

Run: python experiments/e058_cell_noise/analysis.py [--draws 20000] [--seed 58]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
E056 = HERE.parent / "e056_contrast_discrimination"
FILES = ("result_ucb_contrast.json", "result_replication.json")
SETS_PER_CELL = 5


def load() -> dict[str, np.ndarray]:
    """Per swap, an (S, 4) array of (caught, cheaters, flagged, honest) per learned set, seeds in order."""
    sets: dict[str, list] = {}
    for name in FILES:
        for row in json.loads((E056 / name).read_text())["rows"]:
            for s in row["sets"]:
                sets.setdefault(row["pairing"], []).append((s["caught"], s["cheaters"], s["flagged"], s["honest"]))
    return {k: np.array(v, dtype=np.int64) for k, v in sets.items()}


def missed(cells: np.ndarray) -> np.ndarray:
    """(..., 4) summed cells -> whether each misses item 1 (TPR < 0.99 or honest rate > 0.01)."""
    return (cells[..., 0] < 0.99 * cells[..., 1]) | (cells[..., 2] > 0.01 * cells[..., 3])


def resample(sets: np.ndarray, n_cells: int, draws: int, rng) -> np.ndarray:
    """(draws, n_cells, 4): cells of SETS_PER_CELL sets drawn without replacement (within a cell) from ``sets``."""
    keys = rng.random((draws, n_cells, len(sets)))
    pick = np.argpartition(keys, SETS_PER_CELL, axis=-1)[..., :SETS_PER_CELL]
    return sets[pick].sum(-2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=58)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    data = load()
    total_null = np.zeros(args.draws, dtype=np.int64)
    observed_total, result = 0, {}
    print(
        f"{'swap':32s} {'cells':>5s} {'TPR pooled':>10s} {'honest':>7s} {'missed':>6s} {'expected':>8s} {'95% range':>9s}"
    )
    for swap, sets in data.items():
        cells = sets.reshape(-1, SETS_PER_CELL, 4).sum(1)
        n_cells = len(cells)
        obs = int(missed(cells).sum())
        null = missed(resample(sets, n_cells, args.draws, rng)).sum(1)
        total_null += null
        observed_total += obs
        lo, hi = np.percentile(null, [2.5, 97.5])
        pooled = sets.sum(0)
        boot = cells[rng.integers(0, n_cells, (args.draws, n_cells))].sum(1)  # seeds resampled (cluster bootstrap)
        tpr_ci = np.percentile(boot[:, 0] / boot[:, 1], [2.5, 97.5])
        honest_ci = np.percentile(boot[:, 2] / boot[:, 3], [2.5, 97.5])
        result[swap] = {
            "tpr_ci95_seeds": tpr_ci.tolist(),
            "honest_ci95_seeds": honest_ci.tolist(),
            "cells": n_cells,
            "tpr_pooled": pooled[0] / pooled[1],
            "honest_pooled": pooled[2] / pooled[3],
            "missed": obs,
            "expected_missed": float(null.mean()),
            "range95": [float(lo), float(hi)],
            "p_none_missed": float((null == 0).mean()),
        }
        print(
            f"{swap:32s} {n_cells:5d} {pooled[0] / pooled[1]:10.4f} {pooled[2] / pooled[3]:7.4f} {obs:6d}"
            f" {null.mean():8.2f} {lo:4.0f}-{hi:<4.0f}"
            f"  TPR {tpr_ci[0]:.4f}-{tpr_ci[1]:.4f}, honest {honest_ci[0]:.4f}-{honest_ci[1]:.4f} (seeds resampled)"
        )
    lo, hi = np.percentile(total_null, [2.5, 97.5])
    print(
        f"all swaps: missed {observed_total} of {sum(r['cells'] for r in result.values())}; expected under the null"
        f" {total_null.mean():.2f} (95% range {lo:.0f}-{hi:.0f}); P(no cell missed) = {(total_null == 0).mean():.4f}"
    )
    hard = data["gemma-2-27b as gemma-2-9b"]
    print("hard swap, misses thinned (each missed verdict kept with probability f), honest side as observed:")
    thin = {}
    for f in (1.0, 0.75, 0.5, 0.35, 0.25, 0.15, 0.1):
        passes = []
        for _ in range(20):  # 20 thinnings, each with its share of the resampled experiments
            thinned = hard.copy()
            thinned[:, 0] = hard[:, 1] - rng.binomial(hard[:, 1] - hard[:, 0], f)
            cells = resample(thinned, len(hard) // SETS_PER_CELL, args.draws // 20, rng)
            passes.append(~(cells[..., 0] < 0.99 * cells[..., 1]).any(1))
        p_all = float(np.concatenate(passes).mean())
        tpr = 1 - f * (1 - hard[:, 0].sum() / hard[:, 1].sum())
        thin[f] = {"tpr": tpr, "p_all_power_cells_pass": p_all}
        print(f"  f = {f:4.2f}: pooled TPR ~{tpr:.4f}, P(all 48 cells >= 0.99) = {p_all:.3f}")
    out = {
        "swaps": result,
        "expected_missed_total": float(total_null.mean()),
        "observed_total": observed_total,
        "range95_total": [float(lo), float(hi)],
        "p_none_missed_total": float((total_null == 0).mean()),
        "hard_swap_thinned": thin,
        "draws": args.draws,
        "seed": args.seed,
    }
    (HERE / "result.json").write_text(json.dumps(out, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
