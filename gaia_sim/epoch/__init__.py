"""One epoch: five phase functions over one :class:`NetworkState`, in this fixed order, each
returning an outcome the next phases and the recorder receive explicitly.

a. :mod:`~gaia_sim.epoch.traffic` -> :class:`Traffic`
b. :mod:`~gaia_sim.epoch.judge` -> :class:`Judgement` (detector, evidence, votes, quorum)
c. :mod:`~gaia_sim.epoch.slash` -> :class:`Slashing`
d. :mod:`~gaia_sim.epoch.settle` -> :class:`Settlement`
e. :mod:`~gaia_sim.epoch.revise` -> :class:`Revision`

:func:`run_epoch` runs them; :class:`EpochOutcome` carries all five to the recorder.
"""

from __future__ import annotations

from dataclasses import dataclass

from gaia_sim.epoch import judge, revise, settle, slash, traffic
from gaia_sim.epoch.judge import Judgement
from gaia_sim.epoch.revise import Revision
from gaia_sim.epoch.settle import Settlement
from gaia_sim.epoch.slash import Slashing
from gaia_sim.epoch.state import NetworkState, build_state, check_invariants, check_limited_liability
from gaia_sim.epoch.traffic import Traffic


@dataclass
class EpochOutcome:
    """What one epoch produced, phase by phase."""

    epoch: int
    traffic: Traffic
    judgement: Judgement
    slashing: Slashing
    settlement: Settlement
    revision: Revision

    @property
    def profit(self):
        """Node profit this epoch: revenue - cost - slashed (dispute bonds not included)."""
        return self.settlement.revenue - self.settlement.cost - self.slashing.slashed

    @property
    def events(self) -> list[dict]:
        """Economics events of the epoch in the order they happened (event columns)."""
        return self.slashing.events + self.settlement.events + self.revision.events


def run_epoch(state: NetworkState, epoch: int) -> EpochOutcome:
    """Phases a-e of ``epoch`` over ``state``."""
    t = traffic.run(state, epoch)
    j = judge.run(state, t, epoch)
    return finish_epoch(state, epoch, t, j)


def finish_epoch(state: NetworkState, epoch: int, t: Traffic, j: Judgement) -> EpochOutcome:
    """Phases c-e, given the traffic and the judgement."""
    s = slash.run(state, t, j, epoch)
    d = settle.run(state, t, s, epoch)
    r = revise.run(state, d.revenue - d.cost - s.slashed - s.bonds, epoch)
    check_limited_liability(state)
    return EpochOutcome(epoch, t, j, s, d, r)


__all__ = [
    "EpochOutcome",
    "Judgement",
    "NetworkState",
    "Revision",
    "Settlement",
    "Slashing",
    "Traffic",
    "build_state",
    "check_invariants",
    "check_limited_liability",
    "finish_epoch",
    "run_epoch",
]
