"""Profile of one epoch by phase: what share of the wall time each phase takes, by network size.

Runs the model's own phase functions (``gaia_sim.epoch``: traffic, judge, slash, settle, revise, the
limited-liability check) and the recorder, timing each with ``perf_counter``, on the benchmark
scenario (``bench_1000.toml``, schema-default detector) scaled to the node counts given: up to
1,000 nodes one domain, beyond that domains of 1,000 nodes (50 validators each). The first
``--warmup`` epochs are timed apart as set-up (with building the network): they run each serving
profile's queue through SimPy once and fill the detector's pivot-table cache. Run (report the load
average printed):

    .venv/bin/python benchmarks/bench_phases.py [--nodes 1000,10000] [--epochs 20] [--answers default]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from gaia_sim.epoch import EpochOutcome, judge, revise, settle, slash, traffic
from gaia_sim.epoch.state import check_limited_liability
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario

HERE = Path(__file__).resolve().parent
PHASES = ("traffic", "judge", "slash", "settle", "revise", "checks", "record")
DOMAIN_NODES = 1000  # nodes per domain beyond one domain


def epoch(model: GaiaModel, e: int, spent: dict[str, float]) -> None:
    """One epoch through the phase functions, each phase's seconds added to ``spent``."""
    state = model.state

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        spent[name] += time.perf_counter() - t0
        return out

    t = timed("traffic", traffic.run, state, e)
    j = timed("judge", judge.run, state, t, e)
    s = timed("slash", slash.run, state, t, j, e)
    d = timed("settle", settle.run, state, t, s, e)
    r = timed("revise", revise.run, state, d.revenue - d.cost - s.slashed - s.bonds, e)
    timed("checks", check_limited_liability, state)
    timed("record", model.recorder.record, state, EpochOutcome(e, t, j, s, d, r))


def profile(scenario, answers, epochs: int, warmup: int) -> tuple[float, dict[str, float]]:
    """(set-up seconds: build + warm-up epochs, seconds per phase over the ``epochs`` after them)."""
    t0 = time.perf_counter()
    model, spent = GaiaModel(scenario, answers), defaultdict(float)
    for e in range(1, warmup + 1):
        epoch(model, e, defaultdict(float))
    setup = time.perf_counter() - t0
    for e in range(warmup + 1, warmup + epochs + 1):
        epoch(model, e, spent)
    return setup, dict(spent)


def scaled(base, n: int, answers: str, epochs: int):
    """The benchmark scenario with ``n`` nodes in all (domains of DOMAIN_NODES beyond one domain)."""
    domains = max(1, n // DOMAIN_NODES)
    return base.with_overrides(
        {
            "answers": answers,
            "epochs": epochs,
            "network.domains": domains,
            "network.nodes_per_domain": n // domains,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1000", help="comma-separated total nodes")
    ap.add_argument("--epochs", type=int, default=20, help="timed epochs (after the warm-up)")
    ap.add_argument("--warmup", type=int, default=2, help="epochs timed as set-up")
    ap.add_argument("--answers", default="default")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    answers = load_answers(args.answers)
    base = load_scenario(HERE / "bench_1000.toml")
    print(f"{'nodes':>7s} {'domains':>7s} {'set-up s':>8s} {'s/epoch':>8s}  " + "  ".join(f"{p:>7s}" for p in PHASES))
    per_epoch = {}
    for n in (int(x) for x in args.nodes.split(",")):
        scenario = scaled(base, n, args.answers, args.warmup + args.epochs)
        setup, spent = profile(scenario, answers, args.epochs, args.warmup)
        total = sum(spent.values())
        per_epoch[n] = total / args.epochs
        shares = "  ".join(f"{spent.get(p, 0.0) / total:7.1%}" for p in PHASES)
        print(f"{n:7d} {scenario.network.domains:7d} {setup:8.1f} {total / args.epochs:8.3f}  {shares}", flush=True)
    if len(per_epoch) > 1:  # least-squares slope of log time per epoch on log nodes
        slope = np.polyfit(np.log(list(per_epoch)), np.log(list(per_epoch.values())), 1)[0]
        print(f"time per epoch grows as nodes^{slope:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average after: {os.getloadavg()}; peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
