"""The detector's contract, decisions on clear cases, and the sequential evidence."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from test_detector_synth import network

from gaia_sim.detector import (
    DETECTORS,
    Assessment,
    EvidenceAccumulator,
    QuestionSelector,
    assess,
    bh_reject,
    ebh_reject,
)
from gaia_sim.detector.selection import discrimination
from gaia_sim.detector.sequential import mixture_calibrator
from gaia_sim.errors import UserError


def test_public_api_and_registry():
    import gaia_sim

    assert gaia_sim.assess is assess
    assert {"default", "paper", "median_rank"} <= set(DETECTORS)
    x, _ = network(np.random.default_rng(0), nodes=12, questions=4, samples=3)
    for name in DETECTORS:
        a = assess(x, detector=name)
        assert isinstance(a, Assessment) and len(a) == 12
        assert a.score.shape == a.p_value.shape == a.flagged.shape == (12,)
        assert a.flagged.dtype == bool and np.all((a.p_value >= 0) & (a.p_value <= 1))


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(embeddings=np.zeros((3, 4, 5))), "shape"),
        (dict(alpha=1.5), "alpha"),
        (dict(detector="nope"), "allowed"),
        (dict(frobnicate=True), "frobnicate"),
        (dict(weights=np.ones(3)), "weights"),
        (dict(fdr="maybe"), "fdr"),
    ],
)
def test_bad_input_is_a_user_error(bad, match):
    x, _ = network(np.random.default_rng(0), nodes=8, questions=4, samples=2)
    kwargs = {"embeddings": x} | bad
    with pytest.raises(UserError, match=match):
        assess(**kwargs)


def test_deterministic_given_seed_and_missing_answers():
    x, _ = network(np.random.default_rng(1), nodes=20, questions=6, samples=4)
    x[3, 2, 1] = np.nan  # one missing answer
    x[4] = np.nan  # a node that did not answer at all
    a, b = assess(x), assess(x)
    assert np.array_equal(a.p_value, b.p_value)
    assert a.p_value[4] == 1.0 and not a.flagged[4] and np.isnan(a.score[4])
    assert np.isfinite(a.p_value).all()


def test_catches_model_swap_replay_and_random_answers():
    rng = np.random.default_rng(2)
    x, labels = network(rng, nodes=30, questions=8, samples=5, cheaters=3, shift=0.5, replay=(10,), random_answer=(11,))
    a = assess(x)
    assert a.flagged[labels].all()
    assert a.flagged[10] and a.flagged[11]  # too consistent, too scattered
    honest = ~labels & ~np.isin(np.arange(30), [10, 11])
    assert not a.flagged[honest].any()


@pytest.mark.parametrize("colluders", [3, 6, 9])
def test_correct_verdicts_with_up_to_30_percent_colluding(colluders):
    """Colluders all serve one cheaper model; the robust consensus must stay with the honest 70%.

    A captured consensus flags the honest nodes by the dozen; one that holds flags them at about
    the level: 5 x (30 - colluders) <= 135 honest verdicts at alpha = 0.01 expect <= 1.35 false
    flags, and at most 4 is that count's 98.7% Poisson quantile. The count on one bootstrap stream
    varies (false flags cluster on a few borderline honest nodes): over 200 bootstrap seeds on these
    networks it averages 0.7 (3 colluders), 1.0 (6) per run, between 0 and 4, and seed 0 gives 2
    and 4 (0 and 0 on the stream before the bootstrap drew its rows by integers, which averaged 0.6
    and 1.0 over the same 200 seeds)."""
    hits, false = 0, 0
    for seed in range(5):
        x, labels = network(
            np.random.default_rng(100 + seed), nodes=30, questions=10, samples=5, cheaters=colluders, shift=0.35
        )
        a = assess(x)
        hits += a.flagged[labels].sum()
        false += a.flagged[~labels].sum()
    assert hits / (5 * colluders) >= 0.95
    assert false <= 4


def test_reference_detectors_rank_the_cheater_first():
    x, labels = network(np.random.default_rng(3), nodes=20, questions=8, samples=5, cheaters=1, shift=0.6)
    for name in ("median_rank", "paper"):
        assert np.argmax(assess(x, detector=name).score) == 0


def test_benjamini_hochberg_matches_definition():
    rng = np.random.default_rng(4)
    for _ in range(50):
        p = rng.uniform(size=20) ** 3
        k = max([i + 1 for i, v in enumerate(np.sort(p)) if v <= 0.05 * (i + 1) / 20], default=0)
        assert bh_reject(p, 0.05).sum() == k
        assert set(np.flatnonzero(bh_reject(p, 0.05))) == set(np.argsort(p)[:k])


def test_mixture_calibrator_is_an_e_value():
    """E[e(U)] = 1 for uniform U (integral of the calibrator over (0, 1))."""
    from scipy.integrate import quad

    # substitute p = exp(-t): the mass near 0 decays only like 1 / |ln p|
    total, _ = quad(lambda t: float(mixture_calibrator(np.array([np.exp(-t)]))[0]) * np.exp(-t), 0, 30, limit=200)
    tail = 1.0 / 30  # integral_0^exp(-30) dp / (p ln^2 p)
    assert abs(total + tail - 1.0) < 0.01
    assert mixture_calibrator(np.array([np.nan]))[0] == 1.0


def test_sequential_evidence_is_anytime_valid_and_accumulates():
    rng = np.random.default_rng(5)
    nodes, epochs, alpha = 4000, 30, 0.05
    acc = EvidenceAccumulator(alpha=alpha)
    ever = np.zeros(nodes, dtype=bool)
    for _ in range(epochs):  # null: uniform p-values, checked after every epoch
        ever |= acc.update(range(nodes), rng.uniform(size=nodes))
    assert ever.mean() <= alpha + 3 * np.sqrt(alpha / nodes)  # Ville's inequality
    cheat = EvidenceAccumulator(alpha=0.01)
    for _ in range(10):  # each epoch alone is not significant at 0.01 ...
        flags = cheat.update([7], [0.03])
    assert flags[0] and cheat.epochs([7])[0] == 10  # ... but ten of them are
    assert cheat.nodes() == [7]
    cheat.reset([7])
    assert cheat.evidence([7])[0] == 1.0 and cheat.nodes() == []


def test_ebh_and_accumulator_errors():
    e = np.array([1000.0, 50.0, 1.0, 0.5])
    assert ebh_reject(e, 0.1).tolist() == [True, True, False, False]
    with pytest.raises(UserError):
        EvidenceAccumulator(alpha=2)
    with pytest.raises(UserError):
        EvidenceAccumulator().update([1, 2], [0.5])


def test_question_selector_learns_discriminating_questions():
    """Only questions 0-3 separate the cheaters; after some epochs the selector ranks those first.

    With exploration, as validators run it (a greedy selector without it keeps whatever its first
    epochs happened to favour: 13-14 of 20 seeds found questions 0-3 after 10 to 30 epochs; with
    explore 0.25 and 20 epochs, 20 of 20)."""
    rng = np.random.default_rng(6)
    n_q = 12
    sel = QuestionSelector(n_q, explore=0.25)
    for _ in range(20):
        qs = sel.choose(4, rng)
        x, labels = network(rng, nodes=20, questions=n_q, samples=4, cheaters=2, shift=0.5)
        honest_x, _ = network(rng, nodes=20, questions=n_q, samples=4)
        x[:, 4:] = honest_x[:, 4:]  # questions 4.. do not discriminate
        sel.update(qs, assess(x[:, qs]))
    assert set(np.argsort(-sel.score, kind="stable")[:4]) == {0, 1, 2, 3}


def _scored(values: dict) -> SimpleNamespace:
    """An assessment of one node whose per-question discrimination (selection.discrimination) is
    ``values`` {question position: value}: the Fisher term -ln p - 1 of p = exp(-(value + 1))."""
    q_p = np.array([[np.exp(-(v + 1.0)) for v in values.values()]])
    return SimpleNamespace(p_value=np.array([0.0]), details={"question_p_location": q_p})


@pytest.mark.parametrize("bonus, asked_again", [(0.0, False), (1.0, True)])
def test_an_upper_confidence_bound_asks_again_a_question_whose_one_early_score_was_unlucky(bonus, asked_again):
    """The best question (true discrimination 5) scores 1 on its first asking, the others 2.5 +- 1.5
    every time. Ranking by the mean never asks it again (e055: on the real runs the best question,
    once at 1.67, missed 16 epochs); ranking by UCB1's bound does, and then ranks it first."""
    rng = np.random.default_rng(0)
    sel = QuestionSelector(6, explore=0.0, bonus=bonus)
    first = True
    for _ in range(30):
        qs = sel.choose(2, rng)
        values = {}
        for q in qs:
            values[int(q)] = (1.0 if first else 5.0) if q == 0 else 2.5 + rng.uniform(-1.5, 1.5)
            first = first and q != 0
        sel.update(qs, _scored(values))
    assert (sel.count[0] > 1) == asked_again
    assert (np.argmax(sel.score) == 0) == asked_again
    if not bonus:
        assert np.array_equal(sel.index, sel.score)  # bonus 0: the running mean, the selector before e055


