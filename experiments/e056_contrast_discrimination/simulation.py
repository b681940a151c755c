"""e056, the simulation: ``probes.question_selection`` "learned_ucb" against "learned_ucb_contrast" on
e055's four runs (S1, S2: `kb_swap.toml` and `baseline.toml`, seeds 1 and 2) and on the wider check
(S3, S4: `kb_swap`, `model_swap`, `collusion_ring` and `baseline`, seeds 1-10); guilty verdicts per
probed node-epoch from each run's summary. See hypothesis.md.

Run: PYTHONPATH=. .venv/bin/python experiments/e056_contrast_discrimination/simulation.py [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("kb_swap", "model_swap", "collusion_ring", "baseline")
CHOICES = ("learned_ucb", "learned_ucb_contrast")


def e055_run_summary():
    """e055's ``simulation.run_summary`` (one run's seconds and summary keys), loaded by path."""
    path = ROOT / "experiments" / "e055_ucb_question_selection" / "simulation.py"
    spec = importlib.util.spec_from_file_location("e055_simulation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(1, 11)))
    ap.add_argument("--out")
    args = ap.parse_args()
    out, run_summary = [], e055_run_summary()
    for name in SCENARIOS:
        for seed in (int(s) for s in args.seeds.split(",")):
            for choice in CHOICES:
                row = {"scenario": name, "seed": seed, "choice": choice} | run_summary(name, seed, choice)
                out.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
