"""The nearest-stack location test (detector "default_nearest", gaia_sim/detector/nearest.py):
neighbourhoods, validity under honest stack offsets, power when honest nodes sit on two stacks."""

from __future__ import annotations

import numpy as np
from test_detector_synth import _unit, network
from test_detector_theory import ALPHA, _binomial_ci, _null_flags

from gaia_sim.detector import assess
from gaia_sim.detector._common import summarize
from gaia_sim.detector.nearest import (
    _gram,
    _pair_sum,
    _with_zero_row,
    neighbour_weights,
    neighbourhoods,
    node_means,
    pseudo_rows,
)


def two_stacks(rng, nodes=30, cheaters=3, questions=5, samples=5, dim=32, apart=0.5, off=0.5, scatter=0.3):
    """Honest nodes on two stacks (half each) ``apart`` from each other, cheaters (the first
    ``cheaters`` nodes, on either stack's side) ``off`` from the midpoint in another direction:
    the real runs' picture (e042), where two honest runs of one model differ as much as two models."""
    centre = _unit(rng.standard_normal((questions, dim)))
    u = _unit(rng.standard_normal((questions, dim)))
    v = _unit(
        rng.standard_normal((questions, dim)) - (u * rng.standard_normal((questions, dim))).sum(-1, keepdims=True) * u
    )
    side = np.where(np.arange(nodes) % 2 == 0, 1.0, -1.0)[:, None, None]
    base = centre[None] + side * (apart / 2) * u[None]
    labels = np.arange(nodes) < cheaters
    base[labels] = centre[None] + off * v[None] + side[labels] * (apart / 2) * u[None]
    noise = scatter * rng.standard_normal((nodes, questions, samples, dim)) / np.sqrt(dim)
    return _unit(base[:, :, None, :] + noise).astype(np.float32), labels


def far_on_one_question(rng, shift=0.5):
    """Honest nodes on two stacks (:func:`two_stacks`) and one cheater on its stack everywhere but
    question 0, where its answers sit ``shift`` away in a random direction (unit vectors, float32)."""
    x, labels = two_stacks(rng, cheaters=1, off=0.0)
    x[labels, 0] += shift * _unit(rng.standard_normal(x.shape[-1]))
    return _unit(x).astype(np.float32), labels


def test_a_nodes_neighbours_are_its_own_stack():
    x, labels = two_stacks(np.random.default_rng(1), cheaters=0, apart=1.0)
    s = summarize(x)
    near = neighbourhoods(s.mean, s.count, np.ones(30, bool))
    assert near.shape == (30, 10)
    stack = np.arange(30) % 2
    assert (stack[near] == stack[:, None]).all()
    assert not (near == np.arange(30)[:, None]).any()  # never itself


def test_the_statistic_is_the_distance_to_the_neighbours_mean_of_means():
    """The means and weights the vectorised test works with make each node's own mean and the mean
    of its answering neighbours' means, missing answers included; a judged node's pseudo-nodes draw
    only its answering neighbours' answers."""
    x, _ = network(np.random.default_rng(6), nodes=12, questions=2, samples=4, cheaters=2, shift=0.3)
    x[3, 0, 1] = np.nan
    x[5, 0] = np.nan  # node 5 did not answer question 0
    s = summarize(x)
    near = neighbourhoods(s.mean, s.count, np.ones(12, bool))
    node, sample = np.divmod(np.flatnonzero(s.present[:, 0, :]), 4)
    rows = x[node, 0, sample].astype(np.float64)
    judged, per_node = neighbour_weights(s.count[:, 0], near)
    means = node_means(rows, node, 12)
    centres = per_node @ means
    drawn = pseudo_rows(np.random.default_rng(0), node, per_node, s.count[judged, 0], 50)
    assert 5 not in judged and len(judged) == 11
    assert np.allclose(means[5], 0.0)  # no answer: no mean
    for r, i in enumerate(judged):
        members = [j for j in near[i] if s.count[j, 0] > 0]
        assert np.allclose(means[i], s.mean[i, 0], atol=1e-6)
        assert np.allclose(centres[r], s.mean[members, 0].mean(0), atol=1e-6)
        rows_drawn = drawn[r * 50 : (r + 1) * 50]
        owners = node[rows_drawn[rows_drawn < len(node)]]
        assert set(owners) <= set(members) and (rows_drawn[:, : s.count[i, 0]] < len(node)).all()


