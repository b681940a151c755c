"""Domains judged in worker processes (gaia_sim.epoch.parallel) give the serial run's results, byte
for byte: the detector runs are independent given their seeds, and every cross-domain step stays in
the main process in domain order."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gaia_sim.epoch.parallel import DomainPool, DomainRunner, DomainTask
from gaia_sim.errors import UserError
from gaia_sim.results import TABLES, write_run
from gaia_sim.runner import simulate
from gaia_sim.scenario import load_scenario


def _scenario(scenarios_dir, **extra):
    return load_scenario(scenarios_dir / "lazy_nodes.toml").with_overrides(
        {"answers": "stand-in", "epochs": 8, "seed": 5, "network.domains": 4, "network.nodes_per_domain": 25} | extra
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"probes.question_selection": "random"},
        {"probes.question_selection": "learned"},
        {"probes.question_selection": "learned_ucb"},
        {"validation.independent_probes": True, "epochs": 4},  # every validator's own detector run
    ],
)
def test_two_workers_write_the_serial_runs_bytes(tmp_path, scenarios_dir, standin, extra):
    scenario = _scenario(scenarios_dir, **extra)
    serial = write_run(simulate(scenario, answers=standin), tmp_path / "serial")
    pooled = write_run(simulate(scenario, answers=standin, workers=2), tmp_path / "pooled")
    for t in TABLES:
        assert (serial / f"{t}.parquet").read_bytes() == (pooled / f"{t}.parquet").read_bytes(), t


def test_a_pool_never_uses_a_stale_matrix(standin):
    """Tasks against another embedding matrix than the pool was started with run in this process."""
    matrix = standin.embedding_matrix()
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(matrix), size=(12, 3, 2))
    rows[0, 0, 0] = -1  # one lost answer
    tasks = [DomainTask("default", 0.01, {"boot": 100, "seed": s}, rows) for s in (1, 2)]
    other = matrix[::-1].copy()
    with DomainPool(2, matrix) as pool:
        in_pool, elsewhere = pool.assess(tasks, matrix), pool.assess(tasks, other)
    for got, want in zip(in_pool, DomainRunner().assess(tasks, matrix)):
        np.testing.assert_array_equal(got.p_value, want.p_value)
    for got, want in zip(elsewhere, DomainRunner().assess(tasks, other)):
        np.testing.assert_array_equal(got.p_value, want.p_value)
    assert not np.array_equal(in_pool[0].p_value, elsewhere[0].p_value)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_whole_number_of_at_least_one(scenarios_dir, standin, workers):
    with pytest.raises(UserError, match="whole number >= 1"):
        simulate(_scenario(scenarios_dir), answers=standin, workers=workers)


def test_cli_refuses_zero_workers_with_one_message(tmp_path, scenarios_dir):
    cmd = [sys.executable, "-m", "gaia_sim.cli", "run", str(scenarios_dir / "lazy_nodes.toml"), "--workers", "0"]
    proc = subprocess.run(cmd + ["--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "workers = 0" in proc.stderr and "Traceback" not in proc.stderr
    assert not any(tmp_path.iterdir())
