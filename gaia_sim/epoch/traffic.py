"""Phase a, traffic (SimPy, :mod:`gaia_sim.traffic`): user requests and validator probes arrive at
nodes; each node serves them at the rate of the configuration it actually runs; requests queue and
can time out. Probe answers are drawn from the answer source for the configuration served."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaia_sim import rewards
from gaia_sim import rng as rngs
from gaia_sim.epoch.state import NO_ANSWER, NetworkState
from gaia_sim.traffic import arrival_rate, simulate_queue
from gaia_sim.validators import choose_questions, plan_probes


@dataclass
class Traffic:
    """Outcome of phase a for every node (arrays indexed by node id) and the probed nodes."""

    answered: np.ndarray
    paid: np.ndarray  # requests users pay for (rewards.paid_requests: accepted answers only)
    timed_out: np.ndarray
    compute_s: np.ndarray
    probed: np.ndarray  # node ids
    rows: np.ndarray  # (probed, questions, samples) rows of ``matrix`` the probe answers are, -1 = no answer
    matrix: np.ndarray  # the answer source's embedding matrix (rows, dim), not copied
    latency_s: float
    questions: list[str]  # this epoch's probe questions
    played: np.ndarray  # bool per node: active when the epoch began (jail, ejection or exit later in it)
    question_idx: np.ndarray | None = None  # their indices when chosen by the learned selector

    @property
    def answers(self) -> np.ndarray:
        """Per probed node: how many probe answers came back."""
        return (self.rows >= 0).sum(axis=(1, 2))


def run(state: NetworkState, epoch: int) -> Traffic:
    """Arrivals (Poisson), drops of behaviours that drop requests, queue timeouts (the SimPy share of
    the node's serving profile), cheating on answered requests (binomial draws), compute seconds,
    then the probes and their answers."""
    s, rng = state.scenario, rngs.stream(state.scenario.seed, "traffic", epoch)
    state.cheating_now = burst_on(state.n_nodes, s.behaviours.burst, state.scenario.seed, epoch)
    timeout_share = timeout_shares(state)
    drops = state.user_cfg == NO_ANSWER
    cheat_rate = np.where(state.cheating_now, state.cheat_rate, 0.0)
    arrivals = rng.poisson(s.traffic.requests_per_node, size=state.n_nodes) * state.active
    dropped = rng.binomial(arrivals, np.where(drops, cheat_rate, 0.0))
    timed_out = rng.binomial(arrivals - dropped, timeout_share)
    answered = arrivals - dropped - timed_out
    cheated = rng.binomial(answered, np.where(drops, 0.0, cheat_rate))
    compute_s = cheated * state.user_s + (answered - cheated) * state.honest_s
    c = state.configs
    paid = rewards.paid_requests(answered, cheated, c.paid_share(state.honest_cfg), c.paid_share(state.user_cfg))
    probed, rows, questions, idx = _probe(state, timeout_share, rng)
    latency = serving(state)["latency_s"]
    matrix = state.answers.embedding_matrix()
    return Traffic(
        answered, paid, timed_out, compute_s, probed, rows, matrix, latency, questions, state.active.copy(), idx
    )


def burst_on(n_nodes: int, burst, seed: int, epoch: int) -> np.ndarray:
    """bool per node: does the node follow its serving plan this epoch (burst cheating,
    ``behaviours.burst``)? Every node every epoch when ``epoch_share`` is 1 (no random draw); else
    each node with probability ``epoch_share`` on its own draw, or all nodes together on one draw
    per epoch when ``coordinated``. A node off its plan serves honestly on its own stack (an honest
    node's plan is honest either way). Queue timeout shares keep the plan's serving profile."""
    if burst.epoch_share >= 1.0:
        return np.ones(n_nodes, dtype=bool)
    rng = rngs.stream(seed, "burst", epoch)
    draws = np.full(n_nodes, rng.random()) if burst.coordinated else rng.random(n_nodes)
    return draws < burst.epoch_share


def queue_outcomes(state: NetworkState) -> dict:
    """Queue outcome of every serving profile in use.

    Arrivals are stationary (same rate every epoch), so each distinct profile's queue is run through
    SimPy once, with ``simulated_requests`` arrivals and its own seeded stream, and the measured
    timeout share is reused; epoch-to-epoch variation comes from the binomial draws in :func:`run`.
    This keeps SimPy's event count independent of the number of epochs.
    """
    t, c = state.scenario.traffic, state.configs
    claimed_s = c.service_s[c.ids.index(c.role_to_config["claimed"])]
    for p in set(state.profiles) - set(state.queue_outcomes):
        stream = rngs.stream(state.scenario.seed, "queue", *p.service_s, *p.weights)
        rate = arrival_rate(t.utilisation, claimed_s, p.service_s[0], t.provisioning)  # [0]: the stack, honest
        state.queue_outcomes[p] = simulate_queue(p, rate, t.timeout_s, t.simulated_requests, stream)
    return state.queue_outcomes


def _probe(state: NetworkState, timeout_share: np.ndarray, rng):
    """Probed nodes (a share of each domain's active nodes), the answer-source rows of their
    answers (:func:`probe_rows`; a probe lost in the queue is no answer), the epoch's questions."""
    p, nd = state.scenario.probes, state.scenario.network.domains
    probed = np.concatenate(
        [plan_probes(np.flatnonzero(state.active & (state.node_domain == d)), p.probe_fraction, rng) for d in range(nd)]
    )
    questions, idx = _choose_questions(state, p.questions_per_epoch, rng)
    return probed, probe_rows(state, probed, questions, timeout_share, rng), questions, idx


def probe_rows(state: NetworkState, probed, questions, timeout_share, rng) -> np.ndarray:
    """One validator's answers from ``probed`` to ``questions``: which configuration served each
    probe (cheat draws), which probes were lost in the queue, and the bank draws; (probed, questions,
    samples) rows of the answer source's embedding matrix, -1 = no answer."""
    shape = (len(probed), len(questions), state.scenario.probes.samples_per_question)
    cfg = _probe_configs(state, probed, shape, questions, rng)
    cfg[rng.random(shape) < timeout_share[probed][:, None, None]] = NO_ANSWER
    return gather_rows(state, cfg, questions, rng)


def timeout_shares(state: NetworkState) -> np.ndarray:
    """Per node: the share of requests its serving profile loses to queue timeouts (read-only)."""
    return serving(state)["timeout_share"]


def serving(state: NetworkState) -> dict:
    """The queue outcomes applied to the nodes: each node's timeout share, and the mean latency over
    the distinct serving profiles in use; computed again only after a serving plan changed
    (:func:`~gaia_sim.epoch.state.refresh_plans` empties ``state.serving``)."""
    if not state.serving:
        outcomes = queue_outcomes(state)
        state.serving["timeout_share"] = np.array([outcomes[p].timeout_share for p in state.profiles])
        state.serving["latency_s"] = float(np.nanmean([outcomes[p].mean_latency_s for p in set(state.profiles)]))
    return state.serving


def _probe_configs(state: NetworkState, probed, shape, questions, rng) -> np.ndarray:
    """Config served to each probe: the probe plan where the node recognises the probe (probes
    distinguishable, or a question it learned), else the user configuration with its cheat rate."""
    on = state.cheating_now[probed]
    cheat = rng.random(shape) < np.where(on, state.cheat_rate[probed], 0.0)[:, None, None]
    honest = state.honest_cfg[probed][:, None, None]
    served = np.where(cheat, state.user_cfg[probed][:, None, None], honest)
    known = np.array([state.scenario.traffic.probes_distinguishable or q in state.recognised for q in questions])
    probe_plan = np.where(on[:, None, None], state.probe_cfg[probed][:, None, None], honest)
    return np.where(known[None, :, None], probe_plan, served)


def _choose_questions(state: NetworkState, k: int, rng) -> tuple[list[str], np.ndarray | None]:
    """The epoch's questions: uniform, or learned from past verdicts (detector.QuestionSelector)."""
    ids = list(state.probe_questions)
    if state.question_selector is None:
        return choose_questions(ids, k, rng), None
    idx = state.question_selector.choose(k, rng)
    return [ids[i] for i in idx], idx


def embed_rows(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The embeddings (float64) of answer-source ``rows`` (any shape), NaN where a row is -1 (no answer)."""
    out = matrix[np.maximum(rows, 0)].astype(np.float64)
    out[rows < 0] = np.nan
    return out


def gather_rows(state: NetworkState, cfg: np.ndarray, questions: list[str], rng) -> np.ndarray:
    """Rows of the answer source's embedding matrix answering ``questions`` from configs ``cfg``
    (nodes, questions, samples); -1 where no answer came back.

    Each node's answers to one question are distinct answers of the bank's pool (drawn without
    replacement), because a node that generates fresh samples does not repeat itself.
    """
    rows = np.full(cfg.shape, -1, dtype=np.int64)
    for c in np.unique(cfg[cfg != NO_ANSWER]):
        for qi, q in enumerate(questions):
            mask = cfg[:, qi, :] == c
            if mask.any():
                rows[:, qi, :][mask] = _distinct_draws(state, c, q, mask.shape, rng)[mask]
    return rows


def _distinct_draws(state: NetworkState, c: int, question: str, shape: tuple[int, int], rng) -> np.ndarray:
    """(nodes, samples) pool rows, distinct within each node while the pool is large enough."""
    pool = state.answers.pool(state.configs.ids[c], question)
    if len(pool) < shape[1]:
        return rng.choice(pool, size=shape)
    return pool[rngs.smallest_per_row(rng.random((shape[0], len(pool))), shape[1])]
