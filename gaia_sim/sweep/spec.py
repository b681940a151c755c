"""Sweep files: TOML in, a validated, frozen :class:`SweepSpec` out.

A sweep file names a base scenario, the parameters to vary (axes, by dotted parameter path), how the
axes combine (``mode``, always explicit), how many replications with seeds spawned from the base seed,
and optional fixed overrides applied to every cell::

    [sweep]
    name = "stake_x_slash"          # default: the file name without .toml
    base = "../baseline.toml"       # required; relative to this file
    mode = "grid"                   # required: grid | zip | lhs | sobol
    replications = 3                # default 1
    samples = 16                    # lhs: number of points; sobol: base sample N (a power of 2)
    metrics = ["final_honest_share"]  # optional: keep only these summary metrics (default: all)

    [fixed]                         # overrides applied to every cell
    epochs = 40

    [axes]                          # grid/zip: lists of values; lhs/sobol: {low, high[, scale, integer]}
    "staking.node_stake" = [0.0, 10.0, 100.0]
    "slashing.fraction" = [0.1, 0.5, 1.0]

    [report]                        # optional hints for ``gaia-sim report``
    x = "staking.node_stake"
    y = "slashing.fraction"
    metrics = ["final_honest_share"]
    discover = true                 # PRIM boxes where cheating pays (report/prim.json, prim.png)

Nested tables are flattened into dotted paths (``[axes.staking] node_stake = [...]`` is the same as
``"staking.node_stake" = [...]``); an inline table under a dotted key is passed whole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaia_sim.errors import UserError
from gaia_sim.scenario import read_toml

MODES = {
    "grid": "Cartesian product of the axes' value lists",
    "zip": "axes taken position by position (equal-length lists)",
    "lhs": "Latin hypercube sample over axis ranges",
    "sobol": "Saltelli/Sobol sample over axis ranges, with Sobol sensitivity indices",
}
SAMPLED_MODES = ("lhs", "sobol")
SWEEP_KEYS = {"name", "base", "mode", "replications", "samples", "metrics", "seed_key", "description"}
TOP_KEYS = {"sweep", "axes", "fixed", "report"}
RANGE_KEYS = {"low", "high", "scale", "integer"}
REPORT_KEYS = {"x", "y", "metrics", "discover"}
MAX_CELLS = 200_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: explicit ``values`` (grid/zip, or categorical in lhs/sobol) or a range."""

    path: str
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    scale: str = "linear"
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.values is None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file. ``base`` is an absolute path to the base scenario file."""

    path: Path
    name: str
    base: Path
    mode: str
    axes: tuple[Axis, ...]
    replications: int = 1
    samples: int = 0
    metrics: tuple[str, ...] = ()
    fixed: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    seed_key: str | None = None
    description: str = ""

    @property
    def axis_paths(self) -> tuple[str, ...]:
        return tuple(a.path for a in self.axes)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file; every problem is a :class:`UserError` naming file and key path."""
    path = Path(path)
    raw = read_toml(path, "sweep file")
    return parse_sweep(raw, path)


def parse_sweep(raw: dict, path: Path) -> SweepSpec:
    """Validate an already-parsed sweep table (``path`` is used for messages and relative paths)."""
    err = _Errors(path)
    err.unknown(raw, TOP_KEYS, "")
    sweep = err.table(raw, "sweep", required=True)
    err.unknown(sweep, SWEEP_KEYS, "sweep.")
    mode = _mode(sweep, err)
    axes = _axes(raw, mode, err)
    fixed = _flatten(err.table(raw, "fixed"), "", ranges=False)
    overlap = sorted(set(fixed) & {a.path for a in axes})
    if overlap:
        err.fail(f"fixed.{overlap[0]!r}", "is also an axis; a parameter is either fixed or swept, not both")
    spec = SweepSpec(
        path=path.resolve(),
        name=_name(sweep, path, err),
        base=_base(sweep, path, err),
        mode=mode,
        axes=axes,
        replications=err.integer(sweep, "replications", default=1, low=1),
        samples=_samples(sweep, mode, err),
        metrics=tuple(err.strings(sweep, "metrics")),
        fixed=fixed,
        report=_report(raw, err),
        seed_key=err.string(sweep, "seed_key", default=None),
        description=err.string(sweep, "description", default=""),
    )
    _check_size(spec, err)
    return spec


