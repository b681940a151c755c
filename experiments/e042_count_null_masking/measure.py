"""e042: where Gemma-2-27B-as-9B's decisions go: the share test's count null, masked by the cheaters.

A diagnosis (issue 14 item 1), not a shipped rule: the two candidate count nulls below live only in
this script and replace ``gaia_sim.detector.default._count_null`` while it runs.

* ``shipped``: the detector as it is (beta-binomial by moments over the reference nodes).
* ``oracle``: the same fit over the *honest* reference nodes only (labels known: a bound, not a rule).
* ``truncated``: the beta-binomial fitted by maximum likelihood to the reference counts at or below
  their upper-third quantile t, each conditioned on K <= t (a truncated sample, Cohen 1991); t = 0:
  the binomial at the floor; t = 1: the binomial (rho = 0) only.
* ``leave_one_out``: the shipped fit, for each node over the reference nodes other than itself.

Part 0: the shipped detector's three tests one by one on 27B as 9B. Part 1 (real answers): e012's design (questions learned on the first 40% of each run's repeats,
judged on the rest; 30 nodes, 3 cheaters, 5 questions x 5 answers, 200 verdicts per swap, seed 0).
Part 2 (validity): the share test alone and the whole detector on synthetic all-honest domains
with per-node stack offsets (tests/test_detector_synth.network: 30 nodes, 10 questions x 5
answers; stack 0, 0.3, 0.6), 120 domains each; the share of honest nodes at p <= 0.01.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e042_count_null_masking/measure.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import special
from test_detector_synth import network

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess
from gaia_sim.detector import default as dd
from gaia_sim.detector._common import summarize

SHIPPED = dd._count_null
SHIPPED_P = dd._count_p
M_GRID = np.geomspace(1e-4, 0.5, 64)
RHO_GRID = np.concatenate([[0.0], np.geomspace(1e-3, 0.5, 48)])
STATE = {"labels": None}


def truncated_fit(k: np.ndarray, n: np.ndarray, t: int) -> tuple[float, float]:
    """Grid maximum of the beta-binomial likelihood of the counts <= t, each conditioned on K <= t."""
    m, rho = M_GRID[:, None], RHO_GRID[None, 1:]
    a, b = m * (1.0 / rho - 1.0), (1.0 - m) * (1.0 / rho - 1.0)
    loglik = np.zeros((len(M_GRID), len(RHO_GRID)))
    keep = k <= t
    for size in np.unique(n[keep]):
        ks = np.arange(0, min(t, int(size)) + 1)[:, None, None]
        choose = special.gammaln(size + 1.0) - special.gammaln(ks + 1.0) - special.gammaln(size - ks + 1.0)
        binomial = choose + special.xlogy(ks, m) + special.xlog1py(size - ks, -m)
        beta = choose + special.betaln(ks + a, size - ks + b) - special.betaln(a, b)
        logpmf = np.concatenate([binomial, beta], axis=2)
        counts = np.bincount(k[keep & (n == size)], minlength=len(ks))[: len(ks)]
        loglik += np.tensordot(counts, logpmf, axes=1) - counts.sum() * special.logsumexp(logpmf, axis=0)
    if t < 2:  # two count cells identify the rate only
        loglik = loglik[:, :1]
    i, j = np.unravel_index(np.argmax(loglik), loglik.shape)
    return float(M_GRID[i]), float(RHO_GRID[j])


def truncated_null(k, n, ref, floor):
    if ref.sum() < dd.MIN_PEERS:
        return SHIPPED(k, n, ref, floor)
    kr, nr = k[ref].astype(int), n[ref].astype(int)
    t = int(np.quantile(kr, 2.0 / 3.0, method="higher"))
    if t == 0:
        return floor, 0.0
    m, rho = truncated_fit(kr, nr, t)
    return max(floor, m), rho


def oracle_null(k, n, ref, floor):
    labels = STATE["labels"]
    return SHIPPED(k, n, ref if labels is None else ref & ~labels, floor)


def leave_one_out_null(k, n, ref, floor):
    """Per node, the shipped fit over the reference nodes other than itself: (m, rho) arrays."""
    fits = [SHIPPED(k, n, ref & (np.arange(len(k)) != i), floor) for i in range(len(k))]
    return np.array([f[0] for f in fits]), np.array([f[1] for f in fits])


def per_node_p(k, n, m, rho):
    if np.ndim(m) == 0:
        return SHIPPED_P(k, n, m, rho)
    return np.array([SHIPPED_P(k[i : i + 1], n[i : i + 1], m[i], rho[i])[0] for i in range(len(k))])


NULLS = {"shipped": SHIPPED, "oracle": oracle_null, "truncated": truncated_null, "leave_one_out": leave_one_out_null}


def use(name: str) -> None:
    dd._count_null, dd._count_p = NULLS[name], per_node_p


def per_test(trials: int, seed: int) -> dict:
    """Shipped detector, 27B as 9B: each test's own ROC TPR at an honest FPR of 1%, the share of
    cheaters each test alone puts at or below its Bonferroni level, and the outlying-answer counts."""
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    honest, cheat = "gemma-2-9b", "gemma-2-27b"
    rng = np.random.default_rng(seed)
    spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
    qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
    keys = {"location": "p_location", "dispersion": "p_dispersion", "share": "p_share"}
    ps = {k: ([], []) for k in keys}
    counts, seen = ([], []), {}
    shipped_counts = dd.answer_outlier_p

    def recording(*args, **kwargs):  # the detector's own counts (its pool: trusted peers in the core)
        seen["p"], seen["k"] = shipped_counts(*args, **kwargs)
        return seen["p"], seen["k"]

    dd.answer_outlier_p = recording
    for i in range(trials):
        x, labels, _ = ev.make_trial(judge, spec, rng, questions=qsets[i % len(qsets)])
        a = assess(x, alpha=0.01)
        for k, key in keys.items():
            ps[k][0].append(a.details[key][~labels])
            ps[k][1].append(a.details[key][labels])
        counts[0].append(seen["k"][~labels])
        counts[1].append(seen["k"][labels])
    dd.answer_outlier_p = shipped_counts
    out = {}
    for k in keys:
        h, c = np.concatenate(ps[k][0]), np.concatenate(ps[k][1])
        out[k] = {
            "roc_tpr_at_1pct": float(np.mean(c < np.nanquantile(h, 0.01))),
            "cheaters_at_bonferroni_level": float(np.mean(c <= 0.01 / 3)),
        }
        print(
            f"27B as 9B, {k:10s} test alone: ROC TPR@1% {out[k]['roc_tpr_at_1pct']:.3f}, "
            f"cheaters at p <= 0.0033 {out[k]['cheaters_at_bonferroni_level']:.3f}",
            flush=True,
        )
    h, c = np.concatenate(counts[0]), np.concatenate(counts[1])
    out["outlying_counts"] = {"honest": np.bincount(h).tolist(), "cheaters": np.bincount(c).tolist()}
    print(
        f"outlying answers of 25 (the detector's count): honest {h.min()}-{h.max()} "
        f"({np.mean(h == 0):.3f} none), cheaters {c.min()}-{c.max()}",
        flush=True,
    )
    return out


def real_part(trials: int, seed: int) -> list[dict]:
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows = []
    for name in NULLS:
        use(name)
        for honest, cheat in ev.REAL_PAIRINGS:
            rng = np.random.default_rng(seed)
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            STATE["labels"] = None  # learning is label-free
            qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
            out = ev.Outcome()
            for i in range(trials):
                x, labels, _ = ev.make_trial(judge, spec, rng, questions=qsets[i % len(qsets)])
                STATE["labels"] = labels
                out.add(assess(x, alpha=0.01), labels)
            s = out.summary()
            rows.append({"count_null": name, "pairing": f"{cheat} as {honest}", **s})
            print(
                f"{name:13s} {cheat:13s} as {honest:12s} ROC TPR@1% {s['tpr_at_fpr']:.3f}  decision TPR "
                f"{s['cheat_flag_rate']:.3f}  honest flag rate {s['honest_flag_rate']:.4f}",
                flush=True,
            )
    dd._count_null, dd._count_p = SHIPPED, SHIPPED_P
    return rows


def synthetic_part(domains: int, seed: int) -> list[dict]:
    rows = []
    for name in ("shipped", "truncated", "leave_one_out"):
        use(name)
        for stack in (0.0, 0.3, 0.6):
            rng = np.random.default_rng(seed)
            share, full = [], []
            for d in range(domains):
                x, _ = network(rng, nodes=30, questions=10, samples=5, stack=stack)
                s = summarize(x)
                share.append(dd.answer_outlier_p(x, s, dd.robust_centre(s.mean), np.ones(30, bool))[0])
                full.append(assess(x, alpha=0.01, seed=d).p_value)
            share, full = np.concatenate(share), np.concatenate(full)
            row = {
                "count_null": name,
                "stack": stack,
                "honest_nodes": int(share.size),
                "share_test_rate": float(np.mean(share <= 0.01)),
                "detector_rate": float(np.mean(full <= 0.01)),
            }
            rows.append(row)
            print(
                f"{name:13s} stack {stack:.1f}: share test alone {row['share_test_rate']:.4f}, "
                f"whole detector {row['detector_rate']:.4f} of {row['honest_nodes']} honest nodes at p <= 0.01",
                flush=True,
            )
    dd._count_null, dd._count_p = SHIPPED, SHIPPED_P
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--domains", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    t0 = time.perf_counter()
    result = {
        "per_test": per_test(args.trials, args.seed),
        "real": real_part(args.trials, args.seed),
        "synthetic": synthetic_part(args.domains, 21),
    }
    result["seconds"] = time.perf_counter() - t0
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
