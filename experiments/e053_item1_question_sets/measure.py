"""e053: where `default_nearest`'s per-domain misses of item 1 come from: decisions and honest flags per
learned question set (five per seed and swap, 40 verdicts each, as in e049), with 20 learning
epochs (e049's setting) and with 40; see hypothesis.md.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e053_item1_question_sets/measure.py \
    [--seeds 50,...,73] [--epochs 20,40] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess

ALPHA = 0.01
SETS, TRIALS = 5, 40  # e049: 200 verdicts per swap over five learned question sets


def question_set_rows(judge, learn, spec, seed: int, epochs: int) -> list[dict]:
    """e043's ``real`` for one seed and swap (the same draws when ``epochs`` is 20), one row per
    learned question set: verdicts of `default_nearest` and which test flagged each honest node."""
    rng = np.random.default_rng(seed)
    qsets = [ev.learn_questions(learn, spec, 5, epochs, rng) for _ in range(SETS)]
    rows = []
    for k, qs in enumerate(qsets):
        row = {"set": k, "questions": [int(q) for q in qs], "cheaters": 0, "caught": 0, "honest": 0, "flagged": 0}
        by_test = dict.fromkeys(("nearest_stack", "location", "dispersion", "share"), 0)
        for _ in range(TRIALS):
            x, labels, _ = ev.make_trial(judge, spec, rng, qs)  # e049: the learned set is the pool
            a = assess(x, alpha=ALPHA, detector="default_nearest")
            row["cheaters"] += int(labels.sum())
            row["caught"] += int(a.flagged[labels].sum())
            row["honest"] += int((~labels).sum())
            wrong = a.flagged & ~labels
            row["flagged"] += int(wrong.sum())
            d = a.details
            by_test["nearest_stack"] += int((wrong & (d["p_nearest_stack"] <= ALPHA / 2)).sum())
            for name, key in (("location", "p_location"), ("dispersion", "p_dispersion"), ("share", "p_share")):
                by_test[name] += int((wrong & (d[key] <= ALPHA / 6)).sum())
        rows.append(row | {"honest_flags_by_test": by_test})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(50, 74)))
    ap.add_argument("--epochs", default="20,40")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    out, t0 = [], time.perf_counter()
    for epochs in (int(e) for e in args.epochs.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            for honest, cheat in ev.REAL_PAIRINGS:
                spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
                rows = question_set_rows(judge, learn, spec, seed, epochs)
                out.append({"epochs": epochs, "seed": seed, "pairing": f"{cheat} as {honest}", "sets": rows})
                caught = sum(r["caught"] for r in rows) / sum(r["cheaters"] for r in rows)
                flagged = sum(r["flagged"] for r in rows) / sum(r["honest"] for r in rows)
                worst = max(r["flagged"] / r["honest"] for r in rows)
                print(
                    f"epochs {epochs} seed {seed} {cheat:13s} as {honest:12s} decision TPR {caught:.3f} honest "
                    f"{flagged:.4f} (worst set {worst:.4f}) per set TPR "
                    + " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in rows),
                    flush=True,
                )
                if args.out:
                    Path(args.out).write_text(json.dumps({"rows": out, "seconds": time.perf_counter() - t0}, indent=1))


if __name__ == "__main__":
    main()
