"""Slashing rules, chosen by name from :data:`RULES`; each is a pure function of one epoch's verdicts.

A rule receives a :class:`SlashInput` (arrays over nodes) and a parameter object with the fields of
``SlashingParams`` (duck-typed: any object with those attributes works; :data:`RuleParams` is
``SlashingParams`` itself, so the defaults are the schema's) and
returns a :class:`SlashDecision`: the fraction of each node's slashable stake to slash, jail and
ejection decisions, dispute outcomes and event records. Rules never mutate state: the model applies
the decision to the :class:`gaia_sim.staking.StakeLedger` (``ledger.slash``).

Invariant of every rule: a node without a guilty verdict this epoch is never slashed
(``fraction == 0`` where ``verdict`` is False), and ``0 <= fraction <= 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gaia_sim.params import SlashingParams
from gaia_sim.staking import concat_events, event_batch

ACTIVE, JAILED, EJECTED, EXITED = 0, 1, 2, 3
STATUS_NAMES = ("active", "jailed", "ejected", "exited")


#: The rule parameters are the ``[slashing]`` table of a scenario: one schema, one set of defaults.
RuleParams = SlashingParams
DEFAULTS = RuleParams()  # the schema's defaults, for calls without a scenario


@dataclass(frozen=True)
class SlashInput:
    """What a rule sees about n nodes in one epoch."""

    verdict: np.ndarray  # bool[n]: the stake-weighted quorum found the node guilty this epoch
    epoch: int = 0
    offences: np.ndarray | None = None  # int[n]: upheld offences before this epoch
    evidence: np.ndarray | None = None  # float[n]: accumulated log e-value (sequential evidence)
    status: np.ndarray | None = None  # int8[n]: ACTIVE / JAILED / EJECTED
    challenge: np.ndarray | None = None  # bool[n]: the node would challenge a slash
    dispute_guilty_share: np.ndarray | None = None  # float[n]: stake share voting guilty on appeal
    node_ids: np.ndarray | None = None  # int[n]: ids written into events (default arange)

    def get(self, name: str, fill, dtype) -> np.ndarray:
        v = getattr(self, name)
        n = np.asarray(self.verdict).size
        return np.full(n, fill, dtype) if v is None else np.asarray(v, dtype)


@dataclass
class SlashDecision:
    """Per-node outcome of a rule for one epoch."""

    fraction: np.ndarray  # float[n] in [0, 1], of the node's slashable stake
    offences: np.ndarray  # int[n] upheld offences after this epoch
    jail_until: np.ndarray  # int[n] epoch until which the node is jailed (-1: not jailed now)
    eject: np.ndarray  # bool[n] ejected for good
    bond_lost: np.ndarray  # float[n] dispute bonds forfeited
    overturned: np.ndarray  # bool[n] a dispute overturned the verdict
    events: dict = field(default_factory=dict)


def _base(inp: SlashInput, fraction: np.ndarray) -> SlashDecision:
    verdict = np.asarray(inp.verdict, bool)
    n = verdict.size
    frac = np.where(verdict, np.clip(fraction, 0.0, 1.0), 0.0)
    upheld = verdict & (frac > 0)
    offences = inp.get("offences", 0, np.int64) + upheld
    return SlashDecision(
        frac, offences, np.full(n, -1, np.int64), np.zeros(n, bool), np.zeros(n), np.zeros(n, bool), {}
    )


def _slash_events(inp: SlashInput, d: SlashDecision, rule: str) -> dict:
    ids = _ids(inp)
    hit = d.fraction > 0
    return event_batch("slash_decision", inp.epoch, ids[hit], d.fraction[hit], detail=rule)


def fixed(inp: SlashInput, p=DEFAULTS) -> SlashDecision:
    """Fixed fraction of slashable stake per guilty verdict.

    The plain EigenLayer slash (ELIP-002 ``slashOperator`` with a constant ``wadsToSlash``), as in
    Proof of Sampling's fixed penalty S (Zhang et al., arXiv 2405.00295).
    """
    d = _base(inp, np.full(np.asarray(inp.verdict).size, p.slash_fraction))
    d.events = _slash_events(inp, d, "fixed")
    return d


def graduated(inp: SlashInput, p=DEFAULTS) -> SlashDecision:
    """Fraction grows geometrically with prior offences: ``fraction * step**offences`` (capped).

    Graduated sanctions for repeat offenders: Ostrom (1990), *Governing the Commons*, design
    principle 5; first offences of honest nodes hit by false positives cost little.
    """
    k = inp.get("offences", 0, np.int64)
    d = _base(inp, np.minimum(p.max_fraction, p.slash_fraction * p.graduated_step ** k.astype(float)))
    d.events = _slash_events(inp, d, "graduated")
    return d


def evidence_threshold(inp: SlashInput, p=DEFAULTS) -> SlashDecision:
    """Slash only when the detector's sequential evidence (log e-value) reaches a threshold.

    An e-process crossing 1/alpha has false-alarm probability <= alpha at any stopping time (Ville's
    inequality; Ramdas et al., "Game-theoretic statistics and safe anytime-valid inference", 2023;
    Wald's SPRT, 1945). The quorum verdict is still required.
    """
    ev = inp.get("evidence", 0.0, float)
    d = _base(inp, np.where(ev >= p.evidence_threshold, p.slash_fraction, 0.0))
    d.events = _slash_events(inp, d, "evidence_threshold")
    return d


def jail_eject(inp: SlashInput, p=DEFAULTS) -> SlashDecision:
    """Fixed slash plus jailing for ``jail_epochs``; ejection (all stake slashable, removed) after
    ``eject_after`` upheld offences.

    Cosmos SDK ``x/slashing``: downtime jails a validator, double-signing slashes and tombstones it
    (ejection for good). Ejection slashes ``max_fraction``.
    """
    d = fixed(inp, p)
    verdict = np.asarray(inp.verdict, bool)
    eject = verdict & (d.offences >= p.eject_after)
    d.fraction = np.where(eject, p.max_fraction, d.fraction)
    d.jail_until = np.where(verdict & ~eject, inp.epoch + p.jail_epochs, -1)
    d.eject = eject
    ids = _ids(inp)
    d.events = concat_events(
        [
            _slash_events(inp, d, "jail_eject"),
            event_batch("jail", inp.epoch, ids[d.jail_until >= 0], p.jail_epochs),
            event_batch("eject", inp.epoch, ids[eject]),
        ]
    )
    return d


def dispute(inp: SlashInput, p=DEFAULTS) -> SlashDecision:
    """Intersubjective dispute: a slashed node may challenge with a bond; a stake-weighted appeal vote
    decides. Overturned (innocent share >= ``dispute_majority``): no slash, bond returned. Upheld:
    the base rule's slash stands and the bond is forfeited.

    EIGEN token whitepaper, "EIGEN: The Universal Intersubjective Work Token" (Eigen Labs, 2024):
    faults that need human judgement are settled by a stake-backed challenge; the ~7-day slash
    escrow (ELIP-016) is the window in which such a challenge resolves.
    """
    base = RULES[p.dispute_base](inp, p)
    verdict = np.asarray(inp.verdict, bool)
    challenged = verdict & (base.fraction > 0) & inp.get("challenge", False, bool)
    guilty_share = inp.get("dispute_guilty_share", 1.0, float)
    overturned = challenged & (1.0 - guilty_share >= p.dispute_majority)
    lost = challenged & ~overturned
    ids = _ids(inp)
    offences = np.where(overturned, base.offences - 1, base.offences)
    d = replace(
        base,
        fraction=np.where(overturned, 0.0, base.fraction),
        offences=offences,
        jail_until=np.where(overturned, -1, base.jail_until),
        eject=base.eject & ~overturned,
        bond_lost=np.where(lost, p.dispute_bond, 0.0),
        overturned=overturned,
    )
    keep = ~np.isin(base.events["operator"], ids[overturned]) if base.events else None
    base_ev = {k: v[keep] for k, v in base.events.items()} if base.events else {}
    d.events = concat_events(
        [
            base_ev,
            event_batch("dispute_won", inp.epoch, ids[overturned]),
            event_batch("dispute_lost", inp.epoch, ids[lost], p.dispute_bond),
        ]
    )
    return d


def _ids(inp: SlashInput) -> np.ndarray:
    n = np.asarray(inp.verdict).size
    return np.arange(n) if inp.node_ids is None else np.asarray(inp.node_ids, np.int64)


RULES = {
    "fixed_fraction": fixed,
    "fixed": fixed,
    "graduated": graduated,
    "evidence_threshold": evidence_threshold,
    "jail_eject": jail_eject,
    "dispute": dispute,
}
