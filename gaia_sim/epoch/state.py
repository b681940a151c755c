"""The network state one epoch works on: arrays by node id and by validator id, plus the
:class:`~gaia_sim.staking.StakeLedger`, all built up front by :func:`build_state`.

The ledger is the one record of tokens: stakes and balances per node or validator are views of it
(``node_stake``, ``node_balance``, ...), never copies. Every node, validator and domain operator is
an EigenLayer operator of the ledger; domain d is operator set d.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import get_args

import numpy as np

from gaia_sim import costs, rewards
from gaia_sim import rng as rngs
from gaia_sim.detector import EvidenceAccumulator, QuestionSelector
from gaia_sim.errors import UserError
from gaia_sim.nodes import NODE_BEHAVIOURS, NodeContext, draw_stack, with_trait
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.slashing import ACTIVE, EXITED, JAILED, STATUS_NAMES
from gaia_sim.staking import BURN, TREASURY, Delays, StakeLedger
from gaia_sim.traffic import ServingProfile
from gaia_sim.validators import VALIDATOR_BEHAVIOURS, ValidatorBehaviour

NO_ANSWER = -1  # config index of a dropped request


@dataclass(frozen=True)
class Configs:
    """The answer source's configurations: ids, which role each plays, seconds per answer."""

    ids: list[str]
    role_to_config: dict[str, str]
    honest_variants: list[str]
    service_s: np.ndarray  # seconds per answer per config (bank cost x service_time_scale)
    accepted: np.ndarray  # share of each config's answers users pay for (rewards.accepted_share)

    def index(self, role: str | None) -> int:
        """Config index of a role (a variant's config id is its own role); NO_ANSWER for None."""
        if role is None:
            return NO_ANSWER
        if role not in self.role_to_config:
            have = ", ".join(sorted(self.role_to_config))
            raise UserError(
                f"the answer source has no configuration in role {role!r}, which the scenario's behaviours serve;"
                f" its roles: {have} (low_bit needs the shipped bank: answers = 'default')"
            )
        return self.ids.index(self.role_to_config[role])

    def paid_share(self, cfg: np.ndarray) -> np.ndarray:
        """Share of answers of config indices users pay for (0 where no answer)."""
        return np.where(cfg == NO_ANSWER, 0.0, self.accepted[np.maximum(cfg, 0)])

    def secs(self, cfg: np.ndarray) -> np.ndarray:
        """Seconds per answer of config indices on the reference machine (0 where no answer)."""
        return np.where(cfg == NO_ANSWER, 0.0, self.service_s[np.maximum(cfg, 0)])

    @property
    def claimed_s(self) -> float:
        return float(self.service_s[self.index("claimed")])


def resolve_configs(scenario, answers) -> Configs:
    roles = answers.roles
    variants = list(roles.get("honest_variants", []))
    role_to_config = {r: c for r, c in roles.items() if isinstance(c, str)} | {v: v for v in variants}
    b = scenario.behaviours
    for key, group in (("model_swapping.swap_to", b.model_swapping), ("colluding.ring_model", b.colluding)):
        name = key.split(".")[1]  # the group's field
        if (role := getattr(group, name)) not in role_to_config:
            allowed = [r for r in get_args(type(group).model_fields[name].annotation) if r in role_to_config]
            raise UserError(
                f"behaviours.{key} = {role!r}: the answer source {scenario.answers!r} has no configuration in that"
                f" role; allowed with this source: {', '.join(allowed)} (low_bit needs the shipped bank: answers ="
                " 'default')"
            )
    ids = list(answers.config_ids)
    secs = np.array([answers.cost(c).seconds_per_answer for c in ids]) * scenario.traffic.service_time_scale
    k = scenario.rewards.min_answer_tokens
    accepted = np.array([rewards.accepted_share(*answers.answer_record(c), k) for c in ids])
    return Configs(ids, role_to_config, variants, secs, accepted)


