"""The only writer and reader of run results: ``results/<scenario>/<hash>/``.

Files: ``manifest.json`` (scenario, seed, package versions, git revision, summary),
``steps.parquet``, ``network.parquet``, ``events.parquet``, ``nodes.parquet``. Every file is
written to a temporary name in the same folder and renamed into place (atomic on POSIX), and the
manifest is written last, so a folder with a manifest is always complete. Parquet bytes depend
only on the data (no timestamps), so the same scenario and seed give byte-identical files.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gaia_sim.atomic import atomic_write_bytes, check_output_dir
from gaia_sim.errors import UserError

TABLES = ("steps", "network", "events", "nodes")
PACKAGES = (
    "gaia-sim",
    "mesa",
    "simpy",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "torch",
    "transformers",
    "sentence-transformers",
    "onnxruntime",
)


def atomic_write_parquet(df: pd.DataFrame, path: Path) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), sink, compression="zstd")
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def run_dir(result, root: str | Path = "results") -> Path:
    return scenario_dir(result.scenario, root)


def scenario_dir(scenario, root: str | Path = "results") -> Path:
    """``root/<name>/<hash>``: where a run of ``scenario`` is written."""
    return Path(root) / scenario.name / scenario.hash


def stored_run(scenario, root: str | Path = "results") -> Path | None:
    """The complete run folder of ``scenario`` under ``root`` (it has a manifest), else None."""
    folder = scenario_dir(scenario, root)
    return folder if (folder / "manifest.json").is_file() else None


def check_run_dir(scenario, root: str | Path = "results") -> Path:
    """Before simulating: the run folder lies inside ``root`` and can be written (else UserError)."""
    return check_output_dir(scenario_dir(scenario, root), "results folder", inside=root)


def write_run(result, root: str | Path = "results") -> Path:
    """Write every table and then the manifest; returns the run folder."""
    out = check_run_dir(result.scenario, root)
    for name in TABLES:
        atomic_write_parquet(getattr(result, name), out / f"{name}.parquet")
    atomic_write_bytes(out / "manifest.json", json.dumps(manifest(result), indent=2, sort_keys=True).encode())
    return out


def manifest(result) -> dict[str, Any]:
    return {
        "scenario": result.scenario.to_dict(),
        "scenario_hash": result.scenario.hash,
        "seed": result.scenario.seed,
        "versions": package_versions(),
        "git_revision": git_revision(),
        "summary": result.summary,
        "tables": [f"{t}.parquet" for t in TABLES],
    }


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package in ``names`` ("not installed" when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision() -> str:
    try:
        here = Path(__file__).resolve().parent
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=here, capture_output=True, text=True, timeout=5)
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if rev.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def read_run(folder: str | Path):
    """Load a run folder written by :func:`write_run` back into a RunResult."""
    from gaia_sim.runner import RunResult
    from gaia_sim.scenario import from_dict

    folder = Path(folder)
    man_path = folder / "manifest.json"
    if not man_path.is_file():
        raise UserError(f"{folder}: not a complete run folder (no manifest.json)")
    try:
        man = json.loads(man_path.read_text())
        tables = {t: pd.read_parquet(folder / f"{t}.parquet") for t in TABLES}
    except (OSError, ValueError, pa.ArrowException) as err:
        raise UserError(f"{folder}: unreadable run results ({err})") from None
    scenario = from_dict(man["scenario"], str(man_path))
    return RunResult(scenario, summary=man.get("summary", {}), **tables)
