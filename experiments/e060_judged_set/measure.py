"""e060: item 1's figures judged on the questions a simulated validator actually asks.

`gaia-sim evaluate` (item 1's protocol, ``evaluation.learn_questions``) judges on the 5 questions the
learned selector ranks highest by its running mean. In the simulation a validator asks
``QuestionSelector.choose(5)`` every epoch: 4 greedy by its ranking index (UCB for
``learned_ucb_contrast``) and 1 drawn at random (20% exploration), all 5 judged with equal weight.
Arms, on the same learned selectors (e053's learning draws, ``learned_ucb_contrast``, 20 epochs):

- ``mean5``: evaluate's set (top 5 by mean), as e056;
- ``choose``: the simulation's, ``selector.choose(5, rng)`` drawn anew for every verdict (learning frozen);
- ``choose_w0``: the same questions, the exploring one asked but given weight 0 in the verdict;
- ``mean4_w0``: the top 4 by mean judged (weight 1) and one other question, drawn at random, asked
  at weight 0 (what a validator that judges on its best estimates and keeps exploring would ask).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e060_judged_set/measure.py --seeds 50,...,57 --out FILE.json
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
from gaia_sim.detector import QuestionSelector, assess  # noqa: E402

SELECTION = "learned_ucb_contrast"
ARMS = ("mean5", "choose", "choose_w0", "mean4_w0")


def learned_selector(pools, spec, epochs, rng) -> QuestionSelector:
    """``evaluation.learn_questions``'s learning loop (same draws), returning the selector itself."""
    selector = QuestionSelector.for_choice(SELECTION, len(pools[spec.honest].emb), explore=0.2)
    for _ in range(epochs):
        qs = selector.choose(spec.questions, rng)
        x, _, _ = ev.make_trial(pools, spec, rng, questions=qs)
        selector.update(qs, assess(x, detector="default"))
    return selector


def judged(selector, arm, rng) -> tuple[np.ndarray, np.ndarray | None]:
    """(questions, weights or None) a verdict of ``arm`` is judged on."""
    if arm == "mean5":
        return selector.best(5), None
    if arm == "mean4_w0":
        top = selector.best(4)
        extra = rng.choice(np.setdiff1d(np.arange(selector.n_questions), top))
        qs = np.sort(np.append(top, extra))
        return qs, np.isin(qs, top).astype(float)
    qs = selector.choose(5, rng)
    if arm == "choose":
        return qs, None
    greedy = np.lexsort((rng.random(selector.n_questions), -selector.index))[:4]  # what choose() ranked first
    return qs, np.isin(qs, greedy).astype(float)


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
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for i in (int(s) for s in args.swaps.split(",")):
            honest, cheat = ev.REAL_PAIRINGS[i]
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            rng = np.random.default_rng(seed)
            selectors = [learned_selector(learn, spec, 20, rng) for _ in range(m.SETS)]
            row = {"seed": seed, "pairing": f"{cheat} as {honest}"}
            for a, arm in enumerate(ARMS):
                if arm not in args.arms.split(","):
                    continue
                arm_rng = np.random.default_rng([seed, i, a])
                tally = dict.fromkeys(("cheaters", "caught", "honest", "flagged"), 0)
                for selector in selectors:
                    for _ in range(m.TRIALS):
                        qs, w = judged(selector, arm, arm_rng)
                        x, labels, _ = ev.make_trial(judge, spec, arm_rng, qs)
                        v = assess(x, alpha=m.ALPHA, detector="default_nearest", weights=w)
                        tally["cheaters"] += int(labels.sum())
                        tally["caught"] += int(v.flagged[labels].sum())
                        tally["honest"] += int((~labels).sum())
                        tally["flagged"] += int((v.flagged & ~labels).sum())
                row[arm] = tally
            out.append(row)
            print(
                f"seed {seed} {cheat} as {honest}: "
                + "  ".join(
                    f"{arm} {row[arm]['caught'] / row[arm]['cheaters']:.4f}/{row[arm]['flagged'] / row[arm]['honest']:.4f}"
                    for arm in ARMS
                    if arm in row
                )
                + f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            Path(args.out).write_text(json.dumps({"rows": out}, indent=1))


if __name__ == "__main__":
    main()