def apportion(total: int, shares: dict[str, float]) -> list[str]:
    """Largest-remainder apportionment of ``total`` seats to behaviours (deterministic)."""
    names = list(shares)
    raw = np.array([shares[n] * total for n in names])
    seats = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - seats), kind="stable")[: total - seats.sum()]:
        seats[i] += 1
    return [n for n, k in zip(names, seats) for _ in range(k)]


@dataclass
class NetworkState:
    """Everything that persists from one epoch to the next (arrays indexed by node or validator id)."""

    scenario: object
    answers: object
    configs: Configs
    # nodes
    node_domain: np.ndarray
    stack_role: np.ndarray  # "claimed" or the honest variant the node's stack gives
    behaviour: np.ndarray  # behaviour name per node (object array)
    initial_behaviour: np.ndarray  # "" for a slot nobody held at the start
    free_slot: np.ndarray  # never held an operator yet
    active: np.ndarray
    status: np.ndarray  # ACTIVE / JAILED / EJECTED / EXITED
    # validators
    validator_domain: np.ndarray
    validators: list[ValidatorBehaviour]
    # accounts
    ledger: StakeLedger
    lid_node: np.ndarray  # ledger operator id of each node slot's current operator
    lid_val: np.ndarray
    lid_dom: np.ndarray
    # learning across epochs
    evidence: EvidenceAccumulator | None
    question_selector: QuestionSelector | None
    probe_questions: tuple[str, ...]  # the questions validators may ask (probes.question_pool)
    recognised: frozenset[str]  # the questions nodes recognise as probes (traffic.learned_questions)
    minted: float = 0.0  # reward tokens minted so far
    # caches (pure functions of the scenario)
    queue_outcomes: dict = field(default_factory=dict)
    validator_evidence: dict = field(default_factory=dict)  # validator id -> its own EvidenceAccumulator
    plan_cache: dict = field(default_factory=dict)
    serving: dict = field(default_factory=dict)  # traffic.serving: per-node timeout shares (emptied by refresh_plans)
    # set by __post_init__: the tokens at the start, per-node records, serving plans and trait masks
    initial_tokens: float = field(init=False)
    offences: np.ndarray = field(init=False)  # upheld offences
    jail_until: np.ndarray = field(init=False)  # epoch a jailed node is released (-1: not jailed)
    last_verdict: np.ndarray = field(init=False)  # the public record: guilty when last judged
    ever_guilty: np.ndarray = field(init=False)
    slashed_total: np.ndarray = field(init=False)
    profit_avg: np.ndarray = field(init=False)  # profit record (strategy.profit_average)
    profit_total: np.ndarray = field(init=False)  # tokens: revenue - cost - slashed over the epochs played (settle)
    epochs_played: np.ndarray = field(init=False)  # node-epochs the slot's operator played (settle)
    revenue_total: np.ndarray = field(init=False)  # tokens: revenue over the epochs played (settle)
    cost_total: np.ndarray = field(init=False)  # tokens: cost and bribes paid over the epochs played (settle)
    honest_cfg: np.ndarray = field(init=False)  # config index served honestly (on the node's stack)
    user_cfg: np.ndarray = field(init=False)  # config index served to users when cheating
    probe_cfg: np.ndarray = field(init=False)  # config index served to recognised probes
    cheat_rate: np.ndarray = field(init=False)
    honest_s: np.ndarray = field(init=False)  # seconds per honest answer on the node's stack
    user_s: np.ndarray = field(init=False)  # seconds per cheap answer on the node's stack (costs.served_seconds)
    profiles: list[ServingProfile] = field(init=False)
    ring_member: np.ndarray = field(init=False)  # trait 'colludes'
    cheater: np.ndarray = field(init=False)  # trait 'cheats'
    pays_kb: np.ndarray = field(init=False)  # not trait 'skips_kb'
    cheating_now: np.ndarray = field(init=False)  # follows its serving plan this epoch (behaviours.burst)

    def __post_init__(self) -> None:
        n = self.n_nodes
        self.initial_tokens = self.total_tokens()
        self.offences, self.jail_until = np.zeros(n, np.int64), np.full(n, -1, np.int64)
        self.last_verdict, self.ever_guilty = np.zeros(n, bool), np.zeros(n, bool)
        self.slashed_total, self.profit_avg = np.zeros(n), np.zeros(n)
        self.profit_total, self.epochs_played = np.zeros(n), np.zeros(n, np.int64)
        self.revenue_total, self.cost_total = np.zeros(n), np.zeros(n)
        self.cheating_now = np.ones(n, dtype=bool)
        refresh_plans(self)

    @property
    def n_nodes(self) -> int:
        return len(self.node_domain)

    @property
    def n_validators(self) -> int:
        return len(self.validator_domain)

    # ---- accounts: views of the ledger ----------------------------------------------------
    @property
    def node_stake(self) -> np.ndarray:
        return self.ledger.stake[self.lid_node]

    @property
    def node_balance(self) -> np.ndarray:
        return self.ledger.balance[self.lid_node]

    @property
    def validator_stake(self) -> np.ndarray:
        return self.ledger.stake[self.lid_val]

    @property
    def validator_balance(self) -> np.ndarray:
        return self.ledger.balance[self.lid_val]

    @property
    def burned(self) -> float:
        return self.ledger.burned

    @property
    def escrow(self) -> float:
        return self.ledger.escrow

    @property
    def treasury(self) -> float:
        return self.ledger.treasury

    @property
    def inflow(self) -> float:
        """Tokens that entered from outside (deposits of newcomers, fees), minted rewards excluded."""
        return self.ledger.inflow - self.minted

    @property
    def outflow(self) -> float:
        return self.ledger.outflow

    @property
    def validator_slashed_total(self) -> np.ndarray:
        """Tokens slashed from each validator over the run."""
        return self.ledger.slashed_total[self.lid_val]

    @property
    def node_status(self) -> np.ndarray:
        """Status name per node: active, jailed, ejected or exited."""
        return np.array(STATUS_NAMES, dtype=object)[self.status]

    @property
    def present(self) -> np.ndarray:
        """bool[n]: the slot's operator is still in the network (active or jailed)."""
        return (self.status == ACTIVE) | (self.status == JAILED)

    @property
    def validator_names(self) -> np.ndarray:
        return np.array([v.name for v in self.validators], dtype=str)

    def validator_allocated(self) -> np.ndarray:
        """Stake each validator has allocated to its domain's operator set."""
        return self.ledger.allocated[self.lid_val, self.validator_domain]

    def slash_destination(self) -> int:
        return TREASURY if self.scenario.staking.slashed_to == "treasury" else BURN

    def codes(self) -> np.ndarray:
        """Behaviour codes (index in params.NODE_BEHAVIOURS) per node."""
        return np.array([NODE_NAMES.index(b) for b in self.behaviour], np.int64)

    def initial_codes(self) -> np.ndarray:
        """Codes of the behaviours present at the start, sorted by name (what explorers may try)."""
        return np.array([NODE_NAMES.index(b) for b in sorted(set(self.initial_behaviour) - {""})])

    def evidence_accumulators(self) -> list:
        """Every sequential-evidence accumulator: the shared one and each independent validator's."""
        return ([self.evidence] if self.evidence is not None else []) + list(self.validator_evidence.values())

    def total_tokens(self) -> float:
        return float(
            self.node_stake.sum() + self.node_balance.sum() + self.validator_stake.sum() + self.validator_balance.sum()
        )

    def tokens_elsewhere(self) -> float:
        """Tokens outside the current nodes' and validators' stake and balances: escrow, treasury,
        domain operators and operators who left a node slot to a newcomer."""
        led, mask = self.ledger, np.ones(self.ledger.n, bool)
        mask[self.lid_node], mask[self.lid_val] = False, False
        return float(led.escrow + led.treasury + led.stake[mask].sum() + led.balance[mask].sum())


