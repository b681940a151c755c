"""e037 beside its runs: where the gains of e036's near-honest attacks came from. The attacks with
the highest upper bounds in e036's unpaired hold-out (``--top``) rescored paired on e036's fresh
seeds 101-120 against e036's design (the runs of e036's ``rescore.py``, so the gains must come out
the same), each gain split into revenue - cost - slashed (``AttackScore.breakdown``).

Run: PYTHONPATH=. .venv/bin/python experiments/e037_paired_search/breakdown_e036.py [--top 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text

E036 = Path(__file__).resolve().parent.parent / "e036_pooled_gain"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--holdout", default="holdout_seed2_edges1.json", help="e036's hold-out file")
    args = ap.parse_args()
    design = load_scenario(E036 / "recommended.toml").with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    confirmed = json.loads((E036 / args.holdout).read_text())["confirmed"]
    top = sorted(confirmed, key=lambda a: -a["ci_high"])[: args.top]
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    for s in redteam.score_attacks(design, [a["params"] for a in top], list(range(101, 121)), runner):
        print(
            f"{s.mean:+.3f} [{s.ci_low:+.3f}, {s.ci_high:+.3f}] x {len(s.gains)}  {redteam.attacks_mod.describe(s.chosen)}"
        )
        print(f"       = {breakdown_text(s.breakdown)}; guilty per probe {rec.guilty_rate(s):.4f}", flush=True)


if __name__ == "__main__":
    main()
