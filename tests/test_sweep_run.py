"""Sweep execution on the toy stand-in backend: serial == process pool == Dask, resume, failures, report.

The toy backend (gaia_sim.sweep.toy) isolates the sweep machinery from the Gaia model; the real
model is swept in tests/test_sweep_model.py and tests/test_claims.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from gaia_sim.cli import main
from gaia_sim.errors import UserError
from gaia_sim.sweep import store as store_mod
from gaia_sim.sweep.engine import run_sweep
from gaia_sim.sweep.execute import TIMING_COLUMNS
from gaia_sim.sweep.report import write_report
from gaia_sim.sweep.spec import load_sweep

TOY = "gaia_sim.sweep.toy"
BASE = 'name = "toybase"\nseed = 7\nepochs = 30\n'
GRID = """[sweep]
name = "toygrid"
base = "base.toml"
mode = "grid"
replications = 2
[fixed]
"detection.p" = 0.3
[axes]
"staking.node_stake" = [0.0, 20.0, 100.0]
"slashing.fraction" = [0.1, 1.0]
"""


def make(tmp_path: Path, body: str = GRID, base: str = BASE) -> Path:
    (tmp_path / "base.toml").write_text(base)
    path = tmp_path / "sweep.toml"
    path.write_text(body)
    return path


def deterministic(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(TIMING_COLUMNS)).reset_index(drop=True)


def test_grid_rows_have_parameters_as_columns_and_a_manifest(tmp_path):
    out = run_sweep(make(tmp_path), tmp_path / "out", executor="serial", progress=False, backend=TOY)
    frame = out.frame
    assert len(frame) == 12 and out.computed == 12 and out.reused == 0
    assert {
        "point",
        "replicate",
        "seed",
        "scenario_hash",
        "staking.node_stake",
        "slashing.fraction",
        "final_honest_share",
        "honest_share_change",
    } <= set(frame.columns)
    assert frame.groupby("point")["seed"].apply(tuple).nunique() == 1  # common seeds across points
    assert frame["seed"].nunique() == 2
    on_disk = pd.read_parquet(tmp_path / "out" / "results.parquet")
    pd.testing.assert_frame_equal(deterministic(on_disk), deterministic(frame))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["complete"] and manifest["n_cells"] == 12 and manifest["mode"] == "grid"
    assert manifest["environment"]["versions"]["dask"]
    # deterrence in the toy: high stake x full slash keeps the network honest, zero stake does not
    means = frame.groupby(["staking.node_stake", "slashing.fraction"])["final_honest_share"].mean()
    assert means[(100.0, 1.0)] > 0.9 and means[(0.0, 1.0)] < 0.1


def test_serial_pool_and_local_dask_cluster_give_identical_results(tmp_path):
    spec = make(tmp_path)
    serial = run_sweep(spec, tmp_path / "serial", executor="serial", progress=False, backend=TOY)
    pool = run_sweep(spec, tmp_path / "pool", executor="pool", workers=2, progress=False, backend=TOY)
    dask = run_sweep(
        spec, tmp_path / "dask", executor="dask", workers=2, scheduler="local", progress=False, backend=TOY
    )
    pd.testing.assert_frame_equal(deterministic(serial.frame), deterministic(pool.frame))
    pd.testing.assert_frame_equal(deterministic(serial.frame), deterministic(dask.frame))
    assert json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"] == "dask"


def test_rerun_reuses_finished_cells_and_new_points_only_compute_new_cells(tmp_path):
    spec = make(tmp_path)
    first = run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    again = run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    assert again.computed == 0 and again.reused == 12
    pd.testing.assert_frame_equal(deterministic(first.frame), deterministic(again.frame))
    spec.write_text(GRID.replace("[0.0, 20.0, 100.0]", "[0.0, 20.0, 100.0, 50.0]"))
    grown = run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    assert grown.computed == 4 and len(grown.frame) == 16
    fresh = run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY, fresh=True)
    assert fresh.computed == 16


def _cli(*args: str, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gaia_sim.cli", "sweep", *args, "--backend", TOY, "--no-progress"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_cells(cells: Path, n: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list(cells.glob("*.parquet"))) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["SIGKILL serial", "SIGINT pool"])
def test_killed_sweep_resumes_computing_only_unfinished_cells(tmp_path, how):
    sig, mode = how.split()
    spec = make(tmp_path, GRID.replace('"detection.p" = 0.3', '"detection.p" = 0.3\n"toy.sleep_s" = 0.4'))
    out = tmp_path / "out"
    args = [str(spec), "--out", str(out)] + (["--serial"] if mode == "serial" else ["--workers", "2"])
    # a shell starting jobs in the background (nohup, &) makes them ignore SIGINT, and the child would
    # inherit that; restore the default so Ctrl-C behaves as in a terminal wherever the suite runs
    proc = _cli(
        *args, start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler)
    )
    _wait_for_cells(out / "cells", 3, proc)
    if sig == "SIGINT":  # like Ctrl-C in a terminal: the whole process group, pool workers included
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    if sig == "SIGINT":
        assert proc.returncode == 130 and "run again to resume" in err
        assert json.loads((out / "manifest.json").read_text())["interrupted"] is True
    else:
        assert proc.returncode == -signal.SIGKILL
    finished = len(list((out / "cells").glob("*.parquet")))
    assert 3 <= finished < 12
    rerun = _cli(*args)
    stdout, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert f"{12 - finished} computed now, {finished} reused" in stdout
    assert not list((out / "cells").glob(".*.tmp"))
    reference = run_sweep(spec, tmp_path / "ref", executor="serial", progress=False, backend=TOY)
    pd.testing.assert_frame_equal(
        deterministic(pd.read_parquet(out / "results.parquet")), deterministic(reference.frame)
    )


def test_interrupt_keeps_finished_cells(tmp_path, monkeypatch):
    spec = make(tmp_path)
    real, calls = store_mod.SweepStore.write_cell, []

    def flaky(self, key, row):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(key)
        real(self, key, row)

    monkeypatch.setattr(store_mod.SweepStore, "write_cell", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    monkeypatch.setattr(store_mod.SweepStore, "write_cell", real)
    assert len(pd.read_parquet(tmp_path / "out" / "results.parquet")) == 5
    assert run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY).computed == 7


def test_failed_cells_are_reported_not_stored_and_retried(tmp_path):
    spec = make(tmp_path, GRID.replace('"detection.p" = 0.3', '"detection.p" = 0.3\n"toy.fail_above_stake" = 50.0'))
    out = run_sweep(spec, tmp_path / "out", executor="pool", workers=2, progress=False, backend=TOY)
    assert len(out.failures) == 4 and out.computed == 8 and len(out.frame) == 8
    assert "toy model asked to fail" in out.failures[0].error
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert not manifest["complete"] and len(manifest["failed"]) == 4
    assert (
        main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--serial", "--no-progress", "--backend", TOY]) == 1
    )


def test_bad_value_fails_before_any_run_and_names_the_point(tmp_path):
    spec = make(tmp_path, GRID.replace("[0.0, 20.0, 100.0]", "[0.0, -5.0]"))
    with pytest.raises(UserError) as info:
        run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    assert "sweep.toml" in str(info.value) and "design point 2" in str(info.value) and ">= 0" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_cli_errors_exit_2(tmp_path, capsys):
    spec = make(tmp_path, GRID.replace('mode = "grid"\n', ""))
    assert main(["sweep", str(spec), "--backend", TOY]) == 2
    assert "sweep.mode" in capsys.readouterr().err
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert (
            main(
                [
                    "sweep",
                    str(make(tmp_path)),
                    "--scheduler",
                    "tcp://127.0.0.1:9",
                    "--backend",
                    TOY,
                    "--no-progress",
                    "--out",
                    str(tmp_path / "o"),
                ]
            )
            == 2
        )
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2


def test_report_writes_tables_and_phase_diagrams(tmp_path, capsys):
    spec = make(tmp_path)
    assert (
        main(
            [
                "sweep",
                str(spec),
                "--out",
                str(tmp_path / "out"),
                "--serial",
                "--no-progress",
                "--backend",
                TOY,
                "--report",
            ]
        )
        == 0
    )
    report = tmp_path / "out" / "report"
    for name in (
        "summary.csv",
        "summary.md",
        "index.md",
        "plotly.min.js",
        "phase_final_honest_share.png",
        "phase_final_honest_share.html",
    ):
        assert (report / name).stat().st_size > 0, name
    assert (report / "phase_final_honest_share.png").read_bytes()[:4] == b"\x89PNG"
    assert 'src="plotly.min.js"' in (report / "phase_final_honest_share.html").read_text()
    table = pd.read_csv(report / "summary.csv")
    assert len(table) == 6 and (table["n"] == 2).all()
    assert {"final_honest_share_mean", "final_honest_share_ci95"} <= set(table.columns)
    out = write_report(
        tmp_path / "out",
        metrics=["honest_share_change"],
        x="slashing.fraction",
        y="staking.node_stake",
        boundary=[(0.1, 50.0), (1.0, 20.0)],
    )
    assert (out / "phase_honest_share_change.png").exists()
    with pytest.raises(UserError, match="available"):
        write_report(tmp_path / "out", metrics=["nope"])


def test_sobol_indices_find_the_parameter_that_matters(tmp_path):
    body = """[sweep]
