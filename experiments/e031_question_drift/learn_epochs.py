"""e031: questions learned on the first 40% of repeats (e012's split) over more validator epochs.

Run: PYTHONPATH=. .venv/bin/python experiments/e031_question_drift/learn_epochs.py EPOCHS PAIRING TRIALS SEED
(PAIRING: index in gaia_sim.evaluation.REAL_PAIRINGS; 1 = Gemma-2-27B as 9B).
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e012_decisions_near_roc"))
from measure import LEARN_SHARE, split  # noqa: E402

from gaia_sim import evaluation as ev  # noqa: E402
from gaia_sim.answers import gaia_real  # noqa: E402

warnings.filterwarnings("ignore", category=RuntimeWarning)
epochs, pair, trials, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
learn, judge = split(ev.real_pools(gaia_real.load_real()), LEARN_SHARE)
rng = np.random.default_rng(seed)
honest, cheat = ev.REAL_PAIRINGS[pair]
spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
t0 = time.perf_counter()
qsets = [ev.learn_questions(learn, spec, 5, epochs, rng) for _ in range(5)]
res = ev.evaluate_learned(judge, spec, {"default": {"detector": "default"}}, trials, rng, qsets, 0.01)
s = res["default"].summary()
print(
    f"epochs {epochs} {cheat} as {honest}: ROC {s['tpr_at_fpr']:.3f} decision {s['cheat_flag_rate']:.3f} honest {s['honest_flag_rate']:.4f} sets {[list(map(int, q)) for q in qsets]} {time.perf_counter() - t0:.0f}s",
    flush=True,
)
