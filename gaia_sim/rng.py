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
