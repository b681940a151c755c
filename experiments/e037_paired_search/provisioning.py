"""e037 after H6: the attack that beat the repaired design (canned refusals in bursts, H6) and the
one the search lost it to (no-KB bursts), rescored paired on fresh seeds 101-120 with the traffic
model as it was (``traffic.provisioning = "claimed"``: every node offered the claimed model's load)
and with operators provisioning for their stack (``"stack"``).

Run: PYTHONPATH=. .venv/bin/python experiments/e037_paired_search/provisioning.py [--workers 2] (~6 min)
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
    held = json.loads((HERE / "holdout_repaired_paired.json").read_text())["confirmed"]
    search = json.loads((HERE / "recommendation.json").read_text())
    repair = next(v for v in search["verified"] if v["origin"] == "repair")
    chosen = [max(held, key=lambda a: a["ci_high"])["params"], repair["attacks"][0]["params"]]
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    for provisioning in ("claimed", "stack"):
        design = load_scenario(HERE / "repaired.toml").with_overrides(
            {"epochs": rec.BUDGETS["large"].epochs, "traffic.provisioning": provisioning}
        )
        for s in redteam.score_attacks(design, chosen, list(range(101, 121)), runner):
            print(
                f"{provisioning:8s} {s.mean:+.3f} [{s.ci_low:+.3f}, {s.ci_high:+.3f}] x {len(s.gains)}"
                f"  {redteam.attacks_mod.describe(s.chosen)}\n         = {breakdown_text(s.breakdown)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
