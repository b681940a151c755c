"""Benchmark: the detectors' time per call at the domain sizes a simulation and item 1 of issue 14
use (10-200 judged nodes x 5 questions x 3 or 5 answers x 384 dims), this checkout beside a git
revision's, each in fresh interpreters, alternating (the machine is shared, absolute times drift).

Inputs are synthetic (:func:`domain`: two honest stacks, 3 cheaters, unit-normalised float32, as the
embedder gives), the same for both revisions; each call gets its own seed. Per size and detector:
the best over ``--rounds`` of the mean over ``--calls`` calls, after one warm-up call per size
(which builds the cached pivot tables). Not a timed test: machines differ.

Run: .venv/bin/python benchmarks/bench_detector_sizes.py --compare REV [--rounds 3] [--calls 6]
    [--detectors default,default_nearest]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SIZES = ((10, 5, 3), (30, 5, 3), (30, 5, 5), (100, 5, 3), (200, 5, 3))  # (nodes, questions, answers)


def domain(rng, nodes: int, questions: int, answers: int, dim: int = 384) -> np.ndarray:
    """(nodes, questions, answers, dim): honest nodes on two stacks (offset 0.3 per coordinate
    scale), the first 3 nodes cheating (offset 0.4), answer noise 0.5, rows unit-normalised."""
    base = rng.standard_normal((questions, dim))
    stack = 0.3 * rng.standard_normal((2, questions, dim))
    x = base[None, :, None, :] + stack[rng.integers(0, 2, nodes)][:, :, None, :]
    x = x + 0.5 * rng.standard_normal((nodes, questions, answers, dim))
    x[:3] += 0.4 * rng.standard_normal((questions, 1, dim))
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


#: Runs in a fresh interpreter with PYTHONPATH = a revision's root: {size: {detector: seconds}}.
CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from bench_detector_sizes import SIZES, domain
from gaia_sim.detector import DETECTORS
detectors, calls = sys.argv[2].split(","), int(sys.argv[3])
out = {}
for size in SIZES:
    xs = [domain(np.random.default_rng(i), *size) for i in range(calls)]
    row = {}
    for name in detectors:
        DETECTORS[name](xs[0], alpha=0.01, seed=99)  # warm-up: pivot tables
        t = time.perf_counter()
        for i, x in enumerate(xs):
            DETECTORS[name](x, alpha=0.01, seed=i)
        row[name] = (time.perf_counter() - t) / calls
    out["x".join(map(str, size))] = row
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="REV", required=True, help="git revision to time beside this checkout")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the two revisions")
    ap.add_argument("--calls", type=int, default=6, help="calls per size and detector in a round")
    ap.add_argument("--detectors", default="default,default_nearest")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from bench_simulation import export, run_python

    root, best, loads = HERE.parent, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        old = export(args.compare, Path(tmp))
        for r in range(args.rounds):
            for label, code_root in ((args.compare, old), ("this checkout", root)):
                out = run_python(
                    CHILD, [str(HERE), args.detectors, str(args.calls)], code_root, f"bench_detector_sizes {label}"
                )
                loads.append(out.pop("load"))
                for size, row in out.items():
                    for name, s in row.items():
                        key = (label, size, name)
                        best[key] = min(best.get(key, np.inf), s)
                print(f"round {r + 1} {label} done (load {loads[-1]:.2f})", flush=True)
    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, load {min(loads):.2f}-{max(loads):.2f}; ms per call, best of {args.rounds}"
    )
    print(
        f"{'nodes x questions x answers':>28s} {'detector':>16s} {args.compare[:12]:>12s} {'this checkout':>14s} {'old / new':>10s}"
    )
    for size in ("x".join(map(str, s)) for s in SIZES):
        for name in args.detectors.split(","):
            a, b = best[(args.compare, size, name)] * 1e3, best[("this checkout", size, name)] * 1e3
            print(f"{size:>28s} {name:>16s} {a:12.1f} {b:14.1f} {a / b:10.2f}")


if __name__ == "__main__":
    main()
