"""e048: where `default_nearest`'s remaining misses on Gemma-2-27B serving as 9B come from (issue 14
item 1), on the exploration seeds 0 and 1 of e043's real-run design; a diagnosis after the fact.

Run: PYTHONPATH=. .venv/bin/python experiments/e048_nearest_misses/diagnose.py [--seeds 0,1] [--skip 0.1]

Prints, per seed: the decisions; every test's p-values for the missed cheaters (quantiles); the
decision rate by the run the cheater serves from; the honest nodes' p-value calibration per test
(share of honest nodes at or below each level, per swap); and, with --skip S, the same design with
the nearest-stack neighbourhoods leaving out each node's nearest ceil(S x eligible) others (the
alternative tried, not kept)."""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import nearest

SWAPS = (
    ("gemma-2-9b", "gemma-2-27b"),
    ("gemma-2-27b", "gemma-2-9b"),
    ("gemma-2-9b", "llama-3-1-8b"),
    ("gemma-2-27b", "llama-3-1-8b"),
)
TESTS = ("p_location", "p_dispersion", "p_share", "p_nearest_stack")
LEVELS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def capture(learn, judge, honest: str, cheat: str, seed: int) -> tuple[dict, list]:
    """e043's design (30 nodes, 3 cheaters, 5 learned questions x 5 answers, 200 verdicts) with
    `default_nearest`; each verdict's details, labels and each node's run."""
    runs, verdicts = [], []
    draw, add = ev.draw_node, ev.Outcome.add

    def drawing(pool, questions, samples, rng, run):
        runs.append(run)
        return draw(pool, questions, samples, rng, run)

    def adding(outcome, a, labels):
        verdicts.append(dict(a.details, p=a.p_value, labels=labels.copy(), runs=np.array(runs[-len(labels) :])))
        return add(outcome, a, labels)

    ev.draw_node, ev.Outcome.add = drawing, adding
    try:
        rng = np.random.default_rng(seed)
        spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
        qsets = [ev.learn_questions(learn, spec, 5, 20, rng) for _ in range(5)]
        res = ev.evaluate_learned(judge, spec, {"default_nearest": {"detector": "default_nearest"}}, 200, rng, qsets)
    finally:
        ev.draw_node, ev.Outcome.add = draw, add
    return res["default_nearest"].summary(), verdicts


def pooled(verdicts: list, key: str) -> np.ndarray:
    return np.concatenate([np.where(np.isnan(v[key]), 1.0, v[key]) for v in verdicts])


def report_misses(verdicts: list) -> None:
    labels = np.concatenate([v["labels"] for v in verdicts])
    runs = np.concatenate([v["runs"] for v in verdicts])
    missed = labels & (pooled(verdicts, "p") > 0.01)
    print(f"  missed cheaters: {missed.sum()} of {labels.sum()}")
    for t in ("p_nearest_stack", "p_location", "p_share"):
        q = np.quantile(pooled(verdicts, t)[missed], [0.1, 0.5, 0.9]) if missed.any() else []
        print(f"    {t:16s} 10% / 50% / 90%: " + " / ".join(f"{v:.4f}" for v in q))
    for r in (0, 1):
        mine = labels & (runs == r)
        print(f"  cheaters serving the substitute's run {r}: {mine.sum()}, flagged {1 - missed[mine].mean():.3f}")


def report_calibration(verdicts: list) -> None:
    honest = ~np.concatenate([v["labels"] for v in verdicts])
    for t in ("p_location", "p_nearest_stack"):
        p = pooled(verdicts, t)[honest]
        print(f"    honest {t:16s} " + "  ".join(f"<={lv}: {np.mean(p <= lv):.4f}" for lv in LEVELS))


def skipping(share: float):
    """Neighbourhoods without each node's nearest ceil(share x eligible) others (kept: the rest of its nearest third)."""
    full = nearest.neighbourhoods

    def neighbourhoods(mean, count, eligible, share_=nearest.NEIGHBOURHOOD):
        near = full(mean, count, eligible, share_)
        m = int(np.ceil(share * eligible.sum()))
        return near[:, m:] if near.shape[1] - m >= 2 else near

    return neighbourhoods


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--skip", type=float, default=0.0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    if args.skip:
        nearest.neighbourhoods = skipping(args.skip)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    for seed in (int(s) for s in args.seeds.split(",")):
        for honest, cheat in SWAPS:
            s, verdicts = capture(learn, judge, honest, cheat, seed)
            print(
                f"seed {seed} {cheat} as {honest}: ROC TPR@1% {s['tpr_at_fpr']:.3f} decisions "
                f"{s['cheat_flag_rate']:.3f} honest flag rate {s['honest_flag_rate']:.4f}",
                flush=True,
            )
            if (honest, cheat) == SWAPS[0] and not args.skip:
                report_misses(verdicts)
            if not args.skip:
                report_calibration(verdicts)


if __name__ == "__main__":
    main()
