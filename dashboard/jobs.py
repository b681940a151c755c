"""Simulation runs in background threads, polled by the dashboard.

The dashboard asks the runner to run (never the model directly, ../shared/DESIGN.md): a
:class:`Job` calls ``simulate(scenario, on_epoch=...)`` in a daemon thread and keeps the latest
partial result, which the Run page's ``dcc.Interval`` callback reads to redraw figures as epochs
arrive. When the run ends it is written with ``results.write_run`` so the CLI and other pages see it.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gaia_sim.errors import UserError


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

    def start(self, scenario: Any, source: str | None = None) -> Job:
        with self._lock:
            job = Job(id=f"job{next(self._ids)}", scenario=scenario, source=source)
            self._jobs[job.id] = job
        threading.Thread(target=self._work, args=(job,), name=f"gaia-sim {job.id}", daemon=True).start()
        return job

    def get(self, job_id: str | None) -> Job | None:
        return self._jobs.get(job_id) if job_id else None

    def stop(self, job_id: str | None) -> Job | None:
        """Ask a running job to stop after its current epoch (its partial result is kept, not written)."""
        job = self.get(job_id)
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
                job.run_dir = self._write_run(result, root=self._root)
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