def test_the_contrast_score_discounts_a_question_on_which_the_honest_bulk_disagrees():
    """Question 0: the suspicious node stands out at Fisher term 4, but so do the other nine (term 2
    each: two honest stacks answer it differently); question 1: the suspicious node at 3, the others
    at 0. The top share's mean ranks question 0 first; the contrast against the bulk ranks question 1
    first (e056), and counts the bulk's NaN cells out."""
    terms = np.array([[4.0, 3.0]] + [[2.0, 0.0]] * 8 + [[2.0, np.nan]])
    q_p = np.exp(-(terms + 1.0))  # Fisher term -ln p - 1
    a = SimpleNamespace(p_value=np.array([1e-6] + [0.5] * 9), details={"question_p_location": q_p})
    plain = discrimination(a)
    assert np.argmax(plain) == 0 and np.allclose(plain, [4.0, 3.0])
    assert np.allclose(discrimination(a, contrast=True), [2.0, 3.0])
    ucb = QuestionSelector.for_choice("learned_ucb_contrast", 2)
    ucb.update([0, 1], a)
    assert (ucb.bonus, ucb.contrast) == (1.0, True) and np.argmax(ucb.score) == 1
    with pytest.raises(UserError, match="allowed values are 'learned', 'learned_ucb', 'learned_ucb_contrast'"):
        QuestionSelector.for_choice("learned_contrast", 2)


