"""Profile of one epoch by phase: what share of the wall time each phase takes, by network size.

Runs the model's own phase functions (``gaia_sim.epoch``: traffic, judge, slash, settle, revise, the
limited-liability check) and the recorder, timing each with ``perf_counter``, on the benchmark
scenario (``bench_1000.toml``) at schema-default detector settings, scaled to the node counts given.
Run (alone on the machine; report the load average printed):

    .venv/bin/python benchmarks/bench_phases.py [--nodes 1000,10000] [--epochs 20] [--answers default]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

from gaia_sim.epoch import judge, revise, settle, slash, traffic
from gaia_sim.epoch.state import check_limited_liability
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario

HERE = Path(__file__).resolve().parent
PHASES = ("traffic", "judge", "slash", "settle", "revise", "checks", "record")


def profile(scenario, answers, epochs: int) -> dict[str, float]:
    """Seconds per phase over ``epochs`` epochs (the model built beforehand, not timed)."""
    model = GaiaModel(scenario, answers)
    state, spent = model.state, defaultdict(float)

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        spent[name] += time.perf_counter() - t0
        return out

    for epoch in range(1, epochs + 1):
        t = timed("traffic", traffic.run, state, epoch)
        j = timed("judge", judge.run, state, t, epoch)
        s = timed("slash", slash.run, state, t, j, epoch)
        d = timed("settle", settle.run, state, t, s, epoch)
        r = timed("revise", revise.run, state, d.revenue - d.cost - s.slashed - s.bonds, epoch)
        timed("checks", check_limited_liability, state)
        from gaia_sim.epoch import EpochOutcome

        timed("record", model.recorder.record, state, EpochOutcome(epoch, t, j, s, d, r))
    return dict(spent)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="1000", help="comma-separated nodes per domain")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--answers", default="default")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    answers = load_answers(args.answers)
    base = load_scenario(HERE / "bench_1000.toml")
    detector_default = type(base.detector)().bootstrap
    print(f"{'nodes':>7s} {'s/epoch':>8s}  " + "  ".join(f"{p:>8s}" for p in PHASES))
    for n in (int(x) for x in args.nodes.split(",")):
        scenario = base.with_overrides(
            {
                "answers": args.answers,
                "epochs": args.epochs,
                "network.nodes_per_domain": n,
                "detector.bootstrap": detector_default,
            }
        )
        spent = profile(scenario, answers, args.epochs)
        total = sum(spent.values())
        shares = "  ".join(f"{spent.get(p, 0.0) / total:8.1%}" for p in PHASES)
        print(f"{n:7d} {total / args.epochs:8.3f}  {shares}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
