"""``run_sweep``: sweep file -> cells -> (only the unfinished ones) executed -> one Parquet dataset."""

from __future__ import annotations

import datetime as dt
import platform
import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from gaia_sim.atomic import check_output_dir
from gaia_sim.errors import UserError
from gaia_sim.results import git_revision, package_versions
from gaia_sim.sweep import cells as cells_mod
from gaia_sim.sweep.execute import Failure, execute
from gaia_sim.sweep.spec import SweepSpec, load_sweep, n_points
from gaia_sim.sweep.store import SweepStore, atomic_parquet

EXECUTORS = ("serial", "pool", "dask")
VERSIONED = ("gaia-sim", "numpy", "pandas", "pyarrow", "dask", "distributed", "SALib", "mesa")


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did: where, the consolidated frame, and how many cells ran / were reused."""

    root: Path
    frame: pd.DataFrame
    computed: int
    reused: int
    failures: list[Failure] = field(default_factory=list)
    sensitivity: pd.DataFrame | None = None


def default_dir(spec: SweepSpec, results: str | Path = "results") -> Path:
    return Path(results) / "sweeps" / spec.name


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path | None = None,
    *,
    executor: str = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    fresh: bool = False,
    backend: str = cells_mod.DEFAULT_BACKEND,
    overrides: dict[str, Any] | None = None,
) -> SweepOutcome:
    """Run every unfinished cell of ``spec`` and consolidate ``results.parquet`` + ``manifest.json``.

    ``overrides`` are extra fixed parameters (``--set`` on the command line), recorded in the manifest."""
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    spec = with_fixed(spec, overrides or {})
    if executor not in EXECUTORS:
        raise UserError(f"--executor {executor!r}: allowed: {', '.join(EXECUTORS)}")
    started, t0 = _now(), time.perf_counter()
    module = cells_mod.backend(backend)
    all_cells = cells_mod.build_cells(spec, module.load_scenario(spec.base))
    store = SweepStore(check_output_dir(out or default_dir(spec), "sweep folder"))
    store.prepare(spec.path, fresh=fresh)
    todo = _unfinished(all_cells, store.done_keys())
    info = dict(executor=executor, workers=workers, scheduler=scheduler, started=started, interrupted=False)
    try:
        computed, failures = _run(
            store, todo, spec, backend, executor, workers, scheduler, progress, n_unique=len({c.key for c in all_cells})
        )
    except KeyboardInterrupt:
        _finish(spec, store, all_cells, {**info, "interrupted": True, "computed": None, "failures": []}, t0)
        raise
    info.update(computed=computed, failures=failures)
    frame, sens = _finish(spec, store, all_cells, info, t0)
    reused = frame["scenario_hash"].nunique() - computed if len(frame) else 0
    return SweepOutcome(store.root, frame, computed, reused, failures, sens)


def _finish(spec, store, all_cells, info, t0):
    """Consolidate what is on disk (also after an interrupt) and write the manifest."""
    frame = store.consolidate(all_cells)
    sens = _sensitivity(spec, store, frame)
    info["wall_s"] = round(time.perf_counter() - t0, 3)
    store.write_manifest(_manifest(spec, all_cells, frame, sens, dict(info)))
    return frame, sens


def with_fixed(spec: SweepSpec, overrides: dict[str, Any]) -> SweepSpec:
    """``spec`` with more fixed parameters; a swept parameter cannot also be set."""
    clash = sorted(set(overrides) & set(spec.axis_paths))
    if clash:
        raise UserError(f"--set {clash[0]}: is an axis of {spec.path}; a parameter is either fixed or swept")
    return replace(spec, fixed={**spec.fixed, **overrides}) if overrides else spec


def _unfinished(all_cells, done: set[str]) -> list[tuple[str, Any]]:
    """One task per distinct scenario not yet on disk, in design order."""
    tasks: dict[str, Any] = {}
    for cell in all_cells:
        if cell.key not in done and cell.key not in tasks:
            tasks[cell.key] = cell.scenario
    return list(tasks.items())


def _run(store, todo, spec, backend, executor, workers, scheduler, progress, n_unique):
    from tqdm.auto import tqdm

    computed, failures = 0, []
    with tqdm(
        total=n_unique,
        initial=n_unique - len(todo),
        unit="cell",
        desc=f"sweep {spec.name}",
        disable=not progress,
        smoothing=0.1,
    ) as bar:
        if not todo:
            return 0, []
        # closing(): on an interrupt the executor ends its workers now, not when garbage is collected
        with closing(_connect(execute, todo, backend, spec.metrics, executor, workers, scheduler)) as results:
            for key, row in results:
                if isinstance(row, Failure):
                    failures.append(row)
                    bar.set_postfix(failed=len(failures))
                else:
                    store.write_cell(key, row)
                    computed += 1
                bar.update(1)
    return computed, failures


def _connect(execute_fn, todo, backend, metrics, executor, workers, scheduler):
    """Dask connection problems become one readable error naming the address."""
    try:
        yield from execute_fn(todo, backend, metrics, executor, workers, scheduler)
    except OSError as exc:
        if executor == "dask":
            raise UserError(f"--scheduler {scheduler or 'local'}: cannot reach the Dask scheduler ({exc})") from None
        raise


def _sensitivity(spec, store, frame) -> pd.DataFrame | None:
    if spec.mode != "sobol" or len(frame) == 0:
        return None
    from gaia_sim.sweep.sensitivity import sobol_indices

    table = sobol_indices(spec, frame)
    atomic_parquet(store.root / "sensitivity.parquet", table)
    return table


def _manifest(spec: SweepSpec, all_cells, frame: pd.DataFrame, sens, info: dict) -> dict[str, Any]:
    failures = info.pop("failures")
    return {
        "kind": "gaia-sim sweep",
        "name": spec.name,
        "description": spec.description,
        "sweep_file": str(spec.path),
        "base_scenario": str(spec.base),
        "base_scenario_hash": all_cells[0].scenario.hash if all_cells else None,
        "mode": spec.mode,
        "axes": [_axis_info(a) for a in spec.axes],
        "fixed": spec.fixed,
        "replications": spec.replications,
        "samples": spec.samples,
        "seeds": sorted({c.seed for c in all_cells}),
        "report": spec.report,
        "n_points": n_points(spec),
        "n_cells": len(all_cells),
        "n_rows": len(frame),
        "complete": len(frame) == len(all_cells),
        "failed": [{"scenario_hash": f.key, "error": f.error.strip().splitlines()[-1]} for f in failures],
        "metrics": [c for c in frame.columns if c not in _meta(spec)],
        "sobol": None if sens is None else sens.to_dict(orient="records"),
        "finished": _now(),
        **info,
        "environment": _environment(),
    }


def _meta(spec: SweepSpec) -> set[str]:
    return {"point", "replicate", "seed", "scenario_hash", "cell_wall_s", "cell_cpu_s", *spec.axis_paths}


def _axis_info(axis) -> dict[str, Any]:
    if axis.is_range:
        return {"path": axis.path, "low": axis.low, "high": axis.high, "scale": axis.scale, "integer": axis.integer}
    return {"path": axis.path, "values": list(axis.values)}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "git_revision": git_revision(),
        "versions": package_versions(VERSIONED),
    }
