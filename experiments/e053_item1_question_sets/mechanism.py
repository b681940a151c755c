"""e053, after the run: why run 1's honest nodes are flagged beside run 0's. On the first four
question sets above 0.02, each honest node's normal score of the nearest-stack test (before the
empirical null) by run block, and for run 1's nodes the share of run-0 nodes among their
neighbours (neighbourhoods over the honest nodes, :func:`gaia_sim.detector.nearest.neighbourhoods`).

Run: PYTHONPATH=. .venv/bin/python experiments/e053_item1_question_sets/mechanism.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess
from gaia_sim.detector import default as dd
from gaia_sim.detector._common import summarize
from gaia_sim.detector.nearest import neighbourhoods

HERE = Path(__file__).resolve().parent


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    captured, runs, null, draw = [], [], dd.empirical_null_p, ev.draw_node

    def capture(p, *args, **kwargs):
        if sys._getframe(1).f_code.co_name == "nearest_stack_p":
            captured.append(p.copy())
        return null(p, *args, **kwargs)

    def recorded(pool, questions, samples, rng, run):
        runs.append(run)
        return draw(pool, questions, samples, rng, run)

    dd.empirical_null_p, ev.draw_node = capture, recorded
    rows = json.loads((HERE / "result.json").read_text())["rows"]
    cells = [(c, s["set"]) for c in rows for s in c["sets"] if s["flagged"] / s["honest"] > 0.02][:4]
    scores, shares = {0: [], 1: []}, []
    for c, want in cells:
        honest, cheat = c["pairing"].split(" as ")[1], c["pairing"].split(" as ")[0]
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        rng = np.random.default_rng(c["seed"])
        qsets = [ev.learn_questions(learn, spec, 5, c["epochs"], rng) for _ in range(5)]
        for k, qs in enumerate(qsets):
            for _ in range(40):
                runs.clear()
                x, labels, _ = ev.make_trial(judge, spec, rng, qs)
                if k != want:
                    continue
                captured.clear()
                assess(x, alpha=0.01, detector="default_nearest")
                u, r = dd.normal_scores(captured[-1]), np.array(runs)
                for run in (0, 1):
                    scores[run].append(u[~labels & (r == run)])
                s = summarize(x)
                near = neighbourhoods(s.mean, s.count, ~labels)
                shares += [(u[i], float((r[near[i]] == 0).mean())) for i in np.flatnonzero(~labels & (r == 1))]
    dd.empirical_null_p, ev.draw_node = null, draw
    for run in (0, 1):
        u = np.concatenate(scores[run])
        med = np.median(u)
        print(
            f"run {run}: {len(u)} honest scores, median {med:.2f}, 1.4826 MAD {1.4826 * np.median(np.abs(u - med)):.2f}, "
            f"99th percentile {np.quantile(u, 0.99):.2f}"
        )
    sh = np.array(shares)
    for lo, hi in ((-np.inf, 2), (2, 3), (3, np.inf)):
        m = (sh[:, 0] > lo) & (sh[:, 0] <= hi)
        print(
            f"run-1 honest nodes with score in ({lo}, {hi}]: {m.sum()}, mean share of run-0 neighbours {sh[m, 1].mean():.2f}"
        )


if __name__ == "__main__":
    main()
