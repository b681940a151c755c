"""Same scenario and seed -> byte-identical Parquet; another seed -> different results."""

from __future__ import annotations

import subprocess
import sys

from gaia_sim.results import TABLES, read_run, write_run
from gaia_sim.runner import simulate
from gaia_sim.scenario import load_scenario


def _run(scenarios_dir, standin, root, seed=42):
    s = load_scenario(scenarios_dir / "lazy_nodes.toml").with_overrides(
        {"answers": "stand-in", "epochs": 12, "seed": seed}
    )
    return write_run(simulate(s, answers=standin), root)


def test_same_seed_same_bytes(tmp_path, scenarios_dir, standin):
    a, b = _run(scenarios_dir, standin, tmp_path / "a"), _run(scenarios_dir, standin, tmp_path / "b")
    for t in TABLES:
        assert (a / f"{t}.parquet").read_bytes() == (b / f"{t}.parquet").read_bytes(), t


def test_other_seed_other_results(tmp_path, scenarios_dir, standin):
    a, b = _run(scenarios_dir, standin, tmp_path / "a"), _run(scenarios_dir, standin, tmp_path / "b", seed=43)
    assert (a / "events.parquet").read_bytes() != (b / "events.parquet").read_bytes()


def test_results_round_trip(tmp_path, scenarios_dir, standin):
    folder = _run(scenarios_dir, standin, tmp_path)
    back = read_run(folder)
    assert back.scenario.hash == folder.name
    assert set(back.steps.columns) >= {
        "epoch",
        "role",
        "behaviour",
        "count",
        "share",
        "stake",
        "balance",
        "revenue",
        "cost",
        "profit",
        "slashed",
        "slashed_count",
        "flagged",
        "wrongly_flagged",
        "wrongly_slashed",
        "probed",
        "requests_served",
        "requests_timed_out",
    }
    assert set(back.events.kind) >= {"probe", "verdict"}
    assert back.summary["final_honest_share"] >= 0


def test_cli_run_writes_results_and_prints_summary(tmp_path, scenarios_dir):
    cmd = [
        sys.executable,
        "-m",
        "gaia_sim.cli",
        "run",
        str(scenarios_dir / "baseline.toml"),
        "--out",
        str(tmp_path),
        "--epochs",
        "5",
        "--set",
        'answers="stand-in"',
        "--quiet",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (
        "final honest share" in proc.stdout and "What happened:" in proc.stdout and "results written to" in proc.stdout
    )
    (run,) = (tmp_path / "baseline").iterdir()
    assert {p.name for p in run.iterdir()} == {"manifest.json"} | {f"{t}.parquet" for t in TABLES}
