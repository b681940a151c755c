"""e039: would evidence that never falls below 1 (a CUSUM e-detector) convict rare no-KB bursts that
the simulation's lifetime product misses, and at what honest false-conviction rate?

1. Per-epoch node p-values on e038's design (3 KB questions x 3 answers), from e035's
   ``burst_evidence.p_values``: 3 no-KB servers of 30 always cheating, sequential evidence off,
   a small fine and fixed-fraction slashing (no jail: every node is probed every epoch).
2. Monte Carlo over those p-values (mixture calibrator, p floored at 1e-3 as the accumulator does;
   after a conviction the evidence restarts at 1, the default ``after_verdict``):
   - lifetime product: log E_t = log E_{t-1} + log e_t (the simulation's; honest epochs lower it
     below 1, credit against later cheating);
   - CUSUM e-detector: log E_t = max(log E_{t-1}, 0) + log e_t (Shin, Ramdas & Rinaldo 2024,
     "E-detectors", NEJSDS; its statistic is at most the Shiryaev-Roberts one, R_t = e_t (R_{t-1} + 1),
     and R_t - t is a supermartingale for an honest node, so the mean time to a false conviction
     is at least the threshold A: at most 1/A false convictions per honest node-epoch).
   Attackers cheat on each epoch with probability ``share`` (the simulation's independent bursts)
   over 60 epochs: convictions per attacker node-epoch. Honest nodes over 600 epochs: false
   convictions per node-epoch with each node's own observed p-values resampled (keeps persistent
   stack offsets), and with exact uniform p-values.
   Rule (b) of the accumulator (one epoch decisive by BH at alpha / 10) is the same under every
   policy and left out.

Run: PYTHONPATH=. .venv/bin/python experiments/e039_burst_cusum/burst_cusum.py [--seeds 5] [--samples N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e035_edges_red_team"))
from burst_evidence import p_values  # noqa: E402

from gaia_sim.detector.sequential import mixture_calibrator  # noqa: E402

DESIGN = HERE.parent / "e038_provisioned_search" / "recommended.toml"
POLICIES = (("lifetime product", False, 100.0), ("CUSUM", True, 100.0), ("CUSUM", True, 1000.0))
FLOOR = 1e-3


def convictions(log_e: np.ndarray, cusum: bool, threshold: float) -> np.ndarray:
    """Convictions per run (rows) of a sequence of log e-values (columns); restart after each."""
    bal, out, top = np.zeros(log_e.shape[0]), np.zeros(log_e.shape[0]), np.log(threshold)
    for t in range(log_e.shape[1]):
        bal = (np.maximum(bal, 0.0) if cusum else bal) + log_e[:, t]
        hit = bal >= top
        out += hit
        bal[hit] = 0.0
    return out


def log_e(p: np.ndarray) -> np.ndarray:
    return np.log(mixture_calibrator(np.maximum(p, FLOOR)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--samples", type=int, help="answers per question (the design's if not given)")
    args = ap.parse_args()
    nodes: dict = {}
    extra = {"slashing.rule": "fixed_fraction"}
    if args.samples:
        extra["probes.samples_per_question"] = args.samples
    cheat, honest = p_values(args.seeds, design=DESIGN, nodes=nodes, extra=extra)
    print(f"{len(cheat)} no-KB and {len(honest)} honest node-epochs, design {DESIGN.name}, overrides {extra}")
    print(f"smallest p: no-KB {cheat.min():.2e}, honest {honest.min():.2e}")
    decisive = 0.01 / 10 / 30  # rule (b): BH at alpha / 10 among 30 nodes, the first rejection
    print(f"share of no-KB epochs with p <= {decisive:.1e} (rule (b) alone convicts): {np.mean(cheat <= decisive):.3f}")
    print("no-KB p quantiles 10/25/50/75/90%:", np.quantile(cheat, [0.1, 0.25, 0.5, 0.75, 0.9]).round(4))
    print(f"honest p = 1: {np.mean(honest > 0.999):.2f}; honest mean e {np.exp(log_e(honest)).mean():.3f}")
    rng = np.random.default_rng(0)
    le_cheat, le_honest = log_e(cheat), log_e(honest)
    print("\nconvictions per attacker node-epoch over 60 epochs (bursts on a share of epochs, independently)")
    print("share | " + " | ".join(f"{n} at {a:g}" for n, _, a in POLICIES))
    for share in (1.0, 0.5, 0.25, 0.1, 0.05):
        bursts = rng.random((args.runs, 60)) < share
        seq = np.where(bursts, rng.choice(le_cheat, bursts.shape), rng.choice(le_honest, bursts.shape))
        rates = [convictions(seq, c, a).mean() / 60 for _, c, a in POLICIES]
        print(f"{share:5.2f} | " + " | ".join(f"{r:.2e}" for r in rates))
    print("\nhonest false convictions per node-epoch over 600 epochs")
    keys = np.array([seed * 1_000_000 + node for seed, node in nodes["honest"]])
    groups = [le_honest[keys == k] for k in np.unique(keys)]
    pick = rng.integers(len(groups), size=args.runs // 4)
    own = np.stack([rng.choice(groups[g], 600) for g in pick])
    uniform = log_e(rng.random((args.runs // 4, 600)))
    for label, seq in (("own p-values resampled", own), ("uniform p-values", uniform)):
        rates = [convictions(seq, c, a).sum() / seq.size for _, c, a in POLICIES]
        print(f"{label:24s} | " + " | ".join(f"{r:.2e}" for r in rates))


if __name__ == "__main__":
    main()
