"""Strategy revision (replicator / logit), entry and exit, settling."""

import numpy as np
import pytest

from gaia_sim import strategy as s


def test_imitation_moves_toward_higher_expected_profit_despite_noise():
    rng = np.random.default_rng(0)
    n = 2000
    b = np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)]
    for _ in range(200):
        # behaviour 1 saves 1 token but is hit by a rare large loss: expected profit 10 - 0.2*... < 10
        profit = np.where(b == 0, 10.0, 11.0 - 20.0 * (rng.random(n) < 0.1))
        b = s.revise(rng, b, profit, np.ones(n, bool), rate=0.5, mode="replicator").behaviour
    assert (b == 0).mean() > 0.8


def test_logit_prefers_better_behaviour():
    rng = np.random.default_rng(1)
    b = rng.integers(0, 3, 3000)
    profit = np.choose(b, [1.0, 2.0, 0.5])
    out = s.revise(rng, b, profit, np.ones(b.size, bool), rate=1.0, mode="logit", noise=0.5).behaviour
    sh = np.bincount(out, minlength=3) / out.size
    assert sh[1] > sh[0] > sh[2]


def test_revise_respects_eligibility_and_rejects_unknown_mode():
    rng = np.random.default_rng(2)
    b = np.array([0, 1, 1, 1])
    out = s.revise(rng, b, np.array([0.0, 5, 5, 5]), np.array([False, True, True, True]), rate=1.0)
    assert out.behaviour[0] == 0 and not out.switched[0]
    with pytest.raises(ValueError):
        s.revise(rng, b, np.zeros(4), np.ones(4, bool), 1.0, mode="bogus")


def test_mutation_explores_allowed_codes_and_switchers_take_the_new_strategys_record():
    rng = np.random.default_rng(4)
    b = np.array([0, 0, 1, 1, 1, 1])
    profit = np.array([1.0, 3.0, 10.0, 20.0, 30.0, 40.0])
    out = s.revise(rng, b, profit, np.ones(6, bool), rate=1.0, scale=1e9, eps=1.0, allowed_codes=np.array([1]))
    assert (out.behaviour == 1).all() and list(out.switched) == [True, True, False, False, False, False]
    assert np.allclose(out.record[:2], 25.0) and np.array_equal(out.record[2:], profit[2:])


def test_peers_stay_in_their_domain_and_among_the_present():
    rng = np.random.default_rng(5)
    domain = np.array([0, 0, 0, 1, 1, 1])
    present = np.array([True, True, False, True, False, False])
    peer = s.random_peers(rng, domain, present)
    assert set(peer[:3]) <= {0, 1} and set(peer[3:]) == {3}


def test_none_mode_draws_nothing():
    rng = np.random.default_rng(6)
    state = rng.bit_generator.state
    out = s.revise(rng, np.array([0, 1]), np.array([0.0, 9.0]), np.ones(2, bool), 1.0, mode="none")
    assert rng.bit_generator.state == state and not out.switched.any()


def test_entry_and_exit():
    rng = np.random.default_rng(3)
    ex = s.exits(rng, np.array([-1.0, 1.0, -1.0]), np.array([True, True, False]), 0.0, rate=1.0)
    assert list(ex) == [True, False, False]
    new = s.entrants(rng, np.array([5.0, -1.0]), np.array([10, 10]), 0.0, rate=0.5, n_active=100)
    assert new.size > 20 and np.all(new == 0)
    assert s.entrants(rng, np.array([-5.0, -1.0]), np.array([10, 10]), 0.0, 0.5, 100).size == 0


@pytest.mark.parametrize(
    "hist, window, tol, expected",
    [
        ([0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8], 3, 0.01, 4),
        ([0.8] * 5, 3, 0.0, 1),
        ([0.1, 0.9, 0.1, 0.9], 2, 0.1, -1),
        ([0.5, 0.5, 0.5, 0.9], 3, 0.1, -1),  # a late jump unsettles
        ([0.5], 3, 0.1, -1),
    ],
)
def test_settled_epoch(hist, window, tol, expected):
    assert s.settled_epoch(np.array(hist), window, tol) == expected


def test_settled_epoch_multi_behaviour_and_flags():
    h = np.array([[0.5, 0.5], [0.7, 0.3], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])
    assert s.settled_epoch(h, 2, 0.0) == 3
    assert list(s.settled_flags(h, 2, 0.0)) == [False, False, False, True, True]
