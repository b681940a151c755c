"""e062, the simulation: e056's wider check (`kb_swap`, `model_swap`, `collusion_ring` and `baseline`,
seeds 1-10, `probes.question_selection = "learned_ucb_contrast"`) at ``probes.exploration`` 0.2
(the default) and 0; guilty verdicts per probed node-epoch from each run's summary (e055's
``run_summary``). See hypothesis.md.

Run: PYTHONPATH=. .venv/bin/python experiments/e062_exploration_share/simulation.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "experiments" / "e056_contrast_discrimination"))

from simulation import SCENARIOS, e055_run_summary  # noqa: E402

CHOICE = "learned_ucb_contrast"
SHARES = (0.2, 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(1, 11)))
    ap.add_argument("--out")
    args = ap.parse_args()
    out, run_summary = [], e055_run_summary()
    for name in SCENARIOS:
        for seed in (int(s) for s in args.seeds.split(",")):
            for share in SHARES:
                row = {"scenario": name, "seed": seed, "exploration": share}
                row |= run_summary(name, seed, CHOICE, {"probes.exploration": share})
                out.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
