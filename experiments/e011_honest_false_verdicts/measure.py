"""e011: honest false guilty verdicts per node-epoch in the simulation (default detector, sequential
evidence), all-honest and 30%-colluder domains, by samples per question, with a 95% upper bound.

Run: .venv/bin/python experiments/e011_honest_false_verdicts/measure.py [--seeds 8] [--epochs 100]
     [--first-seed 1] [--samples 3,5,8] [--mixes "all honest,30% colluders"] [--answers BANK_DIR] [--set KEY=VALUE ...] [--out FILE]
Strategies are frozen (strategy.dynamics = none) so the mix stays as set; one row per setting.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd
from scipy import stats

from gaia_sim.runner import load_answers, simulate
from gaia_sim.scenario import load_scenario, parse_overrides

ROOT = Path(__file__).resolve().parents[2]
MIXES = {
    "all honest": {"population.honest": 1.0},
    "30% colluders": {"population.honest": 0.7, "population.colluding": 0.3},
}


def upper_95(k: int, n: int) -> float:
    """One-sided 95% Clopper-Pearson upper bound of a binomial proportion."""
    return float(stats.beta.ppf(0.95, k + 1, n - k)) if k < n else 1.0


def setting(base, answers, mix: dict, samples: int, seeds: int, epochs: int, first_seed: int = 1) -> dict:
    over = {
        **{f"population.{b}": 0.0 for b in base.population.model_dump()},
        **mix,
        "probes.samples_per_question": samples,
        "strategy.dynamics": "none",
        "epochs": epochs,
    }
    steps = []
    for seed in range(first_seed, first_seed + seeds):
        steps.append(simulate(base.with_overrides({**over, "seed": seed}), answers=answers).steps)
    honest = pd.concat(steps).query("role == 'node' and behaviour == 'honest'")
    k, n = int(honest["wrongly_flagged"].sum()), int(honest["probed"].sum())
    return {
        "false_verdicts": k,
        "honest_node_epochs_probed": n,
        "rate": k / n if n else float("nan"),
        "upper_95": upper_95(k, n),
        "wrongly_slashed_tokens": float(honest["wrongly_slashed"].sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--samples", default="3,5,8")
    ap.add_argument("--first-seed", type=int, default=1, help="seeds first-seed ... first-seed + seeds - 1")
    ap.add_argument("--mixes", default=",".join(MIXES), help="comma-separated names of MIXES")
    ap.add_argument("--answers", default=None, help="answer source (default: the scenario's, the shipped bank)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="scenario override (TOML value)")
    ap.add_argument("--out")
    args = ap.parse_args()
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    if args.set:
        base = base.with_overrides(parse_overrides(args.set))
    if args.answers:
        base = base.with_overrides({"answers": args.answers})
    answers = load_answers(base.answers)
    rows = []
    for name in args.mixes.split(","):
        mix = MIXES[name]
        for samples in (int(v) for v in args.samples.split(",")):
            t0 = time.perf_counter()
            row = {
                "mix": name,
                "samples_per_question": samples,
                "seeds": args.seeds,
                "first_seed": args.first_seed,
                "epochs": args.epochs,
                **setting(base, answers, mix, samples, args.seeds, args.epochs, args.first_seed),
            }
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            print(
                f"{name:14s} samples {samples}: {row['false_verdicts']} false verdicts in "
                f"{row['honest_node_epochs_probed']} honest node-epochs = {row['rate']:.2e} "
                f"(95% upper {row['upper_95']:.2e}); honest slashed {row['wrongly_slashed_tokens']:.0f} tokens",
                flush=True,
            )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
