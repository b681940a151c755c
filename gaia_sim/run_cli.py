"""``gaia-sim run SCENARIO.toml``: simulate one scenario, write results, print a summary table."""

from __future__ import annotations

import argparse

from gaia_sim.results import write_run
from gaia_sim.runner import simulate
from gaia_sim.scenario import load_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario TOML file, e.g. scenarios/baseline.toml")
    parser.add_argument("--out", default="results", help="results root folder (default: results)")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    parser.add_argument("--epochs", type=int, help="override the scenario's number of epochs")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override any parameter, e.g. --set staking.node_stake=500 (TOML value syntax)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    overrides = parse_overrides(args.set, args.scenario)
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if overrides:
        scenario = scenario.with_overrides(overrides, source=f"{args.scenario} (command-line overrides)")
    result = simulate(scenario, progress=not args.quiet)
    out = write_run(result, args.out)
    print(summary_table(result))
    print(f"results written to {out}/")
    return 0


def parse_overrides(items: list[str], source: str) -> dict:
    """``["a.b=1", "c=true"]`` -> ``{"a.b": 1, "c": True}``, values in TOML syntax."""
    import tomllib

    from gaia_sim.errors import UserError

    out = {}
    for item in items:
        path, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set {item!r}: expected PATH=VALUE, e.g. staking.node_stake=500")
        try:
            out[path.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[path.strip()] = value  # a bare string
    return out


def summary_table(result) -> str:
    """Per-behaviour totals over the run, then the headline numbers."""
    nodes = result.steps[result.steps["role"] == "node"]
    last = nodes[nodes["epoch"] == nodes["epoch"].max()].set_index("behaviour")
    totals = nodes.groupby("behaviour")[["revenue", "cost", "slashed", "flagged", "wrongly_flagged"]].sum()
    head = f"{'behaviour':<16}{'start':>7}{'end':>7}{'revenue':>12}{'cost':>12}{'slashed':>12}{'flagged':>9}{'wrong':>7}"
    first = nodes[nodes["epoch"] == 1].set_index("behaviour")
    lines = [f"scenario {result.scenario.name} (hash {result.scenario.hash}, seed {result.scenario.seed}, "
             f"{result.scenario.epochs} epochs)", head, "-" * len(head)]
    for b, row in totals.iterrows():
        lines.append(f"{b:<16}{first.loc[b, 'count']:>7}{last.loc[b, 'count']:>7}{row.revenue:>12.1f}"
                     f"{row.cost:>12.1f}{row.slashed:>12.1f}{row.flagged:>9.0f}{row.wrongly_flagged:>7.0f}")
    s = result.summary
    lines.append("")
    lines += [f"{k:<32}{v:>12.4g}" for k, v in s.items()]
    return "\n".join(lines)
