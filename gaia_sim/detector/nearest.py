"""The nearest-stack location test: how far a node sits from the honest stack nearest to it.

The default location test measures each node's distance to the one consensus of the domain. When
honest nodes run on a few different stacks (the two runs of one model in the real Gaia data sit
0.08-0.12 apart, about as far as Gemma-2-9B from Gemma-2-27B), every honest node sits off that
consensus too, the empirical null widens, and a cheater that sits as far off in another direction
is missed: decisions 0.70 on Gemma-2-27B serving as 9B, 1.000 within either run alone (experiment
e042). Here each node is measured against its *neighbourhood*: the nearest third of the reference
nodes (those the default's location and dispersion screens keep; every node is judged), nearest
by the squared distances between mean answers summed over questions (each question's scaled by
their mean over node pairs). An honest node's neighbourhood is its own stack when the stack holds
more than a third of the reference; a cheater's is the nearest honest stack. Drawing neighbours
from the reference, not from every node, keeps a colluding group that the screens catch out of
every neighbourhood (e043: with all nodes as neighbours, 30% colluders pushed honest false
verdicts in the simulation to a 95% bound of 1.04e-3; from the reference, 8.8e-4 in a smoke run).

Per question, the statistic is the squared distance from the node's mean answer to the mean of
its neighbours' mean answers; its null, pseudo-nodes that draw as many answers from the
neighbours' pooled answers (the nonparametric bootstrap of the default detector, without the
random-effects shift); upper mid-p-values, ties split (:class:`gaia_sim.detector.default._Null`);
then, as for the default location test, the weighted Fisher combination over questions and the
empirical null across the reference nodes (median / MAD of normal scores, floored at 1 when answers
tie, the exact pivot). A group of a third of the nodes or more is its own neighbourhood: this test
does not see it, the consensus test does, which is why it is added to the default's tests and does
not replace one.

All products come from one Gram matrix of each question's answers, so a pseudo-node costs n^2
look-ups, not n rows of D numbers.
"""

from __future__ import annotations

import numpy as np

from gaia_sim.detector._common import Summary

NEIGHBOURHOOD = 1.0 / 3.0  # share of the other nodes a node is measured against


def neighbourhoods(mean: np.ndarray, count: np.ndarray, eligible: np.ndarray, share: float = NEIGHBOURHOOD):
    """(N, k) indices of each node's k = ceil(share x eligible nodes) nearest other eligible nodes,
    by the sum over the questions both answered of the squared distance between their mean answers,
    each question's distances divided by their mean over eligible node pairs (so no question's scale
    dominates; the mean, not the median, since identical answers make most pairs 0). Ties keep node
    order. Rows of nodes that are not eligible are filled the same way (they are judged too)."""
    n_nodes, n_q = count.shape
    idx = np.flatnonzero(eligible)
    k = max(1, min(len(idx) - 1, int(np.ceil(share * len(idx)))))
    total = np.zeros((n_nodes, n_nodes))
    pairs = eligible[:, None] & eligible[None, :] & ~np.eye(n_nodes, dtype=bool)
    for q in range(n_q):
        ok = count[:, q] > 0
        m = np.where(ok[:, None], np.nan_to_num(mean[:, q]), 0.0)
        sq = (m * m).sum(1)
        d = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (m @ m.T), 0.0)
        both = ok[:, None] & ok[None, :]
        scale = d[both & pairs].mean() if (both & pairs).any() else 0.0
        if scale > 0:
            total += np.where(both, d / scale, 0.0)
    total = np.where(eligible[None, :], total, np.inf)
    np.fill_diagonal(total, np.inf)
    return np.argsort(total, axis=1, kind="stable")[:, :k]


def question_p_values(x: np.ndarray, s: Summary, near: np.ndarray, boot: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(N, Q) upper mid-p-values of each node's squared distance to its neighbours' centre against
    ``boot`` pseudo-nodes drawn from the neighbours' pooled answers, and (N, Q) whether the value tied
    with part of its null. NaN where the node did not answer or fewer than two neighbours did."""
    from gaia_sim.detector.default import MIN_PEERS, _draw, _Null

    n_nodes, n_q, n_samples = s.present.shape
    p, tied = np.full((n_nodes, n_q), np.nan), np.zeros((n_nodes, n_q), dtype=bool)
    for q in range(n_q):
        node, sample = np.divmod(np.flatnonzero(s.present[:, q, :]), n_samples)
        if len(np.unique(node)) < MIN_PEERS:
            continue
        rows = np.ascontiguousarray(x[node, q, sample], dtype=np.float64)
        gram = rows @ rows.T
        first = np.searchsorted(node, np.arange(n_nodes))  # each node's first row
        count = s.count[:, q]
        for i in np.flatnonzero(count > 0):
            members = near[i][count[near[i]] > 0]
            if len(members) < 2:
                continue
            pool = np.concatenate([first[j] + np.arange(count[j]) for j in members])
            weight = np.concatenate([np.full(count[j], 1.0 / (len(members) * count[j])) for j in members])
            g_pool = gram[np.ix_(pool, pool)]
            g_w = g_pool @ weight  # each pool answer's product with the centre
            c_sq = float(weight @ g_w)  # |centre|^2
            own = first[i] + np.arange(count[i])
            n = int(count[i])
            value = (
                gram[np.ix_(own, own)].sum() / n**2 - 2.0 * float(gram[np.ix_(own, pool)].sum(0) @ weight) / n + c_sq
            )
            draws = _draw(rng, len(pool), np.full(boot, n))  # positions in the pool
            total = np.zeros(boot)
            for a in range(n):
                for b in range(n):
                    total += g_pool[draws[:, a], draws[:, b]]
            null = total / n**2 - 2.0 * g_w[draws].sum(1) / n + c_sq
            p[i, q], tied[i, q] = (v[0] for v in _Null(null).upper(np.array([value])))
    return p, tied


def nearest_stack_p(x, s: Summary, weights, reference, eligible, boot: int, rng, screen: float = 0.05):
    """(N,) p-values of the nearest-stack location test (see the module docstring) and their robust
    z-scores: per-question p-values (:func:`question_p_values`), Fisher-combined, calibrated by the
    empirical null over the ``reference`` nodes; neighbourhoods are drawn from the ``eligible``
    reference nodes (from every ``eligible`` node when the reference holds too few)."""
    from gaia_sim.detector.default import MIN_PEERS, SCALE_FLOOR, TIED_SHARE, empirical_null_p, fisher_combine

    near = neighbourhoods(
        s.mean, s.count, eligible & reference if (eligible & reference).sum() > MIN_PEERS else eligible
    )
    q_p, tied = question_p_values(x, s, near, boot, rng)
    answered = ~np.isnan(q_p)
    floor = SCALE_FLOOR if answered.any() and tied[answered].mean() > TIED_SHARE else 1e-9
    z, p = empirical_null_p(fisher_combine(q_p, weights), floor, reference, screen, eligible)
    return p, z