def test_null_flag_rate_with_honest_stack_variation_at_most_alpha():
    """All honest, per-node stack offsets as large as a node mean's sampling noise (the default's own
    theory test): the fourth test keeps the flag rate at most alpha."""
    k, n = _null_flags(stack=0.3, trials=100, seed=12, nearest_stack=True)
    assert _binomial_ci(k, n)[0] <= ALPHA, (k, n)


def test_the_nearest_stack_test_does_not_abstain_when_every_honest_node_has_its_own_stack():
    """With every honest node on its own stack (offsets 0.3) most nodes' combined nearest-stack
    p-values are below 1e-16; their normal scores were infinite and the test abstained (p = 1 for
    every node) until ``default.normal_scores`` (e052)."""
    rng = np.random.default_rng(12)
    for t in range(3):
        x, _ = network(rng, nodes=30, questions=10, samples=5, stack=0.3)
        with np.errstate(invalid="ignore"):
            p_near = assess(x, alpha=ALPHA, fdr="none", seed=t, nearest_stack=True).details["p_nearest_stack"]
        assert (p_near < 1.0).any(), t  # a working calibration leaves some node below p = 1


def test_two_honest_stacks_at_most_alpha():
    rng = np.random.default_rng(3)
    flags = 0
    for t in range(60):
        x, _ = two_stacks(rng, cheaters=0)
        flags += int(assess(x, alpha=ALPHA, seed=t, nearest_stack=True).flagged.sum())
    assert _binomial_ci(flags, 60 * 30)[0] <= ALPHA, flags


def test_a_cheater_off_both_honest_stacks_is_caught_where_the_consensus_misses_it():
    rng = np.random.default_rng(4)
    caught = {"default": 0, "default_nearest": 0}
    for t in range(40):
        x, labels = two_stacks(rng)
        for name in caught:
            caught[name] += int(assess(x, alpha=ALPHA, seed=t, detector=name).flagged[labels].sum())
    rate = {k: v / 120 for k, v in caught.items()}
    assert rate["default_nearest"] >= 0.7 and rate["default_nearest"] >= rate["default"] + 0.15, rate  # 0.83 vs 0.57


def test_the_option_leaves_the_default_verdict_alone_when_off():
    x, _ = network(np.random.default_rng(5), cheaters=3, shift=0.4)
    a, b = assess(x, alpha=ALPHA, seed=1), assess(x, alpha=ALPHA, seed=1, nearest_stack=False)
    assert np.array_equal(a.p_value, b.p_value) and np.isnan(a.details["p_nearest_stack"]).all()
    c = assess(x, alpha=ALPHA, seed=1, detector="default_nearest")
    assert np.isfinite(c.details["p_nearest_stack"]).all()
    assert np.array_equal(a.details["p_location"], c.details["p_location"])  # drawn before the fourth test


def test_a_scenario_can_run_the_nearest_stack_detector(scenarios_dir, standin):
    """``detector.name = "default_nearest"`` passes validation and runs through the epoch's judge
    phase (stand-in answers: plumbing only); the same seed gives the same verdicts."""
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario(scenarios_dir / "model_swap.toml").with_overrides(
        {"answers": "stand-in", "epochs": 4, "detector.name": "default_nearest"}
    )
    a, b = (simulate(scenario, answers=standin).steps for _ in range(2))
    assert a["probed"].sum() > 0 and a.equals(b)


def test_the_nearest_stack_test_holds_half_of_alpha():
    """The decision is a weighted Bonferroni (e044): the nearest-stack test at alpha / 2, the
    default's three tests at alpha / 6 each, so a node's p-value is min(1, 2 min(p_three, p_near))
    with p_three the default's Bonferroni over its own tests."""
    from gaia_sim.detector.default import bonferroni

    x, _ = two_stacks(np.random.default_rng(8))
    a = assess(x, alpha=ALPHA, seed=2, detector="default_nearest")
    d = a.details
    three = bonferroni(d["p_location"], d["p_dispersion"], d["p_share"])
    expected = np.minimum(1.0, 2.0 * np.fmin(three, d["p_nearest_stack"]))
    assert np.allclose(a.p_value, expected)
    assert not np.allclose(a.p_value, np.minimum(1.0, 4.0 * np.fmin(three / 3.0, d["p_nearest_stack"])))


