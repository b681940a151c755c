"""e055, after the run, a screen (development data, seeds 50-55): question sets learned with "learned_ucb" (e055)
and judged by `default_nearest` with the nearest-stack test's ties broken at random (e054's
``candidate.randomised_p_values``) or split in half (the code, "current").

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e055_ucb_question_selection/screen_randomised.py current|randomised [SWAP ...]
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import warnings
from pathlib import Path

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

EXPERIMENTS = Path(__file__).resolve().parent.parent


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"e055_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    mode = sys.argv[1]
    _module(EXPERIMENTS / "e054_learning_detector" / "candidate.py").install(mode)
    measure = _module(EXPERIMENTS / "e053_item1_question_sets" / "measure.py")
    ev.learn_questions = functools.partial(ev.learn_questions, selection="learned_ucb")  # e053's rows learn through it
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
            print(f"{mode} seed {seed} {pairing}: TPR {tpr:.4f} honest {hon:.4f} per set {per}", flush=True)


if __name__ == "__main__":
    main()
