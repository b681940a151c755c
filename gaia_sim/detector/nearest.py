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
random-effects shift); upper mid-p-values, ties split (:class:`gaia_sim.detector.default._Null`),
and, for a node with at least 5 answers beyond every draw, the tail of the gamma that matches the
draws' mean and variance instead of the bootstrap's floor (:func:`beyond_draws_p`, e048); then,
as for the default location test, the weighted Fisher combination over questions and the
empirical null across the reference nodes (median / MAD of normal scores, floored at 1 when answers
tie, the exact pivot). The per-question p-values are not calibrated on their own (a pseudo-node's
answers come from the pool that makes the centre, a node's do not; in an all-honest domain on one
stack 7% of them fall below 0.01): the empirical null across the peers is what calibrates the
test, as the theory tests and e043 check at the node level. A group of a third of the nodes or
more is its own neighbourhood: this test does not see it, the consensus test does, which is why it
is added to the default's tests and does not replace one. Where every honest node sits on its own
offset stack (continuous offsets, no random-effects shift here), every node lies beyond its
neighbours' draws and most combined p-values fall below 1e-16; the empirical null, on normal scores
that stay finite there (``default.normal_scores``), still calibrates them across the peers (e052:
honest flag rates 0.0097 and 0.0092 at synthetic offsets 0.3 and 0.6). Until that mend the test
abstained in that case (p = 1 for every node; before the gamma tail, e044 had found it blind there,
its p-values at the bootstrap floor); its power there is not measured, and the consensus tests
cover it.

All products come from one Gram matrix of each question's answers, so a pseudo-node costs n^2
look-ups, not n rows of D numbers.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from gaia_sim.detector._common import Summary

NEIGHBOURHOOD = 1.0 / 3.0  # share of the other nodes a node is measured against
TAIL_ANSWERS = 5  # answers to a question from which a value beyond every draw gets the gamma tail


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


