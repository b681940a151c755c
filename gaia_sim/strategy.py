"""Strategy dynamics of node operators: imitation (replicator / logit), entry and exit, settling.

- Pairwise proportional imitation (Schlag, "Why imitate, and if so, how?", JET 1998; Helbing 1992):
  a revising operator samples a random peer and copies its behaviour with probability proportional
  to how much more the peer earned. In a large population the expected share dynamics are the
  replicator dynamics (Sandholm, *Population Games and Evolutionary Dynamics*, 2010, ch. 5), and
  because the switch rate is linear in the payoff difference, noise in realized profits (rare, large
  slashes) averages out: shares move toward the behaviour with the higher *expected* profit.
- Logit (Fermi) imitation (Blume, "The statistical mechanics of strategic interaction", GEB 1993;
  Szabo & Toke 1998): the same pairwise comparison, switching with probability
  ``1 / (1 + exp(-gain / noise))``.
- Entry and exit (free entry; Sandholm 2010, sec. 4.3 "variable population"): operators leave when
  their recent profit is below the outside option, newcomers arrive when some behaviour pays more.
All functions are pure given the numpy ``Generator`` they receive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def switch_probability(gain: np.ndarray, mode: str, noise: float = 1.0, scale: float | None = None) -> np.ndarray:
    """Probability a reviser copies a peer that earned ``gain`` more (tokens).

    ``replicator``: proportional imitation, ``max(0, gain) / scale`` (Schlag 1998), linear in the
    payoff difference so expected shares follow the replicator dynamics. ``scale`` must be a fixed
    bound on payoff differences: normalizing by each epoch's own largest difference (``scale=None``)
    amplifies quiet epochs (no slash) over epochs with a slash and biases the flow toward cheating.
    ``logit``: the Fermi rule ``1 / (1 + exp(-gain / noise))`` (Blume 1993; Szabo & Toke 1998).
    """
    gain = np.asarray(gain, float)
    if mode == "logit":
        return 1.0 / (1.0 + np.exp(-np.clip(gain / noise, -50, 50)))
    if mode == "replicator":
        if scale is None:
            scale = float(np.abs(gain).max(initial=0.0))
        return np.clip(gain / max(scale, 1e-12), 0.0, 1.0)
    raise ValueError(f"unknown revision mode {mode!r}; allowed: replicator, logit")


def behaviour_means(behaviour: np.ndarray, profit: np.ndarray, eligible: np.ndarray, n_behaviours: int):
    """(mean profit, count) per behaviour code over eligible operators (mean NaN where count 0)."""
    b = np.asarray(behaviour, np.int64)[eligible]
    cnt = np.bincount(b, minlength=n_behaviours)
    tot = np.bincount(b, weights=np.asarray(profit, float)[eligible], minlength=n_behaviours)
    mean = np.divide(tot, cnt, out=np.full(n_behaviours, np.nan), where=cnt > 0)
    return mean, cnt


def profit_average(previous: np.ndarray, profit: np.ndarray, memory: float, first: bool) -> np.ndarray:
    """Exponentially weighted profit record: ``(1 - memory) x previous + memory x profit`` (the
    first epoch's profit on the first epoch)."""
    return np.where(first, profit, (1 - memory) * previous + memory * profit)


def random_peers(rng: np.random.Generator, domain: np.ndarray, present: np.ndarray) -> np.ndarray:
    """int[n]: a uniformly random peer per operator among the ``present`` operators of its domain
    (itself where its domain has nobody present): nobody imitates an operator who left."""
    domain, present = np.asarray(domain), np.asarray(present, bool)
    peer = np.arange(len(domain))
    for d in np.unique(domain):
        ids = np.flatnonzero(domain == d)
        pool = ids[present[ids]]
        if len(pool):
            peer[ids] = rng.choice(pool, size=len(ids))
    return peer


def revisers(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    """bool[n]: eligible operators that revise this epoch (each with probability ``rate``)."""
    return (rng.random(len(eligible)) < rate) & np.asarray(eligible, bool)


def imitate(
    rng: np.random.Generator,
    profit: np.ndarray,
    revising: np.ndarray,
    peer: np.ndarray,
    mode: str = "replicator",
    noise: float = 1.0,
    scale: float | None = None,
) -> np.ndarray:
    """bool[n]: revisers that copy their peer, with :func:`switch_probability` of the profit gap
    (pairwise proportional imitation, Schlag 1998, or the Fermi rule, Blume 1993)."""
    profit = np.asarray(profit, float)
    p_switch = switch_probability(profit[peer] - profit, mode, noise, scale)
    return np.asarray(revising, bool) & (rng.random(len(profit)) < p_switch)


def mutate(
    rng: np.random.Generator, behaviour: np.ndarray, revising: np.ndarray, eps: float, allowed_codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(new behaviour, explored): with probability ``eps`` a reviser tries a uniformly random
    allowed behaviour (exploration; Sandholm 2010, sec. 10.2 on mutations)."""
    n = len(behaviour)
    explore = np.asarray(revising, bool) & (rng.random(n) < eps)
    return np.where(explore, rng.choice(allowed_codes, size=n), behaviour), explore


def behaviour_record(behaviour: np.ndarray, new: np.ndarray, profit: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """float[n]: per operator, the mean profit record of the eligible operators playing ``new[i]``
    (its own record where nobody plays it)."""
    out = np.asarray(profit, float).copy()
    for b in np.unique(new):
        players = eligible & (behaviour == b)
        if players.any():
            out[new == b] = profit[players].mean()
    return out


@dataclass(frozen=True)
class Revision:
    """Outcome of one revision round (arrays over operators)."""

    behaviour: np.ndarray  # codes after revision
    record: np.ndarray  # profit records after revision
    switched: np.ndarray  # bool: the behaviour changed


def revise(
    rng: np.random.Generator,
    behaviour: np.ndarray,
    profit: np.ndarray,
    eligible: np.ndarray,
    rate: float,
    mode: str = "replicator",
    noise: float = 1.0,
    scale: float | None = None,
    eps: float = 0.0,
    allowed_codes: np.ndarray | None = None,
    domain: np.ndarray | None = None,
    present: np.ndarray | None = None,
) -> Revision:
    """One revision round: each operator draws a random peer of its ``domain`` among the ``present``
    ones (default: one domain, the eligible), eligible operators revise with probability ``rate`` and
    copy the peer (:func:`imitate`, ``mode`` "replicator" or "logit"), then explore with probability
    ``eps`` (:func:`mutate`). A switcher's profit record becomes the record of the strategy it now
    plays (the copied peer's, or its new behaviour's mean): keeping its old record would let an honest
    record vouch for cheating and bias imitation toward it (Schlag 1998 compares the payoffs of the
    strategies). ``mode`` "none": nobody revises (and no random numbers are drawn)."""
    behaviour, profit = np.asarray(behaviour), np.asarray(profit, float)
    eligible = np.asarray(eligible, bool)
    if mode == "none":
        return Revision(behaviour.copy(), profit.copy(), np.zeros(len(behaviour), bool))
    if mode not in ("replicator", "logit"):
        raise ValueError(f"unknown revision mode {mode!r}; allowed: replicator, logit, none")
    domain = np.zeros(len(behaviour), np.int64) if domain is None else domain
    peer = random_peers(rng, domain, eligible if present is None else present)
    revising = revisers(rng, eligible, rate)
    copied = imitate(rng, profit, revising, peer, mode, noise, scale)
    new, record = np.where(copied, behaviour[peer], behaviour), np.where(copied, profit[peer], profit)
    if eps > 0 and allowed_codes is not None and len(allowed_codes):
        new, explore = mutate(rng, new, revising, eps, allowed_codes)
        record = np.where(explore, behaviour_record(behaviour, new, profit, eligible), record)
    switched = new != behaviour
    return Revision(new, np.where(switched, record, profit), switched)


def exits(
    rng: np.random.Generator, avg_profit: np.ndarray, active: np.ndarray, outside_option: float, rate: float
) -> np.ndarray:
    """bool[n]: active operators whose recent average profit is below the outside option leave
    (each with probability ``rate`` per epoch)."""
    losing = np.asarray(active, bool) & (np.asarray(avg_profit, float) < outside_option)
    return losing & (rng.random(losing.size) < rate)


def entrants(
    rng: np.random.Generator,
    mean_profit: np.ndarray,
    counts: np.ndarray,
    outside_option: float,
    rate: float,
    n_active: int,
    cap: int | None = None,
) -> np.ndarray:
    """Behaviour codes of newcomers: Poisson(rate x n_active) arrive when some behaviour beats the
    outside option; each copies a profitable behaviour with probability proportional to its count."""
    mean = np.nan_to_num(np.asarray(mean_profit, float), nan=-np.inf)
    attract = (mean > outside_option) & (np.asarray(counts) > 0)
    if not attract.any() or rate <= 0:
        return np.zeros(0, np.int64)
    k = int(rng.poisson(rate * max(n_active, 1)))
    if cap is not None:
        k = min(k, cap)
    w = np.where(attract, counts, 0).astype(float)
    return rng.choice(w.size, size=k, p=w / w.sum()).astype(np.int64)


def shares(behaviour: np.ndarray, active: np.ndarray, n_behaviours: int) -> np.ndarray:
    """float[b]: share of active operators per behaviour code."""
    cnt = np.bincount(np.asarray(behaviour, np.int64)[np.asarray(active, bool)], minlength=n_behaviours)
    return cnt / max(cnt.sum(), 1)


def _window_ranges(history: np.ndarray, window: int) -> np.ndarray:
    h = np.asarray(history, float)
    if h.ndim == 1:
        h = h[:, None]
    if h.shape[0] < window:
        return np.zeros(0)
    win = np.lib.stride_tricks.sliding_window_view(h, window, axis=0)
    return (win.max(-1) - win.min(-1)).max(-1)


def settled_flags(history: np.ndarray, window: int, tol: float) -> np.ndarray:
    """bool[T]: the ``window`` epochs ending at each epoch had every share within ``tol`` (range)."""
    r = _window_ranges(history, window)
    out = np.zeros(np.asarray(history).shape[0], bool)
    out[window - 1 :] = r <= tol
    return out


def settled_epoch(shares_history: np.ndarray, window: int, tol: float) -> int:
    """First epoch (1-based) from which every later ``window``-epoch stretch keeps each behaviour's
    share within ``tol`` (max - min); -1 if the shares never settle.

    ``shares_history`` is (epochs, behaviours) or (epochs,). The returned epoch is the start of the
    first stable window; the shares there are "where" the run settled.
    """
    r = _window_ranges(shares_history, window)
    if r.size == 0:
        return -1
    bad = np.nonzero(r > tol)[0]
    start = 0 if bad.size == 0 else bad[-1] + 1
    return -1 if start >= r.size else int(start + 1)
