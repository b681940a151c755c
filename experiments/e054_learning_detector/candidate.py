"""e054's candidate: the nearest-stack test's per-question null with each pseudo-node's own noise
replaced by the judged node's (see hypothesis.md). Monkeypatched over
``gaia_sim.detector.nearest.question_p_values`` by :func:`install`; "current" leaves the code alone.

A pseudo-node's squared distance to its node's centre is bias^2 + noise: its mean's scatter around
the pool, about W* / n with W* its own within-scatter (unbiased, from its drawn answers). The judged
node's mean scatters by W_i / n instead. The adjusted null is T* - W* / n + W_i / n; the node's own
value is unchanged, so a node noisier than its neighbours is no longer far by its noise alone (and a
tighter one no longer hidden by theirs). Nodes with one answer keep the plain null.
"""

from __future__ import annotations

import numpy as np

from gaia_sim.detector import nearest
from gaia_sim.detector._common import Summary

_ORIGINAL = nearest.question_p_values
WEIGHT = 1.0  # 0: no adjustment (the code's null, bit for bit: checked)


def question_p_values(x: np.ndarray, s: Summary, near: np.ndarray, boot: int, rng):
    from gaia_sim.detector.default import MIN_PEERS, _Null

    n_nodes, n_q, n_samples = s.present.shape
    p, tied = np.full((n_nodes, n_q), np.nan), np.zeros((n_nodes, n_q), dtype=bool)
    buffer = np.empty(int(s.count.sum(0).max()) ** 2)
    for q in range(n_q):
        node, sample = np.divmod(np.flatnonzero(s.present[:, q, :]), n_samples)
        judged, own, centre = nearest.answer_weights(node, s.count[:, q], near)
        if len(np.unique(node)) < MIN_PEERS or not len(judged):
            continue
        rows = np.ascontiguousarray(x[node, q, sample], dtype=np.float64)
        centres = centre @ rows
        n = s.count[judged, q]
        drawn = nearest.pseudo_rows(rng, node, centre, n, boot)
        padded = drawn.max() >= len(rows)
        row_sq = np.einsum("ad,ad->a", rows, rows)
        gram = nearest._with_zero_row(nearest._gram(rows, buffer), padded, both=True)
        wg = nearest._with_zero_row(centres @ rows.T, padded)
        c_sq = np.einsum("jd,jd->j", centres, centres)
        mine = own @ rows
        value = ((mine - centres) ** 2).sum(1)
        owner = np.repeat(np.arange(len(judged)), boot)
        total = nearest._pair_sum(gram, drawn)
        nn = np.repeat(n, boot).astype(float)
        null = total / nn**2 - 2.0 * wg[owner[:, None], drawn].sum(1) / nn + c_sq[owner]
        # the adjustment: noise W / n = (mean |y|^2 - |mean y|^2) / (n - 1), pseudo-node's out, node's in
        sq = np.append(row_sq, 0.0) if padded else row_sq
        with np.errstate(invalid="ignore", divide="ignore"):
            noise_star = (sq[drawn].sum(1) / nn - total / nn**2) / (nn - 1)
            noise_own = (own @ row_sq - (mine * mine).sum(1)) / (n - 1)
        adjust = WEIGHT * np.where(nn > 1, noise_own[owner] - noise_star, 0.0)
        null = (null + adjust).reshape(len(judged), boot)
        p[judged, q], tied[judged, q] = _Null(null).upper(value, np.arange(len(judged)))
        p[judged, q] = nearest.beyond_draws_p(value, null, p[judged, q], n)
    return p, tied


def randomised_p_values(x: np.ndarray, s: Summary, near: np.ndarray, boot: int, rng):
    """The code's per-question p-values with ties broken at random instead of split in half: upper =
    (1 + #{null > v} + U #{null = v}) / (B + 1), U uniform (the randomised p-value the default's
    dispersion test uses, e023), so that nodes tied with their null (replayed identical answers) get
    uniform p-values instead of ~1/2 each, which piles their normal scores up below 0."""
    from gaia_sim.detector import default as dd

    real_null = dd._Null

    class RandomisedNull(real_null):
        def upper(self, value, group=0):
            gt, ge = self._counts(value, group)
            u = rng.random(len(value))
            return (1.0 + gt + u * (ge - gt)) / (self.size + 1.0), ge > gt

    dd._Null = RandomisedNull
    try:
        return _ORIGINAL(x, s, near, boot, rng)
    finally:
        dd._Null = real_null


def install(mode: str) -> None:
    nearest.question_p_values = {
        "current": _ORIGINAL,
        "own_scatter": question_p_values,
        "randomised": randomised_p_values,
    }[mode]
