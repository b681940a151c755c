"""Benchmark: `assess` on 1,000 nodes x 20 questions x 5 samples x 384 dims (target <= 1 s).

Run: .venv/bin/python benchmarks/bench_detector.py [--repeats 5] [--compare REV [--rounds 2]]
Prints the wall and CPU time of each detector (best and median of the repeats) after one warm-up
call (which builds the cached pivot tables); on a shared machine the CPU time is the honest
figure. Not a timed test: machines differ. numpy's BLAS threads are left as configured.
``--compare REV`` instead times the default detector (``assess(x)``) of git revision REV beside
this checkout's, each in a fresh interpreter, alternating ``--rounds`` times (the machine is shared,
absolute times drift; issue 14 item 7: "assess on 1000 x 20 x 5 x 384 in <= 0.3 s").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from gaia_sim.detector import DETECTORS, assess


def network(rng, nodes=1000, questions=20, samples=5, dim=384, cheaters=30):
    centres = rng.standard_normal((questions, dim)).astype(np.float32)
    x = centres[None, :, None, :] + 0.5 * rng.standard_normal((nodes, questions, samples, dim)).astype(np.float32)
    x[:cheaters] += 0.3 * rng.standard_normal((1, questions, 1, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


#: Runs in a fresh interpreter with PYTHONPATH = a revision's root: the default detector's best and
#: median wall time over ``repeats`` calls after one warm-up, as JSON.
CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
from bench_detector import network
from gaia_sim.detector import assess
x = network(np.random.default_rng(0))
assess(x)
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    assess(x)
    times.append(time.perf_counter() - t)
print(json.dumps({"best": min(times), "median": float(np.median(times))}))
"""


def compare(rev: str, repeats: int, rounds: int) -> None:
    """The default detector of ``rev`` beside this checkout's, fresh processes, alternating."""
    from bench_simulation import export, run_python

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        old = export(rev, Path(tmp))
        for r in range(rounds):
            for label, code_root in ((rev, old), ("this checkout", root)):
                out = run_python(CHILD, [str(repeats), str(root / "benchmarks")], code_root, f"bench_detector {label}")
                print(
                    f"round {r + 1} {label:>13s}: default wall best {out['best']:.3f} s median {out['median']:.3f} s"
                    f"  (load {out['load']:.2f})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--compare", metavar="REV", help="time the default detector of git revision REV beside this checkout's"
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: alternations of the two")
    args = parser.parse_args()
    if args.compare:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        compare(args.compare, args.repeats, args.rounds)
        return
    x = network(np.random.default_rng(0))
    print(f"input {x.shape} {x.dtype}, {x.nbytes / 1e6:.0f} MB")
    for name in DETECTORS:
        a = assess(x, detector=name)  # warm-up
        times, cpu = [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            a = assess(x, detector=name)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(
            f"{name:12s} wall best {min(times):.3f} s median {np.median(times):.3f} s | "
            f"CPU best {min(cpu):.3f} s | flagged {int(a.flagged.sum())} (30 cheaters)"
        )


if __name__ == "__main__":
    main()
