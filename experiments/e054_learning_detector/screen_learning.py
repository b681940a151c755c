"""e054, second screen (development data): the validators' question sets learned from the verdicts of
the detector that judges (`default_nearest`, as the simulation's selector learns from the scenario's
detector) instead of the default's (e049/e053's protocol); every swap at seeds 50-55, 20 learning
epochs, judged by `default_nearest` as in e053.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e054_learning_detector/screen_learning.py default|default_nearest
"""

from __future__ import annotations

import functools
import sys
import warnings

from screen import E053, _module

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learner = sys.argv[1]
    measure = _module(E053 / "measure.py")
    ev.learn_questions = functools.partial(ev.learn_questions, detector=learner)  # e053's rows learn through it
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    for honest, cheat in ev.REAL_PAIRINGS:
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        for seed in range(50, 56):
            sets = measure.question_set_rows(judge, learn, spec, seed, 20)
            tpr = sum(r["caught"] for r in sets) / sum(r["cheaters"] for r in sets)
            hon = sum(r["flagged"] for r in sets) / sum(r["honest"] for r in sets)
            per = " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in sets)
            print(learner, seed, f"{cheat} as {honest}: TPR {tpr:.4f} honest {hon:.4f} per set {per}", flush=True)


if __name__ == "__main__":
    main()
