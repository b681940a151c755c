"""e031: why learned questions trail on Gemma-2-27B as 9B (held-out repeats): per-question
separations on the learning and the judging repeats, and the best 5-question sets on the judging
repeats themselves (an oracle: a diagnosis of what the decision rule can do, not a claim).

Run: PYTHONPATH=. .venv/bin/python experiments/e031_question_drift/oracle.py
"""

from __future__ import annotations

import itertools
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e012_decisions_near_roc"))
from measure import LEARN_SHARE, split  # noqa: E402

from gaia_sim import evaluation as ev  # noqa: E402
from gaia_sim.answers import gaia_real  # noqa: E402

DETECTOR = {"default": {"detector": "default"}}


def separation(pools, honest: str, cheat: str, q: int) -> tuple[float, float]:
    """(distance between the two models' mean answers, distance between the honest model's two runs' means)."""
    h, c = np.vstack(pools[honest].emb[q]), np.vstack(pools[cheat].emb[q])
    runs = [r.mean(0) for r in pools[honest].emb[q]]
    return float(np.linalg.norm(h.mean(0) - c.mean(0))), float(np.linalg.norm(runs[0] - runs[1]))


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = split(ev.real_pools(gaia_real.load_real()), LEARN_SHARE)
    honest, cheat = ev.REAL_PAIRINGS[1]  # Gemma-2-27B serving, Gemma-2-9B claimed
    spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
    n = len(judge[honest].emb)
    for name, pools in (("learning repeats", learn), ("judging repeats", judge)):
        s = [separation(pools, honest, cheat, q) for q in range(n)]
        print(f"{name}: question: models apart / honest runs apart")
        print("  " + " ".join(f"{q}:{a:.3f}/{b:.3f}" for q, (a, b) in enumerate(s)))
    s = np.array([separation(judge, honest, cheat, q) for q in range(n)])
    top = np.sort(np.argsort(-(s[:, 0] - s[:, 1]))[:8])
    rng, found = np.random.default_rng(0), []
    for qs in itertools.combinations(top, 5):
        o = ev.evaluate_setting(judge, spec, DETECTOR, 40, rng, 0.01, np.array(qs))["default"].summary()
        found.append((o["tpr_at_fpr"], o["cheat_flag_rate"], tuple(int(q) for q in qs)))
    found.sort(reverse=True)
    print("oracle screen (40 trials per set), best five:", found[:5])
    for qs in [found[0][2], found[1][2], (0, 3, 7, 9, 17)]:
        o = ev.evaluate_setting(judge, spec, DETECTOR, 200, np.random.default_rng(1), 0.01, np.array(qs))[
            "default"
        ].summary()
        print(f"200 trials {qs}: ROC TPR {o['tpr_at_fpr']:.3f} decision TPR {o['cheat_flag_rate']:.3f} "
              f"honest flag rate {o['honest_flag_rate']:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
