"""e055, the screen (development data: seeds 50-55, where e053's rows are the bonus-0 arm): item 1's
protocol (e053's ``question_set_rows``, 20 learning epochs, judged by `default_nearest`) with the
question selector's upper-confidence bonus at ``BONUS`` (0: "learned", the selector before e055, bit for
bit; 1: "learned_ucb"). Written with the bonus patched into the selector class; since the choice is
``evaluation.learn_questions(selection=...)``, which gives the same numbers.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e055_ucb_question_selection/screen.py BONUS [SWAP ...]
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import warnings
from pathlib import Path

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

E053 = Path(__file__).resolve().parent.parent / "e053_item1_question_sets"


def e053_measure():
    spec = importlib.util.spec_from_file_location("e053_measure", E053 / "measure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    bonus = float(sys.argv[1])
    choice = {0.0: "learned", 1.0: "learned_ucb"}[bonus]
    ev.learn_questions = functools.partial(ev.learn_questions, selection=choice)  # e053's rows learn through it
    measure = e053_measure()
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    swaps = sys.argv[2:] or [f"{c} as {h}" for h, c in ev.REAL_PAIRINGS]
    for pairing in swaps:
        cheat, honest = pairing.split(" as ")
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        for seed in range(50, 56):
            sets = measure.question_set_rows(judge, learn, spec, seed, 20)
            tpr = sum(r["caught"] for r in sets) / sum(r["cheaters"] for r in sets)
            hon = sum(r["flagged"] for r in sets) / sum(r["honest"] for r in sets)
            per = " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in sets)
            qs = " ".join("-".join(str(q) for q in r["questions"]) for r in sets)
            print(
                f"bonus {bonus} seed {seed} {pairing}: TPR {tpr:.4f} honest {hon:.4f} per set {per} sets {qs}",
                flush=True,
            )


if __name__ == "__main__":
    main()