def test_the_schema_offers_exactly_the_selectors_choices():
    """``probes.question_selection`` is validated by the schema; each learned choice must be one the
    selector builds (QuestionSelector.CHOICES, the one home of their meaning), and no other."""
    from typing import get_args

    from gaia_sim.params import ProbeParams

    offered = get_args(ProbeParams.model_fields["question_selection"].annotation)
    assert offered == ("random", *QuestionSelector.CHOICES)


@pytest.mark.parametrize("detector", ["default", "default_all"])
@pytest.mark.parametrize("nodes", [1, 2, 4])
def test_too_few_nodes_carry_no_verdict(detector, nodes):
    """Fewer answering nodes than the detector needs for a consensus: p = 1, nobody flagged (no error)."""
    x = np.random.default_rng(nodes).standard_normal((nodes, 3, 2, 8)).astype(np.float32)
    a = assess(x, detector=detector)
    assert np.all(a.p_value == 1.0) and not a.flagged.any()


def _convictions(p_of_epoch, epochs: int, nodes: int = 30, after: str = "convict", **options) -> np.ndarray:
    """(epochs, nodes) convictions under the accumulator's policy; after each conviction the node
    spends its evidence (``after="convict"``, as the simulation does) or restarts (``"reset"``, the
    policy before git 1e33932's successor) (``p_of_epoch(t) -> p-values of the nodes``)."""
    acc = EvidenceAccumulator(alpha=0.01, **options)
    out = np.zeros((epochs, nodes), dtype=bool)
    for t in range(epochs):
        out[t] = acc.update(range(nodes), p_of_epoch(t))
        getattr(acc, after)(np.flatnonzero(out[t]))
    return out


def test_a_blatant_cheater_is_convicted_every_epoch_it_cheats():
    rng = np.random.default_rng(11)
    blatant = lambda t: np.r_[1e-8, rng.uniform(size=29)]  # noqa: E731
    assert _convictions(blatant, 20)[:, 0].all()
    # the e-process alone (cap e(1e-3) = 20.8 < 1/alpha) restarted after a verdict: every other epoch at best
    assert _convictions(blatant, 20, after="reset", epoch_alpha=0.0)[:, 0].sum() <= 10
    # spending what a verdict used instead: every epoch once the balance has reached 1/alpha (epoch 2)
    assert _convictions(blatant, 20, epoch_alpha=0.0)[1:, 0].all()


