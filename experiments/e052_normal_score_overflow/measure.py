"""e052: where the empirical null's normal scores overflowed (``ndtri(1 - p)`` infinite for p below
~1.1e-16) before ``default.normal_scores`` (this experiment's commit), and what the mend changes:
the real runs (e049's setting), e043's synthetic all-honest domains and the simulation (e050's
design). Each part runs twice, with the old formula and with the code's; see hypothesis.md.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e052_normal_score_overflow/measure.py \
    [--parts real,synthetic,simulation] [--out FILE]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import importlib.util
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from gaia_sim.detector import default

HERE = Path(__file__).resolve().parent
DESIGN = HERE.parent / "e050_recommend_detector_lever" / "search" / "model_swap_provisioned_recent.toml"
CODE_SCORES = default.normal_scores
CODE_NULL = default.empirical_null_p


def old_scores(p: np.ndarray) -> np.ndarray:
    """The formula before this experiment's commit (git a7845ef)."""
    return special.ndtri(1.0 - np.clip(p, 1e-300, 1.0 - 1e-16))


class Counter:
    """Per calibration site (the node-level test of the default detector, the nearest-stack test,
    the discrete scale floor): calls, calls with an overflowing score, calls that abstained."""

    def __init__(self) -> None:
        self.rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def install(self, scores) -> None:
        def counted_scores(p):
            site = sys._getframe(1).f_code.co_name
            if site == "scale_floor":
                c = self.rows["scale_floor"]
                c["calls"] += 1
                c["overflow"] += int((1.0 - np.clip(p, 1e-300, 1.0 - 1e-16) == 1.0).any())
            return scores(p)

        def counted_null(p, floor, reference, *args, **kwargs):
            site = "nearest_stack" if sys._getframe(1).f_code.co_name == "nearest_stack_p" else "node_level"
            z, out = CODE_NULL(p, floor, reference, *args, **kwargs)
            valid = ~np.isnan(p)
            c = self.rows[site]
            c["calls"] += 1
            c["overflow"] += int((1.0 - np.clip(p[valid], 1e-300, 1.0 - 1e-16) == 1.0).any())
            c["at_clip"] += int((p[valid] <= 1e-300).any())
            c["abstained"] += int(valid.sum() >= default.MIN_PEERS and np.isnan(z[valid]).all())
            c["some_z_nan"] += int(np.isnan(z[valid]).any())
            return z, out

        default.normal_scores = counted_scores
        default.empirical_null_p = counted_null

    def table(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in sorted(self.rows.items())}


def _e043():
    path = HERE.parent / "e043_nearest_stack" / "measure.py"
    spec = importlib.util.spec_from_file_location("e043_measure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic(domains: int, counter: Counter) -> list[dict]:
    """e043's synthetic all-honest domains (the same draws: seed 32, domain d judged with seed d),
    counted per stack offset."""
    from test_detector_synth import network

    from gaia_sim.detector import assess

    rows = []
    for stack in (0.0, 0.3, 0.6):
        counter.rows.clear()
        rng = np.random.default_rng(32)
        flags = sum(
            int(
                assess(
                    network(rng, nodes=30, questions=10, samples=5, stack=stack)[0],
                    alpha=0.01,
                    seed=d,
                    detector="default_nearest",
                ).flagged.sum()
            )
            for d in range(domains)
        )
        rows.append({"stack": stack, "flags": flags, "honest_nodes": 30 * domains, "counts": counter.table()})
        print(f"synthetic stack {stack}: {flags} of {30 * domains} flagged; {json.dumps(counter.table())}", flush=True)
    return rows


def simulation(seeds: range) -> list[dict]:
    from gaia_sim.runner import load_answers, simulate
    from gaia_sim.scenario import load_scenario

    design = load_scenario(DESIGN)
    answers = load_answers(design.answers)
    rows = []
    for label, population in (
        ("as designed", {}),
        ("all honest", {"population.honest": 1.0, "population.model_swapping": 0.0}),
    ):
        for seed in seeds:
            scenario = design.with_overrides({"seed": seed, **population})
            result = simulate(scenario, answers=answers)
            digest = hashlib.sha256()
            for table in (result.events, result.nodes, result.steps):
                digest.update(pd.util.hash_pandas_object(table, index=True).values.tobytes())
            v = result.events[result.events["kind"] == "verdict"]
            honest = v[v["behaviour"] == "honest"]
            rows.append(
                {
                    "population": label,
                    "seed": seed,
                    "digest": digest.hexdigest()[:16],
                    "honest_verdicts": len(honest),
                    "honest_guilty": int(honest["flagged"].sum()),
                    "cheater_verdicts": len(v) - len(honest),
                    "cheater_guilty": int(v["flagged"].sum() - honest["flagged"].sum()),
                    "summary": result.summary,
                }
            )
            print(f"simulation {label:12s} seed {seed}: {digest.hexdigest()[:16]}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="real,synthetic,simulation")
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(26, 50)), help="real-run seeds (e049's)")
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--domains", type=int, default=300)
    ap.add_argument("--sim-seeds", type=int, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    e043 = _e043()
    parts = args.parts.split(",")
    result: dict = {}
    for arm, scores in (("old", old_scores), ("new", CODE_SCORES)):
        for part in parts:
            counter = Counter()
            counter.install(scores)
            t0 = time.perf_counter()
            print(f"== {arm} formula, {part}", flush=True)
            if part == "real":
                rows = e043.real(args.trials, tuple(int(s) for s in args.seeds.split(",")))
            elif part == "synthetic":
                rows = synthetic(args.domains, counter)
            else:
                rows = simulation(range(1, args.sim_seeds + 1))
            result.setdefault(part, {})[arm] = {
                "rows": rows,
                "counts": counter.table(),
                "seconds": round(time.perf_counter() - t0, 1),
            }
            print(json.dumps(counter.table()), flush=True)
            default.normal_scores, default.empirical_null_p = CODE_SCORES, CODE_NULL
            if args.out:
                Path(args.out).write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
