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
import pandas as pd

from gaia_sim import rng as rngs
from gaia_sim.answers.source import AnswerSource
from gaia_sim.detector import DETECTORS, EvidenceAccumulator, QuestionSelector
from gaia_sim.metrics import EpochRecorder
from gaia_sim.nodes import NODE_BEHAVIOURS, NodeContext, draw_stack, with_trait
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.params import VALIDATOR_BEHAVIOURS as VALIDATOR_NAMES
from gaia_sim.errors import UserError
from gaia_sim.scenario import Scenario
from gaia_sim.traffic import ServingProfile, simulate_queue
from gaia_sim.validators import VALIDATOR_BEHAVIOURS, Ballot, choose_questions, plan_probes
from gaia_sim import costs, quorum, rewards, strategy
from gaia_sim.slashing import ACTIVE, EJECTED, EXITED, JAILED, STATUS_NAMES, SlashInput
from gaia_sim.slashing import RULES as SLASHING_RULES
from gaia_sim.staking import BURN, TREASURY, Delays, StakeLedger

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
        start = len(self.nodes)
        for d in range(s.network.domains):  # free slots newcomers can take (after every starting node, so ids and draws do not move)
            for _ in range(s.network.node_slots - s.network.nodes_per_domain):
                self.nodes.append(NodeAgent(self, len(self.nodes), d, "honest", "claimed"))
        self.node_domain = np.array([n.domain for n in self.nodes])
        self.free_slot = np.arange(len(self.nodes)) >= start  # never held an operator yet
        self.active = ~self.free_slot
        self.queue_outcomes: dict[ServingProfile, object] = {}
        self._plan_cache: dict[tuple[str, str], tuple[int, int, int, float]] = {}
        self._refresh_plans()

    def _stack_role(self, rng: np.random.Generator) -> str:
        return draw_stack(rng, self.honest_variants, self.scenario.behaviours.honest.stack_variation)

    def _build_validators(self) -> None:
        s, rng = self.scenario, rngs.stream(self.scenario.seed, "build-validators")
        self.validators: list[ValidatorAgent] = []
        for d in range(s.network.domains):
            for name in rng.permutation(apportion(s.network.validators, s.validator_population.model_dump())):
                self.validators.append(ValidatorAgent(self, len(self.validators), d, str(name)))
        self.validator_domain = np.array([v.domain for v in self.validators])

    def _build_accounts(self) -> None:
        st, n, v = self.scenario.staking, len(self.nodes), len(self.validators)
        self.node_stake = np.where(self.free_slot, 0.0, st.node_stake)  # a free slot's placeholder operator holds nothing
        self.validator_stake = np.full(v, st.validator_stake)
        self.node_balance = np.where(self.free_slot, 0.0, st.initial_balance)
        self.validator_balance = np.full(v, st.initial_balance)
        self.initial_tokens = self.total_tokens()
        self.minted = self.burned = self.inflow = self.outflow = 0.0
        self.profit_avg = np.zeros(n)
        self.slashed_total = np.zeros(n)
        self.ever_guilty = np.zeros(n, dtype=bool)
        self.last_verdict = np.zeros(n, dtype=bool)
        self.initial_behaviour = np.where(self.free_slot, "", self.behaviour.astype(str))
        self.evidence = self._new_evidence()
        learned = self.scenario.probes.question_selection == "learned"
        if learned and not self.scenario.detector.name.startswith("default"):
            raise UserError(f"probes.question_selection = 'learned' needs detector.name 'default' or "
                            f"'default_all' (per-question p-values); got {self.scenario.detector.name!r}")
        self.question_selector = QuestionSelector(len(self.answers.question_ids)) if learned else None
        vp = self.scenario.validation
        if vp.canaries_per_epoch > 0 and vp.canary_role not in self.role_to_config:
            raise UserError(f"validation.canary_role = {vp.canary_role!r}: the answer source has no such role; "
                            f"allowed: {sorted(r for r in self.role_to_config if r != 'claimed')}")

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
        self.ring_member = np.isin(self.behaviour, with_trait("colludes"))
        self.cheater = np.isin(self.behaviour, with_trait("cheats"))
        self.pays_kb = ~np.isin(self.behaviour, with_trait("skips_kb"))

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
        actual = self.total_tokens() + self.burned + self.tokens_elsewhere()
        assert abs(actual - expected) <= rtol * max(1.0, abs(expected)), f"tokens not conserved: {actual} != {expected}"
        assert (self.node_stake >= 0).all() and (self.validator_stake >= 0).all(), "negative stake"
        assert not (self.slashed_total > 0)[~self.ever_guilty].any(), "slash without a guilty verdict"
        if getattr(self, "ledger", None) is not None:
            self.ledger.check_invariants(rtol)

    # ---- one epoch ----------------------------------------------------------------------
    def step(self) -> None:
        self.epoch += 1
        traffic = self.phase_traffic()
        flags, scores, p_values = self.phase_judge(traffic)
        slashed = self.phase_slash(traffic.probed, flags, traffic)
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
        self.epoch_questions = self._choose_questions(p.questions_per_epoch, rng)
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

    def _choose_questions(self, k: int, rng) -> list[str]:
        """The epoch's questions: uniform, or learned from past verdicts (detector.QuestionSelector)."""
        ids = list(self.answers.question_ids)
        if self.question_selector is None:
            return choose_questions(ids, k, rng)
        self.epoch_question_idx = self.question_selector.choose(k, rng)
        return [ids[i] for i in self.epoch_question_idx]

    # b. judge -------------------------------------------------------------------------------
    def phase_judge(self, traffic: Traffic) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Detector per domain, sequential evidence, validator votes -> guilty verdict per probed node."""
        det, probed = self.scenario.detector, traffic.probed
        scores, p_values, flags = (np.full(len(probed), np.nan), np.ones(len(probed)), np.zeros(len(probed), bool))
        for d in range(self.scenario.network.domains):
            m = self.node_domain[probed] == d
            if not m.any():  # every node of the domain left: nothing to judge
                continue
            result = DETECTORS[det.name](traffic.embeddings[m], alpha=det.alpha, **self._detector_options(d))
            scores[m], p_values[m], flags[m] = result.score, result.p_value, result.flagged
            if self.question_selector is not None:
                self.question_selector.update(self.epoch_question_idx, result)
        if self.evidence is not None:
            flags = self.evidence.update(probed, p_values)
        return self._verdict(probed, flags), scores, p_values

    def _detector_options(self, domain: int) -> dict:
        """Bootstrap size and a fresh bootstrap seed per epoch and domain for the default detectors."""
        if not self.scenario.detector.name.startswith("default"):
            return {}
        seed = int(rngs.stream(self.scenario.seed, "detector", self.epoch, domain).integers(2**31))
        return {"boot": self.scenario.detector.bootstrap, "seed": seed}

    def _verdict(self, probed: np.ndarray, evidence_flags: np.ndarray) -> np.ndarray:
        """Phase c, verdict: per domain, validators vote and a stake-weighted quorum decides
        (:func:`gaia_sim.quorum.tally`, stake = what each validator allocated to the domain's operator
        set). Votes are kept for deviation penalties."""
        self._economy()
        stake, ring = self._validator_allocated(), self.ring_member[probed]
        last = self.last_verdict[probed]
        guilty = np.zeros(len(probed), dtype=bool)
        self._votes = []
        for d in range(self.scenario.network.domains):
            m, vs = self.node_domain[probed] == d, np.flatnonzero(self.validator_domain == d)
            ballot = Ballot(evidence_flags[m], ring[m], last[m])
            votes = np.array([self.validators[i].behaviour.vote(ballot) for i in vs],
                             dtype=float).reshape(len(vs), int(m.sum()))
            outcome = quorum.tally(votes, stake[vs], self.scenario.validation.quorum)
            guilty[m] = outcome.verdict
            self._votes.append((vs, votes, outcome))
        self.last_verdict[probed] = guilty
        return guilty

    # c. slashing ----------------------------------------------------------------------------
    def phase_slash(self, probed: np.ndarray, guilty: np.ndarray, traffic: Traffic | None = None) -> np.ndarray:
        """Phase c, slashing: the scenario's rule (:data:`gaia_sim.slashing.RULES`) turns verdicts into
        slashes of allocated stake on the :class:`~gaia_sim.staking.StakeLedger` (EigenLayer
        semantics: escrow, then burn or treasury), jails or ejects, forfeits dispute bonds; validators
        lose stake for deviating votes and for canaries they fail to flag (judged among ``traffic``'s
        probe answers); liable domain operators share the slash; node operators top their stake back
        up. Returns tokens slashed per node."""
        led, e, sp = self._economy(), self.epoch, self.scenario.slashing
        rng = rngs.stream(self.scenario.seed, "slash", e)
        self._release_jail()
        self.ever_guilty[probed[guilty]] = True
        decision = SLASHING_RULES[sp.rule](self._slash_input(probed, guilty, rng), sp)
        slashed = self._apply_node_slash(probed, decision)
        self._apply_sanctions(probed, decision)
        self._guilty_now = probed[guilty]
        self._slash_validators(rng, traffic)
        self._slash_domains(slashed)
        if self.evidence is not None and guilty.any():
            self.evidence.reset(probed[guilty])
        self._top_up()
        self._sync_accounts()
        ev = decision.events
        keep = ev["kind"] != "slash_decision"  # the recorder writes one 'slash' row per slashed node
        self._econ_events.append(self._node_events({k: v[keep] for k, v in ev.items()}))
        return slashed

    def _economy(self) -> StakeLedger:
        """The stake ledger, built on first use from the accounts set up at construction: every node,
        validator and (optional) domain operator is an EigenLayer operator; domain d is operator set d."""
        if getattr(self, "ledger", None) is not None:
            return self.ledger
        st, nd = self.scenario.staking, self.scenario.network.domains
        n, v = len(self.nodes), len(self.validators)
        led = StakeLedger(np.r_[self.node_stake, self.validator_stake], nd, np.r_[self.node_balance, self.validator_balance],
                          Delays(epoch_hours=self.scenario.network.epoch_hours))
        self._lid_node, self._lid_val = np.arange(n), n + np.arange(v)
        self._lid_dom, _ = led.add_operators(np.full(nd, st.domain_operator_stake), 0)
        held = ~self.free_slot
        led.allocate(np.r_[self._lid_node[held], self._lid_val, self._lid_dom],
                     np.r_[self.node_domain[held], self.validator_domain, np.arange(nd)],
                     np.r_[self.node_stake[held], self.validator_stake, np.full(nd, st.domain_operator_stake)], 0)
        led.delays = Delays(self.scenario.network.epoch_hours, st.allocation_days, st.deallocation_days,
                            st.withdrawal_days, st.escrow_days)
        self.ledger, self.status = led, np.where(self.free_slot, EXITED, ACTIVE).astype(np.int8)
        self.last_verdict = getattr(self, "last_verdict", np.zeros(n, bool))
        self.offences, self.jail_until = np.zeros(n, np.int64), np.full(n, -1, np.int64)
        self.validator_slashed, self.validator_reward_paid = np.zeros(v), np.zeros(v)
        self._val_weight, self._bonds, self._guilty_now = np.ones(v), np.zeros(n), np.zeros(0, np.int64)
        self._econ_events, self.escrow, self.treasury = [], 0.0, 0.0
        self._minted_before = self.minted
        self._initial_codes = np.array([NODE_NAMES.index(b) for b in sorted(set(self.initial_behaviour[~self.free_slot]))])
        return led

    def _validator_allocated(self) -> np.ndarray:
        return self.ledger.allocated[self._lid_val, self.validator_domain]

    def _dest(self) -> int:
        return TREASURY if self.scenario.staking.slashed_to == "treasury" else BURN

    def _release_jail(self) -> None:
        free = (self.status == JAILED) & (self.jail_until <= self.epoch)
        self.status[free], self.active[free] = ACTIVE, True

    def _slash_input(self, ids: np.ndarray, guilty: np.ndarray, rng) -> SlashInput:
        sp = self.scenario.slashing
        cheater = self.cheater[ids]
        uses = {sp.rule, sp.dispute_base}
        evidence = share = None
        if "evidence_threshold" in uses:
            evidence = (np.log(self.evidence.evidence(ids)) if self.evidence is not None
                        else np.where(guilty, np.inf, 0.0))
        if sp.rule == "dispute":
            share = self._appeal_guilty_share(ids, cheater, rng)
        challenge = ~cheater | (rng.random(len(ids)) < sp.cheater_challenge_rate)
        return SlashInput(verdict=guilty, epoch=self.epoch, offences=self.offences[ids], evidence=evidence,
                          status=self.status[ids], challenge=challenge, dispute_guilty_share=share, node_ids=ids)

    def _appeal_guilty_share(self, ids: np.ndarray, cheater: np.ndarray, rng) -> np.ndarray:
        """Appeal vote of a dispute: each validator re-judges with accuracy ``appeal_accuracy`` and
        votes as its behaviour does (:meth:`ValidatorBehaviour.appeal`). Stake-weighted guilty share."""
        acc, stake = self.scenario.validation.appeal_accuracy, self._validator_allocated()
        share = np.ones(len(ids))
        for d in range(self.scenario.network.domains):
            m, vs = self.node_domain[ids] == d, np.flatnonzero(self.validator_domain == d)
            truth, ring = cheater[m], self.ring_member[ids[m]]
            judged = np.where(rng.random((len(vs), int(m.sum()))) < acc, truth, ~truth)
            votes = np.array([self.validators[i].behaviour.appeal(judged[k], ring) for k, i in enumerate(vs)],
                             dtype=float).reshape(len(vs), int(m.sum()))
            share[m] = quorum.tally(votes, stake[vs], 0.5).guilty_share
        return share

    def _apply_node_slash(self, ids: np.ndarray, decision) -> np.ndarray:
        led, e = self.ledger, self.epoch
        slashed, hit = np.zeros(len(self.nodes)), decision.fraction > 0
        if hit.any():
            ev = led.slash(self._lid_node[ids[hit]], self.node_domain[ids[hit]], decision.fraction[hit], e, self._dest())
            slashed[ids[hit]] = ev["amount"]
        self.slashed_total += slashed
        self.offences[ids] = decision.offences
        self._bonds = np.zeros(len(self.nodes))
        self._bonds[ids] = decision.bond_lost
        lost = decision.bond_lost > 0
        if lost.any():
            led.burn_balance(self._lid_node[ids[lost]], decision.bond_lost[lost], e, self._dest())
        return slashed

    def _apply_sanctions(self, ids: np.ndarray, decision) -> None:
        jail = decision.jail_until >= 0
        self.jail_until[ids[jail]] = decision.jail_until[jail]
        self.status[ids[jail]], self.active[ids[jail]] = JAILED, False
        out = ids[decision.eject]
        if len(out):
            self.status[out], self.active[out] = EJECTED, False
            self._econ_events.append(self._node_events(self.ledger.exit(self._lid_node[out], self.epoch)))

    def _slash_validators(self, rng, traffic: Traffic | None = None) -> None:
        """Validators lose reward weight for votes against decided verdicts (and stake if
        ``deviation_slash`` > 0), and stake for canaries they fail to flag (quorum.py)."""
        vp, led = self.scenario.validation, self.ledger
        frac, self._val_weight = np.zeros(len(self.validators)), np.ones(len(self.validators))
        for vs, votes, outcome in self._votes:
            dev = quorum.deviations(votes, outcome).sum(1)
            cast = (~np.isnan(votes) & outcome.decided[None, :]).sum(1)
            self._val_weight[vs] = np.where(cast > 0, (cast - dev) / np.maximum(cast, 1), 1.0)
            frac[vs] += dev * vp.deviation_slash
        if vp.canaries_per_epoch > 0:
            frac += quorum.canary_penalties(self._canary_misses(rng, traffic), vp.canary_slash)
        frac = np.minimum(frac, 1.0)
        self.validator_slashed = np.zeros(len(self.validators))
        hit = np.flatnonzero(frac > 0)
        if len(hit):
            ev = led.slash(self._lid_val[hit], self.validator_domain[hit], frac[hit], self.epoch, self._dest())
            self.validator_slashed[hit] = ev["amount"]
            self._econ_events.append(self._validator_events(ev))

    def _canary_misses(self, rng, traffic: Traffic | None) -> np.ndarray:
        """int[v]: canaries each validator was assigned (:func:`quorum.plant_canaries`) and did not
        vote guilty. Every validator votes on its canaries with its own rule on a fresh ballot: an
        honest (or colluding) validator votes the detector's verdict on the canary judged among the
        domain's probed nodes (:meth:`_canary_flags`); a lazy one copies the canary's public record,
        which is empty (a canary is a fresh node), so it misses every canary it is given. With
        ``canary_scoring = "detectable_miss"`` only misses of canaries the detector flags count."""
        vp, misses = self.scenario.validation, np.zeros(len(self.validators), np.int64)
        k = vp.canaries_per_epoch
        for d in range(self.scenario.network.domains):
            vs = np.flatnonzero(self.validator_domain == d)
            given = quorum.plant_canaries(rng, len(vs), k, vp.canaries_per_validator)
            flags = self._canary_flags(d, traffic)
            if flags is None:  # no node of the domain was probed: no canary round
                continue
            ballot = Ballot(flags, np.zeros(k, bool), np.zeros(k, bool))
            votes = np.array([self.validators[i].behaviour.vote(ballot) for i in vs], dtype=bool).reshape(len(vs), k)
            if vp.canary_scoring == "detectable_miss":  # the protocol knows the canaries' answers and reruns the detector
                given = given & flags[None, :]
            misses[vs] = quorum.canary_misses(given, given & votes)
        return misses

    def _canary_flags(self, domain: int, traffic: Traffic | None) -> np.ndarray | None:
        """bool[k]: the detector's single-epoch verdict on the ``canaries_per_epoch`` canaries the
        protocol plants in ``domain``: known-bad nodes whose answers to this epoch's probe questions
        are drawn from the answer source's ``canary_role`` configuration, judged together with the
        domain's probed nodes (the canaries look like any other probed node to a validator). The
        real nodes' verdicts come from phase b's run without canaries. None when no node of the
        domain was probed (nothing to hide a canary among)."""
        vp, det = self.scenario.validation, self.scenario.detector
        k = vp.canaries_per_epoch
        if traffic is None or k == 0:
            return np.zeros(k, bool)
        real = traffic.embeddings[self.node_domain[traffic.probed] == domain]
        if len(real) == 0:
            return None
        rng = rngs.stream(self.scenario.seed, "canary", self.epoch, domain)
        shape = (k, len(self.epoch_questions), self.scenario.probes.samples_per_question)
        canaries = self._gather(np.full(shape, self._config_index(vp.canary_role), np.int64), rng)
        result = DETECTORS[det.name](np.concatenate([real, canaries]), alpha=det.alpha, **self._detector_options(domain))
        return np.asarray(result.flagged, bool)[len(real):]

    def _slash_domains(self, slashed: np.ndarray) -> None:
        """Domain operators vouch for their nodes: liable when too many were slashed (rewards.py)."""
        st, sp, led = self.scenario.staking, self.scenario.slashing, self.ledger
        if st.domain_operator_stake <= 0:
            return
        nd = self.scenario.network.domains
        owed = rewards.domain_liability(self.node_domain, slashed > 0, slashed, nd, sp.domain_threshold,
                                        sp.domain_share, self.active | (slashed > 0))
        have = led.slashable(self._lid_dom, np.arange(nd))
        frac = np.divide(owed, have, out=np.zeros(nd), where=have > 0)
        hit = np.flatnonzero(frac > 0)
        if len(hit):
            led.slash(self._lid_dom[hit], hit, np.minimum(frac[hit], 1.0), self.epoch, self._dest())

    def _top_up(self) -> None:
        """Operators keep the domain's minimum stake: re-deposit from the balance and re-allocate."""
        if not self.scenario.staking.top_up:
            return
        led, keep = self.ledger, (self.status == ACTIVE) | (self.status == JAILED)
        ids = np.flatnonzero(keep)
        lid, dom = self._lid_node[ids], self.node_domain[ids]
        short = self.scenario.staking.node_stake - led.allocated[lid, dom] - led.pending_alloc[lid, dom]
        need = short > 1e-9
        if need.any():
            led.deposit(lid[need], short[need], self.epoch, from_balance=True)
            led.allocate(lid[need], dom[need], short[need], self.epoch)

    def _sync_accounts(self) -> None:
        """Mirror the ledger into the arrays the recorder and invariant checks read."""
        led = self.ledger
        self.node_stake, self.node_balance = led.stake[self._lid_node], led.balance[self._lid_node]
        self.validator_stake, self.validator_balance = led.stake[self._lid_val], led.balance[self._lid_val]
        self.burned, self.escrow, self.treasury = led.burned, led.escrow, led.treasury
        self.outflow = led.outflow
        self.inflow = led.inflow - (self.minted - self._minted_before)

    def tokens_elsewhere(self) -> float:
        """Tokens outside the current nodes' and validators' stake and balances: escrow, treasury,
        domain operators and operators who left a node slot to a newcomer."""
        if getattr(self, "ledger", None) is None:
            return 0.0
        led, mask = self.ledger, np.ones(self.ledger.n, bool)
        mask[self._lid_node], mask[self._lid_val] = False, False
        return float(led.escrow + led.treasury + led.stake[mask].sum() + led.balance[mask].sum())

    def _node_events(self, ev: dict) -> dict[str, np.ndarray]:
        return self._event_frame(ev, "node")

    def _validator_events(self, ev: dict) -> dict[str, np.ndarray]:
        return self._event_frame(ev, "validator")

    def _event_frame(self, ev: dict, role: str) -> dict[str, np.ndarray]:
        """Economics events (ledger / rule records) as columns of events.parquet (arrays)."""
        lid = np.asarray(ev["operator"], np.int64)
        ids = self._lid_node if role == "node" else self._lid_val
        pos = np.full(self.ledger.n, -1, np.int64)
        pos[ids] = np.arange(len(ids))
        who = pos[lid] if len(lid) else lid
        names = np.asarray(self.behaviour if role == "node" else [v.behaviour.name for v in self.validators], dtype=str)
        beh = np.where(who >= 0, names[np.maximum(who, 0)], "") if len(lid) else np.zeros(0, dtype=str)
        k, none = len(lid), np.full(len(lid), -1, np.int64)
        return ({
            "epoch": np.full(k, self.epoch, np.int64), "kind": np.asarray(ev["kind"], dtype=str),
            "node": who if role == "node" else none, "validator": who if role == "validator" else none,
            "behaviour": beh, "amount": np.asarray(ev["amount"], float), "score": np.full(k, np.nan),
            "p_value": np.full(k, np.nan), "flagged": np.zeros(k, bool), "detail": np.asarray(ev["detail"]).astype(str),
        })

    def take_econ_events(self) -> pd.DataFrame:
        """Economics events since the last call (slashes, jail, eject, disputes, escrow, exits)."""
        frames = [f for f in getattr(self, "_econ_events", []) if len(f["epoch"])]
        self._econ_events = []
        if not frames:
            return pd.DataFrame()
        return pd.DataFrame({k: np.concatenate([f[k] for f in frames]) for k in frames[0]})

    @property
    def validator_slashed_total(self) -> np.ndarray:
        """Tokens slashed from each validator over the run."""
        if getattr(self, "ledger", None) is None:
            return np.zeros(len(self.validators))
        return self.ledger.slashed_total[self._lid_val]

    @property
    def node_status(self) -> np.ndarray:
        """Status name per node: active, jailed, ejected or exited."""
        status = getattr(self, "status", np.zeros(len(self.nodes), np.int8))
        return np.array(STATUS_NAMES, dtype=object)[status]

    # d. settlement --------------------------------------------------------------------------
    def phase_settle(self, traffic: Traffic) -> tuple[np.ndarray, np.ndarray]:
        """Phase d: users pay per answered request (rewards.node_revenue; a node found guilty this
        epoch forfeits it when ``forfeit_revenue``), nodes pay compute at the bank's measured seconds
        per answer x compute price (costs.py), validators share the reward pool by stake x share of
        their votes that agreed with decided verdicts and pay for probes; then the ledger advances
        (deallocations, withdrawals, exits and escrow complete). Returns (revenue, cost) per node."""
        r, c, led, e = self.scenario.rewards, self.scenario.costs, self._economy(), self.epoch
        paid = traffic.answered.astype(float)
        if self.scenario.slashing.forfeit_revenue:
            paid[self._guilty_now] = 0.0
        revenue = rewards.node_revenue(paid, r.price_per_request, r.protocol_fee)
        cost = costs.cost_per_answer(traffic.compute_s, c.compute_price) + (c.fixed_cost + c.kb_cost * self.pays_kb) * self.active
        led.credit(self._lid_node, revenue, e, "revenue")
        led.debit(self._lid_node, cost, e, "cost")
        self._settle_validators(traffic, rewards.protocol_fees(paid, r.price_per_request, r.protocol_fee))
        self._econ_events.append(self._escrow_events(led.advance(e)))
        self._sync_accounts()
        return revenue, cost

    def _settle_validators(self, traffic: Traffic, fees: float) -> None:
        r, c, led, e = self.scenario.rewards, self.scenario.costs, self.ledger, self.epoch
        answers = np.isfinite(traffic.embeddings[..., 0]).sum(axis=(1, 2))
        per_domain = np.bincount(self.node_domain[traffic.probed], weights=answers, minlength=self.scenario.network.domains)
        queries = np.array([v.behaviour.queries for v in self.validators])
        probe_bill = queries * per_domain[self.validator_domain] * c.probe_cost
        pool = rewards.validator_pool(fees, r.validator_reward * len(self.validators))
        reward = rewards.split_by_stake(pool, self._validator_allocated(), self._val_weight)
        total = float(reward.sum())
        from_fees = min(fees, total)
        from_treasury = min(led.treasury, total - from_fees)
        share_t = from_treasury / total if total > 0 else 0.0
        led.pay_from_treasury(self._lid_val, reward * share_t, e)
        led.credit(self._lid_val, reward * (1 - share_t), e, "reward")
        if fees > from_fees:  # undistributed fees go to the treasury
            led.treasury += fees - from_fees
            led.inflow += fees - from_fees
        self.minted += total - from_fees - from_treasury
        led.debit(self._lid_val, probe_bill, e, "probe_cost")
        self.validator_reward_paid = reward
        self.validator_pnl = reward - probe_bill - self.validator_slashed

    def _escrow_events(self, ev: dict) -> dict[str, np.ndarray]:
        keep = np.isin(ev["kind"], ["escrow_release", "exited", "withdrawn"]) & np.isin(ev["operator"], self._lid_node)
        return self._node_events({k: v[keep] for k, v in ev.items()})

    # e. strategy revision -------------------------------------------------------------------
    def phase_revise(self, profit: np.ndarray) -> np.ndarray:
        """Phase e: node operators revise behaviour by imitating a random peer of their domain
        (strategy.py: pairwise proportional imitation -> replicator dynamics, Schlag 1998; or the
        logit/Fermi rule, Blume 1993), optionally explore (mutation), leave when their average profit
        is below the outside option, and newcomers take free or vacated slots while some behaviour
        pays (``network.max_nodes_per_domain`` leaves room for the domain to grow)."""
        st = self.scenario.strategy
        profit = profit - getattr(self, "_bonds", 0.0)
        self.profit_avg = strategy.profit_average(self.profit_avg, profit, st.profit_memory, self.epoch == 1)
        rng = rngs.stream(self.scenario.seed, "revise", self.epoch)
        switch = self._imitate(rng)
        if self.epoch > st.warmup_epochs:
            self._exit_and_enter(rng)
        return switch

    def _imitate(self, rng) -> np.ndarray:
        """Phase e's revision round: :func:`gaia_sim.strategy.revise` over the node codes."""
        st = self.scenario.strategy
        status = getattr(self, "status", np.where(self.active, ACTIVE, EXITED))
        rev = strategy.revise(rng, self._codes(), self.profit_avg, self.active, st.revision_rate, st.dynamics,
                              st.noise, self._imitation_scale(), st.mutation, self._initial_codes,
                              self.node_domain, (status == ACTIVE) | (status == JAILED))
        self.profit_avg = rev.record
        for i in np.flatnonzero(rev.switched):
            self.nodes[i].behaviour = NODE_BEHAVIOURS[NODE_NAMES[rev.behaviour[i]]]()
        if rev.switched.any():
            self._refresh_plans(np.flatnonzero(rev.switched))
        return rev.switched

    def _imitation_scale(self) -> float:
        """``strategy.imitation_scale`` if set, else :func:`gaia_sim.strategy.imitation_scale` with
        one upheld verdict's slash plus the forfeited revenue at risk."""
        s = self.scenario
        if s.strategy.imitation_scale > 0:
            return s.strategy.imitation_scale
        revenue = s.traffic.requests_per_node * s.rewards.price_per_request
        at_risk = s.slashing.slash_fraction * s.staking.node_stake + revenue
        return strategy.imitation_scale(s.strategy.profit_memory, at_risk, revenue, s.costs.fixed_cost)

    def _exit_and_enter(self, rng) -> None:
        st, led = self.scenario.strategy, self.ledger
        if st.exit_rate > 0:
            out = np.flatnonzero(strategy.exits(rng, self.profit_avg, self.active, st.outside_option, st.exit_rate))
            if len(out):
                self.status[out], self.active[out] = EXITED, False
                self._econ_events.append(self._node_events(led.exit(self._lid_node[out], self.epoch)))
        vacant = np.flatnonzero(self.status >= EJECTED)
        if st.entry_rate > 0 and len(vacant):
            mean, cnt = strategy.behaviour_means(self._codes(), self.profit_avg, self.active, len(NODE_NAMES))
            new = strategy.entrants(rng, mean, cnt, st.outside_option, st.entry_rate, int(self.active.sum()), len(vacant))
            self._enter(vacant[: len(new)], [NODE_NAMES[k] for k in new], rng)

    def _codes(self) -> np.ndarray:
        return np.array([NODE_NAMES.index(b) for b in self.behaviour], np.int64)

    def _enter(self, slots: np.ndarray, names: list[str], rng) -> None:
        """Newcomers take free or vacated node slots: a fresh operator (new ledger id) with fresh stake."""
        if not len(slots):
            return
        st, led = self.scenario.staking, self.ledger
        lids, ev = led.add_operators(np.full(len(slots), st.node_stake), self.epoch, np.full(len(slots), st.initial_balance))
        led.allocate(lids, self.node_domain[slots], np.full(len(slots), st.node_stake), self.epoch)
        for i, name in zip(slots, names):
            self.nodes[i] = NodeAgent(self, int(i), int(self.node_domain[i]), name, self._stack_role(rng))
        self._lid_node[slots] = lids
        self.free_slot[slots] = False
        self.status[slots], self.active[slots], self.offences[slots], self.jail_until[slots] = ACTIVE, True, 0, -1
        self.profit_avg[slots], self.slashed_total[slots], self.ever_guilty[slots] = 0.0, 0.0, False
        self.last_verdict[slots] = False
        if self.evidence is not None:
            self.evidence.reset(slots)
        self._refresh_plans(slots)
        self._econ_events.append(self._node_events(ev))
        self._sync_accounts()

    def _random_peer(self, rng) -> np.ndarray:
        """A random peer per node among the operators in its domain (active or jailed)."""
        status = getattr(self, "status", np.where(self.active, ACTIVE, EXITED))
        return strategy.random_peers(rng, self.node_domain, (status == ACTIVE) | (status == JAILED))

__all__ = ["GaiaModel", "NodeAgent", "ValidatorAgent", "NODE_NAMES", "VALIDATOR_NAMES", "apportion"]
