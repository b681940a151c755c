"""e019: the default detector's breakdown under coordinated cache replay, and where it comes from.

A share of a domain's nodes replay one cached answer of the claimed configuration per question (the
same answer for every replayer and every sample); the rest are honest nodes on the bank's honest
stacks. One `assess` per trial (30 nodes, 5 questions x 3 answers, alpha 0.01, each node at level
alpha). Prints, per share: the replayers' flag rate, the honest flag rate, and diagnostics of the
passes (how many replayers the geometric core, the final peer pool and the final reference hold).

Run: PYTHONPATH=. .venv/bin/python experiments/e019_coordinated_replay/measure.py [--trials 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gaia_sim.answers.bank import load_default_bank
from gaia_sim.detector import default as detector
from gaia_sim.evaluation import bank_pools, draw_node

NODES, QUESTIONS, SAMPLES = 30, 5, 3


def domain(honest, share: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """(nodes, Q, S, D) answers and the replayers' mask."""
    qs = np.sort(rng.choice(len(honest.emb), size=QUESTIONS, replace=False))
    labels = np.zeros(NODES, bool)
    labels[rng.choice(NODES, int(round(share * NODES)), replace=False)] = True
    runs = rng.integers(0, honest.n_runs(), size=NODES)
    cached = np.stack([honest.emb[q][0][rng.integers(len(honest.emb[q][0]))] for q in qs])  # (Q, D)
    replay = np.repeat(cached[:, None, :], SAMPLES, axis=1)
    x = np.stack([replay if bad else draw_node(honest, qs, SAMPLES, rng, int(r)) for bad, r in zip(labels, runs)])
    return x, labels


class Probe:
    """Records the sets the detector's passes use (by wrapping its module functions)."""

    def __init__(self):
        self.seen: dict[str, np.ndarray] = {}
        core, q_values, null = detector.geometric_core, detector.question_p_values, detector.empirical_null_p

        def geometric_core(*a, **k):
            self.seen["core"] = core(*a, **k)
            return self.seen["core"]

        def question_p_values(questions, s, d, peers, boot, rng):
            self.seen["peers"] = peers.copy()
            return q_values(questions, s, d, peers, boot, rng)

        def empirical_null_p(p, floor, reference, *args):
            self.seen["reference"] = reference.copy()
            return null(p, floor, reference, *args)

        detector.geometric_core = geometric_core
        detector.question_p_values = question_p_values
        detector.empirical_null_p = empirical_null_p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--shares", default="0.1,0.2,0.25,0.3,0.35,0.4,0.45")
    ap.add_argument("--options", default="{}", help="JSON detector options, e.g. '{\"coordination\": true}'")
    ap.add_argument("--out")
    args = ap.parse_args()
    options = json.loads(args.options)
    honest = bank_pools(load_default_bank())[0]["honest"]
    probe = Probe()
    rows = []
    for share in (float(s) for s in args.shares.split(",")):
        rng = np.random.default_rng([19, int(share * 100)])
        flagged = honest_flagged = n_bad = n_good = 0
        held = {"core": 0, "peers": 0, "reference": 0}
        caught_with_clean_reference = clean = 0
        for _ in range(args.trials):
            x, bad = domain(honest, share, rng)
            a = detector.assess_default(x, alpha=0.01, seed=int(rng.integers(2**31)), **options)
            flagged, n_bad = flagged + int(a.flagged[bad].sum()), n_bad + int(bad.sum())
            honest_flagged, n_good = honest_flagged + int(a.flagged[~bad].sum()), n_good + int((~bad).sum())
            for key in held:
                held[key] += int(probe.seen[key][bad].sum())
            if not probe.seen["reference"][bad].any():
                clean += 1
                caught_with_clean_reference += int(a.flagged[bad].all())
        row = {
            "share": share,
            "replayers_flagged": flagged / n_bad if n_bad else None,
            "honest_flagged": honest_flagged / n_good,
            **{f"replayers_in_{k}": v / n_bad if n_bad else None for k, v in held.items()},
            "trials_with_clean_reference": clean,
            "all_caught_when_reference_clean": caught_with_clean_reference / clean if clean else None,
            "trials": args.trials,
            "options": options,
        }
        rows.append(row)
        print(
            f"share {share:.2f}: replayers flagged {row['replayers_flagged']}, honest {row['honest_flagged']:.4f}; "
            f"replayers held by core {row['replayers_in_core']}, final peers {row['replayers_in_peers']}, "
            f"final reference {row['replayers_in_reference']}; reference free of replayers in {clean} trials, "
            f"all caught in {row['all_caught_when_reference_clean']}",
            flush=True,
        )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
