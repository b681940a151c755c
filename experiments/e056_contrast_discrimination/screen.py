"""e056, the screen (development data: seeds 50-55, the seeds of e053 / e055's screens): item 1's
protocol (e053's ``question_set_rows``) with the selector's discrimination score as a contrast
(candidate.py), for the selection ``learned`` or ``learned_ucb``.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e056_contrast_discrimination/screen.py \
    learned|learned_ucb [SWAP ...]
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from candidate import e053_measure, install  # noqa: E402

from gaia_sim import evaluation as ev  # noqa: E402
from gaia_sim.answers import gaia_real  # noqa: E402


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    choice = sys.argv[1]
    install()
    ev.learn_questions = functools.partial(ev.learn_questions, selection=choice)
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
                f"{choice} contrast seed {seed} {pairing}: TPR {tpr:.4f} honest {hon:.4f} per set {per} sets {qs}",
                flush=True,
            )


if __name__ == "__main__":
    main()
