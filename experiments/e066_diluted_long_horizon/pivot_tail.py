"""e066, exploratory (after the run): is the empirical null's pivot itself calibrated far out? Under
its own model (i.i.d. N(0, 1) normal scores of N nodes, robust z = (u - median) / (1.4826 MAD)),
P(upper_p(z) <= t) / t at t = 1e-4, 1e-5, 1e-6 for the shipped continuation beyond the Monte Carlo
table (a Student-t on N - 1 degrees of freedom) and for candidates with fewer degrees of freedom
(0.37 (N - 1): the MAD's Gaussian efficiency, 36.7%, as an effective sample size of the scale).
Not a fix: a measurement for the next one. 12M robust z per N (~10 s each).

Run: PYTHONPATH=. .venv/bin/python experiments/e066_diluted_long_horizon/pivot_tail.py [--nodes 10,30,100] [--seed 3]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import special

from gaia_sim.detector import calibration as C

LEVELS = (1e-4, 1e-5, 1e-6)


def upper_p_df(z: np.ndarray, n_nodes: int, df: float) -> np.ndarray:
    """``calibration.upper_p`` (screened = 0) with the tail's Student-t on ``df`` degrees of freedom."""
    table = C.pivot_table(int(n_nodes), 0)
    m = table.size
    p = (1.0 + m - np.searchsorted(table, z, side="left")) / (m + 1.0)
    z_b = table[m - C._TAIL_COUNT]
    with np.errstate(all="ignore"):
        tail = (1.0 + C._TAIL_COUNT) / (m + 1.0) * special.stdtr(df, -z) / special.stdtr(df, -z_b)
    return np.where(z > z_b, np.minimum(p, tail), p)


def robust_z(rng, n_nodes: int, total: int = 12_000_000) -> np.ndarray:
    out = []
    for _ in range(8):
        u = rng.standard_normal((total // 8 // n_nodes, n_nodes))
        med = np.median(u, axis=1, keepdims=True)
        out.append(((u - med) / (1.4826 * np.median(np.abs(u - med), axis=1, keepdims=True))).ravel())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="10,30,100")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    for n in (int(v) for v in args.nodes.split(",")):
        z = robust_z(rng, n)
        for label, df in (("N - 1 (shipped)", n - 1.0), ("0.37 (N - 1)", max(1.0, 0.37 * (n - 1)))):
            p = upper_p_df(z, n, df)
            ratios = " ".join(f"{t:.0e}: {(p <= t).sum() / (t * z.size):5.2f}" for t in LEVELS)
            print(f"N = {n:4d}  df {label:16s} ({df:6.2f})  P(p <= t) / t  {ratios}", flush=True)


if __name__ == "__main__":
    main()
