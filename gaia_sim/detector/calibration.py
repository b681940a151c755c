"""Calibrated p-values for robust z-scores computed across the peers of a domain.

A node's score is compared with its peers through ``(T_i - median T) / (1.4826 MAD T)``.
Under the null (all nodes' scores i.i.d. normal with unknown mean and spread) this is a
*pivot*: its distribution depends only on the number of nodes N, not on the unknown mean and
spread. We tabulate it once per N by a parametric bootstrap (Efron & Tibshirani, *An
Introduction to the Bootstrap*, 1993, ch. 6 and 16) with a fixed seed, so p-values are exact up
to Monte Carlo error for normal scores, whatever the honest spread between hardware and
software stacks is. This is Efron's *empirical null* (Efron 2004, JASA 99:96; *Large-Scale
Inference*, 2010, ch. 6): the null is learned from the bulk of the peers rather than assumed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special

from gaia_sim.detector._common import nan_median

_PIVOT_DRAWS = 200_000  # total Monte Carlo draws per table (nodes x replicates)
_TAIL_COUNT = 20  # below this many exceedances, extrapolate with a Student-t tail
_SEED = 20250413  # fixed: the table is a deterministic function of N


@lru_cache(maxsize=256)
def pivot_table(n_nodes: int, screened: int = 0) -> np.ndarray:
    """Sorted Monte Carlo draws of the robust z of one of ``n_nodes`` i.i.d. N(0, 1) scores whose
    median and MAD were taken over the ``n_nodes - screened`` lowest (the top ``screened`` having
    been set aside as suspects before estimating the null)."""
    reps = max(50, -(-_PIVOT_DRAWS // n_nodes))
    rng = np.random.default_rng([_SEED, n_nodes, screened])
    x = np.sort(rng.standard_normal((reps, n_nodes)), axis=1)
    ref = x[:, : n_nodes - screened]
    k = ref.shape[1]  # rows are sorted: the median is the mean of the middle two
    med = (ref[:, (k - 1) // 2 : (k - 1) // 2 + 1] + ref[:, k // 2 : k // 2 + 1]) / 2
    mad = 1.4826 * nan_median(np.abs(ref - med), axis=1, keepdims=True)
    z = (x - med) / np.maximum(mad, 1e-12)
    return np.sort(z.ravel())


def upper_p(z: np.ndarray, n_nodes: int, screened: int = 0) -> np.ndarray:
    """P(pivot >= z) for the robust z of one of ``n_nodes`` i.i.d. normal scores (see pivot_table).

    Monte Carlo p-value (1 + #exceedances) / (M + 1) (Davison & Hinkley, *Bootstrap Methods*,
    1997, eq. 4.11); beyond the last ``_TAIL_COUNT`` draws the tail is continued with a Student-t
    on N - 1 degrees of freedom matched at that point, so scores stay ordered far in the tail.
    """
    table = pivot_table(int(n_nodes), int(screened))
    m = table.size
    z = np.asarray(z, dtype=float)
    exceed = m - np.searchsorted(table, z, side="left")
    p = (1.0 + exceed) / (m + 1.0)
    z_b = table[m - _TAIL_COUNT]
    df = max(n_nodes - 1, 1)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        tail = (1.0 + _TAIL_COUNT) / (m + 1.0) * special.stdtr(df, -z) / special.stdtr(df, -z_b)
    p = np.where(z > z_b, np.minimum(p, tail), p)
    return np.where(np.isnan(z), 1.0, np.clip(p, 0.0, 1.0))
