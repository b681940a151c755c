"""e053, after the run: a candidate mend tried and rejected. The nearest-stack test with its
empirical null learned per neighbourhood (median / MAD of the neighbours' normal scores, the pivot
for that many) instead of across all reference nodes, monkeypatched in (mode "local") against the
code (mode "current"): honest flags by run on the question sets above 0.02, and every swap on
seeds 50-55 at 20 learning epochs.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e053_item1_question_sets/local_null.py local|current
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import calibration, nearest
from gaia_sim.detector import default as dd

HERE = Path(__file__).resolve().parent


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"e053_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def local_null_p(x, s, weights, reference, eligible, boot, rng, screen=0.05):
    """``nearest.nearest_stack_p`` with each node's z taken against its own neighbourhood."""
    pool = eligible & reference if (eligible & reference).sum() > dd.MIN_PEERS else eligible
    near = nearest.neighbourhoods(s.mean, s.count, pool)
    q_p, tied = nearest.question_p_values(x, s, near, boot, rng)
    floor = dd.SCALE_FLOOR if dd.discrete(tied, ~np.isnan(q_p)) else 1e-9
    c = dd.fisher_combine(q_p, weights)
    u, valid = dd.normal_scores(c), ~np.isnan(c)
    z, p = np.full(len(c), np.nan), np.ones(len(c))
    for i in np.flatnonzero(valid):
        r = near[i][valid[near[i]] & reference[near[i]]]
        if len(r) < 5:
            continue
        med = np.median(u[r])
        z[i] = (u[i] - med) / max(1.4826 * np.median(np.abs(u[r] - med)), floor)
        p[i] = calibration.upper_p(np.array([z[i]]), len(r) + 1)[0]
    return p, z


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    mode = sys.argv[1]
    if mode == "local":
        nearest.nearest_stack_p = local_null_p
    measure, diagnose = _module("measure"), _module("diagnose")
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows = json.loads((HERE / "result.json").read_text())["rows"]
    cells = [
        {"epochs": c["epochs"], "seed": c["seed"], "pairing": c["pairing"], "set": s["set"]}
        for c in rows
        for s in c["sets"]
        if s["flagged"] / s["honest"] > 0.02
    ]
    total = {0: [0, 0], 1: [0, 0]}
    for cell in cells:
        v = diagnose.replay(judge, learn, cell)
        for r in (0, 1):
            total[r] = [total[r][0] + v[r][0], total[r][1] + v[r][1]]
    print(mode, "question sets above 0.02, honest [verdicts, flagged] by run:", total, flush=True)
    for honest, cheat in ev.REAL_PAIRINGS:
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        sets = [r for seed in range(50, 56) for r in measure.question_set_rows(judge, learn, spec, seed, 20)]
        tpr = sum(r["caught"] for r in sets) / sum(r["cheaters"] for r in sets)
        hon = sum(r["flagged"] for r in sets) / sum(r["honest"] for r in sets)
        print(mode, f"{cheat} as {honest}: decision TPR {tpr:.4f} honest flag rate {hon:.4f}", flush=True)


if __name__ == "__main__":
    main()
