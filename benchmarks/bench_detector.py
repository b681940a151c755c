"""Benchmark: `assess` on 1,000 nodes x 20 questions x 5 samples x 384 dims (target <= 1 s).

Run: .venv/bin/python benchmarks/bench_detector.py [--repeats 5]
Prints the wall and CPU time of each detector (best and median of the repeats) after one warm-up
call (which builds the cached pivot tables); on a shared machine the CPU time is the honest
figure. Not a timed test: machines differ. numpy's BLAS threads are left as configured.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gaia_sim.detector import DETECTORS, assess


def network(rng, nodes=1000, questions=20, samples=5, dim=384, cheaters=30):
    centres = rng.standard_normal((questions, dim)).astype(np.float32)
    x = centres[None, :, None, :] + 0.5 * rng.standard_normal((nodes, questions, samples, dim)).astype(np.float32)
    x[:cheaters] += 0.3 * rng.standard_normal((1, questions, 1, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
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
