"""``gaia-sim report DIR``: summary tables and phase diagrams (PNG + HTML) for a sweep directory."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="sweep directory, e.g. results/sweeps/claims")
    parser.add_argument(
        "--metric",
        action="append",
        dest="metrics",
        metavar="NAME",
        help="metric to tabulate and plot (repeatable; default: the sweep's [report] metrics)",
    )
    parser.add_argument("-x", metavar="PATH", help="parameter on the x axis (default: [report] x or first axis)")
    parser.add_argument("-y", metavar="PATH", help="parameter on the y axis (default: [report] y or second axis)")
    parser.add_argument(
        "--discover",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="PRIM boxes where cheating pays: report/prim.json and prim.png (default: [report] discover)",
    )


def run(args: argparse.Namespace) -> int:
    from gaia_sim.sweep.report import write_report

    out = write_report(args.dir, metrics=args.metrics, x=args.x, y=args.y, discover=args.discover)
    print(f"report: {out}")
    print((out / "summary.md").read_text(encoding="utf-8")[:4000])
    index = (out / "index.md").read_text(encoding="utf-8")
    if "## Where cheating pays" in index:
        print(index[index.index("## Where cheating pays") :].strip())
    return 0
