"""e056, the simulation: ``probes.question_selection`` "learned_ucb" against "learned_ucb_contrast" on
e055's four runs (S1, S2: `kb_swap.toml` and `baseline.toml`, seeds 1 and 2) and on the wider check
(S3, S4: `kb_swap`, `model_swap`, `collusion_ring` and `baseline`, seeds 1-10); guilty verdicts per
probed node-epoch from each run's summary. See hypothesis.md.

Run: PYTHONPATH=. .venv/bin/python experiments/e056_contrast_discrimination/simulation.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("kb_swap", "model_swap", "collusion_ring", "baseline")
CHOICES = ("learned_ucb", "learned_ucb_contrast")
KEYS = ("flag_rate_honest", "tpr_cheaters", "wrongly_slashed_total")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(1, 11)))
    ap.add_argument("--out")
    args = ap.parse_args()
    out = []
    for name in SCENARIOS:
        for seed in (int(s) for s in args.seeds.split(",")):
            for choice in CHOICES:
                scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(
                    {"seed": seed, "probes.question_selection": choice}
                )
                t = time.perf_counter()
                result = simulate(scenario, progress=False, answers=load_answers(scenario.answers))
                row = {"scenario": name, "seed": seed, "choice": choice, "seconds": round(time.perf_counter() - t, 1)}
                row |= {k: result.summary.get(k) for k in KEYS}
                out.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