def test_evidence_that_must_add_up_convicts_every_epoch_once_it_suffices():
    """p = 1e-3 every epoch is never decisive alone (BH at 1e-3 over 30 nodes) but is the most
    evidence one epoch can add (e(p_floor)): with spending, convicted from epoch 2 on, every epoch."""
    rng = np.random.default_rng(14)
    steady = lambda t: np.r_[1e-3, rng.uniform(size=29)]  # noqa: E731
    assert _convictions(steady, 40)[1:, 0].all()
    assert _convictions(steady, 40, after="reset")[:, 0].mean() <= 0.5


def test_a_burst_cheater_is_convicted_on_the_bursts_that_give_it_away():
    rng = np.random.default_rng(12)
    burst = lambda t: np.r_[1e-8 if t % 6 == 0 else rng.uniform(), rng.uniform(size=29)]  # noqa: E731
    cheating = np.arange(120) % 6 == 0
    assert _convictions(burst, 120)[cheating, 0].mean() == 1.0
    assert _convictions(burst, 120, after="reset", epoch_alpha=0.0)[cheating, 0].mean() <= 0.25


def test_burst_convictions_grow_with_the_cheating():
    """Bursts of p = 1e-3 (evidence that must add up) 1 epoch in k: the share of cheating epochs
    convicted falls with k and is never below the restart policy's."""

    def burst(k: int, after: str) -> float:
        rng = np.random.default_rng(15 + k)
        p = lambda t: np.r_[1e-3 if t % k == 0 else rng.uniform(), rng.uniform(size=29)]  # noqa: E731
        return float(_convictions(p, 240, after=after)[np.arange(240) % k == 0, 0].mean())

    rates = [burst(k, "convict") for k in (1, 2, 3, 6)]
    old = [burst(k, "reset") for k in (1, 2, 3, 6)]
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    assert all(a >= b for a, b in zip(rates, old)) and rates[0] > 0.95 and old[0] <= 0.5, (rates, old)


def test_spending_keeps_lifetime_false_convictions_within_alpha_spend_over_spend_minus_one():
    """Null (uniform p), the e-process part alone: each honest node expects at most
    alpha spend / (spend - 1) convictions over its whole life, and P(two or more) <= alpha / spend."""
    rng = np.random.default_rng(16)
    nodes, epochs, alpha = 3000, 150, 0.05
    acc = EvidenceAccumulator(alpha=alpha, epoch_alpha=0.0)
    count = np.zeros(nodes)
    for _ in range(epochs):
        flags = acc.update(range(nodes), rng.uniform(size=nodes))
        count += flags
        acc.convict(np.flatnonzero(flags))
    bound = alpha * acc.spend / (acc.spend - 1)
    assert count.mean() <= bound + 3 * np.sqrt(bound / nodes), (count.mean(), bound)
    assert (count >= 2).mean() <= alpha / acc.spend + 3 * np.sqrt(alpha / acc.spend / nodes)


def test_false_convictions_stay_within_the_policy_guarantee():
    rng = np.random.default_rng(13)
    epochs, nodes, alpha = 400, 30, 0.01
    false = _convictions(lambda t: rng.uniform(size=nodes), epochs, nodes)
    per_node = false.sum(0)  # expected <= alpha spend / (spend - 1) + H epoch_alpha per node
    spend = EvidenceAccumulator(alpha=alpha).spend
    bound = alpha * spend / (spend - 1) + epochs * alpha / 10
    assert per_node.mean() <= bound
    with pytest.raises(UserError):
        EvidenceAccumulator(epoch_alpha=1.5)


