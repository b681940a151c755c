"""e066: diluted cheaters and honest nodes under the lifetime evidence over 200 epochs (hypotheses:
hypothesis.md). e017's / e046's design (one domain of 30 nodes on the shipped bank's honest stacks,
3 cheaters, 5 fresh questions x 3 answers per epoch, the default detector, the simulation's
sequential evidence at the schema's defaults), with each epoch's verdicts kept, so that the share
convicted can be read at every horizon.

Run: PYTHONPATH=. .venv/bin/python experiments/e066_diluted_long_horizon/measure.py \
    [--cells none:0,lazy_refusal:0.1,cheaper_model:0.1,cheaper_model:0.25] [--trials 100] \
    [--epochs 200] [--seed 225] [--out FILE]
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
from gaia_sim.detector.sequential import EvidenceAccumulator, decisive_this_epoch
from gaia_sim.epoch.state import new_evidence
from gaia_sim.evaluation import bank_pools, diluted_node
from gaia_sim.scenario import Scenario

NODES, CHEATERS, QUESTIONS, SAMPLES = 30, 3, 5, 3
HORIZONS = (25, 50, 100, 150, 200)


def upper95(k: int, n: int) -> float:
    """Clopper-Pearson one-sided 95% upper bound of a rate seen k times in n."""
    return float(stats.beta.ppf(0.95, k + 1, n - k)) if k < n else 1.0


def domain(pools, role: str, share: float, epochs: int, rng, scenario, epoch_alpha=None) -> tuple:
    """One domain judged ``epochs`` times (e017's loop): its labels (N,), verdicts (epochs, N),
    each node's run block (N,) of the bank's honest pool (its stack), and (epochs, N) whether the
    per-epoch rule (b) alone would have convicted (BH at epoch_alpha over this epoch's p-values;
    exploratory, added after the first run: it draws no random numbers, so the verdicts are the same)."""
    honest, cheat = pools["honest"], pools[role]
    labels = np.zeros(NODES, bool)
    labels[rng.choice(NODES, CHEATERS, replace=False)] = True
    runs = rng.integers(0, honest.n_runs(), size=NODES)
    evidence = new_evidence(scenario)
    if epoch_alpha is not None:  # the exploratory arm: the schema's accumulator with another per-epoch level
        evidence = EvidenceAccumulator(alpha=evidence.alpha, memory=evidence.memory, epoch_alpha=epoch_alpha)
    verdicts, rule_b = np.zeros((epochs, NODES), bool), np.zeros((epochs, NODES), bool)
    for t in range(epochs):
        qs = np.sort(rng.choice(len(honest.emb), size=QUESTIONS, replace=False))
        x = np.stack(
            [
                diluted_node(honest, cheat, qs, SAMPLES, share if bad else 0.0, rng, int(r))
                for bad, r in zip(labels, runs)
            ]
        )
        result = assess(x, alpha=scenario.detector.alpha, seed=int(rng.integers(2**31)))
        verdicts[t] = evidence.update(range(NODES), result.p_value)
        rule_b[t] = decisive_this_epoch(result.p_value, evidence.epoch_alpha)
        evidence.reset(np.flatnonzero(verdicts[t]))  # restart after a verdict (the schema default)
    return labels, verdicts, runs, rule_b


def by_run(labels: np.ndarray, verdicts: np.ndarray, runs: np.ndarray) -> dict:
    """Exploratory (after the run): cheaters convicted within the horizon, by the run block (honest
    stack) they sit on, and honest false convictions per node by run block."""
    convicted = verdicts.any(1)  # (trials, N)
    out = {}
    for r in np.unique(runs):
        cheat, honest = labels & (runs == r), ~labels & (runs == r)
        out[int(r)] = {
            "cheaters": int(cheat.sum()),
            "convicted": float(convicted[cheat].mean()) if cheat.any() else None,
            "honest_nodes": int(honest.sum()),
            "honest_false_per_node": float(verdicts.sum(1)[honest].mean()) if honest.any() else None,
        }
    return out


def summarise(role: str, share: float, labels: np.ndarray, verdicts: np.ndarray, seconds: float) -> dict:
    """``labels`` (trials, N), ``verdicts`` (trials, epochs, N)."""
    epochs = verdicts.shape[1]
    ever = verdicts.cumsum(1) > 0  # (trials, epochs, N): convicted by the end of each epoch
    cheat, honest = labels, ~labels
    n_honest = int(honest.sum())
    false = verdicts.transpose(0, 2, 1)[honest]  # (honest nodes, epochs)
    half = epochs // 2
    row = {
        "role": role,
        "share": share,
        "trials": len(labels),
        "epochs": epochs,
        "honest_nodes": n_honest,
        "honest_false": int(false.sum()),
        "honest_false_per_node": float(false.sum() / n_honest),
        "honest_false_per_node_epoch": float(false.sum() / false.size),
        "honest_false_upper95": upper95(int(false.sum()), false.size),
        "honest_ever_convicted": float(false.any(1).mean()),
        "honest_false_first_half": int(false[:, :half].sum()),
        "honest_false_second_half": int(false[:, half:].sum()),
        "honest_ever_by_epoch": ever.transpose(0, 2, 1)[honest].mean(0).tolist(),
        "seconds": round(seconds, 1),
    }
    if share > 0:
        first = np.where(verdicts.transpose(0, 2, 1)[cheat].any(1), verdicts.transpose(0, 2, 1)[cheat].argmax(1), -1)
        row |= {
            "cheaters": int(cheat.sum()),
            "convicted_within": {h: float(((first >= 0) & (first < h)).mean()) for h in HORIZONS if h <= epochs},
            "median_first_epoch": float(np.median(first[first >= 0]) + 1) if (first >= 0).any() else None,
            "cheater_convictions_per_epoch": float(verdicts.transpose(0, 2, 1)[cheat].mean()),
            "cheater_convicted_by_epoch": ever.transpose(0, 2, 1)[cheat].mean(0).tolist(),
        }
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="none:0,lazy_refusal:0.1,cheaper_model:0.1,cheaper_model:0.25")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=225)
    ap.add_argument(
        "--epoch-alpha", type=float, help="exploratory arm (after the run): rule (b)'s level instead of alpha / 10"
    )
    ap.add_argument("--out")
    args = ap.parse_args()
    pools, _, _ = bank_pools(load_default_bank())
    scenario = Scenario()
    rows = []
    for cell in args.cells.split(","):
        role, share = cell.split(":")[0], float(cell.split(":")[1])
        rng = np.random.default_rng([args.seed, int(share * 1000), len(role)])
        t0 = time.perf_counter()
        runs = [
            domain(
                pools, "cheaper_model" if role == "none" else role, share, args.epochs, rng, scenario, args.epoch_alpha
            )
            for _ in range(args.trials)
        ]
        labels, verdicts, blocks, rule_b = (np.stack([r[i] for r in runs]) for i in range(4))
        rows.append(summarise(role, share, labels, verdicts, time.perf_counter() - t0))
        honest_b = (verdicts & rule_b).transpose(0, 2, 1)[~labels]
        rows[-1]["honest_false_by_rule"] = {
            "b_epoch": int(honest_b.sum()),
            "a_balance_only": rows[-1]["honest_false"] - int(honest_b.sum()),
        }
        rows[-1]["by_run_block"] = by_run(labels, verdicts, blocks)
        r = rows[-1]
        print(
            f"{role:14s} share {share:4.2f}: convicted within {r.get('convicted_within')}, median first "
            f"{r.get('median_first_epoch')}; honest false {r['honest_false']} in {r['honest_nodes']} nodes x "
            f"{args.epochs} epochs = {r['honest_false_per_node']:.4f} per node (ever {r['honest_ever_convicted']:.4f}), "
            f"{r['honest_false_per_node_epoch']:.2e} per node-epoch (95% upper {r['honest_false_upper95']:.2e}); "
            f"halves {r['honest_false_first_half']} / {r['honest_false_second_half']} [{r['seconds']} s]",
            flush=True,
        )
        print("  by run block:", json.dumps(rows[-1]["by_run_block"]), flush=True)
        print("  honest false by rule:", json.dumps(rows[-1]["honest_false_by_rule"]), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
