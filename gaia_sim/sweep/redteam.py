"""Red team: an optimiser searches the cheating parameters that maximise a cheater's gain.

The attacker controls some parameters of a scenario (how often and when to cheat, which cheaper
model to serve, the ring's size, ...); the protocol parameters stay fixed. Optuna's TPE sampler
(Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization", NeurIPS; Akiba et al. 2019,
"Optuna", KDD) proposes attacks; each is simulated over ``replications`` seeds spawned from the base
seed (common random numbers: every attack sees the same seeds) and scored by ``objective(result)``.
The study is seeded, trials run one after another, so the same inputs give the same best attack.

Space entries: ``{low, high[, log, integer]}`` ranges, or a list of choices. ``translate(params) -> overrides`` maps attacker parameters to scenario overrides (default:
the parameter names are scenario paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from gaia_sim.errors import UserError
from gaia_sim.sweep import cells as cells_mod

Objective = Callable[[Any, Mapping[str, Any]], float]


@dataclass(frozen=True)
class RedTeamResult:
    """Best attack found, its score, and every trial (parameters, score, per-seed metrics means)."""

    best_params: dict[str, Any]
    best_value: float
    trials: pd.DataFrame


def suggest(trial, name: str, spec: Any) -> Any:
    """One attacker parameter from its space entry (list = choices; ``{low, high}`` = range)."""
    if isinstance(spec, (list, tuple)) and spec:
        return trial.suggest_categorical(name, list(spec))
    if isinstance(spec, Mapping) and {"low", "high"} <= set(spec):
        if spec.get("integer"):
            return trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log")))
        return trial.suggest_float(name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log")))
    raise UserError(
        f"red-team space {name!r}: must be a list of choices or {{low, high[, log, integer]}}, got {spec!r}"
    )


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def evaluate(
    base, overrides: Mapping[str, Any], objective: Objective, seeds: list[int], backend: str = cells_mod.DEFAULT_BACKEND
) -> tuple[float, dict[str, float]]:
    """Mean objective of one attack over ``seeds``, and the mean of every numeric summary metric."""
    module = cells_mod.backend(backend)
    scores, summaries = [], []
    for seed in seeds:
        scenario = base.with_overrides({**overrides, "seed": seed})
        result = module.simulate(scenario, progress=False)
        scores.append(float(objective(result, overrides)))
        summaries.append({k: float(v) for k, v in result.summary.items() if _num(v)})
    means = pd.DataFrame(summaries).mean(numeric_only=True).to_dict()
    return float(np.mean(scores)), means


def search(
    base,
    space: Mapping[str, Any],
    objective: Objective,
    trials: int = 30,
    seed: int = 0,
    replications: int = 2,
    translate: Callable[[dict], dict] | None = None,
    backend: str = cells_mod.DEFAULT_BACKEND,
) -> RedTeamResult:
    """Maximise ``objective`` over ``space`` with a seeded TPE study of ``trials`` trials."""
    import optuna

    from gaia_sim.rng import spawn_seeds

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seeds, rows = spawn_seeds(int(base.to_dict()["seed"]), replications), []
    translate = translate or (lambda p: dict(p))

    def run_trial(trial) -> float:
        params = {name: suggest(trial, name, spec) for name, spec in space.items()}
        score, means = evaluate(base, translate(params), objective, seeds, backend)
        rows.append({"trial": trial.number, **params, "objective": score, **means})
        return score if math.isfinite(score) else -math.inf

    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(run_trial, n_trials=trials)
    return RedTeamResult(dict(study.best_params), float(study.best_value), pd.DataFrame(rows))