def check_limited_liability(state: NetworkState, tol: float = 1e-9) -> None:
    """Raise AssertionError if any operator's liquid balance is negative (limited liability,
    :func:`gaia_sim.staking.limited_debit`). Cheap: every epoch of every run checks it."""
    low = state.ledger.balance.min(initial=0.0)
    assert low >= -tol * max(1.0, state.initial_tokens), f"negative balance {low:.6g} (limited liability)"


def check_invariants(state: NetworkState, rtol: float = 1e-9) -> None:
    """Raise AssertionError unless: tokens are conserved (stake + balances + burned = initial
    + minted + inflow - outflow), no stake is negative, and no slash happened without a verdict."""
    expected = state.initial_tokens + state.minted + state.inflow - state.outflow
    actual = state.total_tokens() + state.burned + state.tokens_elsewhere()
    assert abs(actual - expected) <= rtol * max(1.0, abs(expected)), f"tokens not conserved: {actual} != {expected}"
    assert (state.node_stake >= 0).all() and (state.validator_stake >= 0).all(), "negative stake"
    assert not (state.slashed_total > 0)[~state.ever_guilty].any(), "slash without a guilty verdict"
    state.ledger.check_invariants(rtol)


# ---- construction ---------------------------------------------------------------------------
def build_state(scenario, answers) -> NetworkState:
    """The network at epoch 0: nodes and validators apportioned per domain (seeded permutations),
    free slots after every starting node, accounts opened and allocated on the ledger."""
    configs = resolve_configs(scenario, answers)
    node_domain, stack_role, behaviour, free_slot = _build_nodes(scenario, configs)
    validator_domain, validators = _build_validators(scenario)
    ledger, lid_node, lid_val, lid_dom = _build_ledger(scenario, node_domain, free_slot, validator_domain)
    _check_canary_role(scenario, configs)
    plan = question_plan(scenario, answers)
    return NetworkState(
        scenario,
        answers,
        configs,
        node_domain,
        stack_role,
        behaviour,
        initial_behaviour=np.where(free_slot, "", behaviour.astype(str)),
        free_slot=free_slot,
        active=~free_slot,
        status=np.where(free_slot, EXITED, ACTIVE).astype(np.int8),
        validator_domain=validator_domain,
        validators=validators,
        ledger=ledger,
        lid_node=lid_node,
        lid_val=lid_val,
        lid_dom=lid_dom,
        evidence=new_evidence(scenario),
        question_selector=_question_selector(scenario, len(plan["probe_questions"])),
        **plan,
    )


