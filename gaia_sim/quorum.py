"""Validator consensus: stake-weighted verdicts, deviation penalties, canaries, cost of corruption.

Votes are a float matrix ``votes[v, n]`` over validators x judged nodes: 1.0 = guilty (flagged),
0.0 = innocent, NaN = the validator did not judge that node (not in its committee, or abstained).
All functions are pure and vectorized.

Sources: quorum certificates with a 2/3 stake threshold (Castro & Liskov, PBFT, OSDI 1999; Tendermint,
Buchman 2016); EigenLayer AVSs aggregate operator attestations weighted by stake and check a quorum
threshold (eigenlayer-middleware ``BLSSignatureChecker.checkSignatures``, quorum stake thresholds).
Deviation penalties follow Schelling-point oracles (Augur's reporting, UMA's DVM: voters on the
losing side forfeit); canaries follow "honeypot" test tasks for lazy verifiers (Truebit's forced
errors, Teutsch & Reitwießner 2017).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tally:
    """Stake-weighted outcome per judged node."""

    guilty_share: np.ndarray  # float[n]: guilty stake / voting stake (0 where nobody voted)
    voting_stake: np.ndarray  # float[n]
    verdict: np.ndarray  # bool[n]: guilty share >= quorum
    decided: np.ndarray  # bool[n]: either side reached the quorum


def tally(votes: np.ndarray, stake: np.ndarray, quorum: float = 2 / 3) -> Tally:
    """Stake-weighted verdict: guilty iff the stake voting guilty is >= ``quorum`` of the voting stake."""
    votes = np.asarray(votes, float)
    w = np.asarray(stake, float)[:, None]
    voted = ~np.isnan(votes)
    voting = (w * voted).sum(0)
    guilty = (w * np.where(voted, votes, 0.0)).sum(0)
    share = np.divide(guilty, voting, out=np.zeros_like(voting), where=voting > 0)
    verdict = (voting > 0) & (share >= quorum - 1e-12)
    innocent = (voting > 0) & (1.0 - share >= quorum - 1e-12)
    return Tally(share, voting, verdict, verdict | innocent)


def deviations(votes: np.ndarray, outcome: Tally) -> np.ndarray:
    """bool[v, n]: the validator voted on a decided node against the final outcome."""
    votes = np.asarray(votes, float)
    voted = ~np.isnan(votes)
    dev = voted & ((votes >= 0.5) != outcome.verdict[None, :])
    return dev & outcome.decided[None, :]


def deviation_penalties(
    votes: np.ndarray, outcome: Tally, reward_per_vote: float, slash_per_deviation: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per validator: (reward earned, reward withheld, stake fraction to slash).

    Each vote agreeing with a decided outcome earns ``reward_per_vote``; each deviating vote earns
    nothing and costs ``slash_per_deviation`` of the validator's stake (capped at 1).
    """
    votes = np.asarray(votes, float)
    dev = deviations(votes, outcome).sum(1)
    cast = (~np.isnan(votes) & outcome.decided[None, :]).sum(1)
    earned = (cast - dev) * reward_per_vote
    withheld = dev * reward_per_vote
    return earned, withheld, np.minimum(1.0, dev * slash_per_deviation)


def plant_canaries(rng: np.random.Generator, n_validators: int, n_canaries: int, per_validator: int) -> np.ndarray:
    """bool[v, c]: which validator is asked to judge which planted known-bad canary node."""
    per = min(per_validator, n_canaries)
    if per == 0:
        return np.zeros((n_validators, n_canaries), bool)
    keys = rng.random((n_validators, n_canaries))
    idx = np.argpartition(keys, per - 1, axis=1)[:, :per]
    out = np.zeros((n_validators, n_canaries), bool)
    np.put_along_axis(out, idx, True, axis=1)
    return out


def canary_misses(assigned: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """int[v]: canaries a validator was given but did not flag (every canary is known-bad)."""
    return (np.asarray(assigned, bool) & ~np.asarray(flagged, bool)).sum(1)


def canary_penalties(misses: np.ndarray, slash_per_miss: float) -> np.ndarray:
    """Stake fraction slashed per validator: ``slash_per_miss`` per missed canary, capped at 1."""
    return np.minimum(1.0, np.asarray(misses, float) * slash_per_miss)


def cost_of_corruption(
    stake: np.ndarray, quorum: float = 2 / 3, mode: str = "block", colluding: np.ndarray | None = None
) -> float:
    """Tokens of stake an attacker must add to the colluders' to flip a verdict of a committee.

    ``block``: keep a guilty verdict from reaching the quorum, needs more than ``(1 - quorum)`` of the
    committee stake; ``force``: a false guilty verdict, needs ``quorum`` of it. Stake already held by
    colluding validators counts toward the attacker (Budish, "The economic limits of bitcoin and
    the blockchain", 2018: security is the cost of acquiring the controlling stake).
    """
    stake = np.asarray(stake, float)
    need = (1.0 - quorum if mode == "block" else quorum) * stake.sum()
    have = 0.0 if colluding is None else float(stake[np.asarray(colluding, bool)].sum())
    return max(0.0, need - have)


def committee_cost_of_corruption(
    assigned: np.ndarray,
    stake: np.ndarray,
    quorum: float = 2 / 3,
    mode: str = "block",
    colluding: np.ndarray | None = None,
) -> np.ndarray:
    """float[n]: :func:`cost_of_corruption` of each judged node's committee (``assigned[v, n]``)."""
    a = np.asarray(assigned, bool)
    w = np.asarray(stake, float)[:, None]
    total = (w * a).sum(0)
    frac = 1.0 - quorum if mode == "block" else quorum
    have = 0.0 if colluding is None else (w * (a & np.asarray(colluding, bool)[:, None])).sum(0)
    return np.maximum(0.0, frac * total - have)


def verdict_pass_probability(colluding_share: float, quorum: float = 2 / 3, committee: int = 1) -> float:
    """Probability a guilty verdict survives colluders who always vote innocent, for a committee of
    ``committee`` validators drawn at random with each being colluding with probability
    ``colluding_share`` (equal stakes). ``committee=1`` gives Proof of Sampling's ``1 - r``.
    """
    from scipy.stats import binom

    k = np.arange(committee + 1)
    honest_ok = (committee - k) >= quorum * committee - 1e-12
    return float((binom.pmf(k, committee, colluding_share) * honest_ok).sum())
