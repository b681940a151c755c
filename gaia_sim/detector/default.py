"""The calibrated default detector.

1. **Consensus** per question: a robust centre of the node means (coordinate-wise median refined
   by concentration steps over the closest half) that a colluding minority cannot move.
2. **Per-question p-values by bootstrap over peers**: each node's squared distance to the centre
   (location) and its within-question scatter (dispersion: too consistent = replaying a cached
   answer, too scattered = random answers) are compared with pseudo-honest nodes whose answers
   are resampled from the answers of trusted peers. This probability integral transform puts
   questions with identical honest answers, rare alternative answers or wide scatter on one scale,
   which the real Gaia answers need (many questions have 1-3 distinct honest answers).
3. **Passes**: in pass 1 the pseudo-honest nodes draw only from the *geometric core*, the two
   thirds of nodes whose distances to the consensus rank lowest across questions, so up to a third
   of colluders stay out of the pool. The final pass draws from the nodes not significant at
   ``screen`` against the core's own null (a pure pool), and learns its empirical null over the
   nodes not significant against the null of all answering nodes (so about ``screen`` of honest
   nodes are set aside, as its pivot assumes). ``first_pass="all"`` (detector "default_all")
   uses every node as a peer in pass 1 instead.
4. **Combination across questions**: weighted Fisher statistic (question weights = question
   selection), referred to its Satterthwaite scaled chi-square null.
5. **Empirical null across peers**: the combined p-values' normal scores are compared with the
   peers' (median / MAD, exact pivot distribution for N nodes), so honest variation between
   hardware/software stacks widens the null instead of producing flags (Efron 2010, ch. 6).
6. **Decision**: Bonferroni over the location, dispersion and share tests (with
   ``nearest_stack=True``, the nearest-stack test of :mod:`gaia_sim.detector.nearest` gets half of
   alpha and the three share the other half: weighted Bonferroni, e044); each node at level alpha
   (``fdr="none"``, default: the per-node false-flag rate a protocol slashes on) or
   Benjamini-Hochberg across the nodes of the domain (``fdr="bh"``: false discovery rate <= alpha).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special
from scipy import stats as sps

from gaia_sim.detector import calibration
from gaia_sim.detector._common import Assessment, Summary, bh_reject, einsum64, fill_nan, nan_median, summarize
from gaia_sim.detector.coordination import shared_answer_groups
from gaia_sim.errors import UserError

TIE_TOL = 1e-6  # squared distances / scatters closer than this are ties (identical answers)
MIN_PEERS = 5  # fewer answering nodes than this: a question or a domain carries no verdict
TIED_SHARE = 0.1  # above this share of tied cells the answers count as discrete
SCALE_FLOOR = 1.0  # discrete answers: the null is never narrower than theory (ties would fake precision)
OUTLIER_LEVEL = 0.01  # per-answer test: an answer beyond this share of the peers' answers is outlying
# Gram mode (see _Question) when P^2 <= GRAM_RATIO x the rows an assessment's pseudo-nodes draw: a
# matrix product costs ~GRAM_RATIO times less per multiply-add than gathering and summing rows
GRAM_RATIO = 40
BLOCK = 128  # pseudo-nodes summed at a time without the Gram matrix: (BLOCK, D) temporaries stay in cache


def robust_centre(
    mean: np.ndarray, steps: int = 2, mm: np.ndarray | None = None, mean32: np.ndarray | None = None
) -> np.ndarray:
    """Per-question consensus of node means, (N, Q, D) -> (Q, D), NaN nodes ignored.

    Start from the coordinate-wise median (breakdown 50%; Huber & Ronchetti, *Robust
    Statistics*, 2009, sec. 3.2), then apply concentration steps: average the half of the nodes
    closest to the current centre (the C-step of FAST-MCD, Rousseeuw & Van Driessen 1999,
    Technometrics 41:212), which keeps the efficiency of a mean while a colluding minority
    (< 1/2, in particular 1/3) stays out. ``mm``: the means' squared norms (N, Q) and ``mean32`` the
    means in float32 (:class:`Summary`), when at hand.
    """
    valid = ~np.isnan(mean[..., 0])
    centre = _coordinate_median(mean if mean32 is None else mean32)
    for _ in range(steps - 1):
        centre, _ = _c_step(mean, valid, centre, mm)
    return centre


def _coordinate_median(mean: np.ndarray) -> np.ndarray:
    """Coordinate-wise median over nodes, (N, Q, D) -> (Q, D), NaN nodes ignored, of the means in
    float32 (node axis made contiguous for speed)."""
    m = np.ascontiguousarray(np.moveaxis(mean.astype(np.float32, copy=False), 0, -1))  # (Q, D, N) in float32
    return nan_median(m, axis=-1).astype(np.float64, copy=False)


def _c_step(mean, valid, centre, mm=None):
    """One concentration step: mean of the closer half; also returns that half (N, Q)."""
    d = np.where(valid, _sqdist(mean, centre, mm), np.nan)
    keep = valid & (d <= nan_median(d, axis=0, keepdims=True))
    filled = mean if valid.all() else fill_nan(mean, 0.0)
    total = np.einsum("nq,nqd->qd", keep.astype(np.float64), filled)
    return total / np.maximum(keep.sum(0), 1)[:, None], keep


def _sqdist(mean: np.ndarray, centre: np.ndarray, mm: np.ndarray | None = None) -> np.ndarray:
    """(N, Q) squared Euclidean distance of node means to per-question centres, via the
    expansion |m|^2 - 2 m.c + |c|^2 (no (N, Q, D) temporary); ``mm``: |m|^2 when at hand."""
    if mm is None:
        mm = np.einsum("nqd,nqd->nq", mean, mean)
    mc = np.einsum("nqd,qd->nq", mean, centre)
    return np.maximum(mm - 2.0 * mc + (centre * centre).sum(-1)[None], 0.0)


def refined_centre(mean: np.ndarray, centre: np.ndarray, mm: np.ndarray | None = None) -> np.ndarray:
    """The final consensus (Q, D): one more C-step from :func:`robust_centre`'s ``centre``."""
    return _c_step(mean, ~np.isnan(mean[..., 0]), centre, mm)[0]


_BLAS = []  # threadpoolctl's controller of the loaded BLAS libraries, made on first use


