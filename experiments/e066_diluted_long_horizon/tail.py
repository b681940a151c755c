"""e066, exploratory (after the run): how often an honest node's single-epoch p-value falls below t,
against t, in the cheating-free cell (the same domains and draws as measure.py's cell "none:0",
seed 225): the combined p-value the per-epoch rule (b) reads, and each of the default detector's
three tests (location, dispersion, per-answer share). A valid p-value has P(p <= t) <= t.

Run: PYTHONPATH=. .venv/bin/python experiments/e066_diluted_long_horizon/tail.py [--trials 100]
    [--epochs 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402

from gaia_sim.answers.bank import load_default_bank  # noqa: E402
from gaia_sim.evaluation import bank_pools  # noqa: E402
from gaia_sim.scenario import Scenario  # noqa: E402

LEVELS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
TESTS = ("p_value", "p_location", "p_dispersion", "p_share")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=225)
    ap.add_argument("--out")
    args = ap.parse_args()
    seen: list[dict] = []
    real_assess = measure.assess

    def recording(x, **kw):
        a = real_assess(x, **kw)
        seen.append({"p_value": a.p_value, **{t: a.details[t] for t in TESTS[1:]}})
        return a

    measure.assess = recording
    pools, _, _ = bank_pools(load_default_bank())
    rng = np.random.default_rng([args.seed, 0, len("none")])  # measure.py's stream for cell "none:0"
    honest = []
    for _ in range(args.trials):
        start = len(seen)
        labels, *_ = measure.domain(pools, "cheaper_model", 0.0, args.epochs, rng, Scenario())
        honest += [{t: e[t][~labels] for t in TESTS} for e in seen[start:]]  # the 27 counted nodes
    out = {}
    for t in TESTS:
        p = np.concatenate([h[t] for h in honest])
        p = p[~np.isnan(p)]
        rows = []
        for level in LEVELS:
            k = int((p <= level).sum())
            low, high = stats.beta.ppf([0.025, 0.975], [max(k, 1e-9), k + 1], [len(p) - k + 1, len(p) - k])
            rows.append({"level": level, "count": k, "expected": level * len(p), "ratio": k / (level * len(p))})
            print(
                f"{t:13s} p <= {level:.0e}: {k:6d} of {len(p)} (expected {level * len(p):8.1f}; ratio "
                f"{k / (level * len(p)):5.2f}, 95% {low / level:5.2f}-{high / level:5.2f})",
                flush=True,
            )
        out[t] = {"n": len(p), "rows": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
