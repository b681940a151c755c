"""e065: honest false guilty verdicts (e011's setting) and cheaters' guilty verdicts (model_swap,
kb_swap, collusion_ring) under ``detector.after_verdict`` = "restart" and "spend", strategies frozen.
See hypothesis.md.

Run: PYTHONPATH=. .venv/bin/python experiments/e065_spend_default/measure.py --part validity|power
     [--seeds 1,...,8] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("restart", "spend")
SCENARIOS = ("model_swap", "kb_swap", "collusion_ring")


def e011():
    """e011's ``measure.py`` (its ``setting``, ``MIXES`` and ``upper_95``), loaded by path."""
    path = ROOT / "experiments" / "e011_honest_false_verdicts" / "measure.py"
    spec = importlib.util.spec_from_file_location("e011_measure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def validity(seeds: list[int]) -> list[dict]:
    m = e011()
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    answers = load_answers(base.answers)
    rows = []
    for mix, over in m.MIXES.items():
        for policy in POLICIES:
            t = time.perf_counter()
            policy_base = base.with_overrides({"detector.after_verdict": policy})
            row = m.setting(policy_base, answers, over, 3, len(seeds), 100, first_seed=seeds[0])
            row |= {
                "mix": mix,
                "policy": policy,
                "seeds": f"{seeds[0]}-{seeds[-1]}",
                "seconds": round(time.perf_counter() - t),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def power(seeds: list[int]) -> list[dict]:
    rows = []
    for name in SCENARIOS:
        base = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        answers = load_answers(base.answers)
        for policy in POLICIES:
            t, counts = (
                time.perf_counter(),
                {"cheater_flagged": 0, "cheater_probed": 0, "honest_flagged": 0, "honest_probed": 0},
            )
            for seed in seeds:
                over = {"seed": seed, "detector.after_verdict": policy, "strategy.dynamics": "none"}
                steps = simulate(base.with_overrides(over), progress=False, answers=answers).steps.query(
                    "role == 'node'"
                )
                honest = steps["behaviour"] == "honest"
                counts["cheater_flagged"] += int(steps.loc[~honest, "flagged"].sum())
                counts["cheater_probed"] += int(steps.loc[~honest, "probed"].sum())
                counts["honest_flagged"] += int(steps.loc[honest, "flagged"].sum())
                counts["honest_probed"] += int(steps.loc[honest, "probed"].sum())
            row = {"scenario": name, "policy": policy, "seeds": f"{seeds[0]}-{seeds[-1]}"} | counts
            row["cheater_rate"] = counts["cheater_flagged"] / max(counts["cheater_probed"], 1)
            row["honest_rate"] = counts["honest_flagged"] / max(counts["honest_probed"], 1)
            row["seconds"] = round(time.perf_counter() - t)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("validity", "power"), required=True)
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(1, 9)))
    ap.add_argument("--out")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if seeds != list(range(seeds[0], seeds[0] + len(seeds))):
        raise SystemExit("--seeds: consecutive seeds, e.g. 1,2,...,8 (e011's setting takes a first seed and a count)")
    rows = validity(seeds) if args.part == "validity" else power(seeds)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
