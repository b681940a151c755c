"""e032: decisions on replayers of the claimed model's own answers, on the shared real Gaia runs.

Run: PYTHONPATH=. .venv/bin/python experiments/e032_replay_on_real_answers/measure.py [--trials 400] [--out FILE]
A replayer caches one answer per question (drawn once per trial from its run) and returns it in
place of a fresh answer with probability ``share``; honest nodes and replayers draw from the claimed
model's two runs (gaia_sim.evaluation.draw_node). See hypothesis.md.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess

SHARES = (0.1, 0.25, 0.5, 1.0)
NODES, REPLAYERS, QUESTIONS, SAMPLES = 30, 3, 5, 5


def replayer(pool: ev.Pool, questions, share: float, rng, run: int) -> np.ndarray:
    """(Q, S, D) answers of a node that replays one cached answer per question with probability ``share``."""
    fresh = ev.draw_node(pool, questions, SAMPLES, rng, run)
    cached = ev.draw_node(pool, questions, 1, rng, run)  # one answer per question
    replay = rng.random((len(questions), SAMPLES)) < share
    return np.where(replay[..., None], cached, fresh)


def trial(pool: ev.Pool, share: float, rng) -> tuple[np.ndarray, np.ndarray]:
    qs = np.sort(rng.choice(len(pool.emb), size=QUESTIONS, replace=False))
    labels = np.zeros(NODES, bool)
    labels[rng.choice(NODES, size=REPLAYERS, replace=False)] = True
    nodes = [
        replayer(pool, qs, share, rng, int(rng.integers(2)))
        if bad
        else ev.draw_node(pool, qs, SAMPLES, rng, int(rng.integers(2)))
        for bad in labels
    ]
    return np.stack(nodes), labels


def verbatim_repeats() -> dict[str, float]:
    """Per run: the share of answers that repeat an earlier answer (file order) of the same node to
    the same question verbatim (surrounding white space ignored)."""
    out = {}
    for date in ("2025-03-19", "2025-03-26"):
        texts = gaia_real.load_run(date).texts  # (node, question, repeat)
        repeats = sum(
            text.strip() in {t.strip() for t in cell[:k]}
            for cell in texts.reshape(-1, texts.shape[-1])
            for k, text in enumerate(cell)
        )
        out[date] = repeats / texts.size
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    data = gaia_real.load_real()
    pools = ev.real_pools(data)
    rng = np.random.default_rng(args.seed)
    repeats = verbatim_repeats()
    print("answers repeating an earlier answer verbatim:", {k: round(v, 3) for k, v in repeats.items()}, flush=True)
    rows = []
    for model, pool in pools.items():
        for share in SHARES:
            outcome = ev.Outcome()
            for _ in range(args.trials):
                x, labels = trial(pool, share, rng)
                outcome.add(assess(x, alpha=0.01), labels)
            s = outcome.summary()
            rows.append({"claimed": model, "share": share, **s})
            print(
                f"{model:14s} replay share {share:4.2f}: decision TPR {s['cheat_flag_rate']:.3f}  honest flag rate "
                f"{s['honest_flag_rate']:.4f}  ROC TPR@1% {s['tpr_at_fpr']:.3f}",
                flush=True,
            )
    if args.out:
        Path(args.out).write_text(
            json.dumps({"rows": rows, "verbatim_repeats": repeats, "seed": args.seed, "trials": args.trials}, indent=1)
        )


if __name__ == "__main__":
    main()