def test_recent_memory_is_the_cusum_recursion_and_keeps_no_credit():
    """memory="recent": log E_t = max(log E_{t-1}, 0) + log e(max(p_t, p_floor)), checked against the
    recursion written out; ten clean epochs then two capped ones convict under "recent" only."""
    rng = np.random.default_rng(21)
    p = np.where(rng.random((80, 5)) < 0.3, rng.uniform(1e-4, 0.05, (80, 5)), 1.0)
    acc = EvidenceAccumulator(alpha=1e-9, memory="recent", epoch_alpha=0.0)  # never convicts here
    log_e = np.zeros(5)
    for row in p:
        acc.update(range(5), row)
        log_e = np.maximum(log_e, 0.0) + np.log(mixture_calibrator(np.maximum(row, acc.p_floor)))
        np.testing.assert_allclose(np.log(acc.evidence(range(5))), log_e, rtol=1e-12, atol=1e-12)
    burst = [1.0] * 10 + [1e-3, 1e-3]
    for memory, convicted in (("lifetime", False), ("recent", True)):
        acc = EvidenceAccumulator(alpha=0.01, memory=memory, epoch_alpha=0.0)
        flags = [acc.update([3], [q])[0] for q in burst]
        assert flags[-1] == convicted and not any(flags[:-1]), memory
    with pytest.raises(UserError, match="memory"):
        EvidenceAccumulator(memory="forever")
    with pytest.raises(UserError, match="e-BH"):
        EvidenceAccumulator(memory="recent", fdr="ebh")


def test_recent_memory_false_convictions_per_node_epoch_within_alpha():
    """Null (uniform p), restart after each conviction: the CUSUM e-detector's mean time to a false
    conviction is >= 1/alpha (Shiryaev-Roberts bound), so convictions per node-epoch <= alpha; the
    lifetime product convicts far less often (its bound is over a whole life)."""
    rng = np.random.default_rng(22)
    nodes, epochs, alpha = 2000, 200, 0.2
    rates = {}
    for memory in ("recent", "lifetime"):
        acc, count = EvidenceAccumulator(alpha=alpha, memory=memory, epoch_alpha=0.0), 0
        for _ in range(epochs):
            flags = acc.update(range(nodes), rng.uniform(size=nodes))
            count += int(flags.sum())
            acc.reset(np.flatnonzero(flags))
        rates[memory] = count / (nodes * epochs)
    assert rates["recent"] <= alpha, rates
    assert rates["lifetime"] < rates["recent"] / 3, rates


def test_nan_median_is_numpys_bit_for_bit():
    """The sort-based median the detector and its pivot tables use equals np.median / np.nanmedian
    exactly (odd and even counts, NaN slices, float32 and float64)."""
    import warnings

    from gaia_sim.detector._common import nan_median

    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        for shape in [(5, 384, 101), (100, 5), (4, 2), (1, 1)]:
            for nan_share in (0.0, 0.3, 1.0):
                a = rng.standard_normal(shape).astype(dtype)
                a[rng.random(shape) < nan_share] = np.nan
                for axis in range(a.ndim):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", RuntimeWarning)
                        want = np.nanmedian(a, axis=axis) if nan_share else np.median(a, axis=axis)
                    got = nan_median(a, axis)
                    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_the_consensus_median_sorts_the_means_in_float32_from_the_summary():
    """``Summary.mean32`` is the means in float32 (for float32 answers the array the means were
    computed in, no copy), and the consensus from it is the one from the float64 means, bit for bit
    (float32 and float64 answers, missing answers)."""
    from gaia_sim.detector import default as D
    from gaia_sim.detector._common import summarize

    for dtype in (np.float32, np.float64):
        x, _ = network(np.random.default_rng(7), nodes=30, questions=3, samples=3, dim=16)
        x = x.astype(dtype)
        x[::4, 1] = np.nan
        x[::5, 2, 1:] = np.nan
        s = summarize(x)
        assert s.mean32.dtype == np.float32
        assert s.mean32.tobytes() == s.mean.astype(np.float32).tobytes()
        assert D.robust_centre(s.mean, mean32=s.mean32).tobytes() == D.robust_centre(s.mean).tobytes()


def test_einsum64_is_numpys_widened_einsum_bit_for_bit(monkeypatch):
    """The blocked float64 products summarize and the share test use equal np.einsum(...,
    dtype=float64) exactly: squared norms and products with the centres, NaN rows, float32 and
    float64 input, blocks that do not divide the nodes evenly."""
    from gaia_sim.detector import _common

    rng = np.random.default_rng(4)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((37, 6, 3, 384)).astype(dtype)
        x[2, 1, 0] = np.nan
        centre = rng.standard_normal((6, 384))
        for block in (1, 5000, 1 << 19):  # one node per block, a few nodes, all nodes
            monkeypatch.setattr(_common, "WIDEN_BLOCK", block)
            got = _common.einsum64("nqsd,nqsd->nqs", x)
            want = np.einsum("nqsd,nqsd->nqs", x, x, dtype=np.float64)
            assert got.dtype == np.float64 and got.tobytes() == want.tobytes()
            got = _common.einsum64("nqsd,qd->nqs", x, centre)
            assert got.tobytes() == np.einsum("nqsd,qd->nqs", x, centre, dtype=np.float64).tobytes()