def _one_blas_thread():
    """Context in which BLAS runs on one thread: the Gram products are too small to gain from more
    (same wall time, twice the CPU time on two cores, the spare threads spinning)."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _draw(rng, pool_size, n: np.ndarray) -> np.ndarray:
    """(R, max n) pool positions, row r drawing ``n[r]`` of them from a pool of ``pool_size`` (one
    size, or one per row) (its other columns hold the pool size, a sentinel): without replacement
    within a pseudo-node (a node's answers are distinct generations) when the pool is small enough
    for it to matter, else with replacement.

    Without replacement the k-th draw is uniform over the ``pool_size - k`` positions not yet drawn
    (a uniform integer below ``pool_size - k``, stepped past the drawn positions in ascending order), so
    every ordered n-subset is equally likely, at O(n^2) per row instead of sorting ``pool_size``
    random keys. The drawn positions are kept in ascending order as they come (:func:`_insert`),
    not sorted anew for each draw."""
    distinct = (pool_size < 200 * n) & (n <= pool_size)
    everywhere = bool(distinct.all())
    out = np.empty((len(n), int(n.max())), dtype=np.int64)
    uniform = rng.random(out.shape[::-1])  # one call: row k of it makes the k-th draws
    ascending: list[np.ndarray] = []  # column j: each row's j-th smallest position drawn so far
    for k in range(out.shape[1]):
        high = pool_size - k if everywhere else np.where(distinct, pool_size - k, pool_size)
        v = (uniform[k] * high).astype(np.int64)  # uniform below ``high`` (bias < high / 2^53)
        for below in ascending:  # step past the drawn positions, ascending
            v += (v >= below) if everywhere else (v >= below) & distinct
        out[:, k] = v if k < n.min() else np.where(n > k, v, pool_size)
        if k + 1 < out.shape[1]:
            ascending = _insert(ascending, out[:, k])
    return out


def _insert(ascending: list[np.ndarray], v: np.ndarray) -> list[np.ndarray]:
    """Columns ``ascending`` (each row's values in ascending order) with ``v`` (one per row) put in
    its place: the j-th smallest of the new set is the middle one of (old j-1-th, v, old j-th)."""
    if not ascending:
        return [v]
    middle = [np.maximum(low, np.minimum(v, high)) for low, high in zip(ascending[:-1], ascending[1:])]
    return [np.minimum(ascending[0], v), *middle, np.maximum(ascending[-1], v)]


class _Question:
    """The answers to one question, centred on its consensus (y = answer - centre), and the peers'
    offsets from it: what every pseudo-node's statistics are computed from; built once per
    assessment, shared by its passes.

    A pseudo-node drawing the rows g_1..g_n has squared distance |sum_k y_k|^2 / n^2 to the centre
    and within scatter (sum_k |y_k|^2 - |sum_k y_k|^2 / n) / (n - 1), and its product with a peer's
    offset o is sum_k y_k . o: computed from the sum over its drawn rows or, when the question has
    few rows (P) for the pseudo-nodes drawn from them, from their Gram matrix, |sum_k y_k|^2 =
    sum_kl y_k . y_l, and o = the mean of that peer's rows (one (P, P) matrix
    product instead of gathering n (D,) rows per pseudo-node; identical answers, common in real
    answers, share one Gram row). Row ``size`` (P) is a zero row: the sentinel that pads
    :func:`_draw`'s rows.
    """

    def __init__(
        self,
        flat: np.ndarray,
        s: Summary,
        c: np.ndarray,
        d: np.ndarray,
        dist: np.ndarray,
        q: int,
        draws: int,
        keys: _RowKeys | None = None,
    ):
        n_nodes, n_q, n_samples = s.present.shape
        present = s.present[:, q, :]
        if present.all():  # every answer present: the rows in (node, sample) order without a search
            self.node, sample = np.repeat(np.arange(n_nodes), n_samples), np.tile(np.arange(n_samples), n_nodes)
        else:
            self.node, sample = np.divmod(np.flatnonzero(present), n_samples)
        self.size = len(self.node)
        self.flat, self.rows = flat, (self.node * n_q + q) * n_samples + sample  # rows of ``flat`` (the answers)
        self.centre = c[q]
        self.first = np.cumsum(s.count[:, q]) - s.count[:, q]  # (N,) each node's first row
        self.counts = np.unique(s.count[:, q][s.count[:, q] > 0])
        self.mean, self.offset_sq = s.mean[:, q], fill_nan(d[:, q], 0.0)  # |each node's offset from the centre|^2
        self.gram = None
        if self.size * self.size <= GRAM_RATIO * draws * int(self.counts.sum()):
            first, self.distinct = _distinct_rows(flat, self.rows, keys)  # identical answers share a Gram row
            y = np.zeros((len(first) + 1, flat.shape[1]))  # double precision: ties (TIE_TOL) stay ties
            np.subtract(flat[self.rows[first]], self.centre, out=y[:-1])
            self.gram = y @ y.T  # in :func:`assess_default`'s one-BLAS-thread context
            self.distinct = np.append(self.distinct, len(first))  # the sentinel: the zero row
            self.sq = np.diagonal(self.gram)[self.distinct]
        else:
            self.sq = np.append(dist[self.node, q, sample], 0.0)

    def pool(self, peers: np.ndarray) -> np.ndarray:
        """Rows of the peers' answers (bool (N,) ``peers``), in (node, sample) order."""
        return np.flatnonzero(peers[self.node])

    def sums(self, g: np.ndarray, counts: np.ndarray, boot: int):
        """Row-sum mode: |sum_k y_k|^2, sum_k |y_k|^2 (R,) and the sums (R, D) of pseudo-nodes drawing
        rows ``g`` (R, width), ``boot`` rows for each of ``counts`` in turn."""
        total, row_sq = np.empty((len(g), self.flat.shape[1])), self.sq[g].sum(1)
        total_sq = row_sq.copy()
        for i, n in enumerate(counts):
            for a in range(i * boot, (i + 1) * boot, BLOCK):  # (BLOCK, D) temporaries stay in cache
                rows = self.rows[g[a : min(a + BLOCK, (i + 1) * boot), :n]]
                block = total[a : a + len(rows)]
                block[:] = self.flat[rows[:, 0]]  # summed in double precision, then centred
                for k in range(1, n):
                    block += self.flat[rows[:, k]]
                block -= n * self.centre
                if n > 1:
                    total_sq[a : a + len(rows)] = np.einsum("bd,bd->b", block, block)
        return total_sq, row_sq, total

    def dot_offsets(self, sums, peers: np.ndarray) -> np.ndarray:
        """Row-sum mode: sum_k y_k . offsets[peers] of the pseudo-nodes whose sums (R, D) are ``sums``
        (:meth:`sums`), one peer each."""
        return np.einsum("bd,bd->b", sums, self.mean[peers] - self.centre)


class _GramSet:
    """The Gram-mode questions of an assessment (see :class:`_Question`) as one row space, so that
    the pseudo-nodes of every such question and answer count are drawn and summed at once: each
    question's rows, its sentinel (zero) row last, follow the previous question's; ``base[r] +
    col[r']`` is the position of the Gram product of rows r and r' (of one question) in ``gram``,
    the questions' Gram matrices raveled one after the other."""

    def __init__(self, questions: list[_Question]):
        grams = [question for question in questions if question.gram is not None]
        sizes = np.array([g.size + 1 for g in grams], dtype=np.int64)  # rows and the sentinel
        self._first = {id(g): int(f) for g, f in zip(grams, np.cumsum(sizes) - sizes)}
        widths = np.array([len(g.gram) for g in grams], dtype=np.int64)
        gram_at = np.cumsum(widths * widths) - widths * widths
        self.col = np.concatenate([g.distinct for g in grams]) if grams else np.zeros(0, np.int64)
        self.base = np.repeat(gram_at, sizes) + self.col * np.repeat(widths, sizes)
        self.gram = np.concatenate([g.gram.ravel() for g in grams]) if grams else np.zeros(0)
        self.sq = np.concatenate([g.sq for g in grams]) if grams else np.zeros(0)

    def first(self, question: _Question) -> int:
        """The row space's row of ``question``'s first row (0 for a question not in Gram mode)."""
        return self._first.get(id(question), 0)

    def products(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """y_a . y_b for rows ``a`` and ``b`` of the row space (same question each)."""
        return self.gram[self.base[a] + self.col[b]]


@lru_cache(maxsize=8)
def _probe(dim: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(dim)


def row_keys(flat: np.ndarray) -> np.ndarray:
    """Each row's product with a fixed random vector: identical rows share a key (:func:`_distinct_rows`)."""
    return flat @ _probe(flat.shape[1])


class _RowKeys:
    """:func:`row_keys` of ``flat``, computed on first use: only Gram-mode questions look for
    identical answers, and one product over every row beats one per question."""

    def __init__(self, flat: np.ndarray):
        self.flat, self.keys = flat, None

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        if self.keys is None:
            self.keys = row_keys(self.flat)
        return self.keys[rows]


def _distinct_rows(flat: np.ndarray, rows: np.ndarray, keys: _RowKeys | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``rows`` (indices of ``flat``'s rows) of the distinct ones, and each row's
    position among them: rows grouped by their :func:`row_keys` (``keys``: those of ``flat``'s rows,
    when at hand), each row of a group checked equal to the group's first (all rows distinct, if
    any check fails)."""
    key = row_keys(flat[rows]) if keys is None else keys[rows]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(first) == len(rows):
        return np.arange(len(rows)), np.arange(len(rows))
    repeat = np.flatnonzero(first[inverse] != np.arange(len(rows)))  # rows after their group's first
    if not (flat[rows[repeat]] == flat[rows[first[inverse[repeat]]]]).all():
        return np.arange(len(rows)), np.arange(len(rows))
    return first, inverse


def _pseudo_nodes(items: list, boot: int, rng, grams: _GramSet | None = None) -> list:
    """Squared distance to the centre and within scatter (NaN for one answer) of ``boot``
    pseudo-honest nodes for each answer count of each question, (len(counts), boot) each, one
    pair per item ``(question, pool, same, d_peers)``.

    Each pseudo-node draws n of the peers' pooled answers ``pool`` (rows of ``question``,
    :func:`_draw`; nonparametric bootstrap, Efron 1979, Ann. Statist. 7:1) and is shifted
    by the offset from the centre of a peer with n answers (``same``: their node indices, one array
    per count), shrunk to the between-node variance component, B / (B + W/n) (random-effects
    model; method-of-moments estimate B = mean peer distance (``d_peers``) - mean pooled-bootstrap
    distance, DerSimonian & Laird 1986, Control. Clin. Trials 7:177; shrinkage as in empirical
    Bayes, Efron & Morris 1975). With exchangeable honest nodes B is ~0 and this is the plain pooled
    bootstrap; honest variation between stacks widens the null by what the peers show.

    Every item's pseudo-nodes are drawn and shifted together (one draw, one choice of peers); their
    sums come from the Gram products of the Gram-mode questions (all at once, in ``grams``'s row
    space, :class:`_GramSet`) or from row sums (:meth:`_Question.sums`), the same statistics.
    """
    if not items:
        return []
    questions = [item[0] for item in items]
    counts = [question.counts for question in questions]
    n = np.concatenate([np.repeat(c, boot) for c in counts])
    item = np.repeat(np.arange(len(items)), [len(c) * boot for c in counts])  # each pseudo-node's item
    ends = np.cumsum([len(c) * boot for c in counts])
    same, d_peers = [s for it in items for s in it[2]], [dp for it in items for dp in it[3]]
    pos = _draw(rng, np.array([len(it[1]) for it in items])[item], n)  # pool positions; the pool size: none
    j = _peers(same, boot, rng)  # the peer whose offset each pseudo-node takes if its segment is shifted
    gram = np.array([question.gram is not None for question in questions])
    together = np.flatnonzero(gram[item])  # the pseudo-nodes of Gram-mode questions
    total_sq, row_sq, m_dot_o = np.empty(len(n)), np.empty(len(n)), np.empty(len(n))  # m_dot_o: sum_k y_k . o_j
    g = None
    if len(together):
        grams = grams or _GramSet(questions)
        pools = [
            grams.first(q) + np.append(it[1], q.size) if q.gram is not None else [] for q, it in zip(questions, items)
        ]
        at = np.cumsum([len(p) for p in pools]) - [len(p) for p in pools]
        g = np.concatenate(pools).astype(np.int64)[pos[together] + at[item[together], None]]  # rows of grams
        row_sq[together] = grams.sq[g].sum(1)
        cross = np.zeros(len(g))
        for k in range(g.shape[1]):
            for m in range(k + 1, g.shape[1]):
                cross += grams.products(g[:, k], g[:, m])
        total_sq[together] = row_sq[together] + 2.0 * cross
    for i in np.flatnonzero(~gram):  # row-sum mode, one question at a time (its sums (R, D) then dropped)
        a, b = ends[i] - len(counts[i]) * boot, ends[i]
        rows = np.append(items[i][1], questions[i].size)[pos[a:b]]  # the sentinel draws the zero row
        total_sq[a:b], row_sq[a:b], sums = questions[i].sums(rows, counts[i], boot)
        m_dot_o[a:b] = questions[i].dot_offsets(sums, j[a:b])
    d0 = total_sq / (n * n)
    shrink = np.repeat(_shrink(d0, same, d_peers, boot), boot)
    on = np.flatnonzero(shrink > 0)  # |m + s o|^2 = |m|^2 + 2 s m.o + s^2 |o|^2, m = sum / n
    if len(on):
        if len(together) and (mine := on[gram[item[on]]]).size:  # Gram mode: only the shifted ones
            m_dot_o[mine] = _gram_dot_offsets(
                grams, items, g[np.searchsorted(together, mine)], item[mine], j[mine], n[mine]
            )
        offset_sq = np.array([question.offset_sq for question in questions])[item[on], j[on]]
        d0[on] += 2.0 * shrink[on] * m_dot_o[on] / n[on] + shrink[on] ** 2 * offset_sq
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.maximum(np.where(n > 1, (row_sq - total_sq / n) / (n - 1), np.nan), 0.0)
    return [
        (d0[e - len(c) * boot : e].reshape(len(c), boot), within[e - len(c) * boot : e].reshape(len(c), boot))
        for c, e in zip(counts, ends)
    ]


def _peers(same: list, boot: int, rng) -> np.ndarray:
    """(len(same) x boot,) for each pseudo-node a node drawn uniformly from ``same`` (one array of
    node indices per segment of ``boot`` pseudo-nodes); 0 where the segment has none (never used:
    such a segment is not shifted, :func:`_shrink`)."""
    sizes = np.repeat([len(peers) for peers in same], boot)
    pick = (rng.random(len(sizes)) * sizes).astype(np.int64)  # uniform below each size (bias < size / 2^53)
    start = np.repeat(np.cumsum([len(peers) for peers in same]) - [len(peers) for peers in same], boot)
    pooled = np.concatenate([*same, [0]]).astype(np.int64)  # a trailing 0 for the segments without a peer
    return pooled[np.where(sizes > 0, pick + start, len(pooled) - 1)]


def _shrink(d0: np.ndarray, same: list, d_peers: list, boot: int) -> np.ndarray:
    """Per segment of ``boot`` pseudo-nodes, the factor its pseudo-nodes' peer offsets are shrunk
    by, sqrt(B / mean peer distance) with B = max(0, mean peer distance (``d_peers``) - mean
    pseudo-node distance ``d0``); 0 (not shifted) where B is 0 or the segment has no peer."""
    lengths = np.array([len(dp) for dp in d_peers])
    peer_mean = np.bincount(np.repeat(np.arange(len(same)), lengths), np.concatenate(d_peers), len(same))
    peer_mean = peer_mean / np.maximum(lengths, 1)  # each segment's mean peer distance (0: no peer)
    excess = np.maximum(0.0, peer_mean - d0.reshape(len(same), boot).mean(1))
    has = np.array([len(peers) > 0 for peers in same])
    return np.where(has & (excess > 0), np.sqrt(excess / np.maximum(peer_mean, 1e-300)), 0.0)


def _gram_dot_offsets(
    grams: _GramSet, items: list, g: np.ndarray, which: np.ndarray, j: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """sum_k y_k . o_j for the Gram-mode pseudo-nodes whose rows (in ``grams``'s row space) are
    ``g``, of items ``which``, and their peers ``j`` with ``n`` answers: a peer's offset o is the
    mean of its rows, so this is a sum of Gram products, divided by n."""
    offset = [grams.first(it[0]) for it in items]
    first = np.array([f + it[0].first for f, it in zip(offset, items)])
    own_first, end = first[which, j], np.array([f + it[0].size for f, it in zip(offset, items)])[which]
    dot = np.zeros(len(g))
    for i in range(int(n.max())):  # the peer's offset is the mean of its n rows
        own = np.where(n > i, own_first + i, end)
        for k in range(g.shape[1]):
            dot += grams.products(g[:, k], own)
    return dot / n


def mid_p(gt: np.ndarray, ge: np.ndarray, size: int) -> np.ndarray:
    """The upper mid-p-value (1 + #{null > v} + #{null = v} / 2) / (B + 1) from the counts ``gt``
    (#{null > v}) and ``ge`` (#{null >= v}) among ``size`` (B) null draws (see :class:`_Null`)."""
    return (1.0 + gt + 0.5 * (ge - gt)) / (size + 1.0)


class _Null:
    """Bootstrap null distributions, one per row of ``values`` (G, B) (or one, (B,)), sorted once,
    giving the upper mid-p-value or a randomised two-sided p-value of a value against the null of
    its ``group`` (row). One search serves every group: row g is shifted by g spans, a span being
    wider than every row's range by more than the tie tolerance, and values are clipped to just
    beyond that range (which changes no count).

    The upper mid-p-value is (1 + #{null > v} + #{null = v} / 2) / (B + 1): a Monte Carlo p-value
    (Davison & Hinkley 1997, eq. 4.11) with ties split in half (Lancaster's mid-p, 1961, JASA
    56:223). Values within ``TIE_TOL`` are ties (identical answers), so a question on which every
    honest node gives the same answer maps honest nodes to p ~ 1/2, not to an extreme."""

    def __init__(self, values: np.ndarray):
        values = np.atleast_2d(values)
        self.size, self.lo, self.hi = values.shape[1], values.min() - 2 * TIE_TOL, values.max() + 2 * TIE_TOL
        self.span = self.hi - self.lo + 2 * TIE_TOL + 1.0
        self.sorted = np.sort(values, axis=1)
        if len(values) > 1:
            self.sorted = (self.sorted + self.span * np.arange(len(values))[:, None]).ravel()
        self.sorted = self.sorted.ravel()

    def _counts(self, value: np.ndarray, group) -> tuple[np.ndarray, np.ndarray]:
        """#{null > v} and #{null >= v}, values within ``TIE_TOL`` counting as equal."""
        value, end = np.clip(value, self.lo, self.hi), self.size
        if not np.isscalar(group) or group:
            value, end = value + self.span * group, self.size * (group + 1)
        order = np.argsort(value)  # searching sorted keys is ~3x faster than the sort costs
        key, counts = value[order], np.empty((2, len(value)), dtype=np.int64)
        counts[0, order] = np.searchsorted(self.sorted, key + TIE_TOL, side="right")
        counts[1, order] = np.searchsorted(self.sorted, key - TIE_TOL, side="left")
        return end - counts[0], end - counts[1]

    def _p(self, gt: np.ndarray, ge: np.ndarray) -> np.ndarray:
        return mid_p(gt, ge, self.size)

    def upper(self, value: np.ndarray, group=0) -> tuple[np.ndarray, np.ndarray]:
        """Upper-tail mid-p-value and whether the value tied with part of the null."""
        gt, ge = self._counts(value, group)
        return self._p(gt, ge), ge > gt

    def two_sided(self, value: np.ndarray, uniform: np.ndarray, group=0) -> np.ndarray:
        """min(1, 2 min(upper, lower)) with ties broken at random: upper = (1 + #{null > v} + U
        #{null = v}) / (B + 1), lower = (1 + #{null < v} + (1 - U) #{null = v}) / (B + 1), U the
        ``uniform`` (one per value). A randomised p-value (Brockwell 2007, Stat. Probab. Lett.
        77:1473; Czado, Gneiting & Held 2009, Biometrics 65:1254) is uniform under the null however
        discrete the answers are. The mid-p-value is not: a value tied with most of the null (a
        question every honest node answers identically) gets two-sided p ~ 1, a Fisher term of ~0
        instead of 2, so nodes tied everywhere pile up at one extreme normal score and the empirical
        null's median / MAD, learned over them, makes every node that once gave a rare honest
        alternative look extreme (measured on the real Gaia answers: docs/detector.md)."""
        gt, ge = self._counts(value, group)
        tie = uniform * (ge - gt)
        upper = (1.0 + gt + tie) / (self.size + 1.0)
        lower = (1.0 + self.size - gt - tie) / (self.size + 1.0)  # #{null < v} + #{null = v} = B - #{null > v}
        return np.minimum(1.0, 2.0 * np.minimum(upper, lower))


def question_p_values(questions, s: Summary, d, peers: np.ndarray, boot: int, rng, grams=None):
    """(N, Q) bootstrap p-values of location (upper tail) and dispersion (two-sided), which
    location values tied with the null (identical answers), and (B, Q) the same p-values of the
    pseudo-nodes themselves (their combination is the exchangeable null of a node's score).

    Pseudo-honest nodes with the same number of answers as the node are drawn from the answers
    of the ``peers`` (bool (N,)) to that question. ``c`` is the refined consensus (Q, D) the
    distances ``d`` refer to (:func:`refined_centre`). The floor 1 / (B + 1) bounds any one
    question's weight in the combination. The nulls of every (question, answer count) are searched
    at once (:class:`_Null`). ``grams``: the questions' :class:`_GramSet` (built here if not given).
    """
    n_nodes, n_q = s.count.shape
    p_loc, p_disp = np.full((n_nodes, n_q), np.nan), np.full((n_nodes, n_q), np.nan)
    tied = np.zeros((n_nodes, n_q), dtype=bool)
    pseudo_loc, pseudo_disp = np.full((boot, n_q), np.nan), np.full((boot, n_q), np.nan)
    loc, disp = ([], [], [], []), ([], [], [], [])  # nulls, (node, question) cells, their null, own-null questions
    items, used = [], []
    for q in range(n_q):
        count = s.count[:, q]
        pool = questions[q].pool(peers) if (count > 0).sum() >= MIN_PEERS else np.zeros(0, np.int64)
        if len(pool) < 2:
            continue
        rows = [np.flatnonzero(count == n) for n in questions[q].counts]
        same = [r[peers[r]] for r in rows]
        items.append((questions[q], pool, same, [d[j, q] for j in same]))
        used.append((q, rows))
    for (q, rows), (null_d, null_w) in zip(used, _pseudo_nodes(items, boot, rng, grams)):
        counts = questions[q].counts
        for i, n in enumerate(counts):  # the pseudo-nodes with the most answers: the null of u
            for (nulls, cells, group, own), null in zip((loc, disp) if n > 1 else (loc,), (null_d[i], null_w[i])):
                cells.append(rows[i] * n_q + q)
                group.append(np.full(len(rows[i]), len(nulls)))
                if n == counts[-1]:
                    own.append((q, len(nulls)))
                nulls.append(null)
    for (nulls, cells, group, own), out, pseudo in ((loc, p_loc, pseudo_loc), (disp, p_disp, pseudo_disp)):
        if not nulls:
            continue
        null = _Null(np.vstack(nulls))
        value = np.concatenate(
            [(d if out is p_loc else s.within).ravel()[np.concatenate(cells)]] + [nulls[g] for _, g in own]
        )
        group = np.concatenate(group + [np.full(boot, g) for _, g in own])
        if out is p_loc:
            p, tie = null.upper(value, group)
            tied.ravel()[np.concatenate(cells)] = tie[: len(value) - boot * len(own)]
        else:
            p = null.two_sided(value, rng.random(len(value)), group)
        cells = np.concatenate(cells)
        out.ravel()[cells] = p[: len(cells)]
        for k, (q, _) in enumerate(own):
            pseudo[:, q] = p[len(cells) + k * boot : len(cells) + (k + 1) * boot]
    return p_loc, p_disp, tied, pseudo_loc, pseudo_disp


def fisher_combine(p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted Fisher combination over answered questions -> one p-value per node.

    T = sum_q w_q (-2 ln p_q) is chi-square with 2k degrees of freedom for k independent uniform
    p-values and equal weights (Fisher 1925, *Statistical Methods for Research Workers*, sec.
    21.1); for unequal weights we use the Satterthwaite (1946, Biometrics Bull. 2:110) scaled
    chi-square c chi2_nu with c = sum w^2 / sum w and nu = 2 (sum w)^2 / sum w^2. Nodes without a
    usable question get NaN.
    """
    ok = ~np.isnan(p) & (weights[None] > 0)
    w = np.where(ok, weights[None], 0.0)
    t = (w * -2.0 * np.log(np.where(ok, p, 1.0))).sum(1)
    s1, s2 = w.sum(1), (w**2).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        c, nu = s2 / s1, 2.0 * s1**2 / s2
        return np.where(s1 > 0, special.chdtrc(nu, t / c), np.nan)  # chi2.sf(t / c, nu) without its checks


def normal_scores(p: np.ndarray) -> np.ndarray:
    """Normal scores u = Phi^-1(1 - p) of p-values clipped to [1e-300, 1 - 1e-16] (NaN stays NaN).

    Where ``1 - p`` rounds to 1 in floating point (p below ~1.1e-16) u is computed as -Phi^-1(p),
    the same number by symmetry, so it stays finite and graded (u = 8.2 at p = 1e-16, 37.0 at
    p = 1e-300) instead of infinite; elsewhere it is ``ndtri(1 - p)`` bit for bit. Infinite scores
    made the empirical null's median infinite, every z NaN and every p 1 when most peers' combined
    p-values were that small (the nearest-stack test with every honest node on a stack of its own;
    e052).
    """
    p = np.clip(p, 1e-300, 1.0 - 1e-16)
    q = 1.0 - p
    return np.where(q < 1.0, special.ndtri(q), -special.ndtri(p))


def empirical_null_p(
    p: np.ndarray, floor: float, reference: np.ndarray, screen: float = 0.05, eligible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Calibrate node p-values against the peers: normal scores, robust z, pivot p-value.

    u = Phi^-1(1 - p) is N(0, 1) when the per-question bootstrap is exact. Honest variation
    between hardware/software stacks widens and shifts u, identical honest answers narrow it; so
    the null is learned from the peers (Efron's empirical null, *Large-Scale Inference*, 2010,
    ch. 6): robust z = (u - median) / (1.4826 MAD) with median and MAD over the ``reference``
    nodes (the peers kept after screening, so that up to a third of colluders cannot inflate the
    null), the MAD floored at ``floor`` (see ``scale_floor``), referred to the exact distribution
    of that pivot for the nodes the null is learned from: the reference nodes plus the top
    ``s = min(k, ceil(screen N))`` set aside as honest extremes (k of the N ``eligible`` nodes were
    screened; beyond the share an all-honest domain would screen they count as suspects, so they are
    neither honest extremes nor draws of the honest null: e046, where counting them in the pivot's N
    made the far tail too light under a 30% ring and honest nodes were convicted on it)
    (:mod:`gaia_sim.detector.calibration`). N counts the ``eligible`` nodes (default: all): nodes
    set aside before any test (a coordinated replay group) are not peers the pivot draws.
    Returns (robust z, p), NaN/1 where p is NaN.
    """
    valid = ~np.isnan(p)
    n = int((valid if eligible is None else valid & eligible).sum())
    if n < MIN_PEERS:
        return np.full(p.shape, np.nan), np.ones(p.shape)
    u = normal_scores(p)
    ref = valid & reference
    if ref.sum() < MIN_PEERS:
        ref = valid
    med = np.median(u[ref])
    mad = max(1.4826 * np.median(np.abs(u[ref] - med)), floor)
    z = (u - med) / mad
    learned = int(ref.sum())  # the nodes the median and MAD come from
    screened = max(0, min(n - learned, int(np.ceil(screen * n))))
    return z, np.where(valid, calibration.upper_p(z, learned + screened, screened), 1.0)


def discrete(tied: np.ndarray, answered: np.ndarray) -> bool:
    """Whether the answers count as discrete: more than ``TIED_SHARE`` of the answered (node,
    question) cells tie with their bootstrap null (identical answers)."""
    return bool(answered.any()) and float(tied[answered].mean()) > TIED_SHARE


def scale_floor(tied: np.ndarray, answered: np.ndarray, pseudo_p: np.ndarray, weights: np.ndarray) -> float:
    """Floor for the peers' spread of normal scores.

    Continuous answers (at most ``TIED_SHARE`` of the answered cells tie with the bootstrap null):
    ~0, the pure empirical null, which is then calibrated (tests/test_detector_theory.py).
    Discrete answers (identical honest answers are common, so the peers' MAD can collapse): the
    spread the pseudo-honest nodes themselves show when scored the same way (the exchangeable null,
    discreteness included), but at least ``SCALE_FLOOR``.
    """
    if not discrete(tied, answered):
        return 1e-9
    p = fisher_combine(pseudo_p, weights)
    u = normal_scores(p[~np.isnan(p)])
    spread = 1.4826 * float(np.median(np.abs(u - np.median(u)))) if len(u) else 1.0
    return max(SCALE_FLOOR, spread)


def combined(q_values, s, weights, dispersion: bool):
    """Per node, the Fisher-combined location and dispersion p-values (None: dispersion not
    tested), each with the floor of its empirical null (:func:`scale_floor`): what
    :func:`node_level` calibrates against a reference set, computed once for every reference."""
    q_loc, q_disp, tied, pseudo_loc, pseudo_disp = q_values
    loc = fisher_combine(q_loc, weights), scale_floor(tied, s.count > 0, pseudo_loc, weights)
    if not dispersion:
        return loc, None
    return loc, (fisher_combine(q_disp, weights), scale_floor(tied, s.count > 0, pseudo_disp, weights))


def node_level(q_values, s, weights, reference, dispersion: bool, screen: float = 0.05, tests=None, eligible=None):
    """Per-node location and dispersion p-values from the per-question ones (Fisher, then the
    empirical null learned over the ``reference`` nodes) and their robust z-scores. ``tests``:
    :func:`combined` of these ``q_values`` when already computed; ``eligible``: see
    :func:`empirical_null_p`."""
    loc, disp = combined(q_values, s, weights, dispersion) if tests is None else tests
    z_loc, p_loc = empirical_null_p(*loc, reference, screen, eligible)
    nan = np.full_like(p_loc, np.nan)
    z_disp, p_disp = (nan, nan) if disp is None else empirical_null_p(*disp, reference, screen, eligible)
    return p_loc, p_disp, z_loc, z_disp, q_values[0]


def bonferroni(*ps: np.ndarray) -> np.ndarray:
    """min(1, k min_j p_j) over the k tests that exist for each node (NaN = test not run; Bonferroni 1936)."""
    stack = np.vstack(ps)
    k = (~np.isnan(stack)).sum(0)
    with np.errstate(invalid="ignore"):
        out = np.minimum(1.0, k * np.nanmin(np.where(np.isnan(stack), np.inf, stack), axis=0))
    return np.where(k > 0, out, np.nan)


def answer_outlier_p(
    x: np.ndarray,
    s: Summary,
    centre: np.ndarray,
    peers: np.ndarray,
    reference: np.ndarray | None = None,
    tau: float = OUTLIER_LEVEL,
    dist: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-answer test for diluted cheating: (N,) p-value of each node's count of outlying answers,
    and (N,) that count.

    A node that serves a share of its answers from a cheaper configuration (refusals, a smaller
    model) moves its mean only by that share, which node-mean statistics dilute; its *answers*,
    though, are outliers one by one. Each answer's squared distance to the question's consensus
    gets a mid-p-value against the pooled answers of the ``peers`` to that question (a conformal
    p-value, Vovk, Gammerman & Shafer 2005, *Algorithmic Learning in a Random World*, ch. 2); an
    answer is outlying when that p is <= ``tau`` (or beyond every peer answer when the pool is too
    small to resolve ``tau``). A node's count K of outlying answers among its n is referred to a
    beta-binomial null fitted to the ``reference`` nodes' counts (default: the peers), see
    :func:`_count_p`. NaN for nodes without an answer or questions with too few peers. ``dist``:
    :func:`_answer_sqdist` of ``x`` and ``centre`` when already computed.
    """
    n_nodes, n_q = s.count.shape
    if dist is None:
        dist = _answer_sqdist(x, centre, s.answer_sq)  # (N, Q, S), NaN for missing answers
    outlying = np.zeros(dist.shape, dtype=bool)
    usable, floors = np.zeros(n_q, dtype=bool), []
    ranked = fill_nan(dist, -np.inf)  # a missing answer is never outlying
    for q in range(n_q):
        ref = dist[peers, q][s.present[peers, q]]
        if len(ref) < 2 * MIN_PEERS:
            continue
        usable[q] = True
        p, size = _leave_own_out_p(ranked[:, q], ref, np.where(peers[:, None] & s.present[:, q], dist[:, q], np.nan))
        level = np.maximum(tau, 1.0 / (size + 1))  # an answer beyond every other peer answer is outlying
        floors.append(float(level.mean()))
        outlying[:, q] = s.present[:, q] & (p <= level[:, None])
    counted = s.present & usable[None, :, None]
    n, k = counted.sum((1, 2)), (outlying & counted).sum((1, 2))
    ref = (reference if reference is not None else peers) & (n > 0)
    floor = float(np.mean(floors)) if floors else tau
    m, rho = _count_null(k, n, ref, floor)
    p = np.where(n > 0, _count_p(k, n, m, rho), np.nan)
    return p, k


def _leave_own_out_p(values: np.ndarray, pool: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conformal mid-p-values (N, S) of each node's answers ``values`` (squared distances) against
    the ``pool`` of peer answers *without the node's own* ``own`` (N, S; NaN where not in the pool),
    and each node's pool size (N,). A conformal p-value counts the test point once, in its "+1"
    (Vovk et al. 2005): left in the pool, a node's own answer ties with itself, so with fewer than
    ~150 pool answers no answer of a peer could ever be outlying at level 0.01."""
    gt, ge = _Null(pool)._counts(values.ravel(), 0)
    gt, ge = gt.reshape(values.shape), ge.reshape(values.shape)
    o, v = own[:, None, :], values[:, :, None]  # each answer against each of the node's pooled answers
    gt = gt - (o > v + TIE_TOL).sum(-1)
    ge = ge - (o >= v - TIE_TOL).sum(-1)
    size = len(pool) - (~np.isnan(own)).sum(1)
    return (1.0 + gt + 0.5 * (ge - gt)) / (size[:, None] + 1.0), size


def _count_null(k: np.ndarray, n: np.ndarray, ref: np.ndarray, floor: float) -> tuple[float, float]:
    """Mean rate m (at least ``floor``) and intra-node correlation rho of the ``ref`` nodes' counts,
    by moments (Kleinman 1973, JASA 68:46); see :func:`_count_p`."""
    m = max(floor, float(k[ref].sum()) / max(float(n[ref].sum()), 1.0))
    rho = 0.0
    if ref.sum() >= MIN_PEERS:
        nbar = float(n[ref].mean())
        var = float(np.var(k[ref] / n[ref], ddof=1))
        binom_var = m * (1 - m) / nbar
        rho = float(np.clip((var / binom_var - 1.0) / max(nbar - 1.0, 1.0), 0.0, 0.5)) if binom_var > 0 else 0.0
    return m, rho


def _count_p(k: np.ndarray, n: np.ndarray, m: float, rho: float) -> np.ndarray:
    """P(count >= k) under the beta-binomial null with mean rate m and intra-node correlation rho
    fitted to the reference nodes' counts (:func:`_count_null`).

    Honest nodes on another stack sit off the consensus and have more outlying answers than the
    average node: the counts are overdispersed, so a plain binomial would flag them. The
    beta-binomial (Skellam 1948, JRSS-B 10:257) with mean rate m (at least ``floor``) and
    intra-node correlation rho estimated by moments from the reference nodes (Kleinman 1973,
    JASA 68:46) widens the null by the spread the honest population shows. Diluted cheaters that
    the location and dispersion screens kept in the reference widen it too: that costs power, never
    validity (screening them out by the count itself made honest offset nodes' flag rate 3x alpha).
    """
    if rho <= 1e-9:
        return sps.binom.sf(k - 1, n, m)
    a, b = m * (1.0 / rho - 1.0), (1.0 - m) * (1.0 / rho - 1.0)
    return betabinom_sf(k - 1, n, a, b)


def betabinom_sf(k: np.ndarray, n: np.ndarray, a: float, b: float) -> np.ndarray:
    """``scipy.stats.betabinom.sf(k, n, a, b)`` for integer arrays ``k``, ``n`` and scalar ``a``,
    ``b``, by SciPy's own computation (its generic discrete sf: 1 minus the pmf summed over 0..k,
    clipped to [0, 1]; 1 below the support, 0 from ``n`` on, NaN for invalid ``a``, ``b``), done
    once per distinct (k, n) instead of through SciPy's per-element machinery (~20x faster here)."""
    k, n = np.asarray(k), np.asarray(n)
    if not (a > 0 and b > 0):
        return np.full(np.broadcast(k, n).shape, np.nan)
    out = np.where(k < 0, 1.0, 0.0)
    inside = (k >= 0) & (k < n)
    for kk, nn in set(zip(k[inside].tolist(), n[inside].tolist())):
        pmf = sps.betabinom._pmf(np.arange(0, float(kk) + 1), nn, a, b)
        out[(k == kk) & (n == nn)] = np.clip(1.0 - np.sum(pmf, axis=0), 0, 1)
    return out


def _answer_sqdist(x: np.ndarray, centre: np.ndarray, answer_sq: np.ndarray | None = None) -> np.ndarray:
    """(N, Q, S) squared distance of every answer to its question's centre (NaN rows stay NaN): the
    expansion |x|^2 - 2 x.c + |c|^2 summed in double precision, which keeps identical answers'
    distances within ``TIE_TOL`` of their pseudo-nodes' (``answer_sq``: the |x|^2 of
    :func:`summarize` when at hand)."""
    if answer_sq is None:
        answer_sq = einsum64("nqsd,nqsd->nqs", x)
    xx = answer_sq.astype(np.float64, copy=False)
    xc = einsum64("nqsd,qd->nqs", x, centre)
    return np.maximum(xx - 2.0 * xc + (centre * centre).sum(-1)[None, :, None], 0.0)


def _weights(weights, n_questions: int) -> np.ndarray:
    if weights is None:
        return np.ones(n_questions)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_questions,) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise UserError(
            f"assess(weights=...): expected {n_questions} finite non-negative question weights, got shape {w.shape}"
        )
    return w


def geometric_core(
    d: np.ndarray, answered: np.ndarray, keep: float = 2 / 3, within: np.ndarray | None = None
) -> np.ndarray:
    """Nodes whose mean rank (over questions) of distance to the consensus is among the lowest
    ``keep`` share: with at most a third colluding and the colluders farther out, these are honest
    (the trimming idea of least trimmed squares, Rousseeuw 1984, JASA 79:871). With ``within``
    (N, Q) scatters, a node's rank is the larger of its location rank and its rank of
    |log scatter - median log scatter|, so colluders that replay one answer (scatter 0, often *at*
    the consensus) are trimmed too."""
    rank = _mean_rank(d, answered)
    if within is not None:
        log_w = np.log(within + 1e-12)  # NaN (fewer than 2 answers) stays NaN
        with np.errstate(invalid="ignore"):
            dev = np.abs(log_w - nan_median(np.where(answered[:, None], log_w, np.nan), axis=0, keepdims=True))
        if (~np.isnan(dev)).any():
            rank = np.maximum(rank, _mean_rank(dev, answered))
    n = int(answered.sum())
    if n <= MIN_PEERS:  # too few nodes to trim: all of them (no verdict below MIN_PEERS anyway)
        return answered
    cut = np.sort(rank[answered])[max(MIN_PEERS, int(np.ceil(keep * n))) - 1]
    return answered & (rank <= cut)


def _mean_rank(v: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Per node, the mean over questions of its rank (0 = lowest) of ``v`` (N, Q) among the nodes,
    normalised by the number of nodes ranked on that question; NaN entries are skipped; +inf for
    nodes that did not answer."""
    ok = ~np.isnan(v)
    ranks = np.argsort(np.argsort(np.where(ok, v, np.inf), axis=0), axis=0).astype(float)
    ranks = ranks / np.maximum(ok.sum(0, keepdims=True) - 1, 1)
    mean = np.where(ok, ranks, 0.0).sum(1) / np.maximum(ok.sum(1), 1)
    return np.where(answered & ok.any(1), mean, np.where(answered, 0.5, np.inf))


def _screen(p1: np.ndarray, answered: np.ndarray, screen: float) -> np.ndarray:
    """Peers for the next pass: answering nodes not significant at ``screen``, at least half."""
    p1 = fill_nan(p1, 1.0)
    peers = answered & (p1 >= screen)
    if peers.sum() < max(MIN_PEERS, answered.sum() / 2):
        peers = answered & (p1 >= np.median(p1[answered]))
    return peers


def _screened(q_values, s, w, reference, answered, dispersion, screen, tests=None) -> np.ndarray:
    """:func:`_screen` applied to the node p-values (empirical null over ``reference``) of one pass."""
    p_loc, p_disp = node_level(q_values, s, w, reference, dispersion, screen, tests)[:2]
    return _screen(bonferroni(p_loc, p_disp), answered, screen)


def _first_pass(questions, s, d, answered, w, boot, rng, dispersion, screen, first_pass, grams=None):
    """Screening pass -> (peers whose answers the pseudo-honest nodes draw from, reference nodes
    the empirical null is learned over) for the next pass.

    "all": every answering node is a peer; both sets are the nodes not significant at ``screen``.
    "core": the pseudo-honest nodes draw from the :func:`geometric_core` only, so up to a third of
    colluders stay out of the pool; the next pool drops every node significant against the core's
    own null (aggressive: a pure pool), while the next reference drops only the nodes significant
    against the null learned over all answering nodes (median/MAD, breakdown 50%), so that about
    ``screen`` of honest nodes are set aside, as the pivot table assumes (see empirical_null_p).
    """
    if first_pass == "all":
        peers = _screened(
            question_p_values(questions, s, d, answered, boot, rng, grams), s, w, answered, answered, dispersion, screen
        )
        return peers, peers, answered
    core = geometric_core(d, answered, within=s.within)
    q_values = question_p_values(questions, s, d, core, boot, rng, grams)
    tests = combined(q_values, s, w, dispersion)  # shared by both screens
    return (
        _screened(q_values, s, w, core, answered, dispersion, screen, tests),
        _screened(q_values, s, w, answered, answered, dispersion, screen, tests),
        core,
    )


def assess_default(
    x: np.ndarray,
    alpha: float,
    weights=None,
    dispersion: bool = True,
    fdr: str = "none",
    boot: int = 400,
    screen: float = 0.05,
    passes: int = 2,
    first_pass: str = "core",
    seed: int = 0,
    share_test: bool = True,
    coordination: bool = False,
    nearest_stack: bool = False,
) -> Assessment:
    """The calibrated detector; see the module docstring.

    Options: ``weights`` (Q,) question weights (question selection); ``dispersion`` (also test the
    within-node scatter); ``fdr`` ("none", default: each node at level alpha; "bh":
    Benjamini-Hochberg across nodes); ``boot`` pseudo-nodes per question; ``screen`` level at which a node is left out
    of the peer pool of the next pass; ``passes`` (>= 2; more passes peel off a larger colluding
    minority); ``first_pass`` ("core", default: pass 1 draws pseudo-honest nodes from the two
    thirds closest to the consensus, see :func:`geometric_core` and :func:`_first_pass`; "all":
    every answering node is a peer in pass 1); ``seed`` of the bootstrap (the result is deterministic given the seed);
    ``share_test`` (also test each node's count of outlying answers, :func:`answer_outlier_p`, for
    diluted cheating; Bonferroni over the three tests); ``coordination`` (keep nodes that replay one
    shared answer set out of the core, the peers and the reference,
    :func:`gaia_sim.detector.coordination.shared_answer_groups`; they are still judged);
    ``nearest_stack`` (also test each node's distance to its nearest third of the nodes,
    :mod:`gaia_sim.detector.nearest`, for honest populations on a few stacks; it is held at alpha / 2
    and the other tests at alpha / 6 each, a weighted Bonferroni).
    """
    if fdr not in ("bh", "none"):
        raise UserError(f"assess(fdr={fdr!r}): allowed values are 'bh' and 'none'")
    w = _weights(weights, x.shape[1])
    rng = np.random.default_rng(seed)
    s = summarize(x)
    mm = np.einsum("nqd,nqd->nq", s.mean, s.mean)  # the means' squared norms, for every distance below
    c = refined_centre(s.mean, robust_centre(s.mean, mm=mm, mean32=s.mean32), mm)  # once: every pass measures from it
    d = _sqdist(s.mean, c, mm)
    answered = (s.count > 0).any(1)
    if first_pass not in ("all", "core"):
        raise UserError(f"assess(first_pass={first_pass!r}): allowed values are 'all' and 'core'")
    half = max(boot // 2, 100)  # screening passes only decide who is a peer
    draws = half * (max(int(passes), 2) - 1) + boot  # pseudo-nodes per answer count over the passes
    dist = _answer_sqdist(x, c, s.answer_sq)  # (N, Q, S) every answer's squared distance to the centre
    flat = np.ascontiguousarray(x).reshape(-1, x.shape[-1])  # the answers' rows, (N Q S, D)
    with _one_blas_thread():  # entered once: the context costs ~0.1 ms, a small Gram product less
        keys = _RowKeys(flat)  # one product for every Gram-mode question's search for identical answers
        questions = [_Question(flat, s, c, d, dist, q, draws, keys) for q in range(x.shape[1])]  # shared by every pass
    grams = _GramSet(questions)  # their Gram-mode questions as one row space
    # coordinated replay groups (one shared answer set) are kept out of the sets that must be honest
    candidates = answered & ~shared_answer_groups(x, answered) if coordination else answered
    peers, reference, core = _first_pass(
        questions, s, d, candidates, w, half, rng, dispersion, screen, first_pass, grams
    )
    for _ in range(max(int(passes), 2) - 2):
        q_values = question_p_values(questions, s, d, peers, half, rng, grams)
        peers = reference = _screened(q_values, s, w, peers, answered, dispersion, screen)
    q_values = question_p_values(questions, s, d, peers, boot, rng, grams)
    p_loc, p_disp, z_loc, z_disp, q_loc = node_level(q_values, s, w, reference, dispersion, screen, eligible=candidates)
    # the share test's conformal pool: trusted peers inside the geometric core, so that colluders
    # who share one cheap configuration do not make each other's answers look typical
    pool = peers & core if (peers & core).sum() >= MIN_PEERS else peers
    p_share = answer_outlier_p(x, s, c, pool, reference, dist=dist)[0] if share_test else np.full(len(p_loc), np.nan)
    p_near = np.full(len(p_loc), np.nan)
    if nearest_stack:
        from gaia_sim.detector.nearest import nearest_stack_p

        with _one_blas_thread():
            p_near = nearest_stack_p(x, s, w, reference, candidates, boot, rng, screen)[0]
    # weighted Bonferroni: the nearest-stack test at alpha / 2, the default's tests share the other half (e044)
    p = fill_nan(bonferroni(bonferroni(p_loc, p_disp, p_share), p_near), 1.0)
    if answered.sum() < MIN_PEERS:
        p = np.ones_like(p)
    flagged = bh_reject(p, alpha) if fdr == "bh" else p <= alpha
    score = np.where(answered, -np.log10(np.maximum(p, 1e-300)), np.nan)
    return Assessment(
        score=score,
        p_value=p,
        flagged=flagged,
        details={
            "p_location": p_loc,
            "p_dispersion": p_disp,
            "z_location": z_loc,
            "z_dispersion": z_disp,
            "question_p_location": q_loc,
            "p_share": p_share,
            "p_nearest_stack": p_near,
        },
    )
