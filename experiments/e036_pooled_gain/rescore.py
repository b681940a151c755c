"""e036 after the fact: the hold-outs' attacks with the highest upper bounds (``--top`` of each
hold-out file, unpaired and paired) rescored on 20 fresh seeds (101-120), paired and unpaired,
against e036's design.

Run: PYTHONPATH=. .venv/bin/python experiments/e036_pooled_gain/rescore.py [--top 3] [--workers 2] (~5 min, 2 cores)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    design = load_scenario(HERE / "recommended.toml").with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    seeds = list(range(101, 121))
    for name in ("holdout_seed2_edges1.json", "holdout_seed2_edges1_paired.json"):
        confirmed = json.loads((HERE / name).read_text())["confirmed"]
        top = sorted(confirmed, key=lambda a: -a["ci_high"])[: args.top]
        print(f"{name}:")
        for backend in (redteam.PAIRED_BACKEND, redteam.Runner.backend):
            runner = redteam.Runner("pool", args.workers, backend=backend)
            for a, s in zip(top, redteam.score_attacks(design, [a["params"] for a in top], seeds, runner)):
                print(
                    f"  {backend:22s} hold-out {a['profit_over_honest']:+.3f} [.., {a['ci_high']:+.3f}] x {a['seeds']}"
                    f" -> {s.mean:+.3f} [{s.ci_low:+.3f}, {s.ci_high:+.3f}] x {len(s.gains)};"
                    f" guilty per probe {rec.guilty_rate(s):.4f}; {redteam.attacks_mod.describe(s.chosen)}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
