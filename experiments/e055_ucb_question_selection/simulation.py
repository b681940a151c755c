"""e055, the simulation: the runs of docs/detector.md's "Learned question selection" table
(`scenarios/kb_swap.toml` and `scenarios/baseline.toml`, seeds 1 and 2, learned questions) with the
question selector's bonus at 0 ("learned", the old selector) and 1 ("learned_ucb"); guilty verdicts
per probed node-epoch from each run's summary. Written with the bonus patched into the selector
class; since the choice is ``probes.question_selection``, which gives the same numbers.

Run: PYTHONPATH=. .venv/bin/python experiments/e055_ucb_question_selection/simulation.py [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
RUNS = [("kb_swap", 1), ("kb_swap", 2), ("baseline", 1), ("baseline", 2)]
KEYS = ("flag_rate_honest", "tpr_cheaters", "wrongly_slashed_total")


def run_summary(name: str, seed: int, choice: str, over: dict | None = None) -> dict:
    """Seconds and the summary's KEYS of ``scenarios/<name>.toml`` at ``seed`` with ``probes.question_selection = choice``
    (and the overrides ``over``, if any)."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(
        {"seed": seed, "probes.question_selection": choice, **(over or {})}
    )
    answers = load_answers(scenario.answers)
    t = time.perf_counter()
    result = simulate(scenario, progress=False, answers=answers)
    return {"seconds": round(time.perf_counter() - t, 1)} | {k: result.summary.get(k) for k in KEYS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out")
    args = ap.parse_args()
    out = []
    for name, seed in RUNS:
        for bonus, choice in ((0.0, "learned"), (1.0, "learned_ucb")):
            row = {"scenario": name, "seed": seed, "bonus": bonus} | run_summary(name, seed, choice)
            out.append(row)
            print(json.dumps(row), flush=True)
            if args.out:
                Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
