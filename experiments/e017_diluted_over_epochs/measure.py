"""e017: do diluted cheaters (a share of answers from a cheaper configuration) get convicted over
epochs by the simulation's sequential evidence, and at what cost to honest nodes?

Per trial, one domain of 30 nodes (3 cheaters), each node on a fixed honest stack of the shipped
bank, judged for ``--epochs`` epochs: each epoch fresh questions (5 of the bank's) and fresh answers
(3 each; a cheater's answer comes from the cheating role with probability ``share``), the default
detector (alpha 0.01, fresh seed), and the simulation's sequential evidence
(``gaia_sim.epoch.state.new_evidence``: EvidenceAccumulator at alpha, restart after a verdict, the
schema's default ``detector.after_verdict``).

Run: PYTHONPATH=. .venv/bin/python experiments/e017_diluted_over_epochs/measure.py [--trials 40]
    [--epochs 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import stats

from gaia_sim.answers.bank import load_default_bank
from gaia_sim.detector import assess
from gaia_sim.epoch.state import new_evidence
from gaia_sim.evaluation import bank_pools, diluted_node
from gaia_sim.scenario import Scenario

NODES, CHEATERS, QUESTIONS, SAMPLES = 30, 3, 5, 3


def upper95(k: int, n: int) -> float:
    """Clopper-Pearson one-sided 95% upper bound of a rate seen k times in n."""
    return float(stats.beta.ppf(0.95, k + 1, n - k)) if k < n else 1.0


def domain(pools, role: str, share: float, epochs: int, rng, scenario) -> dict:
    """One domain judged ``epochs`` times: first conviction epoch per cheater (or -1), counts."""
    honest, cheat = pools["honest"], pools[role]
    labels = np.zeros(NODES, bool)
    labels[rng.choice(NODES, CHEATERS, replace=False)] = True
    runs = rng.integers(0, honest.n_runs(), size=NODES)
    evidence = new_evidence(scenario)
    first = np.full(NODES, -1)
    verdicts = single = np.zeros(NODES, int)
    for t in range(epochs):
        qs = np.sort(rng.choice(len(honest.emb), size=QUESTIONS, replace=False))
        x = np.stack(
            [
                diluted_node(honest, cheat, qs, SAMPLES, share if bad else 0.0, rng, int(r))
                for bad, r in zip(labels, runs)
            ]
        )
        result = assess(x, alpha=scenario.detector.alpha, seed=int(rng.integers(2**31)))
        flags = evidence.update(range(NODES), result.p_value)
        evidence.reset(np.flatnonzero(flags))  # restart after a verdict (the schema default)
        verdicts, single = verdicts + flags, single + result.flagged
        first = np.where((first < 0) & flags, t, first)
    return {"labels": labels, "first": first, "verdicts": verdicts, "single": single}


def summarise(role: str, share: float, trials: list[dict], epochs: int, seconds: float) -> dict:
    labels = np.concatenate([d["labels"] for d in trials])
    first = np.concatenate([d["first"] for d in trials])
    verdicts = np.concatenate([d["verdicts"] for d in trials])
    single = np.concatenate([d["single"] for d in trials])
    caught = first[labels] >= 0
    honest_false, honest_ne = int(verdicts[~labels].sum()), int((~labels).sum()) * epochs
    return {
        "role": role,
        "share": share,
        "trials": len(trials),
        "epochs": epochs,
        "cheaters": int(labels.sum()),
        "convicted_within_epochs": float(caught.mean()) if share > 0 else None,
        "median_first_epoch": float(np.median(first[labels][caught]) + 1) if caught.any() and share > 0 else None,
        "verdicts_per_cheater_epoch": float(verdicts[labels].mean() / epochs) if share > 0 else None,
        "single_epoch_flag_rate_cheaters": float(single[labels].mean() / epochs) if share > 0 else None,
        "honest_false_per_node_epoch": honest_false / honest_ne,
        "honest_false_upper95": upper95(honest_false, honest_ne),
        "honest_false": honest_false,
        "honest_node_epochs": honest_ne,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--roles", default="lazy_refusal,cheaper_model")
    ap.add_argument("--shares", default="0.1,0.25,0.5")
    ap.add_argument("--out")
    args = ap.parse_args()
    pools, _, _ = bank_pools(load_default_bank())
    scenario = Scenario()
    cells = [("none", 0.0)] + [(r, float(s)) for r in args.roles.split(",") for s in args.shares.split(",")]
    rows = []
    for role, share in cells:
        rng = np.random.default_rng([args.seed, int(share * 1000), len(role)])
        t0 = time.perf_counter()
        pool_role = args.roles.split(",")[0] if role == "none" else role
        trials = [domain(pools, pool_role, share, args.epochs, rng, scenario) for _ in range(args.trials)]
        rows.append(summarise(role, share, trials, args.epochs, time.perf_counter() - t0))
        r = rows[-1]
        print(
            f"{role:14s} share {share:4.2f}: convicted within {args.epochs} epochs {r['convicted_within_epochs']}, "
            f"median first {r['median_first_epoch']}, per cheater-epoch {r['verdicts_per_cheater_epoch']}, "
            f"single-epoch flags {r['single_epoch_flag_rate_cheaters']}; honest false "
            f"{r['honest_false']}/{r['honest_node_epochs']} (95% upper {r['honest_false_upper95']:.2e}) "
            f"[{r['seconds']} s]",
            flush=True,
        )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
