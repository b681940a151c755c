"""e006: how often do the real Gaia models give *the same* answer? (per question, verbatim overlap)

For each question and each pair of models, the share of one model's answers (both runs pooled)
whose embedding equals one of the other model's answers (distance < 1e-3: the same text), the
number of distinct answers per model, and the distance between the two models' mean answers.
Prints a Markdown table and writes ``overlap.json`` next to this file.

Run: .venv/bin/python experiments/e006_real_answer_overlap/analysis.py
Needs ../shared/data/gaia-verifiable-inference/ (or $GAIA_DATA_DIR); exits 2 with the reason if absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from gaia_sim.answers import gaia_real
from gaia_sim.atomic import atomic_write
from gaia_sim.evaluation import real_pools

SAME = 1e-3  # embedding distance below which two answers are the same text


def nearest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each row of ``a`` to its nearest row of ``b``."""
    d2 = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None]
    return np.sqrt(np.maximum(d2, 0.0)).min(1)


def distinct(a: np.ndarray) -> int:
    return len(np.unique(np.round(a, 3), axis=0))


def main() -> int:
    reason = gaia_real.missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    pools = real_pools(gaia_real.load_real())
    a_name, b_name = "gemma-2-27b", "gemma-2-9b"
    rows = []
    for q in range(len(pools[a_name].emb)):
        a = np.concatenate(pools[a_name].emb[q]).astype(np.float64)
        b = np.concatenate(pools[b_name].emb[q]).astype(np.float64)
        rows.append(
            {
                "question": q,
                "a_in_b": float((nearest(a, b) < SAME).mean()),
                "b_in_a": float((nearest(b, a) < SAME).mean()),
                "distinct_a": distinct(a),
                "distinct_b": distinct(b),
                "mean_distance": float(np.linalg.norm(a.mean(0) - b.mean(0))),
            }
        )
    out = Path(__file__).with_name("overlap.json")
    atomic_write(out, lambda tmp: tmp.write_text(json.dumps({"a": a_name, "b": b_name, "rows": rows}, indent=2)))
    print(
        f"| question | share of {a_name} answers also given by {b_name} | share of {b_name} answers also given by {a_name} "
        f"| distinct answers {a_name} | distinct {b_name} | distance of mean answers |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['question']} | {r['a_in_b']:.2f} | {r['b_in_a']:.2f} | {r['distinct_a']} | {r['distinct_b']} | {r['mean_distance']:.3f} |"
        )
    shared = sum(max(r["a_in_b"], r["b_in_a"]) >= 0.5 for r in rows)
    print(f"\n{shared} of {len(rows)} questions: at least half of one model's answers occur verbatim among the other's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
