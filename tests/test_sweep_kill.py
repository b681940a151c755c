"""Killing a sweep ends its workers within seconds (issue 19, item 3).

A real ``gaia-sim sweep`` subprocess runs on a real process pool or a real local Dask cluster; two
quick cells finish, then both workers are busy with minute-long cells when the sweep gets SIGINT
(as a terminal's Ctrl-C sends it: to the whole process group, workers included), SIGTERM or SIGKILL
(to the sweep process alone). Every process it started, found by an environment tag its descendants
inherit, must be gone within :data:`DEADLINE_S`: the workers (about 260 MB each with the real model)
and the multiprocessing resource tracker. SIGINT and SIGTERM must also keep the finished cells and
end with one line, no traceback. The cells use the toy stand-in backend (``toy.sleep_s``), so only
the sweep machinery is timed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil  # a dependency of dask.distributed
import pytest

from gaia_sim.sweep.lifeline import Stopped, deferred_signals, die_with_parent, stop_signals

TOY = "gaia_sim.sweep.toy"
DEADLINE_S = 10.0
TAG = "GAIA_SIM_KILL_TEST"
BASE = 'name = "toybase"\nseed = 7\nepochs = 5\n'
SWEEP = """[sweep]
name = "killme"
base = "base.toml"
mode = "grid"
replications = 2
[axes]
"toy.sleep_s" = [0.1, 60.0]
"""
EXECUTORS = {"pool": ["--workers", "2"], "local-dask": ["--workers", "2", "--local-dask"]}
LAST_LINE = {
    "SIGINT": "gaia-sim sweep: interrupted; finished work is kept, run again to resume",
    "SIGTERM": "gaia-sim sweep: stopped by SIGTERM; finished cells are kept, run again to resume",
}
EXIT = {"SIGINT": 130, "SIGTERM": 128 + signal.SIGTERM, "SIGKILL": -signal.SIGKILL}


def _start(tmp_path: Path, executor: str, tag: str) -> subprocess.Popen:
    """The sweep in its own session, SIGINT at its default (a background shell may have it ignored)."""
    (tmp_path / "base.toml").write_text(BASE)
    (tmp_path / "sweep.toml").write_text(SWEEP)
    cmd = [
        sys.executable,
        "-m",
        "gaia_sim.cli",
        "sweep",
        str(tmp_path / "sweep.toml"),
        "--out",
        str(tmp_path / "out"),
        "--backend",
        TOY,
        "--no-progress",
        *EXECUTORS[executor],
    ]
    return subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env={**os.environ, TAG: tag},
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "stderr.txt", "w"),
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.default_int_handler),
    )


def _tagged(tag: str, exclude: int) -> list:
    """Live processes (not zombies) carrying ``TAG=tag`` in their environment, except ``exclude``."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != exclude and proc.status() != psutil.STATUS_ZOMBIE and proc.environ().get(TAG) == tag:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _wait_until_busy(sweep: subprocess.Popen, cells: Path, timeout: float = 90.0) -> None:
    """Both quick cells stored: the two workers are now on the minute-long ones."""
    deadline = time.monotonic() + timeout
    while len(list(cells.glob("*.parquet"))) < 2:
        assert sweep.poll() is None, f"sweep ended early, exit {sweep.returncode}"
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.05)
    time.sleep(0.5)


def _wait_gone(tag: str, exclude: int, timeout: float) -> tuple[float, list]:
    """Seconds until no tagged process is left (or ``timeout``), and those still alive then."""
    start = time.monotonic()
    while (alive := _tagged(tag, exclude)) and time.monotonic() - start < timeout:
        time.sleep(0.05)
    return time.monotonic() - start, alive


@pytest.mark.slow  # about 5-10 s a case: a sweep process, its workers, then the kill
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("executor", list(EXECUTORS))
def test_killing_a_sweep_ends_its_workers_within_seconds(tmp_path, executor, how):
    tag = uuid.uuid4().hex
    sweep = _start(tmp_path, executor, tag)
    try:
        _wait_until_busy(sweep, tmp_path / "out" / "cells")
        workers = _tagged(tag, exclude=sweep.pid)
        assert len(workers) >= 2, [p.cmdline() for p in workers]  # two workers (+ the resource tracker)
        (os.killpg if how == "SIGINT" else os.kill)(sweep.pid, getattr(signal, how))
        seconds, alive = _wait_gone(tag, sweep.pid, DEADLINE_S)
        assert not alive, f"{how}: still running after {seconds:.1f} s: {[p.cmdline() for p in alive]}"
        assert sweep.wait(timeout=DEADLINE_S) == EXIT[how]
    finally:
        for proc in [*_tagged(tag, exclude=-1)]:  # never leave a stray worker behind, pass or fail
            proc.kill()
        sweep.wait(timeout=30)
    assert len(list((tmp_path / "out" / "cells").glob("*.parquet"))) == 2  # finished cells are kept
    if how != "SIGKILL":
        lines = (tmp_path / "stderr.txt").read_text().strip().splitlines()
        assert lines[-1] == LAST_LINE[how]
        noise = [line for line in lines[:-1] if "unresponsive" not in line]  # a loaded machine's event loop
        assert not noise, "\n".join(noise)
        assert json.loads((tmp_path / "out" / "manifest.json").read_text())["interrupted"] is True


def test_sigterm_in_stop_signals_raises_stopped_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Stopped) as stop, stop_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # interrupted by the handler
    assert stop.value.signum == signal.SIGTERM and str(stop.value) == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_deferred_signals_are_delivered_when_the_block_ends():
    reached = False
    with pytest.raises(Stopped), stop_signals():
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)
            reached = True
    assert reached


def test_die_with_parent_leaves_a_process_that_is_not_its_child_alone():
    assert die_with_parent(os.getpid()) is False  # this process is not its own child: nothing set
