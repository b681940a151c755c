"""Fees, rewards, costs from measured latency, domain liability."""

from types import SimpleNamespace

import numpy as np
import pytest

from gaia_sim import costs, rewards


def test_revenue_and_fees():
    served = np.array([10, 0, 5])
    assert rewards.node_revenue(served, 0.2, protocol_fee=0.1) == pytest.approx([1.8, 0.0, 0.9])
    assert rewards.protocol_fees(served, 0.2, 0.1) == pytest.approx(0.3)
    assert rewards.split_by_stake(10.0, np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx([2.5, 7.5])
    assert rewards.split_by_stake(10.0, np.zeros(2)) == pytest.approx([0, 0])


def test_cost_table_uses_measured_seconds():
    src = SimpleNamespace(cost=lambda c: SimpleNamespace(seconds_per_answer={"big": 2.0, "small": 0.5}[c]))
    t = costs.cost_table(src, ["big", "small", "replay"], 0.01, zero_cost=["replay"])
    assert t == pytest.approx({"big": 0.02, "small": 0.005, "replay": 0.0})
    arr = costs.table_as_array(t, ["big", "small", "replay"])
    c = costs.costs_by_node(np.array([100, 100, 100]), np.array([0, 1, 2]), arr, fixed_per_epoch=1.0)
    assert c == pytest.approx([3.0, 1.5, 1.0])
    assert costs.cost_saving(100, 0.02, 0.005) == pytest.approx(1.5)


def test_domain_liability():
    domain = np.array([0, 0, 0, 1, 1])
    offended = np.array([1, 1, 0, 1, 0])
    slashed = np.array([10.0, 5.0, 0, 8.0, 0])
    out = rewards.domain_liability(domain, offended, slashed, 3, threshold=0.5, share=0.5)
    assert out == pytest.approx([7.5, 0.0, 0.0])  # domain 1: 1/2 not > 0.5


def test_profit():
    assert rewards.profit(np.array([5.0]), np.array([2.0]), np.array([1.0]), np.array([1.0])) == pytest.approx([1.0])
