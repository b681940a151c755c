"""e057: the all-honest null of `gaia-sim evaluate` (``evaluation.honest_null``: every node honest,
drawn from both real runs of the model, the default detector at alpha 0.01, random questions, 5 x 5
answers, 200 domains of 30 nodes) with item 1's hold-out (0.4: the first run keeps 3 answers per
question, which 5 answers per node replay) and without it (0.0: 5 answers per question).

Run: .venv/bin/python experiments/e057_thin_block_null/measure.py [--seeds 171,...,176]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from gaia_sim import evaluation as ev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="171,172,173,174,175,176")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    parser = argparse.ArgumentParser()
    ev.add_arguments(parser)
    for holdout in (0.4, 0.0):
        totals: dict[str, list] = {}
        for seed in (int(s) for s in args.seeds.split(",")):
            options = parser.parse_args(["--source", "real", "--holdout", str(holdout), "--no-progress"])
            for r in ev.honest_null("real", options, np.random.default_rng(seed)):
                t = totals.setdefault(r["honest"], [0, 0, []])
                t[0] += round(r["honest_flag_rate"] * r["nodes_judged"])
                t[1] += r["nodes_judged"]
                t[2].append(f"{r['honest_flag_rate']:.4f}")
        for model, (flagged, judged, per_seed) in totals.items():
            print(
                f"holdout {holdout} {model}: {flagged} of {judged} honest verdicts flagged ({flagged / judged:.4f}); "
                f"per seed {' '.join(per_seed)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