class _Errors:
    """Typed getters that raise :class:`UserError` with the file and key path."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, what: str):
        raise UserError(f"{self.path}: {key}: {what}")

    def unknown(self, table: dict, allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(f"{prefix}{key}", f"unknown key; allowed: {', '.join(sorted(allowed))}")

    def table(self, raw: dict, key: str, required: bool = False) -> dict:
        if key not in raw:
            if required:
                self.fail(f"[{key}]", "table is missing")
            return {}
        if not isinstance(raw[key], dict):
            self.fail(key, f"must be a table ([{key}]), got {type(raw[key]).__name__}")
        return raw[key]

    def integer(self, table: dict, key: str, default: int, low: int) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(f"sweep.{key}", f"must be an integer >= {low}, got {value!r}")
        return value

    def string(self, table: dict, key: str, default: str | None) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            self.fail(f"sweep.{key}", f"must be a string, got {value!r}")
        return value

    def strings(self, table: dict, key: str, prefix: str = "sweep.") -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{prefix}{key}", f"must be a list of strings, got {value!r}")
        return value


def _mode(sweep: dict, err: _Errors) -> str:
    allowed = "; ".join(f'"{k}" ({v})' for k, v in MODES.items())
    if "mode" not in sweep:
        err.fail("sweep.mode", f"is missing; sweep semantics are always explicit, say one of: {allowed}")
    if sweep["mode"] not in MODES:
        err.fail("sweep.mode", f"{sweep['mode']!r} is not a mode; allowed: {allowed}")
    return sweep["mode"]


def _name(sweep: dict, path: Path, err: _Errors) -> str:
    name = err.string(sweep, "name", default=path.stem)
    if not name or name.startswith(".") or not all(c.isalnum() or c in "-_." for c in name):
        err.fail("sweep.name", f"{name!r} must be non-empty letters, digits, '-', '_' or '.', not starting with '.'")
    return name


def _base(sweep: dict, path: Path, err: _Errors) -> Path:
    base = sweep.get("base")
    if not isinstance(base, str) or not base:
        err.fail("sweep.base", "is missing; give the base scenario file, relative to the sweep file")
    resolved = (path.resolve().parent / base).resolve()
    if not resolved.is_file():
        err.fail("sweep.base", f"base scenario {base!r} not found (looked at {resolved})")
    return resolved


def _samples(sweep: dict, mode: str, err: _Errors) -> int:
    if mode not in SAMPLED_MODES:
        if "samples" in sweep:
            err.fail("sweep.samples", f'only applies to mode "lhs" or "sobol", not {mode!r}')
        return 0
    if "samples" not in sweep:
        err.fail("sweep.samples", f'is required for mode "{mode}" (number of points; sobol: base N)')
    n = err.integer(sweep, "samples", default=0, low=1)
    if mode == "sobol" and n & (n - 1):
        err.fail("sweep.samples", f"must be a power of 2 for Sobol sampling (e.g. 8, 16, 64), got {n}")
    return n


def _flatten(table: dict, prefix: str, ranges: bool) -> dict[str, Any]:
    """Nested tables -> dotted paths; stop at dotted keys, non-tables and (for axes) range tables."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        nested = isinstance(value, dict) and "." not in key and not (ranges and set(value) & {"low", "high"})
        flat.update(_flatten(value, f"{path}.", ranges) if nested else {path: value})
    return flat


def _axes(raw: dict, mode: str, err: _Errors) -> tuple[Axis, ...]:
    table = _flatten(err.table(raw, "axes", required=True), "", ranges=True)
    if not table:
        err.fail("[axes]", "is empty; give at least one parameter path to vary")
    axes = tuple(_axis(path, value, mode, err) for path, value in table.items())
    if mode == "zip":
        lengths = {a.path: len(a.values) for a in axes}
        if len(set(lengths.values())) > 1:
            err.fail("axes", f'mode "zip" needs equal-length value lists, got {lengths}')
    return axes


def _axis(path: str, value: Any, mode: str, err: _Errors) -> Axis:
    key = f"axes.{path!r}"
    if isinstance(value, list):
        if not value:
            err.fail(key, "has no values")
        return Axis(path=path, values=tuple(value))
    if isinstance(value, dict):
        if mode not in SAMPLED_MODES:
            err.fail(key, f'a range {{low, high}} needs mode "lhs" or "sobol"; mode "{mode}" needs a list of values')
        return _range_axis(path, value, key, err)
    err.fail(key, f"must be a list of values or a range table {{low = .., high = ..}}, got {value!r}")


def _range_axis(path: str, table: dict, key: str, err: _Errors) -> Axis:
    err.unknown(table, RANGE_KEYS, f"{key}.")
    low, high = table.get("low"), table.get("high")
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            err.fail(f"{key}.{name}", f"must be a finite number, got {v!r}")
    if not low < high:
        err.fail(key, f"needs low < high, got low={low}, high={high}")
    scale = table.get("scale", "linear")
    if scale not in ("linear", "log"):
        err.fail(f"{key}.scale", f'must be "linear" or "log", got {scale!r}')
    if scale == "log" and low <= 0:
        err.fail(f"{key}.low", f'must be > 0 with scale = "log", got {low}')
    integer = table.get("integer", False)
    if not isinstance(integer, bool):
        err.fail(f"{key}.integer", f"must be true or false, got {integer!r}")
    return Axis(path=path, low=float(low), high=float(high), scale=scale, integer=integer)


def _report(raw: dict, err: _Errors) -> dict[str, Any]:
    report = err.table(raw, "report")
    err.unknown(report, REPORT_KEYS, "report.")
    for key in ("x", "y"):
        if key in report and not isinstance(report[key], str):
            err.fail(f"report.{key}", f"must be a parameter path string, got {report[key]!r}")
    if "metrics" in report:
        err.strings(report, "metrics", prefix="report.")
    if "discover" in report and not isinstance(report["discover"], bool):
        err.fail("report.discover", f"must be true or false (PRIM scenario discovery), got {report['discover']!r}")
    return dict(report)


def n_points(spec: SweepSpec) -> int:
    """Number of design points (before replication)."""
    if spec.mode == "grid":
        return math.prod(len(a.values) for a in spec.axes)
    if spec.mode == "zip":
        return len(spec.axes[0].values)
    if spec.mode == "lhs":
        return spec.samples
    return spec.samples * (len(spec.axes) + 2)  # Saltelli without second-order terms


def _check_size(spec: SweepSpec, err: _Errors) -> None:
    cells = n_points(spec) * spec.replications
    if cells > MAX_CELLS:
        err.fail("axes", f"the sweep has {cells} cells; at most {MAX_CELLS} allowed in one sweep file")
