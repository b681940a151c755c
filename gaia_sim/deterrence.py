"""When does cheating not pay? Closed-form deterrence condition and its pieces.

Proof of Sampling (Zhang et al., "Proof of Sampling: A Nash Equilibrium-Based Verification
Protocol for Decentralized Systems", arXiv 2405.00295): an asserter who saves cost C by cheating is
checked with probability p by a validator that is honest with probability 1 - r; if caught it loses
its reward R and a slash S. Honesty is the pure-strategy Nash equilibrium iff

    p > C / ((1 - r)(R + S)).

Per epoch in gaia-sim: a cheating node saves ``C`` tokens (cost of the claimed model minus the
model it really serves), is detected with probability ``p`` (probed x detector power), the
stake-weighted quorum upholds the verdict with probability ``pass`` (= 1 - r for a single
validator, a binomial tail for committees, 0 when colluders hold a blocking minority), and an upheld
verdict costs it ``R`` (forfeited epoch revenue), ``f x S`` (slash fraction x stake) and ``J`` (the
profit lost while jailed or ejected). Honest nodes are wrongly slashed with probability ``q``
(false-positive rate) and lose the same. Cheating does not pay iff

    (p x pass - q) x (R + f S + J) >= C,

which for q = 0, J = 0, committee = 1 is exactly PoSP's condition with S_PoSP = f S.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaia_sim.quorum import verdict_pass_probability


def detection_probability(probe_prob, tpr, probes: int = 1):
    """Per-epoch probability a cheater is flagged: each of ``probes`` independent chances probes it
    with probability ``probe_prob`` and the detector flags it with power ``tpr``."""
    return 1.0 - (1.0 - np.asarray(probe_prob, float) * np.asarray(tpr, float)) ** probes


@dataclass(frozen=True)
class Deterrence:
    """Inputs of the condition (tokens per epoch, probabilities per epoch)."""

    p_detect: float  # per-epoch probability a cheater is flagged
    slash_fraction: float  # f: share of stake slashed per upheld verdict
    stake: float  # S: slashable stake (tokens)
    reward: float  # R: revenue forfeited with an upheld verdict (tokens)
    cost_saving: float  # C: tokens per epoch cheating saves
    colluding_share: float = 0.0  # r: share of validator stake that shields cheaters
    quorum: float = 2 / 3
    committee: int = 1  # validators per verdict (1: PoSP's single validator)
    false_positive: float = 0.0  # q: per-epoch probability an honest node is wrongly slashed
    jail_loss: float = 0.0  # J: profit lost to jailing / ejection per upheld verdict

    @property
    def pass_probability(self) -> float:
        return verdict_pass_probability(self.colluding_share, self.quorum, self.committee)

    @property
    def penalty(self) -> float:
        """R + f S + J: what one upheld verdict costs."""
        return self.reward + self.slash_fraction * self.stake + self.jail_loss

    @property
    def margin(self) -> float:
        """Expected extra loss of cheating minus its saving (tokens/epoch); >= 0 means deterred."""
        return (self.p_detect * self.pass_probability - self.false_positive) * self.penalty - self.cost_saving

    @property
    def deters(self) -> bool:
        return self.margin >= 0

    @property
    def critical_p(self) -> float:
        """Smallest detection probability that deters: (C / penalty + q) / pass (PoSP's bound)."""
        pp = self.pass_probability
        if pp <= 0 or self.penalty <= 0:
            return float("inf")
        return (self.cost_saving / self.penalty + self.false_positive) / pp

    @property
    def min_stake(self) -> float:
        """Smallest stake that deters at this detection probability (inf if none does)."""
        eff = self.p_detect * self.pass_probability - self.false_positive
        if eff <= 0 or self.slash_fraction <= 0:
            return float("inf")
        return max(0.0, (self.cost_saving / eff - self.reward - self.jail_loss) / self.slash_fraction)


def posp_bound(cost_saving: float, colluding_share: float, reward: float, slash: float) -> float:
    """Proof of Sampling's critical check probability C / ((1 - r)(R + S))."""
    denom = (1.0 - colluding_share) * (reward + slash)
    return float("inf") if denom <= 0 else cost_saving / denom


def margin_grid(p_detect, slash_fraction, stake, reward, cost_saving, colluding_share=0.0,
                false_positive=0.0, jail_loss=0.0, pass_probability=None):
    """Vectorized margin over broadcast arrays (single-validator pass = 1 - r unless given)."""
    pp = 1.0 - np.asarray(colluding_share, float) if pass_probability is None else pass_probability
    penalty = np.asarray(reward, float) + np.asarray(slash_fraction, float) * np.asarray(stake, float) + jail_loss
    return (np.asarray(p_detect, float) * pp - false_positive) * penalty - np.asarray(cost_saving, float)
