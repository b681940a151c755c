"""Fees, node revenue, validator rewards and domain-operator liability. Pure, vectorized functions.

Gaia's economics (Gaia whitepaper and arXiv 2504.13443, section on incentives): users pay per
request; the node that serves it earns the fee; the domain operator vouches for the nodes it admits
and the AVS (validators) is paid for verification. EigenLayer Rewards v2 (ELIP-001): AVSs pay
operators pro rata to their stake and performance; here the validator pool is split by stake among
validators whose votes were counted, minus withheld rewards for deviating votes (see quorum.py).
"""

from __future__ import annotations

import numpy as np


def node_revenue(served: np.ndarray, price: float, protocol_fee: float = 0.0) -> np.ndarray:
    """Tokens each node earns: requests served x price per request x (1 - protocol fee share)."""
    return np.asarray(served, float) * price * (1.0 - protocol_fee)


def protocol_fees(served: np.ndarray, price: float, protocol_fee: float) -> float:
    """Tokens the protocol keeps from user payments this epoch (funds validator rewards)."""
    return float(np.asarray(served, float).sum() * price * protocol_fee)


def validator_pool(fees: float, inflation_per_epoch: float) -> float:
    """Tokens to pay validators this epoch: protocol fees plus newly minted tokens."""
    return fees + inflation_per_epoch


def split_by_stake(pool: float, stake: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Split ``pool`` pro rata to ``stake x weight`` (weight: share of the validator's votes counted)."""
    w = np.asarray(stake, float) * (1.0 if weight is None else np.asarray(weight, float))
    tot = w.sum()
    return np.zeros_like(w) if tot <= 0 else pool * w / tot


def domain_liability(
    domain: np.ndarray,
    offended: np.ndarray,
    slashed: np.ndarray,
    n_domains: int,
    threshold: float,
    share: float,
    active: np.ndarray | None = None,
) -> np.ndarray:
    """float[domains]: tokens each domain operator owes when too many of its nodes misbehaved.

    If the share of a domain's active nodes slashed this epoch exceeds ``threshold``, its operator
    is slashed ``share`` x the tokens slashed from those nodes (co-liability for vouching, like a
    delegator sharing its operator's slash in EigenLayer, ELIP-002).
    """
    domain = np.asarray(domain, np.int64)
    act = np.ones(domain.size, bool) if active is None else np.asarray(active, bool)
    n_act = np.bincount(domain[act], minlength=n_domains)
    n_bad = np.bincount(domain, weights=np.asarray(offended, float), minlength=n_domains)
    tokens = np.bincount(domain, weights=np.asarray(slashed, float), minlength=n_domains)
    bad_share = np.divide(n_bad, n_act, out=np.zeros(n_domains), where=n_act > 0)
    return np.where(bad_share > threshold, share * tokens, 0.0)


def profit(revenue: np.ndarray, cost: np.ndarray, slashed: np.ndarray, bonds: np.ndarray | None = None) -> np.ndarray:
    """Tokens gained this epoch: revenue - cost - slashed stake - forfeited bonds."""
    out = np.asarray(revenue, float) - np.asarray(cost, float) - np.asarray(slashed, float)
    return out if bonds is None else out - np.asarray(bonds, float)
