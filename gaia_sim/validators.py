"""Validator behaviours (one small class each, registered by name) and probe planning.

Validators probe nodes with questions, judge the answers with the detector, and vote; the
protocol's verdict is stake-weighted (:func:`gaia_sim.quorum.tally`). A validator decides its votes
(:meth:`ValidatorBehaviour.vote`) and its appeal votes on disputed slashes
(:meth:`ValidatorBehaviour.appeal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gaia_sim.nodes.base import check_traits


@dataclass(frozen=True)
class Ballot:
    """What a validator knows when it votes on this epoch's probed nodes (arrays, one per node)."""

    evidence_flags: np.ndarray  # the detector's (sequential) verdict on the answers collected
    ring_member: np.ndarray  # whether the node belongs to the colluding ring (known to colluders)
    last_verdict: np.ndarray  # the public record: was the node found guilty when last judged


VALIDATOR_BEHAVIOURS: dict[str, type["ValidatorBehaviour"]] = {}

#: Traits every validator behaviour declares (checked at registration). ``queries``: probes the
#: nodes and pays for the answers; ``colludes``: belongs to the ring (its stake counts toward the
#: attacker in the cost of corruption).
VALIDATOR_TRAITS = ("queries", "colludes")


def register(cls: type["ValidatorBehaviour"]) -> type["ValidatorBehaviour"]:
    """Class decorator: make a behaviour available by its ``name`` (traits checked)."""
    check_traits(cls, VALIDATOR_TRAITS)
    VALIDATOR_BEHAVIOURS[cls.name] = cls
    return cls


def validators_with_trait(trait: str, value: bool = True) -> list[str]:
    """Names of the registered validator behaviours whose ``traits[trait] == value``."""
    if trait not in VALIDATOR_TRAITS:
        raise KeyError(f"unknown validator trait {trait!r}; allowed: {VALIDATOR_TRAITS}")
    return [n for n, c in VALIDATOR_BEHAVIOURS.items() if c.traits[trait] == value]


class ValidatorBehaviour:
    """Base class: ``traits`` (every key of :data:`VALIDATOR_TRAITS`); :meth:`vote` turns this
    epoch's evidence into votes, :meth:`appeal` votes on a disputed slash."""

    name: ClassVar[str]
    traits: ClassVar[dict[str, bool]] = {}

    @property
    def queries(self) -> bool:
        """Whether it probes (and pays for the probe answers)."""
        return self.traits["queries"]

    def vote(self, ballot: Ballot) -> np.ndarray:
        """Votes (True = guilty), one per probed node."""
        raise NotImplementedError

    def appeal(self, judged: np.ndarray, ring_member: np.ndarray) -> np.ndarray:
        """Appeal votes (True = guilty) on disputed slashes, given its own re-judgement ``judged``
        (right with the scenario's ``appeal_accuracy``) and the nodes' ring membership."""
        raise NotImplementedError


@register
class HonestValidator(ValidatorBehaviour):
    """Probes, runs the detector, votes its verdict (Trust, but verify, arXiv 2504.13443, sec. 3)."""

    name = "honest"
    traits = {"queries": True, "colludes": False}

    def vote(self, ballot):
        return ballot.evidence_flags.copy()

    def appeal(self, judged, ring_member):
        """Re-judges the disputed slash and votes its judgement."""
        return np.asarray(judged, bool).copy()


@register
class LazyValidator(ValidatorBehaviour):
    """Does not probe; copies the public record (each node's last verdict) instead of judging.

    Votes are committed before they are revealed, so a lazy validator cannot copy this epoch's
    votes of others; it copies the last published verdicts. Canaries (fresh known-bad nodes) expose
    it (Trust, but verify, arXiv 2504.13443; the verifier's dilemma of Luu et al., CCS 2015).
    """

    name = "lazy"
    traits = {"queries": False, "colludes": False}

    def vote(self, ballot):
        return ballot.last_verdict.copy()

    def appeal(self, judged, ring_member):
        """Does not re-judge: approves the challenge (votes innocent)."""
        return np.zeros(np.shape(judged), bool)


@register
class ColludingValidator(ValidatorBehaviour):
    """Probes and votes honestly, except that it never votes against a member of the ring."""

    name = "colluding"
    traits = {"queries": True, "colludes": True}

    def vote(self, ballot):
        return ballot.evidence_flags & ~ballot.ring_member

    def appeal(self, judged, ring_member):
        """Re-judges, but shields ring members."""
        return np.asarray(judged, bool) & ~np.asarray(ring_member, bool)


def plan_probes(active: np.ndarray, probe_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Ids of the nodes probed this epoch: a uniform sample of the active nodes, at least two."""
    k = min(len(active), max(2, int(round(probe_fraction * len(active)))))
    return np.sort(rng.choice(active, size=k, replace=False))


def choose_questions(question_ids, k: int, rng: np.random.Generator) -> list[str]:
    """The epoch's questions: ``k`` distinct questions drawn uniformly (all nodes get the same ones)."""
    idx = rng.choice(len(question_ids), size=min(k, len(question_ids)), replace=False)
    return [question_ids[i] for i in np.sort(idx)]
