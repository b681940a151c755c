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
    """Tokens each node earns: requests paid for (:func:`paid_requests`) x price per request x
    (1 - protocol fee share)."""
    return np.asarray(served, float) * price * (1.0 - protocol_fee)


#: Openings by which a user's client recognises a refusal: the refusal-prefix list of Zou et al.,
#: "Universal and Transferable Adversarial Attacks on Aligned Language Models" (arXiv 2307.15043,
#: 2023), used there to score whether a model answered or refused (a subset, case-sensitive).
REFUSAL_PREFIXES = (
    "I'm sorry",
    "I am sorry",
    "I apologize",
    "My apologies",
    "As an AI",
    "As a language model",
    "I cannot",
    "I can't",
    "I'm not able to",
    "I am unable",
    "I'm unable",
)


def accepted(texts, tokens, min_tokens: int) -> np.ndarray:
    """bool[n]: answers a user accepts and pays for: not a refusal (it opens with one of
    :data:`REFUSAL_PREFIXES`) and at least ``min_tokens`` generated tokens (an empty answer, or one
    truncated below the threshold, is not paid). Users see both: the text, and its length, which an
    OpenAI-compatible API (the interface Gaia nodes serve, LlamaEdge) reports as
    ``usage.completion_tokens`` and any client can recount with the model's tokenizer."""
    refusal = np.array([str(t).lstrip().startswith(REFUSAL_PREFIXES) for t in texts], bool)
    return ~refusal & (np.asarray(tokens) >= min_tokens)


def accepted_share(texts, tokens, min_tokens: int) -> float:
    """Share of a configuration's answers users pay for (:func:`accepted`); 0 with no answers."""
    ok = accepted(texts, tokens, min_tokens)
    return float(ok.mean()) if ok.size else 0.0


def paid_requests(answered, cheated, honest_share, cheat_share) -> np.ndarray:
    """Expected requests users pay for: answered requests served honestly times the share of that
    configuration's answers users accept, plus those served by the cheap configuration times its
    share (:func:`accepted_share`). Dropped and timed-out requests are never paid."""
    answered, cheated = np.asarray(answered, float), np.asarray(cheated, float)
    return (answered - cheated) * np.asarray(honest_share, float) + cheated * np.asarray(cheat_share, float)


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


def bribe_bills(
    ring: np.ndarray, node_domain: np.ndarray, bribed: np.ndarray, validator_domain: np.ndarray, bribe: float
) -> np.ndarray:
    """Validator bribery (Bonneau, "Why Buy When You Can Rent? Bribery Attacks on Bitcoin-Style
    Consensus", FC 2016 workshops; here the briber pays validators per epoch to shield its nodes):
    tokens each node owes this epoch. In every domain where ring members (``ring``, bool per node)
    are active, the ring owes ``bribe`` to each bribed validator (``bribed``, bool per validator) of
    that domain, split evenly among its members there; other nodes owe nothing."""
    ring, node_domain = np.asarray(ring, bool), np.asarray(node_domain, np.int64)
    domains = int(max(node_domain.max(initial=-1), np.asarray(validator_domain).max(initial=-1))) + 1
    members = np.bincount(node_domain[ring], minlength=domains)
    owed = bribe * np.bincount(np.asarray(validator_domain, np.int64)[np.asarray(bribed, bool)], minlength=domains)
    per_member = np.divide(owed, members, out=np.zeros(domains), where=members > 0)
    return np.where(ring, per_member[node_domain], 0.0)


def bribe_income(
    paid: np.ndarray, node_domain: np.ndarray, bribed: np.ndarray, validator_domain: np.ndarray
) -> np.ndarray:
    """Tokens each validator receives: what the ring's nodes of its domain ``paid`` (their bills
    under limited liability), shared evenly by the domain's bribed validators (0 for the others)."""
    validator_domain, bribed = np.asarray(validator_domain, np.int64), np.asarray(bribed, bool)
    domains = int(max(np.asarray(node_domain).max(initial=-1), validator_domain.max(initial=-1))) + 1
    collected = np.bincount(np.asarray(node_domain, np.int64), weights=np.asarray(paid, float), minlength=domains)
    takers = np.bincount(validator_domain[bribed], minlength=domains)
    each = np.divide(collected, takers, out=np.zeros(domains), where=takers > 0)
    return np.where(bribed, each[validator_domain], 0.0)
