"""Simulation runs in background threads, polled by the dashboard.

The dashboard asks the runner to run (never the model directly, ../shared/DESIGN.md): a
:class:`Job` calls ``simulate(scenario, on_epoch=...)`` in a daemon thread and keeps the latest
partial result, which the Run page's ``dcc.Interval`` callback reads to redraw figures as epochs
arrive. When the run ends it is written with ``results.write_run`` so the CLI and other pages see it.

Runs belong to a browser session: every job records its owner (a random token the page keeps in the
tab's session storage) and :meth:`JobRegistry.get` hands a job only to its owner, so one browser never
sees, polls or stops another's job. Every run writes a results folder of its own,
``<results>/dashboard-runs/<run id>/<name>/<hash>/`` (a results root per run, the layout ``gaia-sim run``
writes): two tabs running at once, even the same design, never write into one folder.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gaia_sim.errors import UserError

#: folder under the results root that holds one results root per dashboard run
RUNS_DIR = "dashboard-runs"


def new_session() -> str:
    """A browser session's token (kept in the tab's session storage; it owns the jobs started there)."""
    return secrets.token_hex(16)


@dataclass
class Job:
    """One background simulation; fields are written by the worker thread, read by callbacks."""

    id: str
    scenario: Any
    epoch: int = 0
    total: int = 0
    result: Any = None
    error: str | None = None
    done: bool = False
    run_dir: Path | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    stop_requested: bool = False
    stopped: bool = False
    source: str | None = None  # the scenario file it was started from (the page shows its figures only there)
    owner: str = ""  # the browser session that started it (only that session gets it back)
    run_id: str = ""  # names its results root: <results>/dashboard-runs/<run_id>/

    @property
    def fraction(self) -> float:
        return self.epoch / self.total if self.total else 0.0


class JobRegistry:
    """Starts and tracks :class:`Job` threads; one registry per app (no module-level state)."""

    def __init__(self, simulate: Callable, write_run: Callable | None, results_root: Path):
        self._simulate, self._write_run, self._root = simulate, write_run, Path(results_root)
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, scenario: Any, source: str | None = None, owner: str = "") -> Job:
        with self._lock:
            n = next(self._ids)
            stamp = time.strftime("%Y%m%dT%H%M%S")
            run_id = f"{stamp}-{owner[:6] or 'anon'}-job{n}-{secrets.token_hex(2)}"
            job = Job(id=f"job{n}", scenario=scenario, source=source, owner=owner, run_id=run_id)
            self._jobs[job.id] = job
        threading.Thread(target=self._work, args=(job,), name=f"gaia-sim {job.id}", daemon=True).start()
        return job

    def get(self, job_id: str | None, owner: str | None) -> Job | None:
        """The job ``job_id`` if the session ``owner`` started it, else None (another browser's job)."""
        job = self._jobs.get(job_id) if job_id else None
        if job is None or not secrets.compare_digest(job.owner, owner or ""):
            return None
        return job

    def latest(self, owner: str | None) -> Job | None:
        """The newest job the session ``owner`` started (None without one): what Stop stops when the
        page has not yet heard back from its Run click."""
        with self._lock:
            mine = [j for j in self._jobs.values() if owner and secrets.compare_digest(j.owner, owner)]
        return mine[-1] if mine else None

    def run_root(self, job: Job) -> Path:
        """The results root of ``job`` alone: ``<results>/dashboard-runs/<run id>``."""
        return self._root / RUNS_DIR / job.run_id

    def stop(self, job_id: str | None, owner: str | None) -> Job | None:
        """Ask a running job to stop after its current epoch (its partial result is kept, not written)."""
        job = self.get(job_id, owner)
        if job is not None and not job.done:
            job.stop_requested = True
        return job

    def _work(self, job: Job) -> None:
        def on_epoch(epoch: int, total: int, so_far: Any) -> None:
            job.result, job.total, job.epoch = so_far, total, epoch
            if job.stop_requested and epoch < total:  # Stop on the last epoch: the run is complete, keep it
                raise _Stop

        try:
            result = self._simulate(job.scenario, on_epoch=on_epoch)
            job.result, job.epoch = result, max(job.epoch, job.total)
            if self._write_run is not None:
                job.run_dir = self._write_run(result, root=self.run_root(job))
        except _Stop:
            job.stopped = True
        except Exception as err:  # shown on the page; the server keeps running
            job.error = str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
            traceback.print_exc()
        finally:
            job.finished = time.monotonic()
            job.done = True  # last: pollers read done first, then the other fields


class _Stop(Exception):
    """Raised from ``on_epoch`` to end a run the user stopped (the runner has no other way in)."""
