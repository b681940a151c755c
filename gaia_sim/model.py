"""The Mesa model of a Gaia network: the only place where simulation state changes.

One epoch is one :meth:`GaiaModel.step`, with phases in this fixed order:

a. **traffic** (SimPy, :mod:`gaia_sim.traffic`): user requests and validator probes arrive at
   nodes; each node serves them at the rate of the configuration it actually runs; requests queue
   and can time out. Probe answers are drawn from the answer source for the configuration served.
b. **judge**: validators run the detector on the answers they collected (per domain), keep
   sequential evidence across epochs, and vote.
c. **verdict and slashing**: a stake-weighted quorum decides; guilty nodes are slashed.
d. **settlement**: users pay for answered requests, nodes pay compute, validators are rewarded.
e. **strategy revision**: some operators imitate better-paid peers.

Per-node state lives in numpy arrays indexed by node id (fast at 1,000 nodes x 1,000 epochs);
agents are thin Mesa handles that carry each operator's behaviour object.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from gaia_sim import rng as rngs
from gaia_sim.answers.source import AnswerSource
from gaia_sim.detector import DETECTORS, EvidenceAccumulator
from gaia_sim.metrics import EpochRecorder
from gaia_sim.nodes import NODE_BEHAVIOURS, NodeContext
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.params import VALIDATOR_BEHAVIOURS as VALIDATOR_NAMES
from gaia_sim.scenario import Scenario
from gaia_sim.traffic import ServingProfile, simulate_queue
from gaia_sim.validators import VALIDATOR_BEHAVIOURS, choose_questions, plan_probes, stake_weighted_verdict

NO_ANSWER = -1  # config index of a dropped request


class NodeAgent(mesa.Agent):
    """A node operator: its behaviour decides what it serves."""

    def __init__(self, model: "GaiaModel", node_id: int, domain: int, behaviour: str, stack_role: str):
        super().__init__(model)
        self.node_id, self.domain, self.stack_role = node_id, domain, stack_role
        self.behaviour = NODE_BEHAVIOURS[behaviour]()


class ValidatorAgent(mesa.Agent):
    """A validator: probes (or not) and votes."""

    def __init__(self, model: "GaiaModel", validator_id: int, domain: int, behaviour: str):
        super().__init__(model)
        self.validator_id, self.domain = validator_id, domain
        self.behaviour = VALIDATOR_BEHAVIOURS[behaviour]()


@dataclass
class Traffic:
    """Outcome of phase a for every node (arrays indexed by node id) and the probed nodes."""

    answered: np.ndarray
    timed_out: np.ndarray
    compute_s: np.ndarray
    probed: np.ndarray  # node ids
    embeddings: np.ndarray  # (probed, questions, samples, dim), NaN = no answer
    latency_s: float


def apportion(total: int, shares: dict[str, float]) -> list[str]:
    """Largest-remainder apportionment of ``total`` seats to behaviours (deterministic)."""
    names = list(shares)
    raw = np.array([shares[n] * total for n in names])
    seats = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - seats), kind="stable")[: total - seats.sum()]:
        seats[i] += 1
    return [n for n, k in zip(names, seats) for _ in range(k)]


class GaiaModel(mesa.Model):
    """A simulated Gaia network built from a :class:`Scenario` and an :class:`AnswerSource`."""

    def __init__(self, scenario: Scenario, answers: AnswerSource):
        super().__init__(seed=scenario.seed)
        self.scenario, self.answers, self.epoch = scenario, answers, 0
        self._resolve_configs()
        self._build_nodes()
        self._build_validators()
        self._build_accounts()
        self.recorder = EpochRecorder(self)

    # ---- construction -------------------------------------------------------------------
    def _resolve_configs(self) -> None:
        roles = self.answers.roles
        self.config_ids = list(self.answers.config_ids)
        variants = roles.get("honest_variants", [])
        self.role_to_config = {r: c for r, c in roles.items() if isinstance(c, str)}
        self.role_to_config.update({v: v for v in variants})
        self.honest_variants = list(variants)
        secs = [self.answers.cost(c).seconds_per_answer for c in self.config_ids]
        self.service_s = np.array(secs) * self.scenario.traffic.service_time_scale

    def _config_index(self, role: str | None) -> int:
        return NO_ANSWER if role is None else self.config_ids.index(self.role_to_config[role])

    def _build_nodes(self) -> None:
        s, rng = self.scenario, rngs.stream(self.scenario.seed, "build-nodes")
        self.nodes: list[NodeAgent] = []
        for d in range(s.network.domains):
            mix = apportion(s.network.nodes_per_domain, s.population.model_dump())
            for name in rng.permutation(mix):
                self.nodes.append(NodeAgent(self, len(self.nodes), d, str(name), self._stack_role(rng)))
        self.node_domain = np.array([n.domain for n in self.nodes])
        self.active = np.ones(len(self.nodes), dtype=bool)
        self.queue_outcomes: dict[ServingProfile, object] = {}
        self._plan_cache: dict[tuple[str, str], tuple[int, int, int, float]] = {}
        self._refresh_plans()

    def _stack_role(self, rng: np.random.Generator) -> str:
        varied = self.honest_variants and rng.random() < self.scenario.behaviours.honest.stack_variation
        return str(rng.choice(self.honest_variants)) if varied else "claimed"

    def _build_validators(self) -> None:
        s, rng = self.scenario, rngs.stream(self.scenario.seed, "build-validators")
        self.validators: list[ValidatorAgent] = []
        for d in range(s.network.domains):
            for name in rng.permutation(apportion(s.network.validators, s.validator_population.model_dump())):
                self.validators.append(ValidatorAgent(self, len(self.validators), d, str(name)))
        self.validator_domain = np.array([v.domain for v in self.validators])

    def _build_accounts(self) -> None:
        st, n, v = self.scenario.staking, len(self.nodes), len(self.validators)
        self.node_stake = np.full(n, st.node_stake)
        self.validator_stake = np.full(v, st.validator_stake)
        self.node_balance = np.full(n, st.initial_balance)
        self.validator_balance = np.full(v, st.initial_balance)
        self.initial_tokens = self.total_tokens()
        self.minted = self.burned = self.inflow = self.outflow = 0.0
        self.profit_avg = np.zeros(n)
        self.slashed_total = np.zeros(n)
        self.ever_guilty = np.zeros(n, dtype=bool)
        self.initial_behaviour = self.behaviour.astype(str)
        self.evidence = self._new_evidence()

    def _new_evidence(self):
        det = self.scenario.detector
        if not det.sequential:
            return None
        return EvidenceAccumulator(alpha=det.alpha)

    def _refresh_plans(self, ids: np.ndarray | None = None) -> None:
        """Cache serving plans as config-index arrays; only ``ids`` changed (all when None)."""
        if ids is None:
            n = len(self.nodes)
            self.honest_cfg, self.user_cfg, self.probe_cfg = (np.zeros(n, dtype=np.int64) for _ in range(3))
            self.cheat_rate, self.behaviour = np.zeros(n), np.empty(n, dtype=object)
            self.profiles: list[ServingProfile] = [None] * n  # type: ignore[list-item]
            ids = np.arange(n)
        for i in ids:
            node = self.nodes[i]
            self.honest_cfg[i], self.user_cfg[i], self.probe_cfg[i], self.cheat_rate[i] = self._plan_row(
                node.behaviour.name, node.stack_role)
            self.behaviour[i] = node.behaviour.name
            self.profiles[i] = self._profile(i)
        self.ring_member = self.behaviour == "colluding"

    def _plan_row(self, behaviour: str, stack_role: str) -> tuple[int, int, int, float]:
        key = (behaviour, stack_role)
        if key not in self._plan_cache:
            p = NODE_BEHAVIOURS[behaviour]().plan(NodeContext(stack_role, self.scenario))
            self._plan_cache[key] = (self._config_index(p.honest_role), self._config_index(p.user_role),
                                     self._config_index(p.probe_role), p.cheat_rate)
        return self._plan_cache[key]

    def total_tokens(self) -> float:
        return float(self.node_stake.sum() + self.node_balance.sum() + self.validator_stake.sum()
                     + self.validator_balance.sum())

    def check_invariants(self, rtol: float = 1e-9) -> None:
        """Raise AssertionError unless: tokens are conserved (stake + balances + burned = initial
        + minted + inflow - outflow), no stake is negative, and no slash happened without a verdict."""
        expected = self.initial_tokens + self.minted + self.inflow - self.outflow
        actual = self.total_tokens() + self.burned
        assert abs(actual - expected) <= rtol * max(1.0, abs(expected)), f"tokens not conserved: {actual} != {expected}"
        assert (self.node_stake >= 0).all() and (self.validator_stake >= 0).all(), "negative stake"
        assert not (self.slashed_total > 0)[~self.ever_guilty].any(), "slash without a guilty verdict"

    # ---- one epoch ----------------------------------------------------------------------
    def step(self) -> None:
        self.epoch += 1
        traffic = self.phase_traffic()
        flags, scores, p_values = self.phase_judge(traffic)
        slashed = self.phase_slash(traffic.probed, flags)
        revenue, cost = self.phase_settle(traffic)
        behaviour = self.behaviour.copy()
        self.phase_revise(revenue - cost - slashed)
        self.recorder.record(traffic, flags, scores, p_values, slashed, revenue, cost, behaviour)

    # a. traffic ---------------------------------------------------------------------------
    def phase_traffic(self) -> Traffic:
        s, rng = self.scenario, rngs.stream(self.scenario.seed, "traffic", self.epoch)
        outcomes, profile_of = self._simulate_profiles(rng)
        share_of = {p: o.timeout_share for p, o in outcomes.items()}
        timeout_share = np.array([share_of[p] for p in profile_of])
        arrivals = rng.poisson(s.traffic.requests_per_node, size=len(self.nodes)) * self.active
        dropped = rng.binomial(arrivals, np.where(self.user_cfg == NO_ANSWER, self.cheat_rate, 0.0))
        timed_out = rng.binomial(arrivals - dropped, timeout_share)
        answered = arrivals - dropped - timed_out
        cheated = rng.binomial(answered, np.where(self.user_cfg == NO_ANSWER, 0.0, self.cheat_rate))
        compute_s = cheated * self._secs(self.user_cfg) + (answered - cheated) * self._secs(self.honest_cfg)
        probed, embeddings = self._collect_probe_answers(timeout_share, rng)
        latency = float(np.nanmean([outcomes[p].mean_latency_s for p in set(profile_of)]))
        return Traffic(answered, timed_out, compute_s, probed, embeddings, latency)

    def _secs(self, cfg: np.ndarray) -> np.ndarray:
        return np.where(cfg == NO_ANSWER, 0.0, self.service_s[np.maximum(cfg, 0)])

    def _profile(self, i: int) -> ServingProfile:
        r = 0.0 if self.user_cfg[i] == NO_ANSWER else float(self.cheat_rate[i])
        secs = (float(self._secs(self.honest_cfg[i : i + 1])[0]), float(self._secs(self.user_cfg[i : i + 1])[0]))
        return ServingProfile(secs, (1.0 - r, r))

    def _simulate_profiles(self, rng):
        """Queue outcome of every node's serving profile.

        Arrivals are stationary (same rate every epoch), so each distinct profile's queue is run
        through SimPy once, with ``simulated_requests`` arrivals and its own seeded stream, and the
        measured timeout share is reused; epoch-to-epoch variation comes from the binomial draws in
        :meth:`phase_traffic`. This keeps SimPy's event count independent of the number of epochs.
        """
        t = self.scenario.traffic
        rate = t.utilisation / self.service_s[self.config_ids.index(self.role_to_config["claimed"])]
        for p in set(self.profiles) - set(self.queue_outcomes):
            stream = rngs.stream(self.scenario.seed, "queue", *p.service_s, *p.weights)
            self.queue_outcomes[p] = simulate_queue(p, rate, t.timeout_s, t.simulated_requests, stream)
        return self.queue_outcomes, self.profiles

    def _collect_probe_answers(self, timeout_share: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        p, s = self.scenario.probes, self.scenario
        probed = np.concatenate([plan_probes(np.flatnonzero(self.active & (self.node_domain == d)),
                                             p.probe_fraction, rng) for d in range(s.network.domains)])
        self.epoch_questions = choose_questions(self.answers.question_ids, p.questions_per_epoch, rng)
        shape = (len(probed), len(self.epoch_questions), p.samples_per_question)
        cfg = self._probe_configs(probed, shape, rng)
        lost = rng.random(shape) < timeout_share[probed][:, None, None]
        cfg[lost] = NO_ANSWER
        return probed, self._gather(cfg, rng)

    def _probe_configs(self, probed, shape, rng) -> np.ndarray:
        if self.scenario.traffic.probes_distinguishable:
            return np.broadcast_to(self.probe_cfg[probed][:, None, None], shape).copy()
        cheat = rng.random(shape) < self.cheat_rate[probed][:, None, None]
        return np.where(cheat, self.user_cfg[probed][:, None, None], self.honest_cfg[probed][:, None, None])

    def _gather(self, cfg: np.ndarray, rng) -> np.ndarray:
        """Embeddings of the probe answers; NaN rows where no answer came back.

        Each node's answers to one question are distinct answers of the bank's pool (drawn without
        replacement), because a node that generates fresh samples does not repeat itself.
        """
        rows = np.full(cfg.shape, -1, dtype=np.int64)
        for c in np.unique(cfg[cfg != NO_ANSWER]):
            for qi, q in enumerate(self.epoch_questions):
                mask = cfg[:, qi, :] == c
                if mask.any():
                    rows[:, qi, :][mask] = self._distinct_draws(c, q, mask.shape, rng)[mask]
        out = self.answers.embedding_matrix()[np.maximum(rows, 0)].astype(np.float64)
        out[rows < 0] = np.nan
        return out

    def _distinct_draws(self, c: int, question: str, shape: tuple[int, int], rng) -> np.ndarray:
        """(nodes, samples) pool rows, distinct within each node while the pool is large enough."""
        pool = self.answers.pool(self.config_ids[c], question)
        if len(pool) < shape[1]:
            return rng.choice(pool, size=shape)
        return pool[np.argsort(rng.random((shape[0], len(pool))), axis=1)[:, : shape[1]]]

    # b. judge -------------------------------------------------------------------------------
    def phase_judge(self, traffic: Traffic) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Detector per domain, sequential evidence, validator votes -> guilty verdict per probed node."""
        det, probed = self.scenario.detector, traffic.probed
        scores, p_values, flags = (np.full(len(probed), np.nan), np.ones(len(probed)), np.zeros(len(probed), bool))
        for d in range(self.scenario.network.domains):
            m = self.node_domain[probed] == d
            result = DETECTORS[det.name](traffic.embeddings[m], alpha=det.alpha)
            scores[m], p_values[m], flags[m] = result.score, result.p_value, result.flagged
        if self.evidence is not None:
            flags = self.evidence.update(probed, p_values)
        return self._verdict(probed, flags), scores, p_values

    def _verdict(self, probed: np.ndarray, evidence_flags: np.ndarray) -> np.ndarray:
        guilty = np.zeros(len(probed), dtype=bool)
        for d in range(self.scenario.network.domains):
            m, vs = self.node_domain[probed] == d, [v for v in self.validators if v.domain == d]
            votes = np.array([v.behaviour.vote(evidence_flags[m], self.ring_member[probed][m]) for v in vs])
            stake = self.validator_stake[[v.validator_id for v in vs]]
            guilty[m] = stake_weighted_verdict(votes, stake, self.scenario.validation.quorum)
        return guilty

    # c. slashing ----------------------------------------------------------------------------
    def phase_slash(self, probed: np.ndarray, guilty: np.ndarray) -> np.ndarray:
        """Fixed-fraction slash of each guilty node's stake; slashed tokens are burned."""
        slashed = np.zeros(len(self.nodes))
        ids = probed[guilty]
        self.ever_guilty[ids] = True
        slashed[ids] = self.scenario.slashing.slash_fraction * self.node_stake[ids]
        self.node_stake -= slashed
        self.slashed_total += slashed
        self.burned += slashed.sum()
        if self.evidence is not None and len(ids):
            self.evidence.reset(ids)
        return slashed

    # d. settlement --------------------------------------------------------------------------
    def phase_settle(self, traffic: Traffic) -> tuple[np.ndarray, np.ndarray]:
        """Users pay per answered request; nodes pay compute; validators get rewards, pay probes."""
        r, c = self.scenario.rewards, self.scenario.costs
        revenue = traffic.answered * r.price_per_request
        cost = traffic.compute_s * c.compute_price + c.fixed_cost * self.active
        self.node_balance += revenue - cost
        self.inflow += revenue.sum()
        self.outflow += cost.sum()
        self._settle_validators(traffic)
        return revenue, cost

    def _settle_validators(self, traffic: Traffic) -> None:
        r, c = self.scenario.rewards, self.scenario.costs
        answers = np.isfinite(traffic.embeddings[..., 0]).sum(axis=(1, 2))
        per_domain = np.bincount(self.node_domain[traffic.probed], weights=answers, minlength=self.scenario.network.domains)
        queries = np.array([v.behaviour.queries for v in self.validators])
        probe_bill = queries * per_domain[self.validator_domain] * c.probe_cost
        self.validator_balance += r.validator_reward - probe_bill
        self.minted += r.validator_reward * len(self.validators)
        self.outflow += probe_bill.sum()
        self.validator_pnl = r.validator_reward - probe_bill

    # e. strategy revision -------------------------------------------------------------------
    def phase_revise(self, profit: np.ndarray) -> np.ndarray:
        """Logit imitation (Blume 1993; Sandholm, *Population Games*, 2010, ch. 6): a reviser meets a
        random peer of its domain and adopts the peer's behaviour with probability
        1 / (1 + exp(-(profit_peer - profit_own) / noise))."""
        st = self.scenario.strategy
        w = st.profit_memory
        self.profit_avg = np.where(self.epoch == 1, profit, (1 - w) * self.profit_avg + w * profit)
        if st.dynamics == "none":
            return np.zeros(len(self.nodes), dtype=bool)
        rng = rngs.stream(self.scenario.seed, "revise", self.epoch)
        peer = self._random_peer(rng)
        gain = self.profit_avg[peer] - self.profit_avg
        if st.dynamics == "logit":
            p_switch = 1.0 / (1.0 + np.exp(-np.clip(gain / st.noise, -50, 50)))
        else:  # replicator: pairwise proportional imitation (Schlag 1998)
            p_switch = np.clip(gain / max(np.abs(gain).max(), 1e-12), 0.0, 1.0)
        revise = (rng.random(len(self.nodes)) < st.revision_rate) & self.active
        switch = revise & (rng.random(len(self.nodes)) < p_switch) & (self.behaviour[peer] != self.behaviour)
        for i in np.flatnonzero(switch):
            self.nodes[i].behaviour = NODE_BEHAVIOURS[self.behaviour[peer[i]]]()
        if switch.any():
            self._refresh_plans(np.flatnonzero(switch))
        return switch

    def _random_peer(self, rng) -> np.ndarray:
        peer = np.empty(len(self.nodes), dtype=np.int64)
        for d in range(self.scenario.network.domains):
            ids = np.flatnonzero(self.node_domain == d)
            peer[ids] = rng.choice(ids, size=len(ids))
        return peer


__all__ = ["GaiaModel", "NodeAgent", "ValidatorAgent", "NODE_NAMES", "VALIDATOR_NAMES", "apportion"]
