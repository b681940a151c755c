"""The one parameter schema: every knob of a scenario, typed, frozen, with a default, a unit and a docstring.

A scenario TOML file maps one-to-one onto :class:`ScenarioParams`: each ``[table]`` is a parameter
group below, each key a field. Unknown keys, wrong types and out-of-range values are rejected by
:mod:`gaia_sim.scenario` with a message naming the file and key path. The dashboard and the docs read
defaults, units and bounds from here (``field_info``); nothing else may restate them.

Units: ``tokens`` are the staking token; ``count`` is a number of operators or items; ``fraction`` is
in [0, 1]; ``hours`` / ``days`` / ``seconds`` are wall-clock time; ``epochs`` are simulation steps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NODE_BEHAVIOURS = ("honest", "lazy", "colluding", "model_swapping", "kb_swapping")
VALIDATOR_BEHAVIOURS = ("honest", "lazy", "colluding")


def F(default: Any, unit: str, doc: str, **bounds: Any) -> Any:
    """A schema field: default, unit and one-line docstring, plus pydantic bounds (ge, le, gt, ...)."""
    return Field(default, description=doc, json_schema_extra={"unit": unit}, **bounds)


SlashRule = Literal["fixed_fraction", "fixed", "graduated", "evidence_threshold", "jail_eject", "dispute"]
#: Named detectors; ``gaia_sim.detector.DETECTORS`` must hold exactly these (checked by a test).
DetectorName = Literal["default", "default_all", "default_nearest", "paper", "median_rank"]
EvidenceMemory = Literal["lifetime", "recent"]  # gaia_sim.detector.sequential.MEMORIES
#: Answer sources that are not a bank directory.
ANSWER_SOURCES = ("default", "stand-in")
#: A scenario name becomes a folder name: letters, digits, '.', '_' and '-', not starting with '.'.
SAFE_NAME = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$"


def fraction(default: float, doc: str) -> Any:
    return F(default, "fraction", doc, ge=0.0, le=1.0)


class Group(BaseModel):
    """Base of every parameter group: frozen, strict types, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True)


class NetworkParams(Group):
    """Shape of the simulated Gaia network."""

    domains: int = F(1, "count", "Gaia domains; each domain is one EigenLayer operator set", ge=1, le=100)
    nodes_per_domain: int = F(30, "count", "node operators per domain at the start", ge=3, le=100_000)
    validators: int = F(5, "count", "validators per domain", ge=1, le=1_000)
    epoch_hours: float = F(24.0, "hours", "wall-clock length of one epoch (one model step)", gt=0.0, le=24.0 * 365)
    max_nodes_per_domain: int = F(
        0,
        "count",
        "node slots per domain: newcomers (strategy.entry_rate) fill free slots up to this, so a profitable domain grows; 0 = nodes_per_domain (newcomers only replace operators who left)",
        ge=0,
        le=100_000,
    )

    @model_validator(mode="after")
    def _room_for_the_start(self) -> "NetworkParams":
        if 0 < self.max_nodes_per_domain < self.nodes_per_domain:
            raise ValueError(
                f"max_nodes_per_domain ({self.max_nodes_per_domain}) must be 0 or at least "
                f"nodes_per_domain ({self.nodes_per_domain})"
            )
        return self

    @property
    def node_slots(self) -> int:
        """Node slots per domain (max_nodes_per_domain, or nodes_per_domain when 0)."""
        return max(self.max_nodes_per_domain, self.nodes_per_domain)


