"""Domains judged in parallel: each domain's detector run of an epoch in a pool of worker processes.

The judge phase runs the detector once per domain and epoch, and at 100,000 nodes it is most of
an epoch (docs/performance.md). Those runs are independent: each has its own bootstrap seed
(:func:`gaia_sim.epoch.judge.detector_options`, one per epoch and domain). So they can run in any
process and in any order. A worker gets a :class:`DomainTask`: the detector, its options and the
answer-source rows of the domain's probe answers, a few kB. It holds the embedding matrix, sent
once when the pool starts, and returns the detector's :class:`~gaia_sim.detector.Assessment`.

Everything that crosses domains stays in the main process, in domain order, between the detector
runs of one epoch and the next: the question selector, sequential evidence, votes and quorum,
slashing, settlement, imitation, entry and token supply. So a run with any number of workers gives
the same results as the serial run, byte for byte (tests/test_parallel.py).
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from gaia_sim.detector import DETECTORS, Assessment
from gaia_sim.epoch.traffic import embed_rows


@dataclass(frozen=True)
class DomainTask:
    """One domain's detector run: detector name, alpha, options (bootstrap size and seed) and the
    rows of the answer source's embedding matrix that are its probed nodes' answers (-1: none)."""

    detector: str
    alpha: float
    options: dict
    rows: np.ndarray


def assess_domain(matrix: np.ndarray, task: DomainTask) -> Assessment:
    """The detector's assessment of one domain's probe answers (the same call in every process)."""
    return DETECTORS[task.detector](embed_rows(matrix, task.rows), alpha=task.alpha, **task.options)


class DomainRunner:
    """Runs the domains' detector calls in this process, one after the other."""

    workers = 1

    def assess(self, tasks: list[DomainTask], matrix: np.ndarray) -> list[Assessment]:
        return [assess_domain(matrix, task) for task in tasks]

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


SERIAL = DomainRunner()  # the default everywhere: the domains' detector runs in this process

_MATRIX: np.ndarray | None = None  # a worker's copy of the embedding matrix (set once, by _start)


def _start(matrix: np.ndarray) -> None:
    global _MATRIX
    _MATRIX = matrix


def _assess_in_worker(task: DomainTask) -> Assessment:
    return assess_domain(_MATRIX, task)


class DomainPool(DomainRunner):
    """Runs the domains' detector calls in ``workers`` processes.

    Workers are forked where the platform can (they inherit the imported modules and the matrix, and
    a user's script is not imported again, so it needs no ``if __name__ == "__main__"`` guard), else
    spawned. The embedding matrix reaches each worker once, when the pool starts; a call with another
    matrix runs in this process instead (no stale copy is ever used). Each worker builds its own
    detector caches (pivot tables), so its first epochs are slower.
    """

    def __init__(self, workers: int, matrix: np.ndarray):
        self.workers, self._matrix = int(workers), matrix
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start, initargs=(matrix,))

    def assess(self, tasks: list[DomainTask], matrix: np.ndarray) -> list[Assessment]:
        if matrix is not self._matrix or len(tasks) < 2:
            return super().assess(tasks, matrix)
        chunk = max(1, math.ceil(len(tasks) / (4 * self.workers)))  # a few chunks per worker: balance
        return list(self._pool.map(_assess_in_worker, tasks, chunksize=chunk))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def domain_runner(workers: int, matrix: np.ndarray) -> DomainRunner:
    """A :class:`DomainPool` of ``workers`` processes, or the serial :class:`DomainRunner` for 1."""
    return DomainPool(workers, matrix) if workers > 1 else SERIAL