def question_plan(scenario, answers) -> dict:
    """Which questions validators ask (all, or the secret pool; of those, all, the knowledge-base
    questions or the general ones) and which ones nodes recognise as probes (none, or the public
    pool they learned): the "nodes learn the probe questions" attack and its defence, a secret pool
    (Gaia's validators keep their questions private; paper, section 4)."""
    from gaia_sim.answers.source import question_kinds, question_pools

    pools, kinds, pr = question_pools(answers), question_kinds(answers), scenario.probes
    ask = tuple(
        q
        for q in answers.question_ids
        if (pr.question_pool == "all" or pools[q] == "secret") and pr.question_kind in ("all", kinds[q])
    )
    if not ask:
        raise UserError(
            f"probes.question_pool = {pr.question_pool!r}, probes.question_kind = {pr.question_kind!r}: the answer "
            "source has no such question; allowed with this source: question_pool 'all' and question_kind 'all' "
            "(or a bank built with the labelled question set)"
        )
    learned = scenario.traffic.learned_questions == "public"
    return {"probe_questions": ask, "recognised": frozenset(q for q, p in pools.items() if learned and p == "public")}


def _build_nodes(scenario, configs: Configs):
    s, rng = scenario, rngs.stream(scenario.seed, "build-nodes")
    domain, stack, names = [], [], []
    sv = s.behaviours.honest.stack_variation
    for d in range(s.network.domains):
        for name in rng.permutation(apportion(s.network.nodes_per_domain, s.population.model_dump())):
            domain.append(d), names.append(str(name)), stack.append(draw_stack(rng, configs.honest_variants, sv))
    start = len(domain)
    for d in range(
        s.network.domains
    ):  # free slots newcomers can take (after every starting node, so ids and draws do not move)
        for _ in range(s.network.node_slots - s.network.nodes_per_domain):
            domain.append(d), names.append("honest"), stack.append("claimed")
    free = np.arange(len(domain)) >= start
    return np.array(domain), np.array(stack, dtype=object), np.array(names, dtype=object), free


