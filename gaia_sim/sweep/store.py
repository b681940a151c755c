"""A sweep directory on disk: nothing finished is ever lost.

Layout of ``results/sweeps/<name>/``::

    sweep.toml          copy of the sweep file that produced it
    cells/<key>.parquet one row of metrics per finished cell, written atomically as it finishes
    results.parquet     consolidated: one row per cell, parameters as columns (sorted by point, replicate)
    sensitivity.parquet Sobol indices (mode = "sobol" only)
    manifest.json       what ran, with what, how long, and package versions

Every file is written to a temporary name in the same directory and then ``os.replace``-d, so a
killed sweep leaves only whole files (and maybe stray ``*.tmp``, removed on the next start).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from gaia_sim.atomic import atomic_write
from gaia_sim.sweep.cells import Cell

CELL_COLUMNS = ("point", "replicate", "seed", "scenario_hash")


def atomic_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


class SweepStore:
    """Reads and writes one sweep directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.cells_dir = self.root / "cells"

    def prepare(self, sweep_file: Path, fresh: bool = False) -> None:
        """Create the directory, drop stray temporary files (and all cells when ``fresh``)."""
        if fresh and self.cells_dir.exists():
            shutil.rmtree(self.cells_dir)
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        for stray in self.cells_dir.glob(".*.tmp"):
            stray.unlink(missing_ok=True)
        atomic_text(self.root / "sweep.toml", Path(sweep_file).read_text(encoding="utf-8"))

    def cell_path(self, key: str) -> Path:
        return self.cells_dir / f"{key}.parquet"

    def done_keys(self) -> set[str]:
        return {p.stem for p in self.cells_dir.glob("*.parquet")}

    def write_cell(self, key: str, row: dict[str, Any]) -> None:
        atomic_parquet(self.cell_path(key), pd.DataFrame([{"scenario_hash": key, **row}]))

    def read_cells(self, keys: Iterable[str]) -> pd.DataFrame:
        frames = [pd.read_parquet(self.cell_path(k)) for k in sorted(set(keys)) if self.cell_path(k).exists()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"scenario_hash": []})

    def consolidate(self, cells: list[Cell]) -> pd.DataFrame:
        """One row per finished cell: cell columns, parameters as columns, then metrics."""
        design = pd.DataFrame([_design_row(c) for c in cells])
        metrics = self.read_cells(c.key for c in cells)
        frame = design.merge(metrics, on="scenario_hash", how="inner")
        frame = frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
        atomic_parquet(self.root / "results.parquet", frame)
        return frame

    def write_manifest(self, manifest: dict[str, Any]) -> Path:
        return atomic_text(self.root / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")


def _design_row(cell: Cell) -> dict[str, Any]:
    row = {"point": cell.point, "replicate": cell.replicate, "seed": cell.seed, "scenario_hash": cell.key}
    row.update({k: _column_value(v) for k, v in cell.params.items()})
    return row


def _column_value(value: Any) -> Any:
    """Scalars stay as they are; lists and tables become canonical JSON text (one type per column)."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return value


def read_results(root: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The consolidated results and manifest of a sweep directory."""
    root = Path(root)
    return pd.read_parquet(root / "results.parquet"), json.loads((root / "manifest.json").read_text())


# --------------------------------------------------------------------------- readers (dashboard, report)
def find_sweeps(roots: list[str | Path]) -> list[Path]:
    """Sweep result directories (holding ``results.parquet``) under ``roots``."""
    found = {p.parent for root in roots if Path(root).exists() for p in Path(root).glob("**/results.parquet")}
    return sorted(found)


def dataset_path(sweep_dir: str | Path) -> Path | None:
    """The Parquet dataset of a sweep: ``results.parquet`` of a sweep directory, a Parquet file, or a
    directory holding exactly one (or a partitioned dataset); None when there is none."""
    sweep_dir = Path(sweep_dir)
    if sweep_dir.is_file():
        return sweep_dir
    if (sweep_dir / "results.parquet").exists():
        return sweep_dir / "results.parquet"
    files = sorted(sweep_dir.glob("*.parquet"))
    return files[0] if len(files) == 1 else (sweep_dir if files else None)


def read_manifest(sweep_dir: str | Path) -> dict[str, Any]:
    """A sweep directory's manifest.json ({} when absent)."""
    path = Path(sweep_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def declared_axes(sweep_dir: str | Path) -> list[str]:
    """Axis paths from the copied ``sweep.toml`` ([axes], nested tables flattened) or the manifest."""
    import tomllib

    sweep_dir = Path(sweep_dir)
    here = sweep_dir if sweep_dir.is_dir() else sweep_dir.parent
    if (here / "sweep.toml").exists():
        try:
            axes = tomllib.loads((here / "sweep.toml").read_text(encoding="utf-8")).get("axes", {})
            return _flatten_axes(axes, "")
        except (tomllib.TOMLDecodeError, AttributeError):
            pass
    axes = read_manifest(here).get("axes") or []
    return list(axes) if isinstance(axes, dict) else [a if isinstance(a, str) else a.get("path", "") for a in axes]


def _flatten_axes(table: dict, prefix: str) -> list[str]:
    paths = []
    for key, value in table.items():
        if isinstance(value, dict) and not {"low", "high"} <= set(value):
            paths += _flatten_axes(value, f"{prefix}{key}.")
        else:
            paths.append(f"{prefix}{key}")
    return paths


def base_scenario_path(sweep_dir: str | Path) -> Path | None:
    """The base scenario file named in the manifest (its ``fixed`` parameters are applied on top)."""
    base = read_manifest(sweep_dir).get("base_scenario")
    for candidate in (Path(base), Path(sweep_dir) / base) if base else ():
        if candidate.is_file():
            return candidate
    return None
