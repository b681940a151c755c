"""Cells: one design point x one replicate = one validated scenario = one ``simulate()`` call.

A cell's key is the hash of its fully overridden scenario (seed included), so a result on disk is
addressed by exactly what produced it: reruns, edits that keep a cell, and duplicate points reuse it.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from gaia_sim.errors import UserError
from gaia_sim.sweep import design
from gaia_sim.sweep.spec import SweepSpec

DEFAULT_BACKEND = "gaia_sim"  # a module exposing load_scenario(path) and simulate(scenario, progress=False)
SEED_PATHS = ("seed", "run.seed", "simulation.seed", "model.seed")


@dataclass(frozen=True)
class Cell:
    """One run of the sweep. ``params`` holds the swept values (axis path -> value)."""

    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    scenario: Any
    key: str


def backend(name: str = DEFAULT_BACKEND):
    """The module providing ``load_scenario`` and ``simulate`` (``gaia_sim`` unless a test swaps it)."""
    module = importlib.import_module(name)
    for attr in ("load_scenario", "simulate"):
        if not hasattr(module, attr):
            raise UserError(f"backend {name!r}: has no {attr}(); a sweep backend needs load_scenario and simulate")
    return module


def seed_path(spec: SweepSpec, base_dict: dict) -> str:
    """Where the seed lives in the scenario: ``[sweep] seed_key`` or the first of :data:`SEED_PATHS` found."""
    candidates = (spec.seed_key,) if spec.seed_key else SEED_PATHS
    for path in candidates:
        if _lookup(base_dict, path) is not None:
            return path
    raise UserError(
        f"{spec.path}: sweep.seed_key: no seed found in the base scenario at {', '.join(candidates)};"
        " set seed_key to the scenario's seed parameter path"
    )


def base_seed(spec: SweepSpec, base_dict: dict) -> int:
    return int(_lookup(base_dict, seed_path(spec, base_dict)))


def _lookup(d: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def build_cells(spec: SweepSpec, base) -> list[Cell]:
    """Every cell of the sweep, validated now (a bad value fails before any run starts)."""
    base_dict = base.to_dict()
    key, seed0 = seed_path(spec, base_dict), base_seed(spec, base_dict)
    seeds = design.replicate_seeds(seed0, spec.replications)
    cells = []
    for i, params in enumerate(design.points(spec, seed0)):
        for r, seed in enumerate(seeds):
            scenario = _override(spec, base, {**spec.fixed, **params, key: seed}, i)
            cells.append(Cell(i, r, seed, params, scenario, scenario.hash))
    return cells


def _override(spec: SweepSpec, base, overrides: dict, point: int):
    try:
        return base.with_overrides(overrides)
    except UserError as err:
        shown = json.dumps({k: v for k, v in overrides.items()}, default=str)
        raise UserError(f"{spec.path}: design point {point} {shown}: {err}") from None
