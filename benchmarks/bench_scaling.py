"""Benchmark: how a simulation's wall time and memory grow with nodes, validators, questions and epochs.

Each point is one ``gaia_sim.runner.simulate`` call on the benchmark scenario (``bench_1000.toml``,
schema-default detector, shipped answer bank) in a fresh process, varied along one axis at a time:

- nodes 1,000 / 10,000 / 100,000 (domains of 1,000 nodes with 50 validators each beyond one domain);
- validators 10 / 50 / 250 at 1,000 nodes;
- questions per probe 2 / 5 / 10 / 20 at 1,000 nodes;
- epochs 100 / 200 / 400 at 1,000 nodes (total run time).

For each point it records the set-up (building the network and the first epoch, which fills the
detector's caches), the seconds per later epoch, CPU time and peak memory (the main process plus
its largest worker times the number of workers: an upper bound on what the run held at once). The
exponent of each axis is the slope of log(time) on log(size), fitted by least squares. ``--headline``
adds the issue's target run: 100,000 nodes x 100 epochs with ``--workers`` processes. Writes
``scaling.json`` and ``scaling.png`` into ``--out``. Run alone on the machine and report the load
average it prints:

    .venv/bin/python benchmarks/bench_scaling.py [--axes nodes,validators,questions,epochs]
        [--headline] [--workers 2] [--out docs/figures] [--replot]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
from bench_simulation import run_python  # this folder's runner of one measured child process

from gaia_sim.atomic import atomic_write_bytes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOMAIN_NODES, DOMAIN_VALIDATORS = 1000, 50

#: One simulation in a fresh interpreter; prints one JSON line.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario
overrides, workers = json.loads(sys.argv[2]), int(sys.argv[3])
scenario = load_scenario(Path(sys.argv[1])).with_overrides(overrides)
answers = load_answers(scenario.answers)
stamps, step = [], GaiaModel.step
def timed_step(model):
    step(model)
    stamps.append(time.perf_counter())
GaiaModel.step = timed_step  # timestamps only; the run is simulate's own
wall0, cpu0 = time.perf_counter(), time.process_time()
simulate(scenario, answers=answers, workers=workers)
wall = time.perf_counter() - wall0
own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
later = (stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1 else float("nan")
print(json.dumps({
    "wall_s": wall, "setup_s": stamps[0] - wall0, "epoch_s": later,
    "cpu_s": time.process_time() - cpu0 + kids.ru_utime + kids.ru_stime,
    "peak_mb": (own.ru_maxrss + (workers if workers > 1 else 0) * kids.ru_maxrss) / 1024,
}))
"""


