"""Design points and replicate seeds.

- grid: Cartesian product (first axis varies slowest), like ``itertools.product``.
- zip: the i-th value of every axis together.
- lhs: Latin hypercube (McKay, Beckman & Conover 1979) via ``scipy.stats.qmc.LatinHypercube``.
- sobol: Saltelli's extension of the Sobol sequence (Saltelli et al. 2010, "Variance based
  sensitivity analysis of model output") via ``SALib.sample.sobol``, first- and total-order only,
  so there are ``N * (D + 2)`` points in SALib's order (needed by :mod:`gaia_sim.sweep.sensitivity`).

Sampled designs draw in the unit cube and map each coordinate to its axis: linear or log range,
optional rounding to integers, or an index into a list of categorical values.

Replicate seeds follow numpy's ``SeedSequence`` spawning: replicate ``r`` of every design point gets
the seed of ``SeedSequence(base_seed, spawn_key=(r,))`` (common random numbers across points, so
differences between points are not seed noise). The design's own sampling seed is spawn key
``(DESIGN_KEY,)``, disjoint from replicate keys.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from gaia_sim.sweep.spec import Axis, SweepSpec

DESIGN_KEY = 2**31 - 1


def replicate_seeds(base_seed: int, replications: int) -> list[int]:
    """Seed of each replicate, spawned from the base scenario's seed (``SeedSequence`` spawn keys)."""
    from gaia_sim.rng import spawn_seeds

    return spawn_seeds(int(base_seed), replications)


def _child_seed(base_seed: int, key: int) -> int:
    child = np.random.SeedSequence(int(base_seed), spawn_key=(key,))
    return int(child.generate_state(1, dtype=np.uint32)[0])


def points(spec: SweepSpec, base_seed: int) -> list[dict[str, Any]]:
    """The design points of ``spec``: one ``{parameter path: value}`` dict per point, in order."""
    if spec.mode == "grid":
        combos = itertools.product(*(a.values for a in spec.axes))
        return [dict(zip(spec.axis_paths, c)) for c in combos]
    if spec.mode == "zip":
        return [dict(zip(spec.axis_paths, c)) for c in zip(*(a.values for a in spec.axes))]
    unit = unit_sample(spec, _child_seed(base_seed, DESIGN_KEY))
    return [{a.path: to_axis(a, u) for a, u in zip(spec.axes, row)} for row in unit]


def unit_sample(spec: SweepSpec, seed: int) -> np.ndarray:
    """Points in the unit cube, shape (n_points, n_axes)."""
    d = len(spec.axes)
    if spec.mode == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(spec.samples)
    from SALib.sample import sobol

    problem = salib_problem(spec)
    return sobol.sample(problem, spec.samples, calc_second_order=False, seed=seed)


def salib_problem(spec: SweepSpec) -> dict:
    """The SALib problem over the unit cube (axes are mapped to their ranges by :func:`to_axis`)."""
    return {"num_vars": len(spec.axes), "names": list(spec.axis_paths), "bounds": [[0.0, 1.0]] * len(spec.axes)}


def to_axis(axis: Axis, u: float) -> Any:
    """Map ``u`` in [0, 1] to the axis: a categorical value, or a (log-)linear point, maybe rounded."""
    u = min(max(float(u), 0.0), 1.0)
    if not axis.is_range:
        return axis.values[min(int(u * len(axis.values)), len(axis.values) - 1)]
    if axis.scale == "log":
        value = math.exp(math.log(axis.low) + u * (math.log(axis.high) - math.log(axis.low)))
    else:
        value = axis.low + u * (axis.high - axis.low)
    return int(round(value)) if axis.integer else value
