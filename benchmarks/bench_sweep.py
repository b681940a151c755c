"""Sweep throughput: N runs of the real model on 1 vs 2 pool workers, and local Dask vs the pool.

    .venv/bin/python benchmarks/bench_sweep.py            # 200 runs (the issue's benchmark)
    .venv/bin/python benchmarks/bench_sweep.py --runs 40  # quicker
    .venv/bin/python benchmarks/bench_sweep.py --runs 40 --nodes 30 --epochs 60 --answers default \
        --sim-requests 2000                               # cells of realistic size (~1-2 s each)

Each configuration runs the same sweep (a zip over stake, ``runs`` design points, one replicate) from
scratch into its own temporary directory, so every cell is computed; wall time includes pool or
cluster start-up, writing one Parquet file per cell and consolidation. Prints a table and, with
``--json PATH``, writes the numbers. Results are identical across configurations (checked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (("pool, 1 worker", "pool", 1), ("pool, 2 workers", "pool", 2), ("local Dask, 2 workers", "dask", 2))
SERIAL = ("serial (in-process)", "serial", 1)


def sweep_file(tmp: Path, runs: int, nodes: int, epochs: int, answers: str, sim_requests: int = 200) -> Path:
    stakes = ", ".join(f"{1000.0 * i / max(1, runs - 1):.3f}" for i in range(runs))
    path = tmp / "bench.toml"
    path.write_text(f"""[sweep]
name = "bench"
base = "{(ROOT / "scenarios" / "model_swap.toml").as_posix()}"
mode = "zip"
[fixed]
epochs = {epochs}
answers = "{answers}"
"network.nodes_per_domain" = {nodes}
"network.validators" = 3
"traffic.simulated_requests" = {sim_requests}
[axes]
"staking.node_stake" = [{stakes}]
""")
    return path


def bench(spec: Path, tmp: Path, configs) -> list[dict]:
    from gaia_sim.sweep.engine import run_sweep
    from gaia_sim.sweep.execute import TIMING_COLUMNS

    rows, reference = [], None
    for label, executor, workers in configs:
        start = time.perf_counter()
        out = run_sweep(
            spec,
            tmp / label.replace(" ", "_").replace(",", ""),
            executor=executor,
            workers=workers,
            scheduler="local" if executor == "dask" else None,
            progress=False,
        )
        wall = time.perf_counter() - start
        if out.failures or not len(out.frame):
            raise SystemExit(
                f"{label}: {len(out.failures)} cells failed:\n{out.failures[0].error if out.failures else ''}"
            )
        frame = out.frame.drop(columns=list(TIMING_COLUMNS))
        reference = frame if reference is None else reference
        rows.append(
            {
                "config": label,
                "workers": workers,
                "runs": len(frame),
                "wall_s": round(wall, 2),
                "runs_per_s": round(len(frame) / wall, 2),
                "identical": bool(frame.equals(reference)),
                "mean_cell_s": round(float(out.frame["cell_wall_s"].mean()), 3),
                "mean_cell_cpu_s": round(float(out.frame["cell_cpu_s"].mean()), 3),
            }
        )
        print(f"{label:24s} {wall:7.1f} s  {len(frame) / wall:6.2f} runs/s", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--nodes", type=int, default=8, help="nodes per domain in each run")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--answers", default="stand-in", help="answer source of each run (default: stand-in)")
    parser.add_argument(
        "--sim-requests",
        type=int,
        default=200,
        help="traffic.simulated_requests per run (SimPy arrivals per serving profile; default 200)",
    )
    parser.add_argument("--with-serial", action="store_true", help="also time the in-process serial executor")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        spec = sweep_file(Path(tmp), args.runs, args.nodes, args.epochs, args.answers, args.sim_requests)
        rows = bench(spec, Path(tmp), ((SERIAL,) if args.with_serial else ()) + CONFIGS)
    by = {r["config"]: r["wall_s"] for r in rows}
    summary = {
        "speedup_2_vs_1_workers": round(by["pool, 1 worker"] / by["pool, 2 workers"], 2),
        "dask_overhead_vs_pool_s": round(by["local Dask, 2 workers"] - by["pool, 2 workers"], 2),
        "dask_overhead_vs_pool_pct": round(100 * (by["local Dask, 2 workers"] / by["pool, 2 workers"] - 1), 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1m_at_start": round(load_start, 2),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "params": vars(args) | {"json": str(args.json) if args.json else None},
    }
    print("| config | workers | runs | wall (s) | runs/s | mean cell wall (s) | mean cell CPU (s) | identical |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['config']} | {r['workers']} | {r['runs']} | {r['wall_s']} | {r['runs_per_s']} |"
            f" {r['mean_cell_s']} | {r['mean_cell_cpu_s']} | {r['identical']} |"
        )
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **summary}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
