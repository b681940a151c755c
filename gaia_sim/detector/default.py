"""The calibrated default detector: robust consensus, peer-normalised statistics, empirical null, BH.

Steps (each a small pure function below):

1. per question, a robust centre of the node means (coordinate-wise median refined by
   concentration steps over the closest half) that tolerates up to half of the nodes
   colluding on one model;
2. per (node, question), a location statistic (log squared distance of the node's mean to the
   centre, relative to the expected honest distance) and a dispersion statistic (log of the
   node's within-question scatter relative to the honest median);
3. each standardised across the nodes answering that question (robust z) and combined across
   questions with a weighted Stouffer sum;
4. calibrated p-values from the empirical null of the peers (``calibration``), Bonferroni over the
   location and the two-sided dispersion test, then Benjamini-Hochberg across the domain.
"""

from __future__ import annotations

import numpy as np

from gaia_sim.detector import calibration
from gaia_sim.detector._common import Assessment, Summary, bh_reject, robust_z, summarize
from gaia_sim.errors import UserError

EPS_SQ = 1e-4  # squared-distance floor (unit-norm embeddings): distances below 0.01 carry no meaning
LOG_MAD_FLOOR = 0.1  # per-question robust-z scale floor in log units (guards deterministic answers)
NODE_MAD_FLOOR = 0.5  # node-level robust-z scale floor (in units of combined question z)
MIN_PEERS = 5  # fewer answering nodes than this: a question or a domain carries no verdict


def robust_centre(mean: np.ndarray, steps: int = 2) -> np.ndarray:
    """Per-question consensus of node means, (N, Q, D) -> (Q, D), NaN nodes ignored.

    Start from the coordinate-wise median (breakdown 50%; Huber & Ronchetti 2009, sec. 3.2), then
    apply concentration steps: average the half of the nodes closest to the current centre
    (the C-step of FAST-MCD, Rousseeuw & Van Driessen 1999, Technometrics 41:212), which keeps
    the efficiency of a mean while a colluding minority (< 1/2, in particular 1/3) stays out.
    """
    valid = ~np.isnan(mean[..., 0])
    centre = np.nanmedian(mean, axis=0) if not valid.all() else np.median(mean, axis=0)
    for _ in range(steps):
        d = np.where(valid, ((mean - centre) ** 2).sum(-1), np.nan)
        keep = valid & (d <= np.nanmedian(d, axis=0, keepdims=True))
        w = keep[..., None]
        centre = np.where(w, np.nan_to_num(mean), 0.0).sum(0) / np.maximum(keep.sum(0), 1)[:, None]
    return centre


def location_terms(s: Summary, centre: np.ndarray) -> np.ndarray:
    """log of squared distance to the centre over its honest expectation, (N, Q).

    E||xbar - mu||^2 = tr(Sigma)/n (+ the between-stack variance tau^2), e.g. Anderson,
    *An Introduction to Multivariate Statistical Analysis*, 3rd ed., sec. 3.3; tr(Sigma) is
    estimated by the median over nodes of the within-node scatter and tau^2 by the median excess.
    The log makes the chi-square-like distance nearly symmetric (Wilson-Hilferty style).
    """
    d = ((s.mean - centre[None]) ** 2).sum(-1)
    trace = np.nanmedian(s.within, axis=0)  # (Q,), NaN when no node has 2 answers
    noise = np.where(np.isnan(trace)[None], 0.0, np.nan_to_num(trace)[None] / np.maximum(s.count, 1))
    tau2 = np.maximum(np.nanmedian(d - noise, axis=0), 0.0)
    return np.log((d + EPS_SQ) / (noise + tau2[None] + EPS_SQ))


def dispersion_terms(s: Summary) -> np.ndarray:
    """log of the node's within-question scatter over the median of its peers', (N, Q).

    Scale test on log variances (Bartlett 1937 uses the same log-variance contrast); replaying
    one cached answer gives scatter 0 (too consistent), random answers give too much.
    """
    ref = np.nanmedian(s.within, axis=0, keepdims=True)
    return np.log((s.within + EPS_SQ) / (ref + EPS_SQ))


def standardise(terms: np.ndarray) -> np.ndarray:
    """Robust z of each (node, question) term across the nodes answering the question.

    Questions with fewer than ``MIN_PEERS`` answering nodes are dropped (NaN).
    """
    z = robust_z(terms, axis=0, floor=LOG_MAD_FLOOR)
    enough = (~np.isnan(terms)).sum(0) >= MIN_PEERS
    return np.where(enough[None], z, np.nan)


def combine(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Stouffer combination over answered questions: sum w z / sqrt(sum w^2).

    Stouffer et al. 1949; weighted form Liptak 1958 (Whitlock 2005, J. Evol. Biol. 18:1368).
    A node with no usable question gets NaN.
    """
    ok = ~np.isnan(z) & (weights[None] > 0)
    num = np.where(ok, z * weights[None], 0.0).sum(1)
    den = np.sqrt(np.where(ok, weights[None] ** 2, 0.0).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def node_p_values(stat: np.ndarray, two_sided: bool) -> tuple[np.ndarray, np.ndarray]:
    """Robust z across nodes and its calibrated p-value from the empirical null (see calibration)."""
    valid = ~np.isnan(stat)
    n = int(valid.sum())
    if n < MIN_PEERS:
        return np.full(stat.shape, np.nan), np.ones(stat.shape)
    z = robust_z(stat, axis=0, floor=NODE_MAD_FLOOR)
    p = calibration.two_sided_p(z, n) if two_sided else calibration.upper_p(z, n)
    return z, np.where(valid, p, 1.0)


def _weights(weights, n_questions: int) -> np.ndarray:
    if weights is None:
        return np.ones(n_questions)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_questions,) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise UserError(
            f"assess(weights=...): expected {n_questions} finite non-negative question weights, got shape {w.shape}"
        )
    return w


def assess_default(x: np.ndarray, alpha: float, weights=None, dispersion: bool = True, fdr: str = "bh") -> Assessment:
    """The calibrated detector; see the module docstring. Options: ``weights`` (Q,) question
    weights (question selection), ``dispersion`` (also test within-node scatter), ``fdr``
    ("bh": Benjamini-Hochberg across nodes, "none": each node at level alpha)."""
    if fdr not in ("bh", "none"):
        raise UserError(f"assess(fdr={fdr!r}): allowed values are 'bh' and 'none'")
    w = _weights(weights, x.shape[1])
    s = summarize(x)
    centre = robust_centre(s.mean)
    z_loc, p_loc = node_p_values(combine(standardise(location_terms(s, centre)), w), two_sided=False)
    p = p_loc
    z_disp = np.full_like(z_loc, np.nan)
    if dispersion:
        z_disp, p_disp = node_p_values(combine(standardise(dispersion_terms(s)), w), two_sided=True)
        has_disp = ~np.isnan(z_disp)
        p = np.where(has_disp, np.minimum(1.0, 2.0 * np.minimum(p_loc, p_disp)), p_loc)  # Bonferroni
    flagged = bh_reject(p, alpha) if fdr == "bh" else p <= alpha
    with np.errstate(divide="ignore"):
        score = np.where(np.isnan(z_loc), np.nan, -np.log10(np.maximum(p, 1e-300)))
    return Assessment(score=score, p_value=p, flagged=flagged,
                      details={"z_location": z_loc, "z_dispersion": z_disp, "p_location": p_loc})
