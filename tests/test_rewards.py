"""Fees, rewards, costs from measured latency, domain liability."""

import numpy as np
import pytest

from gaia_sim import costs, rewards


def test_revenue_and_fees():
    served = np.array([10, 0, 5])
    assert rewards.node_revenue(served, 0.2, protocol_fee=0.1) == pytest.approx([1.8, 0.0, 0.9])
    assert rewards.protocol_fees(served, 0.2, 0.1) == pytest.approx(0.3)
    assert rewards.split_by_stake(10.0, np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx([2.5, 7.5])
    assert rewards.split_by_stake(10.0, np.zeros(2)) == pytest.approx([0, 0])


def test_node_epoch_cost_is_what_the_settlement_charges():
    """Compute seconds x price, plus fixed and KB cost while active; a KB swapper skips the KB cost."""
    c = costs.node_epoch_cost(
        np.array([100.0, 100.0, 0.0]),
        0.02,
        fixed_cost=1.0,
        kb_cost=0.5,
        pays_kb=np.array([True, False, True]),
        active=np.array([True, True, False]),
    )
    assert c == pytest.approx([3.5, 3.0, 0.0])


def test_domain_liability():
    domain = np.array([0, 0, 0, 1, 1])
    offended = np.array([1, 1, 0, 1, 0])
    slashed = np.array([10.0, 5.0, 0, 8.0, 0])
    out = rewards.domain_liability(domain, offended, slashed, 3, threshold=0.5, share=0.5)
    assert out == pytest.approx([7.5, 0.0, 0.0])  # domain 1: 1/2 not > 0.5


def test_profit():
    assert rewards.profit(np.array([5.0]), np.array([2.0]), np.array([1.0]), np.array([1.0])) == pytest.approx([1.0])
