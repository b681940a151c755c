"""The worker plugin of a sweep's local Dask cluster (``--local-dask``): its workers end with the sweep.

Kept apart from :mod:`gaia_sim.sweep.execute` because it imports ``distributed`` at import time (a
plugin must subclass ``WorkerPlugin`` to be registered), which pool and serial sweeps do not need.
"""

from __future__ import annotations

import logging
import os
import signal

from distributed import WorkerPlugin

from gaia_sim.sweep.lifeline import die_with_parent

STATE_MACHINE_LOGGER = "distributed.worker.state_machine"


class CancelledCellNotices(logging.Filter):
    """Drops Dask's "Async instruction for <Task ...> ended with CancelledError" warnings: a local
    worker closing mid-cell logs one per running cell, and the sweep cancelled those cells itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith("ended with CancelledError")


class LocalWorkerLifeline(WorkerPlugin):
    """Registered on a local cluster only, never on a remote one (those workers are not the sweep's).

    ``setup``: the worker dies with the sweep process ``parent`` (its nannies run inside it, so it is
    the worker's parent), on top of Dask's own parent-alive pipe; it ignores SIGINT, since Ctrl-C is
    the sweep's to handle (a terminal sends it to the whole process group, and the worker would drop
    its cell and log warnings); its cancelled-cell notices are dropped (:class:`CancelledCellNotices`).
    ``teardown``: a worker told to close while a cell is still running exits at once; Dask would
    otherwise wait for the cell (4 s, then kill) and print warnings, and the sweep has given it up."""

    name = "gaia-sim-local-worker-lifeline"

    def __init__(self, parent: int):
        self.parent = parent

    def setup(self, worker) -> None:
        die_with_parent(self.parent)
        _ignore_sigint()
        logging.getLogger(STATE_MACHINE_LOGGER).addFilter(CancelledCellNotices())

    def teardown(self, worker) -> None:
        if worker.state.executing:
            os._exit(0)


def _ignore_sigint() -> None:
    """SIGINT ignored in this process; a no-op where handlers cannot be set (not the main thread)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        pass
