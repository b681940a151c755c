"""Random streams: every run, phase and purpose gets its own numpy Generator spawned from the seed.

No global random state anywhere in gaia-sim. Streams are keyed by name so adding a new consumer
does not shift the numbers another consumer sees (numpy ``SeedSequence`` spawn keys, NEP 19).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, *key: str | int) -> np.random.Generator:
    """An independent Generator for ``(seed, *key)``; same arguments, same numbers."""
    words = [int.from_bytes(hashlib.sha256(str(k).encode()).digest()[:4], "little") for k in key]
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(words)))


def spawn_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent child seeds of ``seed`` (for sweep replications)."""
    children = np.random.SeedSequence(seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def smallest_per_row(r: np.ndarray, n: int) -> np.ndarray:
    """Column indices of the ``n`` smallest entries of each row of ``r``, in ascending order of value:
    ``np.argsort(r, axis=1)[:, :n]`` for the continuous random draws it is used on (no ties), without
    sorting whole rows (repeated ``argmin`` for n <= 3, else a partial sort). Overwrites ``r``."""
    if n > 3:
        idx = np.argpartition(r, n - 1, axis=1)[:, :n]
        return np.take_along_axis(idx, np.argsort(np.take_along_axis(r, idx, axis=1), axis=1), axis=1)
    out, rows = np.empty((len(r), n), dtype=np.int64), np.arange(len(r))
    for k in range(n):
        out[:, k] = r.argmin(axis=1)
        r[rows, out[:, k]] = np.inf
    return out
