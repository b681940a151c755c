"""Benchmark: 1,000 nodes, 50 validators, 1,000 epochs at the schema defaults -> wall time, CPU time,
node-epochs/s, peak memory; optionally side by side with an earlier revision.

Target on the 2-core development machine: at most 20 s and 2 GB. The machine is shared, so absolute
times drift with the load: ``--compare REV`` runs revision REV (exported with ``git archive`` into a
temporary folder) and this checkout alternately, each run in a fresh process on the same scenario
file, and reports the ratio of their median times and whether their results are byte-identical
(sha256 of the Parquet tables ``write_run`` writes). Run:

    .venv/bin/python benchmarks/bench_simulation.py [--epochs N] [--answers default|stand-in]
        [--compare REV] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Runs in a fresh interpreter with PYTHONPATH = the revision's root: one simulation, one JSON line.
CHILD = r"""
import hashlib, json, resource, sys, tempfile, time
from pathlib import Path
from gaia_sim.results import TABLES, write_run
from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario
path, epochs, answers_spec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
scenario = load_scenario(Path(path)).with_overrides({"answers": answers_spec, "epochs": epochs})
answers = load_answers(scenario.answers)
wall0, cpu0 = time.perf_counter(), time.process_time()
result = simulate(scenario, progress=False, answers=answers)
wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
with tempfile.TemporaryDirectory() as out:
    folder = write_run(result, Path(out))
    digest = hashlib.sha256(b"".join((folder / f"{t}.parquet").read_bytes() for t in TABLES)).hexdigest()
print(json.dumps({
    "wall_s": wall, "cpu_s": cpu, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "digest": digest, "events": len(result.events),
    "final_honest_share": result.summary["final_honest_share"],
}))
"""


def run_python(code: str, args: list[str], root: Path, what: str) -> dict:
    """``code`` run in a fresh interpreter with the code under ``root`` importable; the JSON object
    of its last output line plus the load average around the run (``what`` names it on failure)."""
    before = os.getloadavg()[0]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(os.environ, PYTHONPATH=str(root)),
        cwd=root,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"load": (before + os.getloadavg()[0]) / 2}


def run_child(root: Path, scenario: Path, epochs: int, answers: str) -> dict:
    """One simulation with the code under ``root``; its JSON report plus the load average around it."""
    return run_python(
        CHILD, [str(scenario), str(epochs), answers], root, f"bench_simulation: the run with the code in {root}"
    )


def export(rev: str, into: Path) -> Path:
    """Revision ``rev`` of this repository as plain files under ``into`` (``git archive``)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"bench_simulation: --compare {rev!r}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def describe(label: str, r: dict, node_epochs: int) -> str:
    return (
        f"{label:>8s}: wall {r['wall_s']:6.1f} s  cpu {r['cpu_s']:6.1f} s  node-epochs/s "
        f"{node_epochs / r['wall_s']:8,.0f}  peak {r['peak_mb']:6,.0f} MB  load {r['load']:.2f}  "
        f"results {r['digest'][:12]}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", default="default", help="answer source: default (shipped bank) or stand-in")
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--scenario", type=Path, default=HERE / "bench_1000.toml")
    ap.add_argument("--compare", metavar="REV", help="also run git revision REV, alternating with this checkout")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each revision (alternating)")
    args = ap.parse_args()
    from gaia_sim.scenario import load_scenario

    s = load_scenario(args.scenario)
    node_epochs = s.network.nodes_per_domain * s.network.domains * args.epochs
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(
        f"scenario: {args.scenario.name}, answers {args.answers}: {s.network.domains} domain(s) x "
        f"{s.network.nodes_per_domain} nodes, {s.network.validators} validators, {args.epochs} epochs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"this": ROOT} | ({args.compare: export(args.compare, Path(tmp))} if args.compare else {})
        runs: dict[str, list[dict]] = {label: [] for label in roots}
        for _ in range(args.repeat):
            for label, root in reversed(roots.items()):  # the earlier revision first
                runs[label].append(run_child(root, args.scenario.resolve(), args.epochs, args.answers))
                print(describe(label[:8], runs[label][-1], node_epochs), flush=True)
    median = {label: statistics.median(r["wall_s"] for r in rs) for label, rs in runs.items()}
    cpu = {label: statistics.median(r["cpu_s"] for r in rs) for label, rs in runs.items()}
    peak = max(r["peak_mb"] for r in runs["this"])
    print(f"this checkout: median wall {median['this']:.1f} s, peak memory {peak:,.0f} MB")
    if args.compare:
        same = {r["digest"] for rs in runs.values() for r in rs}
        print(
            f"speed-up over {args.compare}: {median[args.compare] / median['this']:.2f}x (median wall), "
            f"{cpu[args.compare] / cpu['this']:.2f}x (median CPU time); "
            f"results {'byte-identical' if len(same) == 1 else 'DIFFERENT'}"
        )


if __name__ == "__main__":
    main()
