"""SimPy traffic against queueing theory."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from gaia_sim.traffic import QueueOutcome, ServingProfile, mm1_abandonment, mm1_mean_time_in_system, simulate_queue


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


@pytest.mark.parametrize("rho, patience", [(0.9, 2.0), (1.5, 1.0), (1.0, 3.0)])
def test_timeout_share_matches_mm1_with_fixed_patience(rho, patience):
    """M/M/1+D: the share of requests that time out against its closed form (binomial error at
    40,000 arrivals is ~0.002; the bound allows 0.01)."""
    out = simulate_queue(ServingProfile((1.0,), (1.0,)), rho, patience, 40_000, np.random.default_rng(11))
    assert out.timeout_share == pytest.approx(mm1_abandonment(rho, 1.0, patience), abs=0.01)


def _one_process_per_request(profile, rate, timeout_s, n, rng):
    """The earlier model, kept as an oracle: every request its own SimPy process that waits on
    ``slot | timeout`` and leaves the queue at its deadline."""
    env, latencies, timed_out = simpy.Environment(), [], [0]
    server = simpy.Resource(env, capacity=1)

    def request(service):
        arrived = env.now
        with server.request() as slot:
            got = yield slot | env.timeout(timeout_s)
            if slot not in got:
                timed_out[0] += 1
                return
            yield env.timeout(service)
            latencies.append(env.now - arrived)

    def arrivals():
        gaps = rng.exponential(1.0 / rate, size=n)
        w = np.asarray(profile.weights)
        configs = rng.choice(len(w), size=n, p=w / sum(profile.weights))
        for gap, service in zip(gaps, rng.exponential(np.asarray(profile.service_s)[configs])):
            yield env.timeout(gap)
            env.process(request(service))

    env.process(arrivals())
    env.run()
    return QueueOutcome(n, timed_out[0], float(np.mean(latencies)) if latencies else float("nan"))


@pytest.mark.parametrize("seed", range(8))
def test_server_process_gives_the_outcome_of_requests_leaving_at_their_deadline(seed):
    r = np.random.default_rng(seed)
    profile = ServingProfile(tuple(r.uniform(0.05, 0.5, size=2)), tuple(r.dirichlet([1.0, 1.0])))
    rate, timeout = r.uniform(0.5, 1.3) / profile.mean_service_s(), r.uniform(0.2, 3.0)
    fast = simulate_queue(profile, rate, timeout, 2000, np.random.default_rng(seed))
    assert fast == _one_process_per_request(profile, rate, timeout, 2000, np.random.default_rng(seed))