def _build_validators(scenario):
    s, rng = scenario, rngs.stream(scenario.seed, "build-validators")
    domain, validators = [], []
    for d in range(s.network.domains):
        for name in rng.permutation(apportion(s.network.validators, s.validator_population.model_dump())):
            domain.append(d), validators.append(VALIDATOR_BEHAVIOURS[str(name)]())
    return np.array(domain), validators


def _build_ledger(scenario, node_domain, free_slot, validator_domain):
    """Stake and balances of every operator at epoch 0 (a free slot's placeholder holds nothing),
    each node and validator allocating its stake to its domain's operator set."""
    st, nd = scenario.staking, scenario.network.domains
    n, v = len(node_domain), len(validator_domain)
    node_stake = np.where(free_slot, 0.0, st.node_stake)
    validator_stake = np.full(v, st.validator_stake)
    balance = np.r_[np.where(free_slot, 0.0, st.initial_balance), np.full(v, st.initial_balance)]
    led = StakeLedger(np.r_[node_stake, validator_stake], nd, balance, Delays(epoch_hours=scenario.network.epoch_hours))
    lid_node, lid_val = np.arange(n), n + np.arange(v)
    lid_dom, _ = led.add_operators(np.full(nd, st.domain_operator_stake), 0)
    held = ~free_slot
    led.allocate(
        np.r_[lid_node[held], lid_val, lid_dom],
        np.r_[node_domain[held], validator_domain, np.arange(nd)],
        np.r_[node_stake[held], validator_stake, np.full(nd, st.domain_operator_stake)],
        0,
    )
    led.delays = Delays(
        scenario.network.epoch_hours, st.allocation_days, st.deallocation_days, st.withdrawal_days, st.escrow_days
    )
    return led, lid_node, lid_val, lid_dom


def new_evidence(scenario) -> EvidenceAccumulator | None:
    """The sequential-evidence accumulator the scenario's detector settings ask for (None: off); its
    per-epoch rule at level alpha x ``detector.epoch_alpha_share``."""
    det = scenario.detector
    if not det.sequential:
        return None
    return EvidenceAccumulator(
        alpha=det.alpha, memory=det.evidence_memory, epoch_alpha=det.alpha * det.epoch_alpha_share
    )


def _question_selector(scenario, n_questions: int) -> QuestionSelector | None:
    choice = scenario.probes.question_selection
    if choice not in QuestionSelector.CHOICES:
        return None
    if not scenario.detector.name.startswith("default"):
        raise UserError(
            f"probes.question_selection = {choice!r} needs detector.name 'default', 'default_all' or "
            f"'default_nearest' (per-question p-values); got {scenario.detector.name!r}"
        )
    return QuestionSelector.for_choice(choice, n_questions, explore=scenario.probes.exploration)


def _check_canary_role(scenario, configs: Configs) -> None:
    vp = scenario.validation
    if vp.canaries_per_epoch > 0 and vp.canary_role not in configs.role_to_config:
        raise UserError(
            f"validation.canary_role = {vp.canary_role!r}: the answer source has no such role; "
            f"allowed: {sorted(r for r in configs.role_to_config if r != 'claimed')}"
        )


