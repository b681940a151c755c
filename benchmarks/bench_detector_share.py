"""Benchmark: the detector's time per epoch and its share of a 1,000-node simulation epoch, this
checkout beside an earlier revision (issue 14 item 7: "the detector's share of a 1,000-node
simulation epoch halved").

Each revision runs ``benchmarks/bench_1000.toml`` as that revision has it (the scenario as it was
then: an old file may not parse under today's schema) for ``--epochs`` epochs, in a fresh process,
under ``cProfile``; the revisions alternate (the machine is shared, absolute times drift). The
detector's time is the cumulative time of every call into ``gaia_sim/detector/`` from code outside
it (so it does not depend on what the revision's detector entry point is called); the simulation's
time is all the profiled time of ``simulate()`` (building the network included; every ``gaia_sim``
module but the dashboard's is imported before profiling starts: before 2026-12-02 the detector
module's first import, which loads ``scipy.stats``, ~3 s, was counted as detector time).
cProfile's overhead is larger on Python-heavy code, so the shares are of profiled time.
``--timer wall`` measures without a profiler instead: every function and method defined in
``gaia_sim/detector/`` is wrapped by a timer that counts only its outermost calls (wherever it is
referenced: module attributes, class attributes, dicts such as the detector registry), and the
simulation's time is the wall time of ``simulate()``.
``--set KEY=VALUE`` overrides a scenario value in every revision (e.g. ``detector.bootstrap=200``).
Run:

    .venv/bin/python benchmarks/bench_detector_share.py --compare REV [--epochs N] [--repeat K]
        [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_simulation import export, run_python  # noqa: E402

#: Both runs start so: the scenario and its answers loaded, every ``gaia_sim`` module but the
#: dashboard's imported (a module's import is not per-epoch work) and listed in ``modules``.
PREAMBLE = r"""
import importlib, json, pkgutil, sys, time
from pathlib import Path
import gaia_sim
from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario
over = json.loads(sys.argv[1])
scenario = load_scenario(Path("benchmarks/bench_1000.toml")).with_overrides(over)
answers = load_answers(scenario.answers)
modules = []
for mod in pkgutil.walk_packages(gaia_sim.__path__, "gaia_sim."):
    if ".dashboard" not in mod.name:
        try:
            modules.append(importlib.import_module(mod.name))
        except Exception:
            pass
"""

#: Runs in a fresh interpreter with PYTHONPATH = the revision's root: one profiled simulation.
CHILD = (
    PREAMBLE
    + r"""
import cProfile, pstats
prof = cProfile.Profile()
wall0 = time.perf_counter()
prof.enable()
simulate(scenario, progress=False, answers=answers)
prof.disable()
wall = time.perf_counter() - wall0
stats = pstats.Stats(prof).stats
inside = lambda f: "/gaia_sim/detector/" in f[0].replace("\\", "/")
detector = sum(
    edge[3] for f, (_, _, _, _, callers) in stats.items() if inside(f)
    for caller, edge in callers.items() if not inside(caller)
)
total = sum(tt for (_, _, tt, _, _) in stats.values())
print(json.dumps({"wall_s": wall, "profiled_s": total, "detector_s": detector, "epochs": scenario.epochs,
                  "bootstrap": scenario.detector.bootstrap}))
"""
)


#: The same run without a profiler: the detector's functions wrapped by outermost-call timers.
CHILD_WALL = (
    PREAMBLE
    + r"""
import functools, types
state = {"depth": 0, "spent": 0.0, "calls": 0}
wrapped = {}

def ours(obj):
    return str(getattr(obj, "__module__", "") or "").startswith("gaia_sim.detector")

def timed(f):
    if id(f) in wrapped:
        return wrapped[id(f)]
    @functools.wraps(f)
    def w(*a, **k):
        if state["depth"]:
            return f(*a, **k)
        state["depth"] += 1
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            state["spent"] += time.perf_counter() - t
            state["calls"] += 1
            state["depth"] -= 1
    wrapped[id(f)] = w
    return w

