"""gaia-sim: a simulation and mechanism-design sandbox for verifying nodes of a Gaia network.

Public API (imported lazily so ``import gaia_sim`` does no work):

- ``embed(texts) -> (n, 384) float32``: all-MiniLM-L6-v2 sentence embeddings, offline.
- ``assess(embeddings, alpha=0.01, **options)``: the calibrated outlier detector.
- ``load_scenario(path)`` and ``simulate(scenario)``: scenario file -> simulated network.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "embed": "gaia_sim.answers.embed",
    "assess": "gaia_sim.detector",
    "load_scenario": "gaia_sim.scenario",
    "simulate": "gaia_sim.runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gaia_sim' has no attribute {name!r}")
