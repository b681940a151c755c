"""``gaia-sim run SCENARIO.toml``: simulate one scenario, write results, print a summary table."""

from __future__ import annotations

import argparse
import json

from gaia_sim.results import check_run_dir, write_run
from gaia_sim.runner import check_workers, load_answers, simulate
from gaia_sim.scenario import load_scenario, parse_overrides
from gaia_sim.summary import summary_json, summary_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml")
    parser.add_argument("--out", default="results", help="results root folder (default: results)")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--epochs", type=int, help="override the scenario's number of epochs")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override any parameter, e.g. --set staking.node_stake=500 (TOML value syntax)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="judge the domains in this many worker processes (default 1; same results, faster for many domains)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON (for machines) instead of the table"
    )


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    overrides = parse_overrides(args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if overrides:
        scenario = scenario.with_overrides(overrides, source=f"{args.scenario} (command-line overrides)")
    check_workers(args.workers)
    check_run_dir(scenario, args.out)  # before any work: a folder we cannot write fails now, not after the run
    answers = load_answers(scenario.answers)
    result = simulate(scenario, progress=not (args.quiet or args.json), answers=answers, workers=args.workers)
    out = write_run(result, args.out)
    if args.json:
        print(json.dumps(summary_json(result, answers) | {"results": str(out)}, indent=2))
    else:
        print(summary_text(result, answers))
        print(f"results written to {out}/")
    return 0
