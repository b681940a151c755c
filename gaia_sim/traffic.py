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


def arrival_rate(utilisation: float, claimed_s: float, stack_s: float, provisioning: str = "claimed") -> float:
    """Requests per second offered to a node (``traffic.provisioning``): ``utilisation`` of the
    claimed model's capacity, every node alike ("claimed": stacks slower than the claimed model run
    overloaded and lose requests to timeouts, and shedding load pays, e037), or of the node's own
    stack serving honestly ("stack": operators provision for the hardware they run, so every honest
    stack runs at the same offered load)."""
    return utilisation / (stack_s if provisioning == "stack" else claimed_s)


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
    """Run ``n_requests`` Poisson arrivals through one single-server queue with reneging.

    Two SimPy processes: arrivals put each request in a FIFO store, and the server takes them in
    order. A request whose wait exceeded ``timeout_s`` by the time the server reaches it had left
    at its deadline: with one FIFO server, a request that reneges never holds the server, so
    dropping it when reached gives the same outcome as removing it at its deadline (each served
    request starts at max(its arrival, the previous service's end)), with about half the events of
    one process per request waiting on ``slot | timeout`` (same outcomes, tested)."""
    env = simpy.Environment()
    waiting = simpy.Store(env)
    latencies: list[float] = []
    timed_out = [0]
    gaps = rng.exponential(1.0 / arrival_rate, size=n_requests)
    weights = np.asarray(profile.weights)
    configs = rng.choice(len(profile.weights), size=n_requests, p=weights / sum(profile.weights))
    services = rng.exponential(np.asarray(profile.service_s)[configs])
    env.process(_arrivals(env, waiting, gaps, services))
    env.process(_server(env, waiting, timeout_s, latencies, timed_out))
    env.run()
    mean = float(np.mean(latencies)) if latencies else float("nan")
    return QueueOutcome(n_requests, timed_out[0], mean)


def _arrivals(env, waiting, gaps, services):
    for gap, service in zip(gaps, services):
        yield env.timeout(gap)
        waiting.put((env.now, service))


def _server(env, waiting, timeout_s, latencies, timed_out):
    while True:
        arrived, service_s = yield waiting.get()
        if env.now - arrived > timeout_s:  # it left at its deadline, before the server was free
            timed_out[0] += 1
            continue
        yield env.timeout(service_s)
        latencies.append(env.now - arrived)


def mm1_mean_time_in_system(arrival_rate: float, service_rate: float) -> float:
    """Closed form for M/M/1 without reneging: W = 1 / (mu - lambda) (Kleinrock 1975, eq. 3.26)."""
    if arrival_rate >= service_rate:
        return float("inf")
    return 1.0 / (service_rate - arrival_rate)


def mm1_abandonment(arrival_rate: float, service_rate: float, patience_s: float) -> float:
    """Closed form for the share of requests that time out in M/M/1 with a fixed patience
    (M/M/1+D, FIFO): a request waits the workload V it finds, and leaves iff V > patience. The
    workload density is lam P0 exp(-(mu - lam) v) up to the patience and decays at rate mu beyond
    it, so P(leave) = lam P0 exp(-(mu - lam) T) / mu, with P0 from normalisation (Baccelli &
    Hebuterne 1981, "On queues with impatient customers", Performance '81; Boots & Tijms 1999,
    TOP 7:213). lam = mu is the limit (1 - exp(-(mu - lam) T)) / (mu - lam) -> T."""
    lam, mu, t = float(arrival_rate), float(service_rate), float(patience_s)
    d = mu - lam
    middle = lam * t if abs(d) < 1e-12 else lam * -np.expm1(-d * t) / d
    tail = lam * np.exp(-d * t) / mu
    return float(tail / (1.0 + middle + tail))
