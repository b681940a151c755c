"""Sobol sensitivity indices of each metric to each swept parameter (SALib).

Implements the first-order (S1) and total-order (ST) estimators of Saltelli et al. (2010),
"Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index", Comput. Phys. Commun. 181:259-270, via ``SALib.analyze.sobol`` with bootstrap
confidence intervals. Replicates of a design point are averaged first, so the indices describe the
mean response; seed noise shows up as indices that do not sum to about one and as wide intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaia_sim.sweep.design import salib_problem
from gaia_sim.sweep.spec import SweepSpec

META = {"point", "replicate", "seed", "scenario_hash", "cell_wall_s", "cell_cpu_s"}


def sobol_indices(spec: SweepSpec, frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Long table: metric, parameter, S1, S1_conf, ST, ST_conf (metrics that vary and have no NaN)."""
    from SALib.analyze import sobol

    problem = salib_problem(spec)
    means = frame.groupby("point").mean(numeric_only=True).sort_index()
    rows = []
    for metric in _metrics(spec, means):
        y = means[metric].to_numpy(dtype=float)
        res = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
        rows += [
            {
                "metric": metric,
                "parameter": name,
                "S1": res["S1"][i],
                "S1_conf": res["S1_conf"][i],
                "ST": res["ST"][i],
                "ST_conf": res["ST_conf"][i],
            }
            for i, name in enumerate(problem["names"])
        ]
    return pd.DataFrame(rows, columns=["metric", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


def _metrics(spec: SweepSpec, means: pd.DataFrame) -> list[str]:
    from gaia_sim.sweep.spec import n_points

    if len(means) != n_points(spec):
        return []  # unfinished sweep: SALib needs every point, in order
    skip = META | set(spec.axis_paths)
    return [
        c
        for c in means.columns
        if c not in skip and not c.startswith("missing:") and np.isfinite(means[c]).all() and means[c].std() > 0
    ]
