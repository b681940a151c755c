"""e042, part 5: a lead, not a rule. Does a *nearest-stack* statistic separate 27B-as-9B when honest
nodes come from two runs, and is its naive calibration valid?

Statistic (per node): the mean, over its k = ceil(N / 3) nearest other nodes, of the squared
distance between the two nodes' mean answers, summed over questions (each question's squared
distances divided by their median over node pairs). An honest node of one run sits among the
nodes of its run; a cheater is far from every run. k = N / 3 keeps a colluding group smaller than
a third from being its own neighbourhood. Naive calibration: the log statistic's robust z over
all nodes (median, MAD), referred to the detector's pivot table (gaia_sim.detector.calibration).
Added to the shipped detector's three tests under Bonferroni (4 tests).

Part 1: e012's design on the real runs (200 verdicts per swap, seed 0). Part 2: synthetic
all-honest domains with stack offsets (tests/test_detector_synth.network, 120 domains).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e042_count_null_masking/nearest_stack.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
from test_detector_synth import network

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess, calibration
from gaia_sim.detector._common import summarize


def nearest_stack_p(x: np.ndarray) -> np.ndarray:
    mean = summarize(x).mean
    n = len(mean)
    total = np.zeros((n, n))
    upper = np.triu_indices(n, 1)
    for q in range(mean.shape[1]):
        m = np.nan_to_num(mean[:, q])
        sq = (m * m).sum(1)
        d = np.maximum(sq[:, None] + sq[None] - 2.0 * m @ m.T, 0.0)
        total += d / (np.median(d[upper]) + 1e-12)
    np.fill_diagonal(total, np.inf)
    stat = np.log(np.sort(total, axis=1)[:, : int(np.ceil(n / 3))].mean(1))
    med = np.median(stat)
    z = (stat - med) / max(1.4826 * np.median(np.abs(stat - med)), 1e-9)
    return calibration.upper_p(z, n, 0)


def with_nearest_stack(a, p_stack: np.ndarray) -> np.ndarray:
    tests = np.vstack([a.details["p_location"], a.details["p_dispersion"], a.details["p_share"], p_stack])
    k = (~np.isnan(tests)).sum(0)
    return np.minimum(1.0, k * np.nanmin(np.where(np.isnan(tests), np.inf, tests), axis=0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--domains", type=int, default=120)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    real, synthetic = [], []
    for honest, cheat in ev.REAL_PAIRINGS:
        rng = np.random.default_rng(0)
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
        h = c = nh = nc = sh = sc = 0
        for i in range(args.trials):
            x, labels, _ = ev.make_trial(judge, spec, rng, questions=qsets[i % len(qsets)])
            a = assess(x, alpha=0.01)
            p_stack = nearest_stack_p(x)
            p = with_nearest_stack(a, p_stack)
            h, c = h + int((p[~labels] <= 0.01).sum()), c + int((p[labels] <= 0.01).sum())
            sh, sc = sh + int((p_stack[~labels] <= 0.0025).sum()), sc + int((p_stack[labels] <= 0.0025).sum())
            nh, nc = nh + int((~labels).sum()), nc + int(labels.sum())
        row = {
            "pairing": f"{cheat} as {honest}",
            "decision_tpr": c / nc,
            "honest_flag_rate": h / nh,
            "statistic_alone_cheaters": sc / nc,
            "statistic_alone_honest": sh / nh,
        }
        real.append(row)
        print(
            f"{row['pairing']:28s} shipped + nearest stack: decision TPR {row['decision_tpr']:.3f}, honest flag "
            f"rate {row['honest_flag_rate']:.4f} | nearest stack alone at 0.0025: cheaters "
            f"{row['statistic_alone_cheaters']:.3f}, honest {row['statistic_alone_honest']:.4f}",
            flush=True,
        )
    for stack in (0.0, 0.3, 0.6):
        rng = np.random.default_rng(21)
        whole, alone = [], []
        for d in range(args.domains):
            x, _ = network(rng, nodes=30, questions=10, samples=5, stack=stack)
            p_stack = nearest_stack_p(x)
            whole.append(with_nearest_stack(assess(x, alpha=0.01, seed=d), p_stack))
            alone.append(p_stack)
        row = {
            "stack": stack,
            "whole_rate": float(np.mean(np.concatenate(whole) <= 0.01)),
            "alone_rate": float(np.mean(np.concatenate(alone) <= 0.01)),
        }
        synthetic.append(row)
        print(
            f"all honest, stack {stack:.1f}: shipped + nearest stack {row['whole_rate']:.4f}, nearest stack alone "
            f"{row['alone_rate']:.4f} of honest nodes at p <= 0.01",
            flush=True,
        )
    if args.out:
        Path(args.out).write_text(json.dumps({"real": real, "synthetic": synthetic}, indent=1))


if __name__ == "__main__":
    main()
