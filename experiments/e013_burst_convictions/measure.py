"""e013: convictions of a node that cheats 1 epoch in k under the sequential conviction policy,
restart after a verdict (before) against spending the evidence a verdict used (after).

Run: PYTHONPATH=. .venv/bin/python experiments/e013_burst_convictions/measure.py [--epochs 600] [--out FILE]
Synthetic p-values: 30 nodes of one domain, node 0 cheats in epochs t = 0 mod k with p-value
``p_cheat`` (1e-8: blatant, decisive alone; 1e-3 and 1e-2: evidence that must add up), uniform
p-values otherwise (and for the 29 honest nodes), alpha 0.01, the simulation's default accumulator.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gaia_sim.detector import EvidenceAccumulator

KS = (1, 2, 3, 4, 6, 10)
P_CHEAT = (1e-8, 1e-3, 1e-2)


def convictions(k: int, p_cheat: float, epochs: int, policy: str, seed: int, nodes: int = 30) -> tuple[float, float]:
    """(convictions per cheating epoch of node 0, false convictions per honest node-epoch)."""
    rng = np.random.default_rng([seed, k, int(-np.log10(p_cheat))])
    acc = EvidenceAccumulator(alpha=0.01)
    caught = np.zeros(epochs, dtype=bool)
    false = 0
    for t in range(epochs):
        p = rng.uniform(size=nodes)
        if t % k == 0:
            p[0] = p_cheat
        flags = acc.update(range(nodes), p)
        caught[t] = flags[0]
        false += int(flags[1:].sum())
        (acc.reset if policy == "restart" else acc.convict)(np.flatnonzero(flags))
    return float(caught[np.arange(epochs) % k == 0].mean()), false / (epochs * (nodes - 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    rows = []
    for p_cheat in P_CHEAT:
        for k in KS:
            row = {"p_cheat": p_cheat, "k": k}
            for policy in ("restart", "spend"):
                row[policy], row[f"honest_{policy}"] = convictions(k, p_cheat, args.epochs, policy, args.seed)
            rows.append(row)
            print(
                f"p_cheat {p_cheat:g} k {k:2d}: convicted per cheating epoch restart {row['restart']:.3f} "
                f"spend {row['spend']:.3f}; honest per node-epoch {row['honest_restart']:.4f} / {row['honest_spend']:.4f}",
                flush=True,
            )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
