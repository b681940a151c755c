"""The simple reference detector of issue 4, "median_rank".

Per question, the distance of each node's mean embedding to the coordinate-wise median of all
nodes' means, ranked among the nodes; ranks averaged over questions. The issue thresholds it at
the 99th percentile of honest scores (done by the evaluation harness, which knows who is
honest). For a stand-alone p-value we use the permutation null: with exchangeable honest nodes,
each question's rank is uniform on 1..N independently across questions, so the mean normalised
rank has mean 1/2 and variance (N^2 - 1) / (12 N^2 Q) (discrete uniform moments), and we use the
normal approximation (central limit theorem; Irwin-Hall for the continuous case).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from gaia_sim.detector._common import Assessment, bh_reject


def median_rank_scores(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean normalised rank (rank / N, in (0, 1]) per node and the number of questions it answered."""
    m = np.nanmean(x.astype(np.float64), axis=2)
    med = np.nanmedian(m, axis=0)
    d = np.linalg.norm(m - med[None], axis=-1)  # (N, Q), NaN where missing
    ranks = np.argsort(np.argsort(np.where(np.isnan(d), -np.inf, d), axis=0), axis=0) + 1.0
    n_q = (~np.isnan(d)).sum(0)
    norm_rank = np.where(np.isnan(d), np.nan, (ranks - (len(d) - n_q)[None]) / np.maximum(n_q, 1)[None])
    return np.nanmean(norm_rank, axis=1), (~np.isnan(d)).sum(1)


def assess_median_rank(x: np.ndarray, alpha: float, fdr: str = "none") -> Assessment:
    """Mean-rank score with a normal-approximation permutation p-value (see module docstring)."""
    score, n_answered = median_rank_scores(x)
    n = x.shape[0]
    var = (n * n - 1) / (12.0 * n * n * np.maximum(n_answered, 1))
    mu = 0.5 + 0.5 / n
    with np.errstate(invalid="ignore"):
        p = np.where(np.isnan(score), 1.0, special.ndtr(-(score - mu) / np.sqrt(var)))
    flagged = bh_reject(p, alpha) if fdr == "bh" else p <= alpha
    return Assessment(score=score, p_value=p, flagged=flagged)
