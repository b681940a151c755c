"""Node behaviours: one small class each, registered by name, with trait metadata (after Axelrod).

A behaviour has one decision method, :meth:`NodeBehaviour.plan`, that says which configuration of
the answer bank the node actually serves to user requests and to validator probes. The claimed
configuration is always the bank's ``claimed`` role; cheating is serving something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gaia_sim.params import ScenarioParams


@dataclass(frozen=True)
class ServingPlan:
    """What a node serves. Roles name bank configurations (see ``bank.roles``).

    ``user_role`` answers user requests; ``probe_role`` answers requests the node believes are
    probes (only used when probes are distinguishable); ``cheat_rate`` is the share of requests on
    which ``user_role`` is used when the node cannot tell probes apart (else ``honest_role``).
    ``None`` as a role means no answer at all (the request is dropped).
    """

    honest_role: str | None
    user_role: str | None
    probe_role: str | None
    cheat_rate: float = 1.0


@dataclass(frozen=True)
class NodeContext:
    """What a behaviour may know about the node it drives."""

    stack_role: str  # "claimed" or the honest variant this node's hardware/software stack gives
    params: ScenarioParams


#: Traits every node behaviour declares (checked at registration); the model and the metrics select
#: behaviours by trait, never by name. ``cheats``: serves something other than its claimed
#: configuration (counts as a cheater in verdict rates and disputes; the honest share counts the
#: others); ``colludes``: a ring member that colluding validators shield; ``skips_kb``: does not pay
#: the knowledge-base cost.
NODE_TRAITS = ("cheats", "colludes", "skips_kb")


class NodeBehaviour:
    """Base class. Subclasses set ``name``, ``traits`` (every key of :data:`NODE_TRAITS`) and
    ``source`` (where the threat is described) and implement :meth:`plan`."""

    name: ClassVar[str]
    traits: ClassVar[dict[str, bool]] = {}
    source: ClassVar[str] = ""

    def plan(self, ctx: NodeContext) -> ServingPlan:
        raise NotImplementedError


NODE_BEHAVIOURS: dict[str, type[NodeBehaviour]] = {}


def check_traits(cls: type, declared: tuple[str, ...]) -> None:
    """Raise TypeError unless ``cls.traits`` has exactly the ``declared`` keys, each a bool."""
    traits = getattr(cls, "traits", {})
    if set(traits) != set(declared) or not all(isinstance(v, bool) for v in traits.values()):
        raise TypeError(f"{cls.__name__}.traits must give each of {declared} a bool; got {traits}")


def register(cls: type[NodeBehaviour]) -> type[NodeBehaviour]:
    """Class decorator: make a behaviour available by its ``name`` (traits checked)."""
    check_traits(cls, NODE_TRAITS)
    NODE_BEHAVIOURS[cls.name] = cls
    return cls


def with_trait(trait: str, value: bool = True) -> list[str]:
    """Names of the registered behaviours whose ``traits[trait] == value``."""
    if trait not in NODE_TRAITS:
        raise KeyError(f"unknown node trait {trait!r}; allowed: {NODE_TRAITS}")
    return [n for n, c in NODE_BEHAVIOURS.items() if c.traits[trait] == value]


def stack_mix(variants, stack_variation: float) -> list[tuple[str, float]]:
    """(stack role, share of nodes): an honest variant (the bank's ``honest_variants``: other
    sampling seed, batch size or dtype) with probability ``stack_variation``, uniformly among the
    variants, else the claimed configuration. :func:`draw_stack` draws from this distribution."""
    variants = list(variants)
    sv = stack_variation if variants else 0.0
    return [("claimed", 1.0 - sv)] + [(v, sv / len(variants)) for v in variants]


def draw_stack(rng: np.random.Generator, variants, stack_variation: float) -> str:
    """One node's stack role drawn from :func:`stack_mix`: ``"claimed"`` or a variant's config id."""
    variants = list(variants)
    if variants and rng.random() < stack_variation:
        return str(rng.choice(variants))
    return "claimed"