class _Mix(Group):
    """A population mix: fractions by behaviour that must sum to 1."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> "_Mix":
        total = sum(self.model_dump().values())
        if abs(total - 1.0) > 1e-9:
            parts = ", ".join(f"{k}={v:g}" for k, v in self.model_dump().items())
            raise ValueError(f"fractions must sum to 1 (got {total:g}: {parts})")
        return self


class PopulationParams(_Mix):
    """Node mix at the start: fraction of node operators by behaviour."""

    honest: float = fraction(1.0, "share of nodes that run the claimed model and knowledge base")
    lazy: float = fraction(0.0, "share of nodes that skip inference (replay, truncate, refuse or drop answers)")
    colluding: float = fraction(
        0.0, "share of nodes in a ring that runs one cheap model and is shielded by colluding validators"
    )
    model_swapping: float = fraction(0.0, "share of nodes that serve a cheaper model than the one they claim")
    kb_swapping: float = fraction(
        0.0, "share of nodes that serve the right model with a wrong or missing knowledge base"
    )


class ValidatorMixParams(_Mix):
    """Validator mix: fraction of validators (by count) by behaviour."""

    honest: float = fraction(1.0, "share of validators that probe and vote on the detector's verdict")
    lazy: float = fraction(0.0, "share of validators that do not probe and approve every node")
    colluding: float = fraction(0.0, "share of validators that vote to shield the colluding ring")


class HonestParams(Group):
    """Honest nodes: the claimed configuration, on varied hardware and software stacks."""

    stack_variation: float = fraction(
        0.5, "share of honest nodes that run an honest variant (other seed, batch or dtype)"
    )


class LazyParams(Group):
    """Lazy nodes: skip inference on some requests."""

    mode: Literal["replay", "truncated", "refusal", "missing"] = F(
        "replay", "choice", "what a lazy node returns instead of a real answer"
    )
    skip_rate: float = fraction(1.0, "share of requests on which a lazy node skips inference")


class ModelSwapParams(Group):
    """Model-swapping nodes: serve a cheaper model than claimed."""

    swap_to: Literal["cheaper_model", "low_precision", "low_bit"] = F(
        "cheaper_model",
        "choice",
        "the computation served instead: cheaper_model (layers removed), low_precision (4-bit weights, simulated),"
        " low_bit (llama.cpp's Q2_K mix on its real low-bit kernels; the shipped bank has it)",
    )
    when: Literal["always", "unprobed"] = F(
        "always", "choice", "cheat always, or only on requests the node believes are not probes"
    )
    cheat_rate: float = fraction(1.0, "with when='unprobed' and indistinguishable probes: share of requests cheated on")


class KbSwapParams(Group):
    """Knowledge-base-swapping nodes: right model, wrong or no knowledge base."""

    swap_to: Literal["wrong_kb", "no_kb"] = F("wrong_kb", "choice", "the knowledge base actually used")


class CollusionParams(Group):
    """Colluding ring: nodes share one cheap model; colluding validators vouch for them."""

    ring_model: Literal["cheaper_model", "low_precision", "low_bit"] = F(
        "low_precision", "choice", "the cheap model the ring runs (as behaviours.model_swapping.swap_to)"
    )
    bribe: float = F(
        0.0,
        "tokens/epoch",
        "validator bribery: what the ring pays each colluding validator of a domain per epoch while ring members are active there, split evenly among them (rewards.bribe_bills); 0 = colluding validators shield the ring for free",
        ge=0.0,
    )


class BurstParams(Group):
    """Burst cheating: cheaters cheat in some epochs only and serve honestly in the others."""

    epoch_share: float = fraction(
        1.0,
        "share of epochs in which a cheating node follows its cheating plan (in the others it serves honestly on its own stack); 1 = every epoch",
    )
    coordinated: bool = F(
        False, "flag", "all cheaters burst in the same epochs (one draw per epoch) instead of each on its own draw"
    )


class BehaviourParams(Group):
    """Per-behaviour knobs."""

    honest: HonestParams = HonestParams()
    lazy: LazyParams = LazyParams()
    model_swapping: ModelSwapParams = ModelSwapParams()
    kb_swapping: KbSwapParams = KbSwapParams()
    colluding: CollusionParams = CollusionParams()
    burst: BurstParams = BurstParams()


class TrafficParams(Group):
    """Traffic inside an epoch (simulated with SimPy)."""

    requests_per_node: float = F(500.0, "requests/epoch", "mean user requests arriving at each node per epoch", ge=0.0)
    utilisation: float = F(
        0.7,
        "fraction",
        "offered load of a node running the claimed model (arrival rate x service time)",
        gt=0.0,
        le=5.0,
    )
    provisioning: Literal["claimed", "stack"] = F(
        "claimed",
        "choice",
        "what the offered load (utilisation) is relative to: the claimed model's capacity at every node (claimed: stacks slower than it run overloaded, and shedding load pays, e037), or each node's own stack serving honestly (stack: operators provision for their hardware); traffic.arrival_rate",
    )
    timeout_s: float = F(30.0, "seconds", "a request still queued or in service after this long times out", gt=0.0)
    simulated_requests: int = F(
        2000,
        "requests",
        "arrivals simulated through SimPy per serving profile (its timeout share then applies to the full load)",
        ge=8,
        le=1_000_000,
    )
    service_time_scale: float = F(
        1.0, "ratio", "node service time = this x the bank's measured seconds per answer", gt=0.0
    )
    probes_distinguishable: bool = F(False, "flag", "whether nodes can tell validator probes from user requests")
    learned_questions: Literal["none", "public"] = F(
        "none",
        "choice",
        "probe questions nodes recognise: none, or the public pool (published or leaked questions); a node answers a recognised probe with its probe plan, as if probes were distinguishable",
    )


class ProbeParams(Group):
    """What validators ask each epoch."""

    probe_fraction: float = fraction(1.0, "share of a domain's nodes probed each epoch")
    questions_per_epoch: int = F(5, "questions", "questions asked of every probed node per epoch", ge=1, le=1_000)
    samples_per_question: int = F(3, "answers", "repeats of each question per probed node", ge=1, le=1_000)
    question_pool: Literal["all", "secret"] = F(
        "all",
        "choice",
        "questions validators ask: all of the answer source's questions, or only the validators' secret pool (never published, so nodes cannot learn them)",
    )
    question_kind: Literal["all", "kb", "general"] = F(
        "all",
        "choice",
        "which of the pool's questions validators ask: all, only those answerable from the claimed knowledge base (kb: a node serving without it or with another one answers them differently), or only general ones",
    )
    question_selection: Literal["random", "learned", "learned_ucb", "learned_ucb_contrast"] = F(
        "random",
        "choice",
        "random: uniform questions each epoch; learned: validators spend the budget on questions that have separated nodes (detector.QuestionSelector, probes.exploration of them at random; can raise the honest flag rate, see docs/detector.md); learned_ucb: the same, ranked by an upper confidence bound, so a question with one unlucky early score is asked again (finds the telling questions more reliably, and with them more honest flags; experiment e055); learned_ucb_contrast: learned_ucb scoring each question by how far the most suspicious nodes stand out beyond the rest, so questions on which honest stacks disagree lose their pull (experiment e056)",
    )
    exploration: float = fraction(
        0.2,
        "learned question selections: share of each epoch's questions drawn at random from the rest (epsilon-greedy; the others by the selector's ranking), so cheating on questions the selector has written off is still found; 0 with learned_ucb or learned_ucb_contrast leaves exploring to the upper confidence bound, which decided better and reacted as fast to cheaters moving to other questions (experiments e062, e063)",
    )


class DetectorParams(Group):
    """The statistical detector validators apply to the answers they collected."""

    name: DetectorName = F("default", "choice", "detector from gaia_sim.detector.DETECTORS")
    alpha: float = F(0.01, "probability", "per-verdict false-positive (false-discovery) target", gt=0.0, le=1.0)
    sequential: bool = F(True, "flag", "accumulate evidence across epochs before flagging")
    after_verdict: Literal["restart", "spend"] = F(
        "restart",
        "choice",
        "sequential evidence after a guilty verdict: restart: the node's e-process starts again at 1 (a node is convicted by accumulated evidence at most every other epoch); spend: its balance is divided by e(p_floor) = 20.8 (convicted every epoch once evidence suffices; at today's detector and bank the same verdicts as restart in item 2's honest setting and in model_swap, kb_swap and collusion_ring, experiments/e065_spend_default)",
    )
    evidence_memory: EvidenceMemory = F(
        "lifetime",
        "choice",
        "sequential evidence between epochs: lifetime: the product since the node joined, clean epochs lower it below 1 (credit a burst must repay; Ville: about alpha false convictions over a node's life); recent: never below 1 (a CUSUM e-detector: alpha bounds false convictions per honest node-epoch; convicts cheating in rare bursts 12-18x as often, experiment e039)",
    )
    epoch_alpha_share: float = fraction(
        0.1,
        "sequential evidence, rule (b): one epoch's p-values alone convict at Benjamini-Hochberg level alpha x this share across a domain's judged nodes (default: alpha / 10); 0 = off, only the accumulated balance convicts. Experiment e066 (200 epochs): every honest false conviction came from this rule, ~5e-5 per honest node-epoch and not fading; off, none in 2.2M honest node-epochs, but diluted cheaters convicted fell 0.39 -> 0.15 (refusal of 10% of answers) and 0.68 -> 0.55 (cheaper model on 25%)",
    )
    coordination: bool = F(
        False,
        "flag",
        "default detectors: keep nodes that return one shared answer set (coordinated cache replay) out of the consensus core, peer pool and empirical null (gaia_sim/detector/coordination.py; experiment e019: replayers caught at 0.9+ up to 45% of nodes instead of breaking down from 30%)",
    )
    bootstrap: int = F(
        400,
        "pseudo-nodes",
        "default detector: bootstrap pseudo-honest nodes per question (p-value resolution 1/(bootstrap+1); cost grows linearly)",
        ge=20,
        le=100_000,
    )


class ValidationParams(Group):
    """How validators' votes become the protocol's verdict."""

    quorum: float = F(2 / 3, "fraction", "share of validator stake that must vote guilty for a verdict", gt=0.0, le=1.0)
    deviation_slash: float = fraction(0.0, "share of a validator's stake slashed per vote against a decided verdict")
    independent_probes: bool = F(
        False,
        "flag",
        "each validator draws its own answers from the probed nodes (its own cheat and bank draws) and runs the detector on them, so committee members can disagree and the quorum matters; off: one shared draw and detector run per domain (costs 1/validators of the detector time)",
    )
    canaries_per_epoch: int = F(
        0, "nodes", "known-bad canary nodes the protocol plants per domain each epoch", ge=0, le=1_000
    )
    canaries_per_validator: int = F(1, "nodes", "canaries each validator is asked to judge per epoch", ge=0, le=1_000)
    canary_role: Literal[
        "cheaper_model", "low_precision", "wrong_kb", "no_kb", "lazy_truncated", "lazy_replay", "lazy_refusal"
    ] = F(
        "cheaper_model",
        "choice",
        "bank role whose answers a canary gives (known-bad); validators judge it with the detector among the probed nodes",
    )
    canary_slash: float = fraction(0.05, "share of a validator's stake slashed per missed canary")
    canary_scoring: Literal["every_miss", "detectable_miss"] = F(
        "every_miss",
        "choice",
        "every_miss: any canary a validator fails to flag is penalised; detectable_miss: only canaries the protocol's own run of the detector on the same answers flags (honest validators then never pay for the detector's misses)",
    )
    appeal_accuracy: float = fraction(
        0.95, "probability an honest validator's appeal vote (dispute rule) matches the truth"
    )


class StakingParams(Group):
    """Stake with EigenLayer semantics."""

    node_stake: float = F(1000.0, "tokens", "stake each node operator deposits and allocates to its domain", ge=0.0)
    validator_stake: float = F(5000.0, "tokens", "stake each validator deposits and allocates", ge=0.0)
    initial_balance: float = F(100.0, "tokens", "liquid balance of every operator at the start", ge=0.0)
    domain_operator_stake: float = F(
        0.0, "tokens", "stake each domain operator allocates to vouch for its nodes (0: no domain operators)", ge=0.0
    )
    top_up: bool = F(
        True,
        "flag",
        "after a slash, node operators restore their stake to node_stake from their balance (minimum stake)",
    )
    allocation_days: float = F(
        0.0, "days", "EigenLayer ALLOCATION_DELAY: new allocations become slashable after this", ge=0.0
    )
    deallocation_days: float = F(
        14.0, "days", "EigenLayer DEALLOCATION_DELAY: deallocated stake stays slashable this long", ge=0.0
    )
    withdrawal_days: float = F(
        14.0, "days", "EigenLayer WITHDRAWAL_DELAY: queued withdrawals stay slashable this long", ge=0.0
    )
    escrow_days: float = F(
        7.0, "days", "EigenLayer slash resolution delay: slashed stake waits in escrow this long", ge=0.0
    )
    capital_rate: float = F(
        0.03,
        "fraction/year",
        "opportunity cost of locked stake: the yield it forgoes per year, charged per epoch on each node's allocated stake (costs.capital_cost); default 3%/year, the Ethereum consensus-layer staking yield (ethereum.org/staking; ~3% APR in 2024-25)",
        ge=0.0,
        le=1.0,
    )
    slashed_to: Literal["burn", "treasury"] = F(
        "burn", "choice", "where escrowed slashes go: burned, or the AVS treasury that pays validator rewards first"
    )


class SlashingParams(Group):
    """Slashing rule applied to flagged nodes."""

    rule: SlashRule = F("fixed_fraction", "choice", "slashing rule from gaia_sim.slashing.RULES")
    slash_fraction: float = fraction(0.5, "share of a flagged node's allocated stake slashed")
    graduated_step: float = F(
        2.0, "ratio", "graduated rule: slash fraction multiplier per prior upheld offence", ge=1.0
    )
    max_fraction: float = fraction(1.0, "cap on any single slash (and the slash on ejection)")
    evidence_threshold: float = F(
        6.9, "log e-value", "evidence_threshold rule: sequential evidence (ln e-value) needed to slash", ge=0.0
    )
    jail_epochs: int = F(7, "epochs", "jail_eject rule: epochs a slashed node sits out", ge=0)
    eject_after: int = F(3, "offences", "jail_eject rule: upheld offences after which a node is ejected", ge=1)
    dispute_bond: float = F(
        50.0, "tokens", "dispute rule: bond a challenger locks and loses if the slash is upheld", ge=0.0
    )
    dispute_majority: float = fraction(0.5, "dispute rule: appeal stake share voting innocent needed to overturn")
    dispute_base: SlashRule = F(
        "fixed_fraction", "choice", "dispute rule: the rule whose slash a challenge can overturn"
    )
    cheater_challenge_rate: float = fraction(
        0.0, "share of slashed cheaters that challenge anyway (honest nodes always do)"
    )
    forfeit_revenue: bool = F(True, "flag", "a node found guilty earns nothing for the epoch (users are refunded)")
    domain_threshold: float = fraction(
        0.2, "share of a domain's nodes slashed in an epoch above which its operator is liable"
    )
    domain_share: float = fraction(0.5, "share of its nodes' slashed tokens a liable domain operator is slashed")

    @model_validator(mode="after")
    def _dispute_base_not_dispute(self) -> "SlashingParams":
        if self.dispute_base == "dispute":
            raise ValueError("dispute_base must name another rule (not 'dispute')")
        if self.max_fraction < self.slash_fraction:
            raise ValueError(
                f"max_fraction ({self.max_fraction:g}) caps every slash, so it must be at least "
                f"slash_fraction ({self.slash_fraction:g})"
            )
        if self.dispute_majority <= 0.0:
            raise ValueError("dispute_majority must be above 0 (at 0 every challenged slash is overturned)")
        return self


class RewardParams(Group):
    """Payments."""

    price_per_request: float = F(
        0.01, "tokens/request", "what users pay a node per accepted answer (see min_answer_tokens)", ge=0.0
    )
    min_answer_tokens: int = F(
        1,
        "tokens",
        "users pay only for answers that are not refusals and have at least this many generated tokens (empty answers, and answers truncated below it, are not paid; rewards.accepted). Default 1: the largest value that pays every honest answer of the shipped bank (the shortest are 1 token; truncated answers are 6, inside the honest range; docs/economics.md)",
        ge=0,
        le=100_000,
    )
    validator_reward: float = F(5.0, "tokens/epoch", "protocol reward to each validator that votes in an epoch", ge=0.0)
    protocol_fee: float = fraction(0.0, "share of user payments the protocol keeps for the validator reward pool")


class CostParams(Group):
    """Operating costs."""

    compute_price: float = F(
        0.025,
        "tokens/second",
        "price of one second of a node's compute (default: the claimed model's calibrated 0.094 s per answer costs"
        " about a quarter of what users pay per answer; half on the earlier, slower-engine bank)",
        ge=0.0,
    )
    fixed_cost: float = F(0.5, "tokens/epoch", "fixed cost of running a node for an epoch", ge=0.0)
    kb_cost: float = F(
        0.5,
        "tokens/epoch",
        "cost of hosting, updating and curating the claimed knowledge base (a node that swaps it skips this)",
        ge=0.0,
    )
    probe_cost: float = F(0.01, "tokens/answer", "what a validator pays for each probe answer", ge=0.0)


class StrategyParams(Group):
    """Strategy revision by node operators (evolutionary dynamics)."""

    revision_rate: float = fraction(0.05, "share of node operators that consider switching each epoch")
    dynamics: Literal["logit", "replicator", "none"] = F(
        "replicator",
        "choice",
        "how a reviser picks its next behaviour: replicator (proportional imitation, follows expected profit) or logit (Fermi rule)",
    )
    noise: float = F(1.0, "tokens", "logit temperature: profit difference at which switching odds are e:1", gt=0.0)
    profit_memory: float = fraction(0.2, "weight of the latest epoch in each operator's profit average")
    imitation_scale: float = F(
        10.0,
        "tokens",
        "replicator: profit-average gap at which a reviser surely copies its peer; a trait of the population, fixed across a sweep (Schlag 1998: a known bound on payoff differences); default = two epochs of an honest node's revenue at the shipped price and load (500 x 0.01 x 2)",
        gt=0.0,
        le=1e9,
    )
    mutation: float = fraction(0.0, "share of revisers that try a random behaviour present at the start (exploration)")
    exit_rate: float = fraction(
        0.0, "probability per epoch that an operator whose average profit is below the outside option leaves"
    )
    entry_rate: float = F(
        0.0,
        "share/epoch",
        "newcomers per epoch as a share of active nodes, while some behaviour beats the outside option",
        ge=0.0,
        le=1.0,
    )
    outside_option: float = F(
        0.0, "tokens/epoch", "profit an operator could earn elsewhere: below it, it may leave", ge=-1e9
    )
    warmup_epochs: int = F(10, "epochs", "no exit or entry before this epoch (profit averages need history)", ge=0)
    settle_window: int = F(
        20,
        "epochs",
        "shares count as settled once every later window this long keeps each share within settle_tolerance",
        ge=2,
    )
    settle_tolerance: float = fraction(0.02, "largest range (max - min) of a behaviour's share within a settled window")


class ScenarioParams(Group):
    """A whole scenario."""

    name: str = F(
        "scenario",
        "text",
        "scenario name; results go to results/<name>/<hash>/ (letters, digits, '.', '_', '-'; not starting with '.')",
    )
    seed: int = F(0, "integer", "master random seed; same seed, same results", ge=0)
    epochs: int = F(100, "epochs", "number of epochs (model steps) to simulate", ge=1, le=1_000_000)
    answers: str = F("default", "text", "answer source: 'default' (shipped bank), 'stand-in', or a bank directory")

    @field_validator("name")
    @classmethod
    def _safe_for_a_folder(cls, value: str) -> str:
        if re.fullmatch(SAFE_NAME, value):
            return value
        raise ValueError(
            f"{value!r} cannot be a folder name; allowed: 1-100 letters, digits, '.', '_' or '-', "
            "not starting with '.' (no '/' or '..')"
        )

    @field_validator("answers")
    @classmethod
    def _known_answer_source(cls, value: str) -> str:
        if value in ANSWER_SOURCES or Path(value).is_dir():
            return value
        raise ValueError(
            f"unknown answer source {value!r}; allowed: {', '.join(repr(a) for a in ANSWER_SOURCES)} "
            "or an existing bank directory"
        )

    network: NetworkParams = NetworkParams()
    population: PopulationParams = PopulationParams()
    validator_population: ValidatorMixParams = ValidatorMixParams()
    behaviours: BehaviourParams = BehaviourParams()
    traffic: TrafficParams = TrafficParams()
    probes: ProbeParams = ProbeParams()
    detector: DetectorParams = DetectorParams()
    validation: ValidationParams = ValidationParams()
    staking: StakingParams = StakingParams()
    slashing: SlashingParams = SlashingParams()
    rewards: RewardParams = RewardParams()
    costs: CostParams = CostParams()
    strategy: StrategyParams = StrategyParams()


def field_info(path: str) -> dict[str, Any]:
    """Default, unit, docstring and bounds of a parameter path such as ``"staking.node_stake"``, and
    ``choices`` (the allowed values) for a field that takes one of a fixed set."""
    group: type[BaseModel] = ScenarioParams
    *parents, leaf = path.split(".")
    for part in parents:
        group = group.model_fields[part].annotation  # type: ignore[assignment]
    info = group.model_fields[leaf]
    bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "le", "gt", "lt") if hasattr(m, k)}
    extra = info.json_schema_extra or {}
    choices = {"choices": get_args(info.annotation)} if get_origin(info.annotation) is Literal else {}
    return {"default": info.default, "unit": extra.get("unit", ""), "doc": info.description, **bounds, **choices}


def leaf_paths(group: type[BaseModel] = ScenarioParams, prefix: str = "") -> list[str]:
    """Every parameter path of the schema, e.g. ``["name", "seed", ..., "network.domains", ...]``."""
    paths: list[str] = []
    for name, info in group.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            paths += leaf_paths(sub, f"{prefix}{name}.")
        else:
            paths.append(f"{prefix}{name}")
    return paths


def schema_groups(group: type[BaseModel] = ScenarioParams, prefix: str = "") -> list[tuple[str, str, list[str]]]:
    """The schema's groups in declaration order: ``(group path, its docstring, its own leaf paths)``;
    ``""`` is the scenario's top level, nested groups (``behaviours.lazy``) follow their parent."""
    own = [f"{prefix}{name}" for name, info in group.model_fields.items() if not _is_group(info.annotation)]
    out = [(prefix.rstrip("."), (group.__doc__ or "").strip(), own)]
    for name, info in group.model_fields.items():
        if _is_group(info.annotation):
            out += schema_groups(info.annotation, f"{prefix}{name}.")
    return [g for g in out if g[2]]


def _is_group(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