def test_smallest_per_row_matches_argsort():
    """The n smallest keys per row in ascending order: argsort's first n (the traffic phase's
    distinct draws rely on it)."""
    from gaia_sim.rng import smallest_per_row

    rng = np.random.default_rng(4)
    for pool in (3, 8, 64, 300, 1001):
        for n in range(1, min(pool, 6) + 1):
            r = rng.random((50, pool))
            assert (smallest_per_row(r.copy(), n) == np.argsort(r, axis=1)[:, :n]).all()


def test_bootstrap_draws_are_distinct_and_uniform_over_ordered_subsets():
    """The pseudo-nodes' rows (default._draw, several answer counts in one call): distinct within a
    pseudo-node, the unused columns the sentinel, and every ordered n-subset of the pool equally
    likely (chi-square over the 6, 30, 120 and 360 ordered 1-, 2-, 3- and 4-subsets of a pool of 6,
    60,000 draws each: a draw that favoured some positions, e.g. stepping past the drawn ones in the
    wrong order or out of order, gives p ~ 0); with replacement beyond 200 n pool rows."""
    import itertools

    from scipy import stats as sps

    from gaia_sim.detector.default import _draw

    rng = np.random.default_rng(1)
    n = np.repeat([1, 2, 3, 4], 60_000)
    g = _draw(rng, 6, n)
    for count in (1, 2, 3, 4):
        rows = g[n == count]
        assert (rows[:, count:] == 6).all()
        assert all(len(set(r)) == count for r in rows[:, :count].tolist())
        key = rows[:, :count] @ 6 ** np.arange(count)
        cells = [sum(p * 6**i for i, p in enumerate(perm)) for perm in itertools.permutations(range(6), count)]
        observed = np.array([(key == c).sum() for c in cells])
        assert observed.sum() == len(rows) and sps.chisquare(observed).pvalue > 1e-3
    g = _draw(rng, 250, np.repeat([1, 3], 30_000))  # n = 1: with replacement (250 >= 200 n); n = 3: distinct
    triples = g[30_000:]
    assert (g[:30_000, 1:] == 250).all() and g.max() <= 250
    assert (
        (triples[:, 0] != triples[:, 1]) & (triples[:, 0] != triples[:, 2]) & (triples[:, 1] != triples[:, 2])
    ).all()
    assert sps.chisquare(np.bincount(triples.ravel(), minlength=250)).pvalue > 1e-3


def test_drawn_positions_are_kept_in_ascending_order_as_they_come():
    """default._insert, which keeps each pseudo-node's drawn positions sorted for the next draw to
    step past: after every insertion the columns are the rows sorted (ties included)."""
    from gaia_sim.detector.default import _insert

    rng = np.random.default_rng(4)
    values = rng.integers(0, 6, (500, 7))  # few distinct values: many ties
    columns = []
    for k in range(values.shape[1]):
        columns = _insert(columns, values[:, k])
        assert np.array_equal(np.stack(columns, axis=1), np.sort(values[:, : k + 1], axis=1))


def test_betabinom_sf_is_scipys():
    """The detector's beta-binomial tail (_count_p) is SciPy's betabinom.sf, bit for bit."""
    from scipy import stats as sps

    from gaia_sim.detector.default import betabinom_sf

    rng = np.random.default_rng(3)
    for _ in range(200):
        n, k = rng.integers(0, 30, 50), rng.integers(-2, 32, 50)
        a, b = float(rng.gamma(0.5, 2) + 1e-3), float(rng.gamma(2, 20) + 1e-3)
        assert np.array_equal(betabinom_sf(k, n, a, b), sps.betabinom.sf(k, n, a, b), equal_nan=True)
    assert np.isnan(betabinom_sf(np.array([0]), np.array([3]), 1.0, 0.0)).all()


