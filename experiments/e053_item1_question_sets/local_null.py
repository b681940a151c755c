"""e053, after the run: two candidate mends tried and rejected, monkeypatched into the nearest-stack
test against the code (mode "current"): "local", its empirical null learned per neighbourhood
(median / MAD of the neighbours' normal scores, the pivot for that many) instead of across all
reference nodes; "debiased", neighbourhoods by squared distances between mean answers less each
mean's expected noise (within-node scatter / answers), so tight nodes are not nearer by their
tightness. Reported: honest flags by run on the question sets above 0.02, and every swap on seeds
50-55 at 20 learning epochs.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e053_item1_question_sets/local_null.py local|debiased|current
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


def debiased_neighbourhoods(s, eligible, share: float = nearest.NEIGHBOURHOOD) -> np.ndarray:
    """``nearest.neighbourhoods`` on unbiased squared distances between the nodes' true means:
    ||m_i - m_j||^2 - within_i / n_i - within_j / n_j per question (scaled by the mean absolute value)."""
    n_nodes, n_q = s.count.shape
    k = max(1, min(int(eligible.sum()) - 1, int(np.ceil(share * eligible.sum()))))
    total = np.zeros((n_nodes, n_nodes))
    pairs = eligible[:, None] & eligible[None, :] & ~np.eye(n_nodes, dtype=bool)
    for q in range(n_q):
        ok = s.count[:, q] > 0
        m = np.where(ok[:, None], np.nan_to_num(s.mean[:, q]), 0.0)
        sq = (m * m).sum(1)
        noise = np.where(s.count[:, q] > 1, np.nan_to_num(s.within[:, q]) / np.maximum(s.count[:, q], 1), 0.0)
        d = sq[:, None] + sq[None, :] - 2.0 * (m @ m.T) - noise[:, None] - noise[None, :]
        both = ok[:, None] & ok[None, :]
        scale = np.abs(d[both & pairs]).mean() if (both & pairs).any() else 0.0
        if scale > 0:
            total += np.where(both, d / scale, 0.0)
    total = np.where(eligible[None, :], total, np.inf)
    np.fill_diagonal(total, np.inf)
    return np.argsort(total, axis=1, kind="stable")[:, :k]


def debiased_p(x, s, weights, reference, eligible, boot, rng, screen=0.05):
    """``nearest.nearest_stack_p`` with :func:`debiased_neighbourhoods`."""
    pool = eligible & reference if (eligible & reference).sum() > dd.MIN_PEERS else eligible
    q_p, tied = nearest.question_p_values(x, s, debiased_neighbourhoods(s, pool), boot, rng)
    floor = dd.SCALE_FLOOR if dd.discrete(tied, ~np.isnan(q_p)) else 1e-9
    z, p = dd.empirical_null_p(dd.fisher_combine(q_p, weights), floor, reference, screen, eligible)
    return p, z


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    mode = sys.argv[1]
    if mode != "current":
        nearest.nearest_stack_p = {"local": local_null_p, "debiased": debiased_p}[mode]
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
