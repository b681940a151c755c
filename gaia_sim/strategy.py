"""Strategy dynamics of node operators: imitation (replicator / logit), entry and exit, settling.

- Pairwise proportional imitation (Schlag, "Why imitate, and if so, how?", JET 1998; Helbing 1992):
  a revising operator samples a random peer and copies its behaviour with probability proportional
  to how much more the peer earned. In a large population the expected share dynamics are the
  replicator dynamics (Sandholm, *Population Games and Evolutionary Dynamics*, 2010, ch. 5), and
  because the switch rate is linear in the payoff difference, noise in realized profits (rare, large
  slashes) averages out: shares move toward the behaviour with the higher *expected* profit.
- Logit choice (Blume, "The statistical mechanics of strategic interaction", GEB 1993): a revising
  operator picks behaviour b with probability proportional to exp(beta x mean profit of b / scale).
- Entry and exit (free entry; Sandholm 2010, sec. 4.3 "variable population"): operators leave when
  their recent profit is below the outside option, newcomers arrive when some behaviour pays more.
All functions are pure given the numpy ``Generator`` they receive.
"""

from __future__ import annotations

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


def imitate(rng: np.random.Generator, behaviour: np.ndarray, profit: np.ndarray, eligible: np.ndarray,
            rate: float) -> np.ndarray:
    """Pairwise proportional imitation; returns the new behaviour array (codes)."""
    behaviour = np.asarray(behaviour, np.int64)
    pool = np.nonzero(eligible)[0]
    out = behaviour.copy()
    if pool.size < 2:
        return out
    profit = np.asarray(profit, float)
    span = float(profit[pool].max() - profit[pool].min())
    revising = pool[rng.random(pool.size) < rate]
    peers = pool[rng.integers(0, pool.size, revising.size)]
    gain = profit[peers] - profit[revising]
    p_switch = np.clip(gain / span, 0.0, 1.0) if span > 0 else np.zeros(revising.size)
    switch = rng.random(revising.size) < p_switch
    out[revising[switch]] = behaviour[peers[switch]]
    return out


def logit(rng: np.random.Generator, behaviour: np.ndarray, profit: np.ndarray, eligible: np.ndarray,
          rate: float, beta: float, n_behaviours: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Logit choice among behaviours that are observed (or ``allowed``), on mean profit per behaviour."""
    behaviour = np.asarray(behaviour, np.int64)
    mean, cnt = behaviour_means(behaviour, profit, eligible, n_behaviours)
    ok = cnt > 0 if allowed is None else np.asarray(allowed, bool) & (cnt > 0)
    out = behaviour.copy()
    if not ok.any():
        return out
    scale = max(np.nanmax(np.abs(mean[ok])), 1e-12)
    z = np.where(ok, beta * np.nan_to_num(mean) / scale, -np.inf)
    prob = np.exp(z - z[ok].max())
    prob /= prob.sum()
    pool = np.nonzero(eligible)[0]
    revising = pool[rng.random(pool.size) < rate]
    out[revising] = rng.choice(n_behaviours, size=revising.size, p=prob)
    return out


def mutate(rng: np.random.Generator, behaviour: np.ndarray, eligible: np.ndarray, eps: float,
           allowed_codes: np.ndarray) -> np.ndarray:
    """With probability ``eps`` an eligible operator tries a uniformly random allowed behaviour."""
    out = np.asarray(behaviour, np.int64).copy()
    pool = np.nonzero(eligible)[0]
    hit = pool[rng.random(pool.size) < eps]
    out[hit] = rng.choice(np.asarray(allowed_codes, np.int64), size=hit.size)
    return out


def revise(rng: np.random.Generator, behaviour: np.ndarray, profit: np.ndarray, eligible: np.ndarray,
           rate: float, mode: str = "replicator", beta: float = 5.0, n_behaviours: int | None = None,
           eps: float = 0.0, allowed_codes: np.ndarray | None = None) -> np.ndarray:
    """One revision round: ``mode`` is "replicator" (imitation), "logit" or "none"; then mutation."""
    behaviour = np.asarray(behaviour, np.int64)
    nb = int(n_behaviours if n_behaviours is not None else behaviour.max(initial=0) + 1)
    if mode == "replicator":
        out = imitate(rng, behaviour, profit, eligible, rate)
    elif mode == "logit":
        out = logit(rng, behaviour, profit, eligible, rate, beta, nb)
    elif mode == "none":
        out = behaviour.copy()
    else:
        raise ValueError(f"unknown revision mode {mode!r}; allowed: replicator, logit, none")
    if eps > 0 and allowed_codes is not None and len(allowed_codes):
        out = mutate(rng, out, eligible, eps, allowed_codes)
    return out


def exits(rng: np.random.Generator, avg_profit: np.ndarray, active: np.ndarray, outside_option: float,
          rate: float) -> np.ndarray:
    """bool[n]: active operators whose recent average profit is below the outside option leave
    (each with probability ``rate`` per epoch)."""
    losing = np.asarray(active, bool) & (np.asarray(avg_profit, float) < outside_option)
    return losing & (rng.random(losing.size) < rate)


def entrants(rng: np.random.Generator, mean_profit: np.ndarray, counts: np.ndarray, outside_option: float,
             rate: float, n_active: int, cap: int | None = None) -> np.ndarray:
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
    out[window - 1:] = r <= tol
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
