"""Run cells serially, on a local process pool, or on Dask distributed; same rows whichever is used.

Every executor calls the same pure task, :func:`run_cell` (scenario in, summary metrics out), and
yields ``(key, row)`` or ``(key, Failure)`` as cells finish, in completion order. The caller stores each
result as it arrives, so an interrupted sweep keeps everything finished. Pool and Dask workers get
cells in batches (:func:`batches`: at most ``MAX_BATCH`` cells each, shrinking to single cells at the
end), so a short cell does not pay a task's round trip and workers finish together; at most four
batches per worker are in flight at once so huge sweeps do not flood the scheduler.

Dask: ``scheduler="tcp://host:8786"`` uses an existing cluster (``dask scheduler`` / ``dask worker``;
workers need gaia-sim installed); ``scheduler="local"`` starts a ``distributed.LocalCluster`` of
``workers`` single-threaded worker processes for the duration of the sweep.

Stopping: pool and local Dask workers die with the sweep process, even when it is SIGKILLed, and an
interrupt ends them at once instead of waiting for their running cells (:mod:`gaia_sim.sweep.lifeline`,
:mod:`gaia_sim.sweep.dask_local`). Workers of a remote cluster are never touched; their cells are cancelled.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from gaia_sim.outcomes import cell_row
from gaia_sim.sweep.lifeline import deferred_signals, die_with_parent, stop_pool

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
#: A local cluster's workers (their nannies pass the config on) run CPU-bound cells: no stack sampling
#: every 10 ms and no GIL-contention probe every 1 ms (Dask's defaults, for diagnosing async code).
LOCAL_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    # the event loop's watchdog tick (default every 20 ms) and the system monitor (every 500 ms)
    # cost each worker CPU that its cells need on a machine with as many workers as cores
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    # without Dask's MALLOC_TRIM_THRESHOLD_ (see tune_malloc): workers allocate as pool workers do
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}
MAX_BATCH = 8  # cells per task at most: an interrupt loses at most the unfinished batches in flight
Task = tuple[str, Any]  # (cell key, scenario)
ANSWERS_BACKENDS = ("gaia_sim", "gaia_sim.sweep.paired")  # backends handed the worker's loaded answer source
TIMING_COLUMNS = ("cell_wall_s", "cell_cpu_s")  # the only columns that differ between identical runs


@dataclass(frozen=True)
class Failure:
    """A cell whose ``simulate()`` raised; it is not stored, so a rerun retries it."""

    key: str
    error: str


def run_cell(backend: str, scenario: Any, metrics: tuple[str, ...] = ()) -> dict[str, float]:
    """Simulate one scenario and reduce it to summary metrics (plus :data:`TIMING_COLUMNS`)."""
    module = importlib.import_module(backend)
    start, cpu = time.perf_counter(), time.process_time()
    extra = {"answers": _answers(scenario.answers)} if backend in ANSWERS_BACKENDS else {}
    result = module.simulate(scenario, progress=False, **extra)
    row = cell_row(result, metrics)
    row["cell_wall_s"], row["cell_cpu_s"] = time.perf_counter() - start, time.process_time() - cpu
    return row


@functools.lru_cache(maxsize=4)
def _answers(spec: str):
    """The answer source, loaded once per worker process and reused by every cell that names it
    (answer sources are read-only; draws take the run's own Generator)."""
    from gaia_sim.runner import load_answers

    return load_answers(spec)


def _safe(backend: str, key: str, scenario: Any, metrics: tuple[str, ...]):
    try:
        return key, run_cell(backend, scenario, metrics)
    except Exception:  # a model bug in one cell must not lose the others
        return key, Failure(key, traceback.format_exc())


def batches(tasks: list[Task], workers: int, max_batch: int = MAX_BATCH) -> list[list[Task]]:
    """``tasks`` in design order, grouped into batches that shrink towards the end (guided
    self-scheduling, Polychronopoulos & Kuck 1987, IEEE Trans. Comput. C-36:1425): each batch takes
    a ``4 * workers``-th of the cells not yet batched, at most ``max_batch`` and at least one. Early
    batches spare short cells a task's round trip each; the last ones are single cells, so workers
    finish within about one cell of each other instead of one whole batch."""
    out, start = [], 0
    while start < len(tasks):
        size = max(1, min(max_batch, (len(tasks) - start) // (4 * workers)))
        out.append(tasks[start : start + size])
        start += size
    return out


def _safe_batch(backend: str, batch: list[Task], metrics: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [_safe(backend, key, scenario, metrics) for key, scenario in batch]


def limit_threads() -> None:
    """One BLAS / torch thread per worker process: the pool already uses every core."""
    for var in THREAD_VARS:
        os.environ[var] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def tune_malloc() -> bool:
    """Undo Dask's ``MALLOC_TRIM_THRESHOLD_=65536`` worker setting for this process (glibc only).

    Dask's nanny sets that variable (``distributed.nanny.pre-spawn-environ``) to return memory to
    the OS sooner; it also pins glibc's mmap threshold at 128 KiB, so every numpy temporary above it
    is a fresh ``mmap`` with page faults. On this model that made each cell 3.7x slower in CPU time
    (0.92 s vs 0.25 s, measured). ``mallopt`` raises both thresholds again (M_MMAP_THRESHOLD = -3,
    M_TRIM_THRESHOLD = -1, glibc ``malloc.h``). Returns whether it applied."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-3, 32 * 2**20)) and bool(libc.mallopt(-1, 128 * 2**20))
    except (OSError, AttributeError):
        return False


def _dask_worker_init() -> None:
    """Every worker (Dask or pool): single-threaded maths, and glibc malloc tuned back if Dask's
    trim setting reached it (a pool started after a local Dask cluster inherits it too)."""
    limit_threads()
    if os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        tune_malloc()


def _pool_worker_init(parent: int) -> None:
    """Pool workers: single-threaded; Ctrl-C is the parent's to handle (it cancels the rest and
    keeps what finished), so a terminal's SIGINT to the whole process group does not kill workers;
    and they die with the sweep process ``parent`` even when it is SIGKILLed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    _dask_worker_init()


def execute(
    tasks: list[Task],
    backend: str,
    metrics: tuple[str, ...] = (),
    executor: str = "pool",
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[tuple[str, Any]]:
    """Yield ``(key, row | Failure)`` for each task as it finishes."""
    if executor == "serial":
        return (_safe(backend, k, s, metrics) for k, s in tasks)
    if executor == "pool":
        return _pool(tasks, backend, metrics, workers or os.cpu_count() or 1)
    if executor == "dask":
        return _dask(tasks, backend, metrics, workers or os.cpu_count() or 1, scheduler or "local")
    raise ValueError(f"unknown executor {executor!r}")


def _pool(tasks, backend, metrics, workers) -> Iterator[tuple[str, Any]]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with (
        _thread_env(),
        ProcessPoolExecutor(workers, mp_context=ctx, initializer=_pool_worker_init, initargs=(os.getpid(),)) as pool,
    ):
        try:
            submit = lambda batch: pool.submit(_safe_batch, backend, batch, metrics)  # noqa: E731
            yield from _windowed(batches(tasks, workers), submit, 4 * workers)
        except BaseException:  # Ctrl-C, SIGTERM (lifeline.Stopped), or the caller closed the generator
            stop_pool(pool)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _windowed(work: Iterable[list[Task]], submit, window: int) -> Iterator[tuple[str, Any]]:
    queue, pending = iter(work), set()
    while True:
        while len(pending) < window and (batch := next(queue, None)) is not None:
            pending.add(submit(batch))
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield from future.result()


@contextmanager
def _thread_env():
    """Spawned workers inherit single-threaded BLAS settings; the parent's are restored after."""
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    os.environ.update({v: "1" for v in THREAD_VARS})
    try:
        yield
    finally:
        for var, value in saved.items():
            os.environ.pop(var, None) if value is None else os.environ.__setitem__(var, value)


def _dask(tasks, backend, metrics, workers, scheduler) -> Iterator[tuple[str, Any]]:
    from distributed import as_completed

    with _dask_client(scheduler, workers) as client:
        client.run(_dask_worker_init)
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        queue, pending = iter(batches(tasks, n_workers)), set()
        submit = lambda batch: client.submit(_safe_batch, backend, batch, metrics, pure=False)  # noqa: E731
        pending.update(submit(b) for _, b in zip(range(4 * n_workers), queue))
        futures = as_completed(pending)
        try:
            for future in futures:
                pending.discard(future)
                yield from future.result()
                if (batch := next(queue, None)) is not None:
                    pending.add(new := submit(batch))
                    futures.add(new)
        finally:
            if pending and scheduler != "local":  # a local cluster's workers exit with it, mid-cell
                client.cancel(list(pending))


@contextmanager
def _dask_client(scheduler: str, workers: int):
    from distributed import Client, LocalCluster

    from gaia_sim.sweep.dask_local import LocalWorkerLifeline

    if scheduler != "local":
        with Client(scheduler) as client:  # connect timeout: dask config distributed.comm.timeouts.connect
            yield client
        return
    import dask

    with _thread_env(), dask.config.set(LOCAL_WORKER_CONFIG), ExitStack() as stack:
        with deferred_signals():  # a half-started cluster prints tracebacks at exit; starting takes seconds
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    memory_limit=0,  # no memory monitor polling every worker (a cell needs < 1 GB)
                )
            )
            client = stack.enter_context(Client(cluster))
            client.register_plugin(LocalWorkerLifeline(os.getpid()))
        yield client
