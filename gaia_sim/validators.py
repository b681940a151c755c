"""Validator behaviours (one small class each, registered by name) and probe planning.

Validators probe nodes with questions, judge the answers with the detector, and vote; the
protocol's verdict is stake-weighted (see :mod:`gaia_sim.quorum` when present, else the plain
quorum rule here). A validator's one decision is :meth:`ValidatorBehaviour.vote`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

VALIDATOR_BEHAVIOURS: dict[str, type["ValidatorBehaviour"]] = {}


def register(cls: type["ValidatorBehaviour"]) -> type["ValidatorBehaviour"]:
    VALIDATOR_BEHAVIOURS[cls.name] = cls
    return cls


class ValidatorBehaviour:
    """Base class: ``queries`` says whether it pays for probes; ``vote`` turns evidence into votes."""

    name: ClassVar[str]
    queries: ClassVar[bool] = True
    traits: ClassVar[dict[str, bool]] = {}

    def vote(self, evidence_flags: np.ndarray, ring_member: np.ndarray) -> np.ndarray:
        """Votes (True = guilty) for the probed nodes, given the detector's flags and ring membership."""
        raise NotImplementedError


@register
class HonestValidator(ValidatorBehaviour):
    """Probes, runs the detector, votes its verdict (Trust, but verify, arXiv 2504.13443, sec. 3)."""

    name = "honest"
    traits = {"honest": True}

    def vote(self, evidence_flags, ring_member):
        return evidence_flags.copy()


@register
class LazyValidator(ValidatorBehaviour):
    """Does not probe; approves every node (the free-riding validator canaries are meant to catch)."""

    name = "lazy"
    queries = False
    traits = {"honest": False}

    def vote(self, evidence_flags, ring_member):
        return np.zeros_like(evidence_flags)


@register
class ColludingValidator(ValidatorBehaviour):
    """Probes and votes honestly, except that it never votes against a member of the ring."""

    name = "colluding"
    traits = {"honest": False}

    def vote(self, evidence_flags, ring_member):
        return evidence_flags & ~ring_member


def plan_probes(active: np.ndarray, probe_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Ids of the nodes probed this epoch: a uniform sample of the active nodes, at least two."""
    k = min(len(active), max(2, int(round(probe_fraction * len(active)))))
    return np.sort(rng.choice(active, size=k, replace=False))


def choose_questions(question_ids, k: int, rng: np.random.Generator) -> list[str]:
    """The epoch's questions: ``k`` distinct questions drawn uniformly (all nodes get the same ones)."""
    idx = rng.choice(len(question_ids), size=min(k, len(question_ids)), replace=False)
    return [question_ids[i] for i in np.sort(idx)]


def stake_weighted_verdict(votes: np.ndarray, stake: np.ndarray, quorum: float) -> np.ndarray:
    """Guilty where the stake voting guilty reaches ``quorum`` of all validator stake.

    ``votes`` is (validators, nodes) bool, ``stake`` (validators,). The 2/3 default follows
    BFT-style quorums used by EigenLayer AVSs for stake-weighted attestations.
    """
    total = stake.sum()
    if total <= 0:
        return np.zeros(votes.shape[1], dtype=bool)
    return (stake @ votes) >= quorum * total - 1e-12
