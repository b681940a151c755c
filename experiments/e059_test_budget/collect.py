"""e059: each test's p-values in item 1's protocol (e053 / e056: 30 nodes, 3 cheaters, 5 learned
questions x 5 answers, `--holdout 0.4`, five learned sets of 40 verdicts per seed and swap, 20
learning epochs, ``learned_ucb_contrast``), judged by ``default_nearest``: for every verdict, the
node's p-value of each test (nearest stack, location, dispersion, share) and whether it cheats, so
that decision rules over the four tests can be compared on the same verdicts.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e059_test_budget/collect.py --seeds 50,...,61 --out FILE.npz
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e056_contrast_discrimination"))

from candidate import e053_measure  # noqa: E402

from gaia_sim import evaluation as ev  # noqa: E402
from gaia_sim.answers import gaia_real  # noqa: E402
from gaia_sim.detector import assess  # noqa: E402

TESTS = ("p_nearest_stack", "p_location", "p_dispersion", "p_share")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(50, 62)))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    measure = e053_measure()
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows, t0 = [], time.perf_counter()  # (seed, swap, set, trial, node, cheater, flagged, p x 4, p)
    for seed in (int(s) for s in args.seeds.split(",")):
        for swap, (honest, cheat) in enumerate(ev.REAL_PAIRINGS):
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            rng = np.random.default_rng(seed)  # e053's draws, in its order
            qsets = [
                ev.learn_questions(learn, spec, 5, 20, rng, selection="learned_ucb_contrast")
                for _ in range(measure.SETS)
            ]
            for k, qs in enumerate(qsets):
                for t in range(measure.TRIALS):
                    x, labels, _ = ev.make_trial(judge, spec, rng, qs)
                    a = assess(x, alpha=measure.ALPHA, detector="default_nearest")
                    ps = np.column_stack([a.details[name] for name in TESTS] + [a.p_value])
                    for node in range(len(labels)):
                        rows.append((seed, swap, k, t, node, labels[node], a.flagged[node], *ps[node]))
            print(f"seed {seed} {cheat} as {honest}: {time.perf_counter() - t0:.0f} s", flush=True)
        np.save(args.out, np.array(rows, dtype=np.float64))


if __name__ == "__main__":
    main()
