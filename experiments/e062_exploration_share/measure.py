"""e062: item 1's protocol judged as a simulated validator judges, at ``probes.exploration`` 0.2 and 0.

A simulated validator asks ``QuestionSelector.choose(5)`` every epoch and judges on all 5: at the
default exploration share (0.2) 4 by the selector's index and 1 at random (e060's ``choose``), at
``probes.exploration = 0`` all 5 by the index (for ``learned_ucb_contrast`` an upper confidence
bound, which explores by itself). Arms (``learned_ucb_contrast``, 20 learning epochs, e053's
learning draws, ``default_nearest`` at alpha 0.01, item 1's protocol otherwise):

- ``mean5``: selectors learned at 0.2, judged on their top 5 by mean (``gaia-sim evaluate``'s rows);
- ``choose``: the same selectors, judged on ``choose(5)`` drawn anew per verdict (learning frozen);
- ``mean5_e0``: selectors learned at exploration 0, judged on their top 5 by mean;
- ``choose_e0``: the same selectors, judged on ``choose(5)`` at exploration 0.

``mean5`` and ``choose`` draw as e060's arms of those names (same learning rng, same arm rngs), so on
e060's seeds they reproduce its rows.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e062_exploration_share/measure.py --seeds 50,...,57 --out FILE.json
"""

from __future__ import annotations

import argparse
import json
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

SELECTION = "learned_ucb_contrast"
#: arm -> (exploration its selectors learned at, how it judges, its arm-rng index: e060's for mean5 and choose)
ARMS = {
    "mean5": (0.2, "mean", 0),
    "choose": (0.2, "choose", 1),
    "mean5_e0": (0.0, "mean", 4),
    "choose_e0": (0.0, "choose", 5),
}


def judged(selector, how: str, rng) -> np.ndarray:
    """The questions a verdict is judged on: the top 5 by running mean, or ``choose(5)``."""
    if how == "mean":
        return selector.best(5)
    return selector.choose(5, rng)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(50, 58)))
    ap.add_argument("--swaps", default="0,1,3", help="indices into evaluation.REAL_PAIRINGS")
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    m = e053_measure()
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    arms = [a for a in ARMS if a in args.arms.split(",")]
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for i in (int(s) for s in args.swaps.split(",")):
            honest, cheat = ev.REAL_PAIRINGS[i]
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            selectors = {}
            for explore, rng in ((0.2, np.random.default_rng(seed)), (0.0, np.random.default_rng([seed, 62]))):
                selectors[explore] = [
                    ev.learn_selector(learn, spec, 20, rng, selection=SELECTION, explore=explore) for _ in range(m.SETS)
                ]
            row = {"seed": seed, "pairing": f"{cheat} as {honest}"}
            for arm in arms:
                explore, how, a = ARMS[arm]
                arm_rng = np.random.default_rng([seed, i, a])
                tally = dict.fromkeys(("cheaters", "caught", "honest", "flagged"), 0)
                for selector in selectors[explore]:
                    for _ in range(m.TRIALS):
                        x, labels, _ = ev.make_trial(judge, spec, arm_rng, judged(selector, how, arm_rng))
                        v = assess(x, alpha=m.ALPHA, detector="default_nearest")
                        tally["cheaters"] += int(labels.sum())
                        tally["caught"] += int(v.flagged[labels].sum())
                        tally["honest"] += int((~labels).sum())
                        tally["flagged"] += int((v.flagged & ~labels).sum())
                row[arm] = tally
            out.append(row)
            rates = (f"{r['caught'] / r['cheaters']:.4f}/{r['flagged'] / r['honest']:.4f}" for r in map(row.get, arms))
            print(
                f"seed {seed} {cheat} as {honest}: "
                + "  ".join(f"{arm} {r}" for arm, r in zip(arms, rates))
                + f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            Path(args.out).write_text(json.dumps({"rows": out}, indent=1))


if __name__ == "__main__":
    main()