base = "base.toml"
mode = "sobol"
samples = 32
metrics = ["profit_per_node_cheater"]
[axes]
"cheating.gain" = {low = 0, high = 20}
"slashing.fraction" = {low = 0, high = 0.05}
"epochs" = {low = 10, high = 20, integer = true}
"""
    out = run_sweep(make(tmp_path, body), tmp_path / "out", executor="serial", progress=False, backend=TOY)
    s = out.sensitivity.set_index("parameter")
    assert s.loc["cheating.gain", "ST"] > 0.8
    assert s.loc["epochs", "ST"] < 0.05  # the toy's cheater profit does not depend on epochs
    report = write_report(tmp_path / "out")
    assert (report / "sobol.csv").exists() and (report / "sobol_profit_per_node_cheater.png").exists()


def test_spec_round_trip_in_sweep_dir(tmp_path):
    spec = make(tmp_path)
    run_sweep(spec, tmp_path / "out", executor="serial", progress=False, backend=TOY)
    assert load_sweep(spec).name == "toygrid"
    assert (tmp_path / "out" / "sweep.toml").read_text() == spec.read_text()


def test_red_team_search_finds_the_most_profitable_attack_and_is_seeded():
    from gaia_sim.sweep import redteam, toy

    base = toy.ToyScenario().with_overrides({"epochs": 5})
    space = {"cheating.gain": {"low": 0.0, "high": 10.0}, "detection.p": {"low": 0.0, "high": 0.5}, "epochs": [5, 6]}
    gain = lambda result, params: result.summary["profit_per_node_cheater"] - result.summary["profit_per_node_honest"]  # noqa: E731
    out = redteam.search(base, space, gain, trials=25, seed=3, replications=1, backend=TOY)
    assert out.best_params["cheating.gain"] > 8.0 and out.best_params["detection.p"] < 0.15
    assert out.best_value == pytest.approx(out.trials["objective"].max())
    assert len(out.trials) == 25 and {"cheating.gain", "objective", "final_honest_share"} <= set(out.trials.columns)
    again = redteam.search(base, space, gain, trials=25, seed=3, replications=1, backend=TOY)
    assert again.best_params == out.best_params


def test_set_adds_fixed_parameters_from_the_command_line(tmp_path, capsys):
    from gaia_sim.scenario import parse_overrides

    assert parse_overrides(["epochs=5", "answers=stand-in", "x.y=0.5", "flag=true"]) == {
        "epochs": 5,
        "answers": "stand-in",
        "x.y": 0.5,
        "flag": True,
    }
    with pytest.raises(UserError, match="PATH=VALUE"):
        parse_overrides(["epochs"])
    spec = make(tmp_path)
    assert (
        main(
            [
                "sweep",
                str(spec),
                "--out",
                str(tmp_path / "o"),
                "--serial",
                "--no-progress",
                "--backend",
                TOY,
                "--set",
                "epochs=3",
            ]
        )
        == 0
    )
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["fixed"]["epochs"] == 3
    assert (pd.read_parquet(tmp_path / "o" / "results.parquet")["epochs_run"] == 3).all()
    assert main(["sweep", str(spec), "--backend", TOY, "--set", "slashing.fraction=1.0"]) == 2
    assert "is an axis" in capsys.readouterr().err


def test_scheduler_address_runs_on_an_existing_dask_cluster(tmp_path):
    from distributed import LocalCluster

    spec = make(tmp_path)
    serial = run_sweep(spec, tmp_path / "serial", executor="serial", progress=False, backend=TOY)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        assert (
            main(
                [
                    "sweep",
                    str(spec),
                    "--out",
                    str(tmp_path / "remote"),
                    "--scheduler",
                    cluster.scheduler_address,
                    "--no-progress",
                    "--backend",
                    TOY,
                ]
            )
            == 0
        )
    remote = pd.read_parquet(tmp_path / "remote" / "results.parquet")
    pd.testing.assert_frame_equal(deterministic(serial.frame), deterministic(remote))
    manifest = json.loads((tmp_path / "remote" / "manifest.json").read_text())
    assert manifest["scheduler"] == cluster.scheduler_address and manifest["executor"] == "dask"


def test_batches_keep_design_order_and_balance_workers():
    from gaia_sim.sweep.execute import MAX_BATCH, batches

    tasks = [(f"k{i}", i) for i in range(203)]
    for workers in (1, 2, 7):
        out = batches(tasks, workers)
        assert [t for b in out for t in b] == tasks  # every cell once, in design order
        assert max(len(b) for b in out) <= MAX_BATCH
        assert len(out) >= min(len(tasks), 4 * workers)
        sizes = [len(b) for b in out]
        assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1  # guided: batches shrink
        assert sizes[-4 * workers :] == [1] * (4 * workers)  # the last round is single cells
    assert batches(tasks[:5], 2) == [[t] for t in tasks[:5]]  # few cells: one per task
