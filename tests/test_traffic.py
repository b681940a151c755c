"""SimPy traffic against queueing theory."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim.traffic import ServingProfile, mm1_mean_time_in_system, simulate_queue


@pytest.mark.parametrize("rho", [0.3, 0.6])
def test_mm1_mean_time_in_system_matches_closed_form(rho):
    out = simulate_queue(ServingProfile((1.0,), (1.0,)), rho, 1e12, 40_000, np.random.default_rng(7))
    expected = mm1_mean_time_in_system(rho, 1.0)
    assert out.timed_out == 0
    assert abs(out.mean_latency_s - expected) / expected < 0.05


def test_overload_times_out_and_faster_service_does_not():
    rng = np.random.default_rng(1)
    slow = simulate_queue(ServingProfile((2.0,), (1.0,)), 1.0, 10.0, 2000, rng)
    fast = simulate_queue(ServingProfile((0.5,), (1.0,)), 1.0, 10.0, 2000, rng)
    assert slow.timeout_share > 0.3 > fast.timeout_share


def test_same_seed_same_outcome():
    p = ServingProfile((1.0, 0.2), (0.5, 0.5))
    a = simulate_queue(p, 0.9, 5.0, 500, np.random.default_rng(3))
    b = simulate_queue(p, 0.9, 5.0, 500, np.random.default_rng(3))
    assert a == b
