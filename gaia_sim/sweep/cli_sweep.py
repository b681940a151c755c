"""``gaia-sim sweep FILE``: run a sweep file, resumably, on a process pool (default) or Dask."""

from __future__ import annotations

import argparse
import os
import sys

from gaia_sim.errors import UserError
from gaia_sim.scenario import parse_overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="sweep file (TOML), e.g. scenarios/sweeps/claims.toml")
    parser.add_argument("--out", metavar="DIR", help="sweep directory (default: results/sweeps/<name>)")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (default: all cores; Dask: local cluster size)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process, one cell after another")
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on an existing Dask distributed cluster, e.g. tcp://10.0.0.5:8786"
    )
    where.add_argument(
        "--local-dask", action="store_true", help="start a local Dask cluster (same code path as a remote one)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        dest="sets",
        help="extra fixed parameter for every cell, VALUE in TOML syntax "
        "(e.g. --set epochs=5 --set answers='\"stand-in\"'; bare words are strings)",
    )
    parser.add_argument("--fresh", action="store_true", help="discard finished cells and recompute everything")
    parser.add_argument("--report", action="store_true", help="also write the report (gaia-sim report DIR)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--backend", default="gaia_sim", help=argparse.SUPPRESS)  # tests: a stand-in model


def run(args: argparse.Namespace) -> int:
    """Run the sweep; SIGTERM / SIGHUP stop it like Ctrl-C (workers ended, finished cells kept) and
    exit with 128 + the signal number after one line (Ctrl-C itself: ``gaia_sim.cli``, exit 130)."""
    from gaia_sim.sweep.engine import run_sweep
    from gaia_sim.sweep.lifeline import Stopped, stop_signals

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: must be >= 1, got {args.workers}")
    executor = "serial" if args.serial else "dask" if (args.scheduler or args.local_dask) else "pool"
    if executor == "dask":
        quiet_dask_logs()
    try:
        with stop_signals():
            outcome = run_sweep(
                args.file,
                args.out,
                executor=executor,
                workers=args.workers,
                scheduler=args.scheduler or ("local" if args.local_dask else None),
                progress=not args.no_progress,
                fresh=args.fresh,
                backend=args.backend,
                overrides=parse_overrides(args.sets),
            )
    except Stopped as stop:
        print(f"gaia-sim sweep: stopped by {stop}; finished cells are kept, run again to resume", file=sys.stderr)
        return 128 + stop.signum
    _print_summary(outcome, executor, args.workers)
    if args.report:
        from gaia_sim.sweep.report import write_report

        print(f"report: {write_report(outcome.root)}")
    return 1 if outcome.failures else 0


def quiet_dask_logs() -> None:
    """Dask's INFO messages off for this command (it prints its own progress): a local cluster restores
    that level when it closes, and comms still closing after that log "Batched Comm Closed" at INFO
    with a traceback, which after Ctrl-C or SIGTERM read as a crash. Warnings and errors still show."""
    import logging

    import distributed  # noqa: F401  (sets its loggers' levels on import, so import it first)

    logger = logging.getLogger("distributed")
    logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))


def _print_summary(outcome, executor: str, workers: int | None) -> None:
    n_workers = 1 if executor == "serial" else workers or os.cpu_count()
    print(f"sweep: {outcome.root}  ({executor}, {n_workers} workers)")
    print(
        f"cells: {len(outcome.frame)} rows, {outcome.computed} computed now, {outcome.reused} reused,"
        f" {len(outcome.failures)} failed"
    )
    for failure in outcome.failures[:3]:
        print(f"failed cell {failure.key}:\n{failure.error}", file=sys.stderr)
    if outcome.sensitivity is not None and len(outcome.sensitivity):
        table = outcome.sensitivity
        shown = table[table["metric"].isin(table["metric"].unique()[:3])]
        print("Sobol indices (S1 first order, ST total; all metrics in sensitivity.parquet):")
        print(shown.round(3).to_string(index=False))