def test_pseudo_nodes_gram_and_row_sums_agree_with_a_direct_computation():
    """The pseudo-nodes' squared distance and within scatter, from the Gram matrix (few rows) and from
    row sums (many), equal the direct computation on their drawn answers to ~1e-12, far inside the
    tie tolerance (identical answers must stay ties); with missing answers (three answer counts),
    float32 answers, as the real bank's are, and three questions drawn together (each question's
    rows at its own place in the Gram row space, ``_GramSet``), in each mode and mixed."""
    from gaia_sim.detector import default as D
    from gaia_sim.detector._common import summarize

    x, _ = network(np.random.default_rng(5), nodes=40, questions=3, samples=3, dim=24)
    x[::7, 1, 2] = np.nan
    x[::5, 1, 1:] = np.nan
    x[::9, 2, 0] = np.nan
    x[3, 1], x[6, 1] = x[3, 1, 0], x[8, 1]  # identical answers (one Gram row each): a replay, a copy
    s = summarize(x)
    mm = np.einsum("nqd,nqd->nq", s.mean, s.mean)
    c = D.refined_centre(s.mean, D.robust_centre(s.mean, mm=mm), mm)
    d, dist, flat = D._sqdist(s.mean, c, mm), D._answer_sqdist(x, c, s.answer_sq), x.reshape(-1, x.shape[-1])
    peers = np.ones(40, bool)
    peers[[2, 11]] = False
    results = {}
    for mode in ("gram", "rows", "mixed"):
        draws = {"gram": [10**6] * 3, "rows": [0] * 3, "mixed": [10**6, 0, 10**6]}[mode]
        questions = [D._Question(flat, s, c, d, dist, q, draws[q]) for q in range(3)]
        assert [question.gram is not None for question in questions] == [v > 0 for v in draws]
        if mode == "gram":  # question 1: 40 nodes x 3 answers, 20 missing, 5 repeated
            assert len(questions[1].gram) - 1 == questions[1].size - 5 == 120 - 20 - 5
        rows = [[np.flatnonzero(s.count[:, q] == n) for n in questions[q].counts] for q in range(3)]
        same = [[r[peers[r]] for r in rq] for rq in rows]
        pools = [question.pool(peers) for question in questions]
        for shifted in (False, True):
            items = [
                (questions[q], pools[q], same[q], [d[j, q] + (1.0 if shifted else -1.0) for j in same[q]])
                for q in range(3)
            ]  # peers above / below the bootstrap
            results[mode, shifted] = D._pseudo_nodes(items, 50, np.random.default_rng(9))
        n = np.concatenate([np.repeat(question.counts, 50) for question in questions])
        size = np.repeat([len(p) for p in pools], [len(question.counts) * 50 for question in questions])
        pos = D._draw(np.random.default_rng(9), size, n)
        start = 0
        for q, question in enumerate(questions):
            g = np.append(pools[q], question.size)[pos[start : start + len(question.counts) * 50]]
            start += len(question.counts) * 50
            y = np.vstack([x[question.node, q, np.flatnonzero(s.present[:, q].ravel()) % 3] - c[q], np.zeros(24)])
            for i, count in enumerate(question.counts):
                drawn = y[g[i * 50 : (i + 1) * 50, :count]]  # (50, n, D)
                m = drawn.mean(1)
                assert np.allclose(results[mode, False][q][0][i], (m * m).sum(1), rtol=0, atol=1e-12)
                if count > 1:
                    within = ((drawn - m[:, None]) ** 2).sum((1, 2)) / (count - 1)
                    assert np.allclose(results[mode, False][q][1][i], within, rtol=0, atol=1e-12)
    assert sorted(questions[1].counts.tolist()) == [1, 2, 3]
    for mode in ("rows", "mixed"):
        for shifted, tol in ((False, 1e-12), (True, 1e-7)):  # shifted: the peers' offsets from their float32 means
            for q in range(3):  # (row sums) or their rows (Gram)
                for a, b in zip(results["gram", shifted][q], results[mode, shifted][q]):
                    assert np.allclose(a, b, rtol=0, atol=tol, equal_nan=True)
        assert not np.allclose(results[mode, True][1][0], results[mode, False][1][0])  # the shift happened
