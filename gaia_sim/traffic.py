"""Traffic inside an epoch, simulated with SimPy: requests queue at a node and can time out.

Each node is a single-server FIFO queue (one GPU slot) fed by Poisson arrivals of user requests
and validator probes. Service times are exponential with the mean measured for the configuration
the node actually serves (a cheaper model answers faster). A request that has waited longer than
the timeout leaves the queue unanswered (reneging). This is the M/M/1 queue with impatient
customers (Kleinrock, *Queueing Systems* vol. 1, 1975, sec. 3.2; reneging: Barrer, Oper. Res.
5(5), 1957). Without a timeout its mean time in system is 1 / (mu - lambda), which the tests check.

To keep SimPy's event count bounded (about 1e5 events/s), nodes that serve the same mixture of
configurations at the same arrival rate are statistically identical, so one representative queue
per *serving profile* is simulated with ``simulated_requests`` arrivals per epoch and its outcome
(share timed out, latencies) is applied to every node with that profile by binomial draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy


@dataclass(frozen=True)
class ServingProfile:
    """Mean service seconds of the configurations a node mixes, and the share served by each."""

    service_s: tuple[float, ...]
    weights: tuple[float, ...]

    def __hash__(self) -> int:  # the dataclass hash, computed once (every node's queue lookup hashes it)
        if "_hash" not in self.__dict__:
            object.__setattr__(self, "_hash", hash((self.service_s, self.weights)))
        return self.__dict__["_hash"]

    def mean_service_s(self) -> float:
        return float(np.dot(self.service_s, self.weights))


@dataclass(frozen=True)
class QueueOutcome:
    """What one representative queue measured in an epoch."""

    arrivals: int
    timed_out: int
    mean_latency_s: float  # over answered requests: waiting + service

    @property
    def timeout_share(self) -> float:
        return self.timed_out / self.arrivals if self.arrivals else 0.0


def simulate_queue(
    profile: ServingProfile, arrival_rate: float, timeout_s: float, n_requests: int, rng: np.random.Generator
) -> QueueOutcome:
    """Run ``n_requests`` Poisson arrivals through one single-server queue with reneging."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    latencies: list[float] = []
    timed_out = [0]
    env.process(_arrivals(env, server, profile, arrival_rate, timeout_s, n_requests, rng, latencies, timed_out))
    env.run()
    mean = float(np.mean(latencies)) if latencies else float("nan")
    return QueueOutcome(n_requests, timed_out[0], mean)


def _arrivals(env, server, profile, rate, timeout_s, n, rng, latencies, timed_out):
    gaps = rng.exponential(1.0 / rate, size=n)
    configs = rng.choice(len(profile.weights), size=n, p=np.asarray(profile.weights) / sum(profile.weights))
    services = rng.exponential(np.asarray(profile.service_s)[configs])
    for gap, service in zip(gaps, services):
        yield env.timeout(gap)
        env.process(_request(env, server, service, timeout_s, latencies, timed_out))


def _request(env, server, service_s, timeout_s, latencies, timed_out):
    arrived = env.now
    with server.request() as slot:
        got = yield slot | env.timeout(timeout_s)
        if slot not in got:
            timed_out[0] += 1
            return
        yield env.timeout(service_s)
        latencies.append(env.now - arrived)


def mm1_mean_time_in_system(arrival_rate: float, service_rate: float) -> float:
    """Closed form for M/M/1 without reneging: W = 1 / (mu - lambda) (Kleinrock 1975, eq. 3.26)."""
    if arrival_rate >= service_rate:
        return float("inf")
    return 1.0 / (service_rate - arrival_rate)