# ---- serving plans --------------------------------------------------------------------------
def refresh_plans(state: NetworkState, ids: np.ndarray | None = None) -> None:
    """Serving plans (config indices) of nodes ``ids`` (all when None) from their behaviour's
    :meth:`~gaia_sim.nodes.NodeBehaviour.plan` on their stack; trait masks of every node."""
    if ids is None:
        n = state.n_nodes
        state.honest_cfg, state.user_cfg, state.probe_cfg = (np.zeros(n, dtype=np.int64) for _ in range(3))
        state.cheat_rate, state.profiles = np.zeros(n), [None] * n  # type: ignore[list-item]
        state.honest_s, state.user_s = np.zeros(n), np.zeros(n)
        ids = np.arange(n)
    for i in ids:
        row = _plan_row(state, state.behaviour[i], state.stack_role[i])
        state.honest_cfg[i], state.user_cfg[i], state.probe_cfg[i], state.cheat_rate[i] = row[:4]
        state.honest_s[i], state.user_s[i], state.profiles[i] = row[4:]
    state.serving.clear()  # the queue outcomes per node follow the plans
    state.ring_member = np.isin(state.behaviour, with_trait("colludes"))
    state.cheater = np.isin(state.behaviour, with_trait("cheats"))
    state.pays_kb = ~np.isin(state.behaviour, with_trait("skips_kb"))


def _plan_row(state: NetworkState, behaviour: str, stack_role: str) -> tuple:
    """(honest, user, probe config index, cheat rate, honest seconds, user seconds, serving profile):
    the behaviour's plan on the node's stack, its seconds per answer on that stack
    (:func:`gaia_sim.costs.served_seconds`); one profile object per plan, shared by its nodes."""
    key = (behaviour, stack_role)
    if key not in state.plan_cache:
        p, c = NODE_BEHAVIOURS[behaviour]().plan(NodeContext(stack_role, state.scenario)), state.configs
        h, u = c.index(p.honest_role), c.index(p.user_role)
        stack_s, user_s = c.secs(np.array([h, u]))
        served = float(costs.served_seconds(user_s, stack_s, c.claimed_s, u == h))
        profile = _profile(float(stack_s), served, 0.0 if u == NO_ANSWER else float(p.cheat_rate))
        state.plan_cache[key] = (h, u, c.index(p.probe_role), p.cheat_rate, float(stack_s), served, profile)
    return state.plan_cache[key]


def _profile(honest_s: float, user_s: float, cheat_rate: float) -> ServingProfile:
    """A serving profile: (seconds per honest answer, per cheap answer) and their weights."""
    return ServingProfile((honest_s, user_s), (1.0 - cheat_rate, cheat_rate))


# ---- economics events ------------------------------------------------------------------------
def event_frame(state: NetworkState, ev: dict, role: str, epoch: int) -> dict[str, np.ndarray]:
    """Economics events (ledger / rule records, by ledger id) as columns of events.parquet, with
    the node or validator id and its behaviour now."""
    lid = np.asarray(ev["operator"], np.int64)
    ids = state.lid_node if role == "node" else state.lid_val
    pos = np.full(state.ledger.n, -1, np.int64)
    pos[ids] = np.arange(len(ids))
    who = pos[lid] if len(lid) else lid
    names = np.asarray(state.behaviour if role == "node" else state.validator_names, dtype=str)
    beh = np.where(who >= 0, names[np.maximum(who, 0)], "") if len(lid) else np.zeros(0, dtype=str)
    k, none = len(lid), np.full(len(lid), -1, np.int64)
    return {
        "epoch": np.full(k, epoch, np.int64),
        "kind": np.asarray(ev["kind"], dtype=str),
        "node": who if role == "node" else none,
        "validator": who if role == "validator" else none,
        "behaviour": beh,
        "amount": np.asarray(ev["amount"], float),
        "score": np.full(k, np.nan),
        "p_value": np.full(k, np.nan),
        "flagged": np.zeros(k, bool),
        "detail": np.asarray(ev["detail"]).astype(str),
    }
