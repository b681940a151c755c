"""Sweep workers end with their sweep, however the sweep ends.

A sweep's worker processes (pool or local Dask, about 260 MB each with the model loaded) must not
outlive it: not when it is interrupted (Ctrl-C, SIGTERM, SIGHUP), and not when it is killed outright
(SIGKILL, the OOM killer), where the sweep gets no chance to clean up. So both sides act:

* each worker calls :func:`die_with_parent`: Linux SIGKILLs it when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), and a daemon thread polling ``os.getppid()`` does the same anywhere
  else. The multiprocessing resource tracker then sees its pipe close and exits by itself;
* the sweep process turns SIGTERM and SIGHUP into :class:`Stopped` (a ``KeyboardInterrupt``) with
  :func:`stop_signals`, so they take Ctrl-C's path: queued cells cancelled, workers terminated at
  once (:func:`stop_pool`), finished cells kept, and one line printed.

Nothing here keeps module state: handlers are installed and restored by context managers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 1.0  # how often the portable watchdog looks at its parent
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s)


class Stopped(KeyboardInterrupt):
    """The sweep was asked to stop by a signal other than Ctrl-C (``signum``: which one).

    A ``KeyboardInterrupt`` so that every clean-up written for Ctrl-C runs for it too."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def die_with_parent(parent: int, poll_s: float = POLL_S) -> bool:
    """In a worker process: end this process as soon as process ``parent`` (the sweep) dies.

    Does nothing when ``parent`` is not this process's parent (e.g. a worker of a remote Dask cluster,
    which is not the sweep's to end). Returns whether the worker is now tied to ``parent``."""
    if os.getppid() != parent:
        return False
    _set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, poll_s), daemon=True, name="gaia-sim-lifeline").start()
    return True


def _set_pdeathsig(signum: int) -> bool:
    """Linux: have the kernel send ``signum`` to this process when its parent dies (even by SIGKILL).
    Returns False elsewhere or when libc has no ``prctl``; :func:`_watch_parent` covers those."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, poll_s: float) -> None:
    """Exit this process once it has been re-parented, i.e. its parent ``parent`` is gone."""
    while os.getppid() == parent:
        time.sleep(poll_s)
    os._exit(1)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def stop_signals(signums: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread instead of
    killing the process on the spot (which would leave its workers to finish their cells)."""
    if not _in_main_thread():  # signal handlers can only be set from the main thread
        yield
        return

    def raise_stopped(signum, frame):
        raise Stopped(signum)

    saved = {s: signal.signal(s, raise_stopped) for s in signums}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@contextmanager
def deferred_signals(signums: tuple[int, ...] = (signal.SIGINT, *STOP_SIGNALS)) -> Iterator[None]:
    """Hold signals that arrive within the block and deliver the first one when it ends.

    For steps that cannot be interrupted cleanly and take only seconds, such as starting a local Dask
    cluster (a half-started one prints tracebacks from its exit hooks)."""
    if not _in_main_thread():
        yield
        return
    caught: list[int] = []
    saved = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in signums}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])  # now handled by the restored handler


def stop_pool(pool, grace_s: float = 2.0) -> None:
    """Cancel a ``ProcessPoolExecutor``'s queued cells and end its workers now, without waiting for
    the cells they are running (interpreter exit would otherwise wait for them): SIGTERM, then
    SIGKILL after ``grace_s`` for any that ignore it."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(grace_s)
