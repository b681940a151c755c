"""Benchmark: where the default detector's time goes in a 1,000-node simulation epoch (issue 14
item 7: "the detector's share of a 1,000-node simulation epoch halved").

The detector's inputs are captured from ``benchmarks/bench_1000.toml`` (``--epochs`` epochs, the
scenario's own detector options) and then replayed: once cold (each new pivot table, one per
number of nodes and of screened nodes, is built on first use, as early in a run) and ``--repeat``
times warm, each call's stages timed by wrappers around the detector's own functions. A stage's
time is inclusive (what it calls is in it), so stages nest and do not sum to the total; the
wrappers add a few microseconds per call to every stage. Not a timed test: machines differ.

Run: .venv/bin/python benchmarks/bench_detector_stages.py [--epochs 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The default detector's stages (functions of gaia_sim.detector.default), outermost first.
STAGES = (
    "summarize",
    "robust_centre",
    "refined_centre",
    "_answer_sqdist",
    "_first_pass",
    "question_p_values",
    "_pseudo_nodes",
    "node_level",
    "empirical_null_p",
    "answer_outlier_p",
)


def capture(epochs: int) -> list[tuple]:
    """(answers, detector, alpha, options) of every detector call of ``epochs`` epochs of bench_1000."""
    import gaia_sim.epoch.parallel as parallel
    from gaia_sim.epoch.traffic import embed_rows
    from gaia_sim.runner import load_answers, simulate
    from gaia_sim.scenario import load_scenario

    calls, real = [], parallel.assess_domain

    def recording(matrix, task):
        calls.append((embed_rows(matrix, task.rows), task.detector, task.alpha, dict(task.options)))
        return real(matrix, task)

    scenario = load_scenario(ROOT / "benchmarks" / "bench_1000.toml").with_overrides({"epochs": epochs})
    parallel.assess_domain = recording
    try:
        simulate(scenario, progress=False, answers=load_answers(scenario.answers))
    finally:
        parallel.assess_domain = real
    return calls


def timed_stages(module, names, spent: dict):
    """Wrap ``names`` of ``module`` (and ``_Question.__init__``) so that their inclusive time adds up in ``spent``."""

    def wrap(f, name):
        @functools.wraps(f)
        def w(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

        return w

    for name in names:
        setattr(module, name, wrap(getattr(module, name), name))
    module._Question.__init__ = wrap(module._Question.__init__, "_Question (per-question set-up)")


def replay(calls) -> float:
    from gaia_sim.detector import DETECTORS

    t = time.perf_counter()
    for x, name, alpha, options in calls:
        DETECTORS[name](x, alpha=alpha, **options)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from gaia_sim.detector import calibration
    from gaia_sim.detector import default as module

    calls = capture(args.epochs)
    names = sorted({c[1] for c in calls})
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{len(calls)} detector calls ({', '.join(names)}) of {args.epochs} epochs of bench_1000; input {calls[0][0].shape}"
    )
    calibration.pivot_table.cache_clear()
    cold = replay(calls)
    tables = calibration.pivot_table.cache_info().misses
    warm = min(replay(calls) for _ in range(args.repeat))
    per = 1000 / len(calls)
    print(
        f"cold {cold * per:.2f} ms per call ({tables} pivot tables built); warm {warm * per:.2f} ms per call (best of {args.repeat})"
    )
    spent: dict = {}
    timed_stages(module, STAGES, spent)
    wrapped = replay(calls)
    print(f"warm, stages timed (inclusive, nested; {wrapped * per:.2f} ms per call with the wrappers):")
    for name, s in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {name:32s} {s * per:6.2f} ms  {s / wrapped:6.1%}")


if __name__ == "__main__":
    main()