def test_row_p_values_count_as_the_sorted_null_does():
    """nearest.row_upper_p (one null per judged node, counted by comparison) gives the upper
    mid-p-values and tie flags of default._Null.upper with one group per row, bit for bit: values
    inside, tied with (identical answers), within TIE_TOL of, and beyond their rows' draws."""
    from gaia_sim.detector.default import TIE_TOL, _Null
    from gaia_sim.detector.nearest import row_upper_p

    rng = np.random.default_rng(12)
    null = np.round(rng.gamma(2.0, 0.1, (300, 400)), 3)  # rounded: many ties within a row
    pick = null[np.arange(300), rng.integers(0, 400, 300)]
    value = np.concatenate([pick[:100], pick[100:200] + 0.5 * TIE_TOL, rng.gamma(2.0, 0.3, 100)])
    p, tied = row_upper_p(null, value)
    p_ref, tied_ref = _Null(null).upper(value, np.arange(300))
    assert np.array_equal(p, p_ref) and np.array_equal(tied, tied_ref)
    assert tied[:200].all() and (p > 0).all() and (p <= 1).all()


def test_beyond_its_draws_a_value_gets_the_moment_matched_gamma_tail():
    """Theory (Satterthwaite 1946, Box 1954): for draws of a gamma, a value beyond every draw gets
    about the gamma's own upper tail; values within the draws, and draws without spread, keep their
    Monte Carlo p; the tail never raises a p."""
    from scipy import stats

    from gaia_sim.detector.nearest import beyond_draws_p

    rng = np.random.default_rng(7)
    draws = stats.gamma.rvs(4.0, scale=0.5, size=(3, 4000), random_state=rng)
    value = np.array([stats.gamma.isf(1e-6, 4.0, scale=0.5), np.median(draws[1]), 50.0])
    floor = np.full(3, 1.0 / 4001)
    p = beyond_draws_p(value, draws, floor, np.full(3, 5))
    assert 10**-6.5 < p[0] < 10**-5.5, p  # the true tail 1e-6, from two moments of 4,000 draws
    assert p[1] == floor[1]  # within the draws: the Monte Carlo p
    assert 0 < p[2] < 1e-30 and (p <= floor).all()
    tied = np.full((1, 400), 0.25) + 1e-12 * rng.standard_normal((1, 400))  # identical answers, rounding apart
    assert beyond_draws_p(np.array([0.3]), tied, np.array([1 / 401]), np.array([5]))[0] == 1 / 401
    assert (beyond_draws_p(value, draws, floor, np.full(3, 3)) == floor).all()  # fewer than 5 answers: the floor


def test_a_node_far_out_on_one_question_is_not_capped_by_the_bootstrap_floor():
    """A cheater on its stack everywhere but one question, where it sits far beyond every
    pseudo-node: its evidence is that question's tail, not the floor 1 / (B + 1) that a bootstrap of
    400 draws can give (e048: the missed Gemma-2-27B-as-9B nodes on the real runs). Without the
    tail these cheaters get nearest-stack p 0.058-0.62 here: one floor p among four ordinary ones."""
    rng = np.random.default_rng(8)
    worst = []
    for t in range(20):
        x, labels = far_on_one_question(rng)
        a = assess(x, alpha=ALPHA, seed=t, detector="default_nearest")
        worst.append(a.details["p_nearest_stack"][labels][0])
    assert max(worst) < 1e-4, worst


def test_a_pseudo_nodes_pair_sum_is_its_gram_look_ups_with_padding_as_the_zero_row():
    """The null's sum_kl G[g_k, g_l] (flat look-ups into a Gram matrix written into a reused buffer,
    the zero row appended only when some pseudo-node is padded) equals the sum over a padded Gram
    matrix indexed directly, to the last bit; without padding the products come back unpadded."""
    rng = np.random.default_rng(11)
    rows = rng.standard_normal((40, 16))
    buffer = np.full(50 * 50, np.nan)  # larger than needed, stale contents
    drawn = rng.integers(0, 40, size=(300, 4))
    drawn[::3, 3] = 40  # padded pseudo-nodes: fewer answers, the sentinel row
    padded = np.zeros((41, 41))
    padded[:-1, :-1] = rows @ rows.T
    direct = sum(padded[drawn[:, a], drawn[:, b]] for a in range(4) for b in range(4))
    gram = _with_zero_row(_gram(rows, buffer), padded=True, both=True)
    assert gram.shape == (41, 41)
    np.testing.assert_array_equal(_pair_sum(gram, drawn), direct)
    unpadded = drawn[1::3]
    assert unpadded.max() < 40
    assert _with_zero_row(_gram(rows, buffer), padded=False, both=True).shape == (40, 40)
    np.testing.assert_array_equal(
        _pair_sum(_gram(rows, buffer), unpadded),
        sum(padded[unpadded[:, a], unpadded[:, b]] for a in range(4) for b in range(4)),
    )
