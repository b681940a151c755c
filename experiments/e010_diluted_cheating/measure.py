"""e010: decision power of the detector against diluted cheating (a share of a node's answers from a
cheaper configuration), on the shipped answer bank. Prints one row per (detector option, cheat role,
share, budget): decision TPR (cheaters flagged by BH at alpha) and the honest flag rate.

Run: .venv/bin/python experiments/e010_diluted_cheating/measure.py [--trials 100] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from gaia_sim.answers.bank import load_default_bank
from gaia_sim.detector import assess
from gaia_sim.evaluation import bank_pools, diluted_node


def trial(pools, role, share, questions, samples, rng, nodes=30, cheaters=3):
    honest, cheat = pools["honest"], pools[role]
    qs = np.sort(rng.choice(len(honest.emb), size=questions, replace=False))
    labels = np.zeros(nodes, bool)
    labels[rng.choice(nodes, cheaters, replace=False)] = True
    runs = rng.integers(0, honest.n_runs(), size=nodes)
    x = np.stack(
        [diluted_node(honest, cheat, qs, samples, share if bad else 0.0, rng, int(r)) for bad, r in zip(labels, runs)]
    )
    return x, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--roles", default="lazy_refusal,cheaper_model,lazy_truncated")
    ap.add_argument("--shares", default="0.1,0.25,0.5,1.0")
    ap.add_argument("--budgets", default="5x3,5x5")
    ap.add_argument("--options", default="{}", help="JSON dict of detector options, e.g. '{\"share_test\": false}'")
    ap.add_argument("--out")
    args = ap.parse_args()
    pools, _, _ = bank_pools(load_default_bank())
    options = json.loads(args.options)
    rows = []
    for budget in args.budgets.split(","):
        q, s = (int(v) for v in budget.split("x"))
        for role in args.roles.split(","):
            for share in (float(v) for v in args.shares.split(",")):
                rng = np.random.default_rng([args.seed, q, s, int(share * 1000)])
                tp = fp = n_bad = n_good = 0
                t0 = time.perf_counter()
                for _ in range(args.trials):
                    x, labels = trial(pools, role, share, q, s, rng)
                    flagged = assess(x, alpha=0.01, seed=int(rng.integers(2**31)), **options).flagged
                    tp, n_bad = tp + int(flagged[labels].sum()), n_bad + int(labels.sum())
                    fp, n_good = fp + int(flagged[~labels].sum()), n_good + int((~labels).sum())
                row = {
                    "budget": budget,
                    "role": role,
                    "share": share,
                    "tpr": tp / n_bad,
                    "honest_flag": fp / n_good,
                    "trials": args.trials,
                    "options": options,
                    "seconds": round(time.perf_counter() - t0, 1),
                }
                rows.append(row)
                print(
                    f"{budget:5s} {role:16s} share {share:4.2f}  TPR {row['tpr']:.3f}  honest flag {row['honest_flag']:.4f}",
                    flush=True,
                )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
