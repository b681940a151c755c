"""Stake-weighted verdicts, deviation penalties, canaries and cost of corruption."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaia_sim import quorum as q

N = np.nan


def test_tally_two_thirds():
    votes = np.array([[1, 1, 0, N], [1, 0, 0, N], [0, 0, 1, N]], float)
    stake = np.array([40.0, 30.0, 30.0])
    t = q.tally(votes, stake, 2 / 3)
    assert t.guilty_share == pytest.approx([0.7, 0.4, 0.3, 0.0])
    assert list(t.verdict) == [True, False, False, False]
    assert list(t.decided) == [True, False, True, False]


def test_exact_quorum_counts():
    t = q.tally(np.array([[1.0], [1.0], [0.0]]), np.ones(3), 2 / 3)
    assert t.verdict[0]


def test_deviation_penalties():
    votes = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]], float)
    t = q.tally(votes, np.array([40.0, 30.0, 30.0]))
    earned, withheld, frac = q.deviation_penalties(votes, t, reward_per_vote=2.0, slash_per_deviation=0.1)
    # decided: node0 guilty (0.7), node2 innocent (0.7); node1 undecided
    assert withheld == pytest.approx([0.0, 0.0, 4.0])
    assert earned == pytest.approx([4.0, 4.0, 0.0])
    assert frac == pytest.approx([0.0, 0.0, 0.2])


def test_canaries():
    rng = np.random.default_rng(1)
    a = q.plant_canaries(rng, 5, 10, 3)
    assert a.shape == (5, 10) and list(a.sum(1)) == [3] * 5
    flagged = np.zeros((5, 10), bool)
    flagged[0] = True
    misses = q.canary_misses(a, flagged)
    assert list(misses) == [0, 3, 3, 3, 3]
    assert q.canary_penalties(misses, 0.5) == pytest.approx([0, 1, 1, 1, 1])


def test_cost_of_corruption():
    stake = np.array([10.0, 20.0, 30.0, 40.0])
    assert q.cost_of_corruption(stake, 2 / 3) == pytest.approx(100 / 3)
    assert q.cost_of_corruption(stake, 2 / 3, "force") == pytest.approx(200 / 3)
    assert q.cost_of_corruption(stake, 2 / 3, colluding=[False, True, False, False]) == pytest.approx(100 / 3 - 20)
    a = np.array([[1, 0], [1, 1], [0, 1], [0, 1]], bool)
    assert q.committee_cost_of_corruption(a, stake) == pytest.approx([10.0, 30.0])


def test_verdict_pass_probability_reduces_to_posp():
    assert q.verdict_pass_probability(0.3, 2 / 3, 1) == pytest.approx(0.7)
    # 3 validators, quorum 2/3: need >= 2 honest
    r = 0.2
    assert q.verdict_pass_probability(r, 2 / 3, 3) == pytest.approx((1 - r) ** 3 + 3 * r * (1 - r) ** 2)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_colluders_below_blocking_share_cannot_flip(data):
    v = data.draw(st.integers(1, 12))
    stake = np.array(data.draw(st.lists(st.floats(1, 100), min_size=v, max_size=v)))
    coll = np.array(data.draw(st.lists(st.booleans(), min_size=v, max_size=v)))
    votes = np.where(coll, 0.0, 1.0)[:, None]  # honest flag the cheater, colluders shield it
    t = q.tally(votes, stake, 2 / 3)
    blocked = not t.verdict[0]
    have, total = stake[coll].sum(), stake.sum()
    assert blocked == (have > total / 3 + 1e-9 * total) or abs(have - total / 3) <= 1e-9 * total
    if blocked:
        assert q.cost_of_corruption(stake, 2 / 3, colluding=coll) == 0.0


def test_lead_voter_is_the_largest_stake_that_voted_as_the_verdict_went():
    from gaia_sim.epoch.judge import lead_voters

    cast = np.array([[1.0, 0.0, np.nan], [1.0, 1.0, np.nan], [0.0, 1.0, np.nan]])  # validators x nodes
    stake = np.array([5.0, 3.0, 9.0])
    verdict = np.array([True, True, False])
    lead = lead_voters(np.array([10, 11, 12]), cast, stake, verdict)
    assert lead.tolist() == [10, 12, -1]  # node 0: 10 and 11 agreed, 10 has more stake; node 2: nobody voted
    assert lead_voters(np.array([], dtype=int), np.zeros((0, 2)), np.zeros(0), np.zeros(2, bool)).tolist() == [-1, -1]
