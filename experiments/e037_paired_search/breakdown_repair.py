"""e037 after its search: where the gains of the attacks confirmed against the search's repaired
design (5 KB questions x 5 answers, stake 109) come from. Each attack rescored paired on fresh seeds
101-120 (``AttackScore.breakdown``: revenue - cost - slashed).

Run: PYTHONPATH=. .venv/bin/python experiments/e037_paired_search/breakdown_repair.py [--workers 2] (~10 min)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    doc = json.loads((HERE / "recommendation.json").read_text())
    repair = next(v for v in doc["verified"] if v["origin"] == "repair")
    base = load_scenario(doc["scenario"]).with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    design = base.with_overrides(repair["design"])
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    chosen = [a["params"] for a in repair["attacks"]]
    for a, s in zip(repair["attacks"], redteam.score_attacks(design, chosen, list(range(101, 121)), runner)):
        print(
            f"search {a['profit_over_honest']:+.3f} [.., {a['ci_high']:+.3f}] x {a['seeds']} -> {s.mean:+.3f}"
            f" [{s.ci_low:+.3f}, {s.ci_high:+.3f}] x {len(s.gains)}  {redteam.attacks_mod.describe(s.chosen)}"
        )
        print(f"       = {breakdown_text(s.breakdown)}; guilty per probe {rec.guilty_rate(s):.4f}", flush=True)


if __name__ == "__main__":
    main()
