"""The attacker space: one small registered class per attack, each with its typed parameter space,
its source, and a pure ``overrides(params) -> dict`` onto scenario parameters (after Axelrod's
strategy classes; variants by name from a registry, after Ciw).

Two kinds of attack:

- a **deployment** puts cheating nodes in the network: a node behaviour at a ``share`` of the nodes
  (the attacker's node-epochs, whose profit the red team maximises), with its knobs;
- a **modifier** changes how deployed cheaters act or who shields them (burst timing, learned probe
  questions, colluding or bribed validators); it names the deployments it works with (``needs``).

Attacks combine freely (:func:`combine`): the union of their overrides, several deployments' shares
side by side (honest nodes fill the rest); two attacks that set one key to different values, a
modifier without a deployment it works with, or shares above :data:`MAX_ATTACKER_SHARE` are refused
with one message naming them. Every override is a scenario parameter the simulation reads; nothing
here simulates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from gaia_sim.errors import UserError
from gaia_sim.params import NODE_BEHAVIOURS

_PAPER = "Trust, but verify (arXiv 2504.13443), sec. 1-2"
#: Largest share of the nodes a combination of deployments may hold (the detector compares nodes
#: with an honest majority; beyond half the question is who is honest, not what cheating earns).
MAX_ATTACKER_SHARE = 0.49


@dataclass(frozen=True)
class Range:
    """A numeric parameter: ``low <= value <= high``; ``log``: searched on a log scale;
    ``integer``: whole numbers only."""

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def check(self, where: str, value: Any) -> float | int:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not self.low <= value <= self.high or (self.integer and value != int(value)):
            kind = "an integer" if self.integer else "a number"
            raise UserError(f"{where}: {value!r} is not allowed; allowed: {kind} in [{self.low:g}, {self.high:g}]")
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Choice:
    """A categorical parameter: one of ``options``."""

    options: tuple

    def check(self, where: str, value: Any) -> Any:
        if value not in self.options or isinstance(value, bool) != isinstance(self.options[0], bool):
            raise UserError(f"{where}: {value!r} is not allowed; allowed: {', '.join(map(repr, self.options))}")
        return value


Space = Mapping[str, "Range | Choice"]
SHARE = Range(0.05, 0.45)


@dataclass(frozen=True)
class Attack:
    """Base class. ``deploys``: the node behaviour it puts in the network (None: a modifier);
    ``needs``: for a modifier, the deployments (attack names) it acts on."""

    name: str = ""
    source: str = ""
    space: Space = field(default_factory=dict)
    deploys: str | None = None
    needs: tuple[str, ...] = ()

    def checked(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` validated against :attr:`space` (every parameter given, none unknown)."""
        unknown, missing = set(params) - set(self.space), set(self.space) - set(params)
        if unknown or missing:
            what = f"unknown {sorted(unknown)}" if unknown else f"missing {sorted(missing)}"
            raise UserError(f"attack {self.name!r}: {what}; its parameters: {', '.join(self.space)}")
        return {k: spec.check(f"attack {self.name!r}: {k}", params[k]) for k, spec in self.space.items()}

    def overrides(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Scenario overrides (``"group.key": value``) of this attack with ``params``."""
        raise NotImplementedError

    def defaults(self) -> dict[str, Any]:
        """A point of the space: each range's midpoint (geometric when log), each choice's first."""
        return {k: _middle(spec) for k, spec in self.space.items()}


def within_share(chosen: dict[str, dict[str, Any]], max_share: float) -> dict[str, dict[str, Any]]:
    """``chosen`` with each deployment's ``share`` lowered to ``max_share`` where it was above (the
    threat model: attackers hold at most that share of the nodes)."""
    return {n: (p | {"share": min(float(p["share"]), max_share)} if "share" in p else p) for n, p in chosen.items()}


def _middle(spec: Range | Choice) -> Any:
    if isinstance(spec, Choice):
        return spec.options[0]
    mid = math.sqrt(spec.low * spec.high) if spec.log else (spec.low + spec.high) / 2
    return int(round(mid)) if spec.integer else mid


ATTACKS: dict[str, Attack] = {}


def register(cls: type[Attack]) -> type[Attack]:
    """Class decorator: one instance of the attack, available by its name."""
    attack = cls()
    if (attack.deploys is None) == (not attack.needs):
        raise TypeError(f"{cls.__name__}: a deployment sets deploys; a modifier sets needs (not both)")
    if attack.deploys is not None and (attack.deploys not in NODE_BEHAVIOURS or "share" not in attack.space):
        raise TypeError(f"{cls.__name__}: deploys a known node behaviour and has a 'share' parameter")
    ATTACKS[attack.name] = attack
    return cls


def deployments() -> list[str]:
    return [n for n, a in ATTACKS.items() if a.deploys is not None]


def modifiers_for(deployment: str) -> list[str]:
    """Modifiers that act on ``deployment``."""
    return [n for n, a in ATTACKS.items() if deployment in a.needs]


# ---- deployments -------------------------------------------------------------------------------
@register
@dataclass(frozen=True)
class ModelSwap(Attack):
    """Serve a cheaper model than claimed on every request."""

    name: str = "model_swap"
    source: str = _PAPER + " (a node running a smaller or quantized model than it claims)"
    space: Space = field(
        default_factory=lambda: {"share": SHARE, "swap_to": Choice(("cheaper_model", "low_precision"))}
    )
    deploys: str | None = "model_swapping"

    def overrides(self, params):
        p = self.checked(params)
        return _swapping(p["share"], p["swap_to"], "always", 1.0)


@register
@dataclass(frozen=True)
class DilutedCheating(Attack):
    """Serve the cheaper model on a share of requests only, probes included (they cannot be told
    apart), so each probe sees a mostly honest node: detector power falls with the share."""

    name: str = "diluted"
    source: str = (
        _PAPER + "; Zhang et al., Proof of Sampling (arXiv 2405.00295), sec. 3: a partial cheater"
        " saves in proportion to the share it cheats on; experiment e005 (issue 16: detector power"
        " on diluted cheating)"
    )
    space: Space = field(
        default_factory=lambda: {
            "share": SHARE,
            "cheat_rate": Range(0.02, 1.0, log=True),
            "swap_to": Choice(("cheaper_model", "low_precision")),
        }
    )
    deploys: str | None = "model_swapping"

    def overrides(self, params):
        p = self.checked(params)
        return _swapping(p["share"], p["swap_to"], "unprobed", p["cheat_rate"])


def _swapping(share: float, swap_to: str, when: str, cheat_rate: float) -> dict[str, Any]:
    """Overrides of a model-swapping population (``behaviours.model_swapping``)."""
    return {
        "population.model_swapping": share,
        "behaviours.model_swapping.swap_to": swap_to,
        "behaviours.model_swapping.when": when,
        "behaviours.model_swapping.cheat_rate": cheat_rate,
    }


@dataclass(frozen=True)
class _LazyAttack(Attack):
    """A share ``share`` of nodes that skip inference on a share ``skip_rate`` of requests, answering
    in ``mode`` (a ``behaviours.lazy.mode``) instead."""

    mode: str = "replay"
    space: Space = field(default_factory=lambda: {"share": SHARE, "skip_rate": Range(0.05, 1.0)})
    deploys: str | None = "lazy"

    def overrides(self, params):
        p = self.checked(params)
        return {
            "population.lazy": p["share"],
            "behaviours.lazy.mode": self.mode,
            "behaviours.lazy.skip_rate": p["skip_rate"],
        }


@register
@dataclass(frozen=True)
class CacheReplay(_LazyAttack):
    """Answer from a cache: one real answer of the claimed model per question, replayed for every
    request of it (bank role lazy_replay), on a share ``skip_rate`` of requests."""

    name: str = "cache_replay"
    source: str = _PAPER + " (lazy nodes returning cached answers)"
    mode: str = "replay"


@register
@dataclass(frozen=True)
class CannedRefusal(_LazyAttack):
    """Answer a canned refusal without inference on a share ``skip_rate`` of requests (users do not
    pay for refusals, rewards.accepted; the node saves the compute)."""

    name: str = "canned_refusal"
    source: str = _PAPER + " (low-effort answers); experiment e005 (issue 16: paid refusals)"
    mode: str = "refusal"


@register
@dataclass(frozen=True)
class KbSkip(Attack):
    """Serve the claimed model with a wrong or no knowledge base (saves the KB's cost)."""

    name: str = "kb_skip"
    source: str = _PAPER + " (knowledge-base experiment: a node with the wrong or no KB)"
    space: Space = field(default_factory=lambda: {"share": SHARE, "swap_to": Choice(("wrong_kb", "no_kb"))})
    deploys: str | None = "kb_swapping"

    def overrides(self, params):
        p = self.checked(params)
        return {"population.kb_swapping": p["share"], "behaviours.kb_swapping.swap_to": p["swap_to"]}


@register
@dataclass(frozen=True)
class SybilGroup(Attack):
    """One attacker runs many nodes (Sybil identities), each depositing and locking the full node
    stake (the capital cost is charged on it, costs.capital_cost), all serving one cheap model: the
    group's answers agree with each other, pulling the consensus the detector compares against."""

    name: str = "sybil_group"
    source: str = (
        "Douceur, The Sybil Attack (IPTPS 2002); stake as the Sybil cost: Buterin, Slasher (2014) and"
        " EigenLayer's per-operator minimum stake; " + _PAPER + " (collusion among nodes)"
    )
    space: Space = field(
        default_factory=lambda: {"share": SHARE, "ring_model": Choice(("low_precision", "cheaper_model"))}
    )
    deploys: str | None = "colluding"

    def overrides(self, params):
        p = self.checked(params)
        return {"population.colluding": p["share"], "behaviours.colluding.ring_model": p["ring_model"]}


# ---- modifiers ---------------------------------------------------------------------------------
_CHEATERS = ("model_swap", "diluted", "cache_replay", "canned_refusal", "kb_skip", "sybil_group")


@register
@dataclass(frozen=True)
class Burst(Attack):
    """Cheat in bursts: all-out in a share of epochs, honest in the others (sequential evidence
    built in cheating epochs is diluted by honest ones); ``coordinated``: every cheater bursts in
    the same epochs, so the consensus of the probed nodes shifts together."""

    name: str = "burst"
    source: str = (
        "on-off attacks on reputation systems: Sun et al., Defense of Trust Management Vulnerabilities"
        " in Distributed Networks, IEEE Commun. Mag. 46(2), 2008"
    )
    space: Space = field(default_factory=lambda: {"epoch_share": Range(0.1, 0.9), "coordinated": Choice((True, False))})
    needs: tuple[str, ...] = _CHEATERS

    def overrides(self, params):
        p = self.checked(params)
        return {"behaviours.burst.epoch_share": p["epoch_share"], "behaviours.burst.coordinated": p["coordinated"]}


@register
@dataclass(frozen=True)
class ProbeLearning(Attack):
    """Learn the probe questions (the public pool: published or leaked) and answer those honestly,
    cheating on every other request (with ``diluted``: its cheat_rate applies to the rest)."""

    name: str = "probe_learning"
    source: str = _PAPER + ", sec. 4 (validators keep their questions private)"
    space: Space = field(default_factory=dict)
    needs: tuple[str, ...] = ("diluted",)

    def overrides(self, params):
        self.checked(params)
        return {"traffic.learned_questions": "public"}


@register
@dataclass(frozen=True)
class ColludingValidators(Attack):
    """The Sybil group also runs validators (a share of each domain's committee) that never vote
    against its nodes."""

    name: str = "colluding_validators"
    source: str = _PAPER + " (collusion among nodes and validators)"
    space: Space = field(default_factory=lambda: {"validator_share": Range(0.0, 0.5)})
    needs: tuple[str, ...] = ("sybil_group",)

    def overrides(self, params):
        p = self.checked(params)
        return _validators(p["validator_share"]) | {"behaviours.colluding.bribe": 0.0}


@register
@dataclass(frozen=True)
class BribedValidators(Attack):
    """The Sybil group bribes a share of each domain's validators to shield its nodes, paying each
    ``bribe`` tokens per epoch (split among its nodes; rewards.bribe_bills)."""

    name: str = "bribed_validators"
    source: str = "Bonneau, Why Buy When You Can Rent? Bribery Attacks on Bitcoin-Style Consensus (FC 2016)"
    space: Space = field(
        default_factory=lambda: {"validator_share": Range(0.0, 0.5), "bribe": Range(0.1, 50.0, log=True)}
    )
    needs: tuple[str, ...] = ("sybil_group",)

    def overrides(self, params):
        p = self.checked(params)
        return _validators(p["validator_share"]) | {"behaviours.colluding.bribe": p["bribe"]}


def _validators(share: float) -> dict[str, float]:
    return {
        "validator_population.colluding": share,
        "validator_population.lazy": 0.0,
        "validator_population.honest": 1.0 - share,
    }


# ---- combining ---------------------------------------------------------------------------------
def attack(name: str) -> Attack:
    if name not in ATTACKS:
        raise UserError(f"unknown attack {name!r}; allowed: {', '.join(ATTACKS)}")
    return ATTACKS[name]


def combine(chosen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Scenario overrides of several attacks (attack name -> its parameters) played together.

    The union of their overrides; the population: each deployment's share, honest nodes the rest,
    other behaviours none. Refused (UserError): no deployment, one key set to two values, a modifier
    without a deployment it acts on, shares above :data:`MAX_ATTACKER_SHARE`."""
    attacks = {name: attack(name) for name in chosen}
    if not any(a.deploys for a in attacks.values()):
        raise UserError(
            f"attacks {sorted(chosen)}: none deploys cheating nodes; deployments: {', '.join(deployments())}"
        )
    out: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for name, a in attacks.items():
        if a.needs and not set(a.needs) & set(attacks):
            raise UserError(f"attack {name!r} acts on {', '.join(a.needs)}; none of them is in {sorted(chosen)}")
        for key, value in a.overrides(chosen[name]).items():
            if key in out and out[key] != value:
                raise UserError(
                    f"attacks {owner[key]!r} and {name!r} conflict: both set {key} ({out[key]!r} vs {value!r})"
                )
            out[key], owner[key] = value, name
    return out | _population(out, sorted(chosen))


def _population(overrides: Mapping[str, Any], names: list[str]) -> dict[str, float]:
    shares = {b: float(overrides.get(f"population.{b}", 0.0)) for b in NODE_BEHAVIOURS if b != "honest"}
    total = sum(shares.values())
    if total > MAX_ATTACKER_SHARE + 1e-12:
        raise UserError(f"attacks {names}: shares add up to {total:.3g}; allowed: at most {MAX_ATTACKER_SHARE}")
    return {f"population.{b}": s for b, s in shares.items()} | {"population.honest": 1.0 - total}


def attacker_behaviours(chosen: Mapping[str, Any]) -> list[str]:
    """Node behaviours the combination deploys (whose node-epochs are the attacker's)."""
    return sorted({attack(n).deploys for n in chosen if attack(n).deploys})


def honest_twin(chosen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """:func:`combine`'s overrides with the deployed shares handed back to honest nodes: the same
    run of a seed with the attacker's nodes serving honestly (node ids and stack draws do not move,
    ``epoch/state.py::_build_nodes``), against which an attack's gain can be paired."""
    over = combine(chosen)
    return over | twin_population({b: over.get(f"population.{b}", 0.0) for b in NODE_BEHAVIOURS})


def twin_population(population: Mapping[str, float]) -> dict[str, float]:
    """Population overrides with every cheating behaviour's share (``population``: behaviour ->
    share) handed back to honest nodes: the twin of a run, every node serving honestly on the same
    ids, stacks and traffic streams (:func:`honest_twin`; the paired backend, ``sweep/paired.py``)."""
    cheat = {b: float(population.get(b, 0.0)) for b in NODE_BEHAVIOURS if b != "honest"}
    honest = float(population.get("honest", 0.0)) + sum(s for s in cheat.values() if s > 0)
    return {f"population.{b}": 0.0 for b, s in cheat.items() if s > 0} | {"population.honest": honest}


def describe(chosen: Mapping[str, Mapping[str, Any]]) -> str:
    """One line: ``diluted(share=0.2, cheat_rate=0.1, ...) + burst(...)``."""
    parts = []
    for name, params in chosen.items():
        inner = ", ".join(f"{k}={_short(v)}" for k, v in params.items())
        parts.append(f"{name}({inner})")
    return " + ".join(parts)


def _short(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def of_scenario(scenario) -> dict[str, dict[str, Any]] | None:
    """The scenario's own cheating population as registered attacks (its threat), or None when it
    has no cheater or one the registry cannot express (lazy truncation or dropping, "unprobed"
    swappers with distinguishable probes, shares outside the attacks' space)."""
    pop, b = scenario.population, scenario.behaviours
    chosen: dict[str, dict[str, Any]] = {}
    if pop.model_swapping > 0:
        ms = b.model_swapping
        if ms.when == "always":
            chosen["model_swap"] = {"share": pop.model_swapping, "swap_to": ms.swap_to}
        else:
            chosen["diluted"] = {"share": pop.model_swapping, "cheat_rate": ms.cheat_rate, "swap_to": ms.swap_to}
    if pop.lazy > 0 and b.lazy.mode in ("replay", "refusal"):
        name = "cache_replay" if b.lazy.mode == "replay" else "canned_refusal"
        chosen[name] = {"share": pop.lazy, "skip_rate": b.lazy.skip_rate}
    if pop.kb_swapping > 0:
        chosen["kb_skip"] = {"share": pop.kb_swapping, "swap_to": b.kb_swapping.swap_to}
    if pop.colluding > 0:
        chosen["sybil_group"] = {"share": pop.colluding, "ring_model": b.colluding.ring_model}
        share = scenario.validator_population.colluding
        if share > 0:
            name = "bribed_validators" if b.colluding.bribe > 0 else "colluding_validators"
            chosen[name] = {"validator_share": share} | ({"bribe": b.colluding.bribe} if b.colluding.bribe > 0 else {})
    if b.burst.epoch_share < 1 and chosen:
        chosen["burst"] = {"epoch_share": b.burst.epoch_share, "coordinated": b.burst.coordinated}
    if scenario.traffic.learned_questions == "public" and "diluted" in chosen:
        chosen["probe_learning"] = {}
    cheaters = sum(v for k, v in pop.model_dump().items() if k != "honest")
    try:
        combine(chosen)
    except UserError:
        return None
    return (
        chosen
        if chosen and abs(sum(chosen[n]["share"] for n in chosen if ATTACKS[n].deploys) - cheaters) < 1e-9
        else None
    )
