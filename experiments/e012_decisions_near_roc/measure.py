"""e012: decisions beside ROC on the shared real Gaia runs, questions learned on held-out repeats.

Run: PYTHONPATH=. .venv/bin/python experiments/e012_decisions_near_roc/measure.py [--trials 200] [--out FILE]
Uses only gaia_sim.evaluation functions that exist before and after the change (the split is
done here), so the same script measures both revisions.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

LEARN_SHARE = 0.4
DETECTORS = ("default", "default_all", "median_rank", "paper")


def split(pools: dict, share: float) -> tuple[dict, dict]:
    def cut(block):
        return min(max(1, int(round(share * len(block)))), len(block) - 1)

    learn = {k: ev.Pool(p.name, tuple([b[: cut(b)] for b in q] for q in p.emb)) for k, p in pools.items()}
    judge = {k: ev.Pool(p.name, tuple([b[cut(b) :] for b in q] for q in p.emb)) for k, p in pools.items()}
    return learn, judge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = split(ev.real_pools(gaia_real.load_real()), LEARN_SHARE)
    rng = np.random.default_rng(args.seed)
    detectors = {d: {"detector": d} for d in DETECTORS}
    rows, t0 = [], time.perf_counter()
    for honest, cheat in ev.REAL_PAIRINGS:
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
        res = ev.evaluate_learned(judge, spec, detectors, args.trials, rng, qsets, 0.01)
        for name, outcome in res.items():
            s = outcome.summary()
            rows.append(
                {
                    "pairing": f"{cheat} as {honest}",
                    "detector": name,
                    **s,
                    "questions": [[int(q) for q in qs] for qs in qsets],
                }
            )
            print(
                f"{cheat:14s} as {honest:12s} {name:12s} ROC TPR@1% {s['tpr_at_fpr']:.3f}  decision TPR "
                f"{s['cheat_flag_rate']:.3f}  honest flag rate {s['honest_flag_rate']:.4f}",
                flush=True,
            )
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0}, indent=1))


if __name__ == "__main__":
    main()
