"""e048: a node on its stack everywhere but one question of five, where its five answers sit 0.5 away
(`far_on_one_question` of tests/test_detector_nearest.py, the construction its one-question test uses):
how often each detector flags it, and its p-values.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e048_nearest_misses/one_question.py
"""

from __future__ import annotations

import numpy as np
from test_detector_nearest import far_on_one_question

from gaia_sim.detector import assess


def main(trials: int = 20) -> None:
    rng = np.random.default_rng(8)
    rows = []
    for t in range(trials):
        x, labels = far_on_one_question(rng)
        d, n = assess(x, alpha=0.01, seed=t), assess(x, alpha=0.01, seed=t, detector="default_nearest")
        i = np.flatnonzero(labels)[0]
        rows.append((d.flagged[i], d.details["p_location"][i], d.details["p_share"][i], n.flagged[i]))
    r = np.array(rows, dtype=float)
    print(
        f"default: {int(r[:, 0].sum())} of {trials} flagged; location p median {np.median(r[:, 1]):.3f}, "
        f"share p median {np.median(r[:, 2]):.3f}"
    )
    print(f"default_nearest: {int(r[:, 3].sum())} of {trials} flagged")


if __name__ == "__main__":
    main()
