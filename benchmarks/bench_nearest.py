"""Benchmark: the nearest-stack test's per-question p-values (``gaia_sim.detector.nearest.question_p_values``,
the bulk of detector ``default_nearest``'s extra cost), this checkout beside an earlier revision's
``nearest.py``, on one BLAS thread as ``assess`` runs it.

Inputs: 100 nodes x 5 questions x 3 answers x 384 dims (a simulation epoch's probed nodes, synthetic:
two stacks), 30 x 5 x 5 x 384 (item 1's size; synthetic) and ``benchmarks/bench_detector.py``'s
1,000 x 20 x 5 x 384 network. The two versions alternate, best of ``--repeat`` each (the machine is
shared, absolute times drift); their p-values are compared too. Not a timed test: machines differ.

Run: .venv/bin/python benchmarks/bench_nearest.py --compare REV [--repeat 3] [--large-repeat 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_detector import network  # noqa: E402

from gaia_sim.detector import nearest  # noqa: E402
from gaia_sim.detector._common import summarize  # noqa: E402


def revision_module(rev: str):
    """``gaia_sim/detector/nearest.py`` as it was at ``rev`` (:func:`bench_simulation.export`), loaded as a module."""
    from bench_simulation import export

    with tempfile.TemporaryDirectory() as tmp:
        path = export(rev, Path(tmp)) / "gaia_sim" / "detector" / "nearest.py"
        spec = importlib.util.spec_from_file_location("nearest_at_rev", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def two_stacks(rng, nodes: int, samples: int) -> np.ndarray:
    centre = rng.standard_normal((1, 5, 1, 384))
    stack = np.where(np.arange(nodes) % 2, 0.3, -0.3)[:, None, None, None] * rng.standard_normal((1, 5, 1, 384))
    x = centre + stack + 0.5 * rng.standard_normal((nodes, 5, samples, 384))
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def p_values(module, x: np.ndarray) -> tuple[np.ndarray, float]:
    s = summarize(x)
    near = module.neighbourhoods(s.mean, s.count, (s.count > 0).any(1))
    t = time.perf_counter()
    p, _ = module.question_p_values(x, s, near, 400, np.random.default_rng(3))
    return p, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", required=True, help="git revision whose nearest.py is the baseline")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large-repeat", type=int, default=2)
    args = ap.parse_args()
    old = revision_module(args.compare)
    rng = np.random.default_rng(0)
    inputs = [
        ("100 x 5 x 3", two_stacks(rng, 100, 3), args.repeat),
        ("30 x 5 x 5", two_stacks(rng, 30, 5), args.repeat),
        ("1000 x 20 x 5", network(np.random.default_rng(0)), args.large_repeat),
    ]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.2f}; baseline {args.compare}"
    )
    with threadpool_limits(1, "blas"):
        for name, x, repeat in inputs:
            best, p = {"baseline": np.inf, "this checkout": np.inf}, {}
            for _ in range(repeat):
                for label, module in (("baseline", old), ("this checkout", nearest)):
                    p[label], seconds = p_values(module, x)
                    best[label] = min(best[label], seconds)
            a, b = p["baseline"], p["this checkout"]
            diff = float(np.nanmax(np.abs(a - b))) if (~np.isnan(b)).any() else 0.0
            same = bool((np.isnan(a) == np.isnan(b)).all())
            print(
                f"{name:14s} baseline {best['baseline'] * 1000:9.1f} ms  this checkout {best['this checkout'] * 1000:9.1f} ms"
                f"  ({best['baseline'] / best['this checkout']:.2f}x)  max |p difference| {diff:.1e}, same NaNs {same}"
            )


if __name__ == "__main__":
    main()
