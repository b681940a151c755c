"""Shared pieces of the detectors: input validation, per-(node, question) summaries, result type.

Pure numpy, no I/O. Shapes: ``embeddings`` is (nodes, questions, samples, dim); a missing answer
is a row of NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaia_sim.errors import UserError


@dataclass(frozen=True)
class Assessment:
    """Verdict of a detector on one batch of answers, one entry per node.

    ``score``: higher = more suspicious (NaN for a node with no answers);
    ``p_value``: probability, under the hypothesis that the node is honest, of a score at least as
    extreme (1.0 for a node with no answers); ``flagged``: bool, the detector's decision at ``alpha``.
    ``details``: optional named per-node arrays (e.g. the location and dispersion p-values).
    """

    score: np.ndarray
    p_value: np.ndarray
    flagged: np.ndarray
    details: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.score)


@dataclass(frozen=True)
class Summary:
    """Per-(node, question) sufficient statistics of the answers.

    ``count`` (N, Q) answers present; ``mean`` (N, Q, D) float64 mean embedding (NaN where count 0);
    ``within`` (N, Q) unbiased within-node scatter sum_k ||x_k - mean||^2 / (count - 1), i.e. the
    trace of the sample covariance (NaN where count < 2); ``present`` (N, Q, S) which rows exist;
    ``answer_sq`` (N, Q, S) float64 each answer's squared norm (NaN where missing); ``mean32`` the
    means in single precision (what the consensus's coordinate-wise median sorts).
    """

    count: np.ndarray
    mean: np.ndarray
    within: np.ndarray
    present: np.ndarray  # (N, Q, S) bool: answer row present
    answer_sq: np.ndarray | None = None
    mean32: np.ndarray | None = None


def check_embeddings(embeddings, where: str = "assess(embeddings)") -> np.ndarray:
    """Validate the 4-d answer array; raise :class:`UserError` naming what is allowed."""
    x = np.asarray(embeddings)
    if x.ndim != 4:
        raise UserError(f"{where}: expected an array of shape (nodes, questions, samples, dim), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise UserError(f"{where}: expected a float array, got dtype {x.dtype}")
    if min(x.shape) == 0:
        raise UserError(f"{where}: every axis must be non-empty, got shape {x.shape}")
    return x


def check_alpha(alpha: float) -> float:
    if not 0.0 < float(alpha) < 1.0:
        raise UserError(f"assess(alpha={alpha!r}): alpha must lie strictly between 0 and 1")
    return float(alpha)


def summarize(x: np.ndarray) -> Summary:
    """Means and within-node scatter per (node, question), ignoring NaN rows.

    Sample mean and unbiased sample covariance trace (any statistics textbook, e.g. Casella &
    Berger, *Statistical Inference*, 2nd ed., sec. 5.2); a row with any NaN counts as missing.
    """
    # each answer's squared norm, summed in double precision; NaN exactly where a row has a NaN
    answer_sq = einsum64("nqsd,nqsd->nqs", x)
    present = ~np.isnan(answer_sq)  # (N, Q, S)
    count = present.sum(axis=-1)  # (N, Q)
    if present.all():
        total, sq = x.sum(axis=2), answer_sq
    else:  # missing rows left out of the sums (no copy of x)
        total, sq = x.sum(axis=2, where=present[..., None]), np.where(present, answer_sq, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count[..., None].astype(x.dtype)  # in the input precision
        ss = sq.sum(-1).astype(np.float64, copy=False) - count * np.einsum("nqd,nqd->nq", mean, mean).astype(
            np.float64, copy=False
        )  # sum of squared norms (missing rows are 0) minus count |mean|^2
        within = np.where(count >= 2, np.maximum(ss, 0.0) / (count - 1), np.nan)
    return Summary(
        count=count,
        mean=mean.astype(np.float64, copy=False),
        within=within,
        present=present,
        answer_sq=answer_sq,
        mean32=mean.astype(np.float32, copy=False),  # float32 input: the means as computed, no copy
    )


#: elements of the input widened to float64 at a time by :func:`einsum64` (4 MB: stays in cache)
WIDEN_BLOCK = 1 << 19


def einsum64(subscripts: str, x: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """``np.einsum(subscripts, x, other, dtype=np.float64)`` (``other`` defaults to ``x`` itself:
    squared norms) for an ``x`` whose first axis is the output's first (nodes), computed over
    blocks of that axis widened to float64 one block at a time: the same products summed in the
    same order (bit-identical on the detector's inputs), ~1.3-1.6x faster than einsum's own buffered
    casting on (1000, 20, 5, 384) float32 answers (benchmarks/bench_detector.py)."""
    rows = max(1, WIDEN_BLOCK // max(1, x[0].size))
    out = None
    for a in range(0, len(x), rows):
        block = x[a : a + rows].astype(np.float64, copy=False)
        part = np.einsum(subscripts, block, block if other is None else other)
        if out is None:
            out = np.empty((len(x), *part.shape[1:]), dtype=np.float64)
        out[a : a + rows] = part
    return out


def bh_reject(p: np.ndarray, alpha: float) -> np.ndarray:
    """Benjamini-Hochberg step-up procedure (Benjamini & Hochberg 1995, JRSS-B 57:289).

    Rejects the k smallest p-values, k = max{i : p_(i) <= alpha i / m}; controls the false
    discovery rate at alpha for independent or positively dependent (PRDS) p-values.
    """
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    ok = p[order] <= alpha * np.arange(1, m + 1) / m
    k = np.flatnonzero(ok).max() + 1 if ok.any() else 0
    out = np.zeros(m, dtype=bool)
    out[order[:k]] = True
    return out


def nan_median(a: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """``np.nanmedian(a, axis)`` (NaN where a slice is all NaN), in ``a``'s precision: the mean of
    the two middle values of each sorted slice (NaN sort last). One sort beats numpy's median on
    many short slices (~10x on (5, 384, 100))."""
    s = np.sort(a, axis=axis)
    if (
        s.shape[axis] and not np.isnan(np.take(s, -1, axis=axis)).any()
    ):  # no NaN (they sort last): the middle of every slice
        m = s.shape[axis]
        out = (np.take(s, [(m - 1) // 2], axis=axis) + np.take(s, [m // 2], axis=axis)) / 2
        return out if keepdims else np.squeeze(out, axis=axis)
    k = (~np.isnan(s)).sum(axis=axis, keepdims=True)
    low = np.take_along_axis(s, np.maximum(k - 1, 0) // 2, axis=axis)
    out = (low + np.take_along_axis(s, k // 2 - (k == 0), axis=axis)) / 2
    return out if keepdims else np.squeeze(out, axis=axis)


def fill_nan(a: np.ndarray, value: float) -> np.ndarray:
    """``np.nan_to_num(a, nan=value)`` for arrays without infinities (distances, p-values, means of
    finite answers): the same values without its per-call infinity passes."""
    return np.where(np.isnan(a), value, a)
