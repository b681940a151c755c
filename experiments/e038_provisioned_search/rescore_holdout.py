"""e038 after run 2: the hold-out's attacks whose bound was above 0, rescored paired on fresh seeds
101-140 against the design (``--design``, default recommended.toml): their gain, its parts, and the
attacker's slashes over its node-epochs (the conviction count the gain rests on).

Run: PYTHONPATH=. .venv/bin/python experiments/e038_provisioned_search/rescore_holdout.py [--workers 2]
    [--holdout holdout_paired.json] [--design recommended.toml] (~10 min)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gaia_sim.attacks import describe
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--holdout", default=str(HERE / "holdout_paired.json"))
    ap.add_argument("--design", default=str(HERE / "recommended.toml"))
    args = ap.parse_args()
    paying = [a for a in json.loads(Path(args.holdout).read_text())["confirmed"] if a["ci_high"] > 0]
    design = load_scenario(args.design).with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    seeds = list(range(101, 141))
    for a, s in zip(paying, redteam.score_attacks(design, [a["params"] for a in paying], seeds, runner)):
        c = s.counts
        print(
            f"hold-out {a['profit_over_honest']:+.3f} [.., {a['ci_high']:+.3f}] x {a['seeds']} -> {s.mean:+.3f}"
            f" [{s.ci_low:+.3f}, {s.ci_high:+.3f}] x {len(s.gains)}  {describe(s.chosen)}"
        )
        print(
            f"       = {breakdown_text(s.breakdown)}; slashes {c['attacker_slashes']:.0f} in "
            f"{c['attacker_node_epochs']:.0f} node-epochs; guilty per probe {rec.guilty_rate(s):.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
