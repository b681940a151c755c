"""e042, part 4: the same design with every node drawn from ONE run of its model (no honest
variation between runs): is 27B-as-9B hard because the two Gemmas are close, or because honest
nodes of the two runs of Gemma-2-9B differ as much as the Gemmas do?

Shipped detector; e012's split (learn on the first 40% of the run's repeats, judge on the rest);
30 nodes, 3 cheaters, 5 questions x 5 answers, 200 verdicts per swap, seed 0.

Run: PYTHONPATH=. .venv/bin/python experiments/e042_count_null_masking/one_run.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess


def measure(runs: tuple[str, ...], trials: int, seed: int) -> list[dict]:
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real(runs=runs)), 0.4)
    blocks = tuple(range(len(runs)))
    rows = []
    for honest, cheat in ev.REAL_PAIRINGS:
        rng = np.random.default_rng(seed)
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, blocks, blocks)
        qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
        out = ev.Outcome()
        for i in range(trials):
            x, labels, _ = ev.make_trial(judge, spec, rng, questions=qsets[i % len(qsets)])
            out.add(assess(x, alpha=0.01), labels)
        s = out.summary()
        rows.append({"runs": list(runs), "pairing": f"{cheat} as {honest}", **s})
        print(
            f"{'+'.join(runs):21s} {cheat:13s} as {honest:12s} ROC TPR@1% {s['tpr_at_fpr']:.3f}  decision TPR "
            f"{s['cheat_flag_rate']:.3f}  honest flag rate {s['honest_flag_rate']:.4f}",
            flush=True,
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    rows = []
    for runs in (("2025-03-19",), ("2025-03-26",), gaia_real.DEFAULT_RUNS):
        rows += measure(runs, args.trials, args.seed)
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