def point(nodes: int, validators_per_domain: int, questions: int, epochs: int, workers: int) -> dict:
    """One run at this size; its measurements plus the load average around it."""
    domains = max(1, nodes // DOMAIN_NODES)
    overrides = {
        "epochs": epochs,
        "network.domains": domains,
        "network.nodes_per_domain": nodes // domains,
        "network.validators": validators_per_domain,  # per domain
        "probes.questions_per_epoch": questions,
    }
    args = [str(HERE / "bench_1000.toml"), json.dumps(overrides), str(workers)]
    out = run_python(CHILD, args, ROOT, f"bench_scaling: the run {overrides}")
    size = {"nodes": nodes, "validators": validators_per_domain, "questions": questions, "epochs": epochs}
    return size | {"workers": workers} | out


#: axis -> (sizes, fixed arguments of :func:`point` other than the axis, time measured)
AXES = {
    "nodes": ([1000, 10000, 100000], dict(validators_per_domain=50, questions=5, epochs=4), "epoch_s"),
    "validators": ([10, 50, 250], dict(nodes=1000, questions=5, epochs=30), "epoch_s"),
    "questions": ([2, 5, 10, 20], dict(nodes=1000, validators_per_domain=50, epochs=30), "epoch_s"),
    "epochs": ([100, 200, 400], dict(nodes=1000, validators_per_domain=50, questions=5), "wall_s"),
}
ARG = {"nodes": "nodes", "validators": "validators_per_domain", "questions": "questions", "epochs": "epochs"}


def exponent(sizes, times) -> float:
    """Least-squares slope of log(time) on log(size): time grows as size^exponent."""
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def plot(results: dict, path: Path) -> None:
    """One panel per axis: time (log-log, with its fitted exponent) and peak memory (from 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.4), squeeze=False)
    for ax, (axis, r) in zip(axes[0], results.items()):
        sizes, key = [p[axis] for p in r["points"]], AXES[axis][2]
        times = [p[key] for p in r["points"]]
        ax.loglog(sizes, times, "o-", label=f"time (exponent {r['exponent']:.2f})")
        ax.set_ylim(min(times) / 3, max(times) * 3)  # a decade or more: flat curves look flat
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(axis)
        ax.set_ylabel("s per epoch" if key == "epoch_s" else "s per run")
        twin = ax.twinx()
        twin.plot(sizes, [p["peak_mb"] for p in r["points"]], "s--", color="tab:orange", label="peak memory")
        twin.set_ylim(0, max(p["peak_mb"] for p in r["points"]) * 1.3)
        twin.set_ylabel("peak memory, MB")
        lines = ax.get_legend_handles_labels()
        more = twin.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
        ax.set_title(f"wall time vs {axis}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--axes", default="nodes,validators,questions,epochs", help="comma-separated: " + ",".join(AXES))
    ap.add_argument("--headline", action="store_true", help="also run 100,000 nodes x 100 epochs")
    ap.add_argument("--workers", type=int, default=1, help="worker processes for the domains (default 1)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "figures", help="folder for scaling.json/png")
    ap.add_argument("--replot", action="store_true", help="only redraw scaling.png from the scaling.json in --out")
    args = ap.parse_args()
    if args.replot:
        results = json.loads((args.out / "scaling.json").read_text())
        plot({a: r for a, r in results.items() if a in AXES}, args.out / "scaling.png")
        print(f"wrote {args.out / 'scaling.png'}")
        return
    axes = [a for a in args.axes.split(",") if a]
    unknown = sorted(set(axes) - set(AXES))
    if unknown or args.workers < 1:
        sys.exit(f"bench_scaling: --axes allows {', '.join(AXES)} (got {unknown}); --workers must be >= 1")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    results: dict = {}
    for axis in axes:
        sizes, fixed, key = AXES[axis]
        points = []
        for size in sizes:
            points.append(point(**(fixed | {ARG[axis]: size}), workers=args.workers))
            p = points[-1]
            print(
                f"{axis:>10s} {size:>7,d}: set-up {p['setup_s']:6.1f} s  {p['epoch_s']:7.3f} s/epoch  "
                f"run {p['wall_s']:7.1f} s  peak {p['peak_mb']:6,.0f} MB  load {p['load']:.2f}",
                flush=True,
            )
        results[axis] = {"points": points, "exponent": exponent(sizes, [p[key] for p in points])}
        print(f"{axis:>10s}: time grows as {axis}^{results[axis]['exponent']:.2f}", flush=True)
    if args.headline:
        p = point(100_000, DOMAIN_VALIDATORS, 5, 100, args.workers)
        results["headline"] = p
        print(
            f"headline: 100,000 nodes x 100 epochs, {args.workers} worker(s): {p['wall_s'] / 60:.2f} min, "
            f"peak {p['peak_mb']:,.0f} MB (targets 5 min, 8 GB), load {p['load']:.2f}",
            flush=True,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out / "scaling.json", (json.dumps(results, indent=2) + "\n").encode())
    curves = {a: r for a, r in results.items() if a in AXES}
    if curves:
        plot(curves, args.out / "scaling.png")
    print(f"wrote {args.out / 'scaling.json'}" + (f" and {args.out / 'scaling.png'}" if curves else ""))


if __name__ == "__main__":
    main()