def neighbour_weights(count: np.ndarray, near: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For one question with ``count`` (N,) answers per node: the judged nodes (answered, and at least
    two neighbours did) and (J, N) the weight of each node's mean in each judged node's centre, the
    mean of its answering neighbours' means (``near``, (N, k))."""
    present = count[near]  # (N, k) each neighbour's answers to the question
    members = (present > 0).sum(1)
    judged = np.flatnonzero((count > 0) & (members >= 2))
    per_node = np.zeros((len(judged), len(count)))
    np.put_along_axis(per_node, near[judged], (present[judged] > 0) / members[judged, None], axis=1)
    return judged, per_node


def node_means(rows: np.ndarray, node: np.ndarray, n_nodes: int) -> np.ndarray:
    """(N, D) each node's mean of its answer ``rows`` (A, D), whose owners ``node`` (A,) are sorted;
    in double precision (a tie stays a tie with the null's Gram products); 0 for a node without one."""
    means = np.zeros((n_nodes, rows.shape[1]))
    owners, start, count = np.unique(node, return_index=True, return_counts=True)
    means[owners] = np.add.reduceat(rows, start, axis=0) / count[:, None]
    return means


def pseudo_rows(rng, node: np.ndarray, per_node: np.ndarray, n: np.ndarray, boot: int) -> np.ndarray:
    """(J boot, max n) answer rows drawn by ``boot`` pseudo-nodes per judged node, each drawing its
    node's ``n`` (J,) answers from its pool, the answers of the nodes its centre weights (``per_node``,
    :func:`neighbour_weights`; positions in ``node``, ascending), with
    :func:`~gaia_sim.detector.default._draw`; padding columns hold ``len(node)``, the zero row."""
    from gaia_sim.detector.default import _draw

    row, member = np.nonzero(per_node > 0)  # each judged node's pool's nodes, ascending
    first = np.searchsorted(node, member)  # their answers are consecutive in ``node`` (sorted)
    per = np.searchsorted(node, member, side="right") - first
    at = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    row, answer = np.repeat(row, per), np.repeat(first, per) + at  # each pool, in ascending answer order
    sizes = np.bincount(row, minlength=len(per_node))
    # pool position -> answer row; the padding (from each row's pool size on) holds the zero row
    padded = np.full((len(per_node), int(sizes.max()) + 1), len(node))
    padded[row, np.arange(len(row)) - np.repeat(np.cumsum(sizes) - sizes, sizes)] = answer
    owner = np.repeat(np.arange(len(per_node)), boot)
    pos = _draw(rng, sizes[owner], np.repeat(n, boot))  # past a row's n: its pool size, the sentinel
    return padded.ravel().take(owner[:, None] * padded.shape[1] + pos)  # flat look-ups: padded[owner, pos]


def question_p_values(x: np.ndarray, s: Summary, near: np.ndarray, boot: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(N, Q) upper mid-p-values of each node's squared distance to its neighbours' centre against
    ``boot`` pseudo-nodes drawn from the neighbours' pooled answers, and (N, Q) whether the value tied
    with part of its null. NaN where the node did not answer or fewer than two neighbours did.

    Per question, every node at once: with M the nodes' mean answers (:func:`node_means`) and W the
    weights of each judged node's centre over the nodes (:func:`neighbour_weights`), the centre is
    C = W M, the statistic |mean - C|^2, and a pseudo-node drawing answers g_1..g_n of the answers Y
    has, from their Gram matrix G = Y Y' (a zero row last, the padding's), sum_kl G[g_k, g_l] / n^2 -
    2 sum_k (C Y')[g_k] / n + |C|^2."""
    from gaia_sim.detector.default import MIN_PEERS

    n_nodes, n_q, n_samples = s.present.shape
    p, tied = np.full((n_nodes, n_q), np.nan), np.zeros((n_nodes, n_q), dtype=bool)
    buffer = np.empty(int(s.count.sum(0).max()) ** 2)  # one Gram matrix's memory for every question
    for q in range(n_q):
        node, sample = np.divmod(np.flatnonzero(s.present[:, q, :]), n_samples)
        judged, per_node = neighbour_weights(s.count[:, q], near)
        if len(np.unique(node)) < MIN_PEERS or not len(judged):
            continue
        rows = np.ascontiguousarray(x[node, q, sample], dtype=np.float64)
        means = node_means(rows, node, n_nodes)
        centres = per_node @ means  # (J, D) each judged node's centre
        n = s.count[judged, q]
        drawn = pseudo_rows(rng, node, per_node, n, boot)
        padded = drawn.max() >= len(rows)  # some pseudo-node drew fewer answers: its padding is the zero row
        gram = _with_zero_row(_gram(rows, buffer), padded, both=True)  # the last row and column: the zero row
        wg = _with_zero_row(centres @ rows.T, padded)  # each answer's product with each judged node's centre
        c_sq = np.einsum("jd,jd->j", centres, centres)
        value = ((means[judged] - centres) ** 2).sum(1)  # in double precision, as the null: ties stay ties
        owner = np.repeat(np.arange(len(judged)), boot)
        total = _pair_sum(gram, drawn)
        nn = np.repeat(n, boot).astype(float)
        cross = wg.ravel().take(owner[:, None] * wg.shape[1] + drawn).sum(1)  # flat look-ups: wg[owner, drawn]
        null = total / nn**2 - 2.0 * cross / nn + c_sq[owner]
        null = null.reshape(len(judged), boot)
        p[judged, q], tied[judged, q] = row_upper_p(null, value)
        p[judged, q] = beyond_draws_p(value, null, p[judged, q], n)
    return p, tied


def row_upper_p(null: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper mid-p-value of each ``value`` (J,) against its own row of ``null`` (J, B), and
    whether it tied with part of it: :meth:`gaia_sim.detector.default._Null.upper` with one group
    per row (values within ``TIE_TOL`` tie), counted by comparison, not by sorting the J x B draws
    (each row is searched once; the sort was the test's largest single cost at 30 nodes x 5 answers)."""
    from gaia_sim.detector.default import TIE_TOL, mid_p

    gt = np.count_nonzero(null > (value + TIE_TOL)[:, None], axis=1)
    ge = np.count_nonzero(null >= (value - TIE_TOL)[:, None], axis=1)
    return mid_p(gt, ge, null.shape[1]), ge > gt


def _gram(rows: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """rows @ rows.T, written into ``buffer``'s memory (a fresh (A, A) array per question would be
    mapped and faulted in anew each time: a third of the product's time at 1,000 nodes x 5 answers)."""
    out = buffer[: len(rows) ** 2].reshape(len(rows), len(rows))
    return np.matmul(rows, rows.T, out=out)


def _with_zero_row(products: np.ndarray, padded: bool, both: bool = False) -> np.ndarray:
    """``products`` (R, A) of the answers, with a zero column appended (and a zero row, ``both``)
    when some pseudo-node is ``padded`` (its draws hold the padding index A); as they are otherwise
    (every judged node gave as many answers), which spares copying a Gram matrix of (A + 1)^2 doubles
    (200 MB at 1,000 nodes x 5 answers)."""
    if not padded:
        return products
    out = np.zeros((products.shape[0] + both, products.shape[1] + 1))
    out[: products.shape[0], :-1] = products
    return out


def _pair_sum(gram: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """(R,) sum over a pseudo-node's drawn rows g_1..g_n of G[g_k, g_l], pairs (k, l) in row-major
    order: flat look-ups, summed left to right."""
    flat, base = gram.ravel(), drawn * gram.shape[1]
    total = flat.take(base[:, 0] + drawn[:, 0])
    for a in range(drawn.shape[1]):
        for b in range(drawn.shape[1]):
            if a or b:
                total += flat.take(base[:, a] + drawn[:, b])
    return total


def beyond_draws_p(value: np.ndarray, null: np.ndarray, p: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``p`` (J,), where a node's value lies beyond every one of its (J, B) bootstrap draws (the
    Monte Carlo p then sits at its floor, 1 / (B + 1), however far out the value is), lowered to the
    upper tail of the scaled chi-square g chi2_h that matches the draws' mean m and variance v (a
    gamma with shape m^2 / v and scale v / m) when that is smaller. A pseudo-node's statistic is a
    squared distance, a quadratic form in an about normal mean, and this two-moment approximation of
    such forms is Satterthwaite's (1946, Biometrics Bull. 2:110) and Box's (1954, Ann. Math.
    Statist. 25:290). So a node far beyond its neighbours on one question carries more than the
    floor's evidence into the Fisher combination (e048: the missed Gemma-2-27B-as-9B nodes sat at
    the floor on their one telling question); the empirical null across the nodes still calibrates
    the combined test. Clipped at 1e-300, as the empirical null clips.

    The Monte Carlo p stands for a value within the draws; for draws whose standard deviation is
    within ``TIE_TOL`` (identical answers apart from rounding: a gamma fitted to rounding noise
    makes a tie look like proof); and for a node with fewer than ``TAIL_ANSWERS`` answers ``n``
    (J,) to the question: the approximation takes the mean of the node's answers to be about
    normal, and at 3 answers on the shipped bank's close honest stacks it made honest nodes extreme
    (e048: single-verdict honest flag rates up to 0.013 at alpha 0.01; in the simulation with 30%
    colluders, honest false convictions 2 -> 10 in ~16,500 node-epochs)."""
    from gaia_sim.detector.default import TIE_TOL

    m, v = null.mean(1), null.var(1)
    out = (value > null.max(1) + TIE_TOL) & (v > TIE_TOL**2) & (m > TIE_TOL) & (n >= TAIL_ANSWERS)
    if not out.any():
        return p
    shape, scale = m[out] ** 2 / v[out], v[out] / m[out]
    tail = np.maximum(special.gammaincc(shape, value[out] / scale), 1e-300)  # gamma.sf without its checks
    p = p.copy()
    p[out] = np.minimum(p[out], tail)
    return p


def nearest_stack_p(x, s: Summary, weights, reference, eligible, boot: int, rng, screen: float = 0.05):
    """(N,) p-values of the nearest-stack location test (see the module docstring) and their robust
    z-scores: per-question p-values (:func:`question_p_values`), Fisher-combined, calibrated by the
    empirical null over the ``reference`` nodes; neighbourhoods are drawn from the ``eligible``
    reference nodes (from every ``eligible`` node when the reference holds too few)."""
    from gaia_sim.detector.default import MIN_PEERS, SCALE_FLOOR, discrete, empirical_null_p, fisher_combine

    near = neighbourhoods(
        s.mean, s.count, eligible & reference if (eligible & reference).sum() > MIN_PEERS else eligible
    )
    q_p, tied = question_p_values(x, s, near, boot, rng)
    floor = SCALE_FLOOR if discrete(tied, ~np.isnan(q_p)) else 1e-9  # no pseudo-node spread here: theory's
    z, p = empirical_null_p(fisher_combine(q_p, weights), floor, reference, screen, eligible)
    return p, z
