"""The statistics of the paper "Trust, but verify" (arXiv 2504.13443), reproduced exactly,
and its separation rule as a detector.

The paper's analysis (GaiaNet-AI/verifiable-inference, experiment_analyzer.py) computes, per
(node, question): the mean embedding of the repeats, the per-dimension population standard
deviation (ddof=0) summarised as the *mean std* (1/d sum_j sigma_j) and the *RMS scatter*
(sqrt(1/d sum_j sigma_j^2)); per node pair, the Euclidean distance between mean embeddings
averaged over questions. It calls two nodes different when that distance exceeds the
per-dimension spread.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from gaia_sim.detector._common import Assessment


def mean_embeddings(x: np.ndarray) -> np.ndarray:
    """(N, Q, S, D) -> (N, Q, D) mean over the repeats present (paper: np.mean of the stack)."""
    return np.nanmean(x.astype(np.float64), axis=2)


def per_dim_std(x: np.ndarray) -> np.ndarray:
    """(N, Q, S, D) -> (N, Q, D) population std per dimension, ddof=0 (paper: np.std)."""
    return np.nanstd(x.astype(np.float64), axis=2, ddof=0)


def mean_std(x: np.ndarray) -> np.ndarray:
    """(N, Q) mean over dimensions of the per-dimension std (paper's sigma_avg)."""
    return per_dim_std(x).mean(-1)


def rms_scatter(x: np.ndarray) -> np.ndarray:
    """(N, Q) sqrt of the mean over dimensions of the per-dimension variance (paper's sigma_total)."""
    return np.sqrt((per_dim_std(x) ** 2).mean(-1))


def pair_distances(x: np.ndarray) -> dict[tuple[int, int], float]:
    """Mean over questions of the Euclidean distance between two nodes' mean embeddings."""
    m = mean_embeddings(x)
    return {
        (a, b): float(np.nanmean(np.linalg.norm(m[a] - m[b], axis=-1))) for a, b in combinations(range(m.shape[0]), 2)
    }


def assess_paper(x: np.ndarray, alpha: float, factor: float = 1.0) -> Assessment:
    """The paper's separation rule applied to each node against the consensus of the others.

    A node is flagged when the Euclidean distance between its mean embedding and the mean of the
    other nodes' mean embeddings, averaged over questions, exceeds ``factor`` times the RMS
    scatter (per-dimension std) of the answers averaged over nodes and questions. The rule has no
    null distribution, so ``alpha`` is ignored; ``p_value`` is 0 for flagged nodes and 1 otherwise.
    ``score`` is distance / scatter.
    """
    m = mean_embeddings(x)
    valid = ~np.isnan(m[..., 0])
    total = np.where(valid[..., None], m, 0.0).sum(0)
    k = valid.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (total[None] - np.where(valid[..., None], m, 0.0)) / (k[None] - valid)[..., None]
        dist = np.nanmean(np.where(valid, np.linalg.norm(m - others, axis=-1), np.nan), axis=1)
        scatter = np.nanmean(rms_scatter(x))
        score = dist / scatter
    flagged = np.nan_to_num(score) > factor
    return Assessment(score=score, p_value=np.where(flagged, 0.0, 1.0), flagged=flagged)
