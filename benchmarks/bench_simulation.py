"""Benchmark: 1,000 nodes, 50 validators, 1,000 epochs -> wall time, node-epochs/s, peak memory.

Target on the 2-core development machine: at most 60 s and 2 GB. Run:

    .venv/bin/python benchmarks/bench_simulation.py [--answers default|stand-in] [--epochs N]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from pathlib import Path

from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", default="default", help="answer source: default (shipped bank) or stand-in")
    ap.add_argument("--epochs", type=int, default=1000)
    args = ap.parse_args()
    scenario = load_scenario(HERE / "bench_1000.toml").with_overrides({"answers": args.answers, "epochs": args.epochs})
    answers = load_answers(scenario.answers)
    start = time.perf_counter()
    result = simulate(scenario, progress=True, answers=answers)
    wall = time.perf_counter() - start
    node_epochs = scenario.network.nodes_per_domain * scenario.network.domains * scenario.epochs
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}")
    print(
        f"answers: {args.answers}; nodes {node_epochs // scenario.epochs}, validators "
        f"{scenario.network.validators}, epochs {scenario.epochs}"
    )
    print(f"wall time: {wall:.1f} s   node-epochs/s: {node_epochs / wall:,.0f}   peak memory: {peak_mb:,.0f} MB")
    print(f"events rows: {len(result.events):,}   final honest share: {result.summary['final_honest_share']:.3f}")


if __name__ == "__main__":
    main()
