"""e043: the nearest-stack test (detector `default_nearest`) on the real runs and on synthetic
all-honest domains, and its cost; see hypothesis.md (runs 1 and 2 and the cost).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e043_nearest_stack/measure.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats
from test_detector_synth import network

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess

DETECTORS = ("default", "default_nearest")


def real(trials: int, seeds: tuple[int, ...]) -> list[dict]:
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows = []
    for seed in seeds:
        for honest, cheat in ev.REAL_PAIRINGS:
            rng = np.random.default_rng(seed)
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
            res = ev.evaluate_learned(judge, spec, {d: {"detector": d} for d in DETECTORS}, trials, rng, qsets, 0.01)
            for name, outcome in res.items():
                s = outcome.summary()
                rows.append({"seed": seed, "pairing": f"{cheat} as {honest}", "detector": name, **s})
                print(
                    f"seed {seed} {cheat:13s} as {honest:12s} {name:16s} ROC TPR@1% {s['tpr_at_fpr']:.3f}  "
                    f"decision TPR {s['cheat_flag_rate']:.3f}  honest flag rate {s['honest_flag_rate']:.4f}",
                    flush=True,
                )
    return rows


def synthetic(domains: int, seed: int) -> list[dict]:
    rows = []
    for stack in (0.0, 0.3, 0.6):
        rng = np.random.default_rng(seed)
        flags, nodes = 0, 0
        for d in range(domains):
            x, _ = network(rng, nodes=30, questions=10, samples=5, stack=stack)
            flags += int(assess(x, alpha=0.01, seed=d, detector="default_nearest").flagged.sum())
            nodes += 30
        lo = float(stats.beta.ppf(0.005, flags, nodes - flags + 1)) if flags else 0.0
        hi = float(stats.beta.ppf(0.995, flags + 1, nodes - flags))
        rows.append({"stack": stack, "flags": flags, "honest_nodes": nodes, "rate": flags / nodes, "ci99": [lo, hi]})
        print(
            f"all honest, stack {stack:.1f}: {flags} of {nodes} honest nodes flagged ({flags / nodes:.4f}, "
            f"99% CI {lo:.4f}-{hi:.4f})",
            flush=True,
        )
    return rows


def cost(repeat: int = 3) -> list[dict]:
    """Milliseconds per call, best of ``repeat`` passes, both detectors alternating on the same inputs."""
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rng = np.random.default_rng(5)
    spec = ev.TrialSpec("gemma-2-9b", "gemma-2-27b", 30, 3, 5, 5, (0, 1), (0, 1))
    real_x = [ev.make_trial(judge, spec, rng, questions=np.array([0, 3, 7, 9, 17]))[0] for _ in range(20)]
    big = [network(rng, nodes=100, questions=5, samples=3, dim=384, cheaters=10, shift=0.3)[0] for _ in range(10)]
    rows = []
    for label, xs in (("real, 30 nodes x 5 x 5", real_x), ("synthetic, 100 nodes x 5 x 3 x 384", big)):
        best = {d: np.inf for d in DETECTORS}
        for _ in range(repeat):
            for d in DETECTORS:
                t = time.perf_counter()
                for i, x in enumerate(xs):
                    assess(x, alpha=0.01, seed=i, detector=d)
                best[d] = min(best[d], (time.perf_counter() - t) / len(xs) * 1e3)
        rows.append({"inputs": label, **{f"{d}_ms": best[d] for d in DETECTORS}})
        print(
            f"{label}: " + ", ".join(f"{d} {best[d]:.1f} ms" for d in DETECTORS) + " per call (best of 3)", flush=True
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--domains", type=int, default=300)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    t0 = time.perf_counter()
    result = {"real": real(args.trials, (0, 1)), "synthetic": synthetic(args.domains, 31), "cost": cost()}
    result["seconds"] = time.perf_counter() - t0
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