def callable_of_ours(v):
    return callable(v) and not isinstance(v, type) and ours(v)

classes = set()
for m in modules:
    for name, v in list(vars(m).items()):
        if isinstance(v, type) and ours(v) and v not in classes:
            classes.add(v)
            for attr, member in list(vars(v).items()):
                if isinstance(member, (staticmethod, classmethod)):
                    setattr(v, attr, type(member)(timed(member.__func__)))
                elif isinstance(member, property) and member.fget is not None:
                    setattr(v, attr, property(timed(member.fget), member.fset, member.fdel, member.__doc__))
                elif isinstance(member, types.FunctionType):
                    setattr(v, attr, timed(member))
        elif callable_of_ours(v):
            setattr(m, name, timed(v))
        elif isinstance(v, dict):
            for key, item in list(v.items()):
                if callable_of_ours(item):
                    v[key] = timed(item)
wall0 = time.perf_counter()
simulate(scenario, progress=False, answers=answers)
wall = time.perf_counter() - wall0
print(json.dumps({"wall_s": wall, "profiled_s": wall, "detector_s": state["spent"], "epochs": scenario.epochs,
                  "bootstrap": scenario.detector.bootstrap, "outer_calls": state["calls"]}))
"""
)


def parse_sets(pairs: list[str]) -> dict:
    """``KEY=VALUE`` pairs as scenario overrides (VALUE read as JSON when it parses, else a string)."""
    over = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            sys.exit(f"bench_detector_share: --set {pair!r}: expected KEY=VALUE, e.g. detector.bootstrap=200")
        try:
            over[key] = json.loads(value)
        except json.JSONDecodeError:
            over[key] = value
    return over


def describe(label: str, r: dict) -> str:
    per = 1000 / r["epochs"]
    return (
        f"{label:>8s}: detector {r['detector_s'] * per:6.1f} ms/epoch of {r['profiled_s'] * per:6.1f} "
        f"(share {r['detector_s'] / r['profiled_s']:.1%}); wall {r['wall_s']:5.1f} s; "
        f"bootstrap {r['bootstrap']}; load {r['load']:.2f}"
        + (f"; {r['outer_calls']} outermost detector calls" if "outer_calls" in r else "")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", metavar="REV", required=True, help="the earlier git revision")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each revision (alternating)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override in every revision")
    ap.add_argument(
        "--timer", choices=("profile", "wall"), default="profile", help="cProfile (default) or outermost-call timers"
    )
    args = ap.parse_args()
    over = {"epochs": args.epochs} | parse_sets(args.set)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}")
    print(f"each revision's benchmarks/bench_1000.toml with {over}; timer: {args.timer}")
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"this": ROOT, args.compare: export(args.compare, Path(tmp))}
        runs: dict[str, list[dict]] = {label: [] for label in roots}
        child = CHILD if args.timer == "profile" else CHILD_WALL
        for _ in range(args.repeat):
            for label, root in reversed(roots.items()):  # the earlier revision first
                r = run_python(child, [json.dumps(over)], root, f"bench_detector_share: the run in {root}")
                runs[label].append(r)
                print(describe(label[:8], r), flush=True)
    med = {k: statistics.median(r["detector_s"] / r["epochs"] for r in rs) for k, rs in runs.items()}
    share = {k: statistics.median(r["detector_s"] / r["profiled_s"] for r in rs) for k, rs in runs.items()}
    print(
        f"detector per epoch (median): {args.compare} {med[args.compare] * 1000:.1f} ms, this "
        f"{med['this'] * 1000:.1f} ms: {med[args.compare] / med['this']:.2f}x; share of the epoch "
        f"{share[args.compare]:.1%} -> {share['this']:.1%} ({share[args.compare] / share['this']:.2f}x)"
    )


if __name__ == "__main__":
    main()
