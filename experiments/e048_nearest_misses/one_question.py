"""e048: a node on its stack everywhere but one question of five, where its five answers sit 0.5 away
(the construction of tests/test_detector_nearest.py::test_a_node_far_out_on_one_question_is_not_capped_by_the_bootstrap_floor):
how often each detector flags it, and its p-values.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e048_nearest_misses/one_question.py
"""

from __future__ import annotations

import numpy as np
from test_detector_nearest import _unit, two_stacks

from gaia_sim.detector import assess


def main(trials: int = 20) -> None:
    rng = np.random.default_rng(8)
    rows = []
    for t in range(trials):
        x, labels = two_stacks(rng, cheaters=1, off=0.0)
        x[labels, 0] += 0.5 * _unit(rng.standard_normal(x.shape[-1]))
        x = _unit(x).astype(np.float32)
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
