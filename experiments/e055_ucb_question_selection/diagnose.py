"""e055, after the run: where Llama-as-9B's honest excess under "learned_ucb" lands. The same seeds'
learned sets (98-109) are replayed with each honest node's run recorded (e053's ``diagnose.replay``):
once as in the run (honest nodes from both runs of Gemma-2-9B), and once with every honest node from
run 1 (no thin run-0 block beside it; other answer draws).

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e055_ucb_question_selection/diagnose.py
"""

from __future__ import annotations

import functools
import warnings

from screen_randomised import EXPERIMENTS, _module

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

PAIRING = "llama-3-1-8b as gemma-2-9b"


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    diagnose = _module(EXPERIMENTS / "e053_item1_question_sets" / "diagnose.py")
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    for selection in ("learned_ucb", "learned"):
        ev.learn_questions = functools.partial(LEARN, selection=selection)
        for honest_runs in ((0, 1), (1,)):
            total = {0: [0, 0], 1: [0, 0]}
            for seed in range(98, 110):
                cell = {"epochs": 20, "seed": seed, "pairing": PAIRING, "set": "all"}
                for run, (n, f) in diagnose.replay(judge, learn, cell, honest_runs).items():
                    total[run] = [total[run][0] + n, total[run][1] + f]
            print(
                f"{selection}, honest runs {honest_runs}: "
                + "; ".join(f"run {r}: {f} flagged of {n} ({f / max(n, 1):.4f})" for r, (n, f) in total.items()),
                flush=True,
            )


LEARN = ev.learn_questions

if __name__ == "__main__":
    main()
