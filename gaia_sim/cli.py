"""``gaia-sim`` command line: one sub-command per capability, each implemented in its own module.

Each sub-command module exposes ``add_arguments(parser)`` and ``run(args) -> int``; it is imported
only when its command is used, so ``gaia-sim --help`` stays fast. Bad input raises
:class:`gaia_sim.errors.UserError`, printed here as one line, exit status 2, no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gaia_sim.errors import UserError

#: command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("gaia_sim.run_cli", "run one scenario file and write results/<scenario>/<hash>/"),
    "bank": ("gaia_sim.answers.cli", "build, verify or inspect the answer bank of real model outputs"),
    "evaluate": ("gaia_sim.evaluation", "ROC / TPR-at-FPR evaluation of detectors on the bank or real Gaia answers"),
    "sweep": ("gaia_sim.sweep.cli_sweep", "run a parameter sweep file (process pool or Dask)"),
    "report": ("gaia_sim.sweep.cli_report", "summary tables and phase diagrams for a sweep result"),
    "deterrence": (
        "gaia_sim.deterrence_cli",
        "does cheating pay? closed-form margin, min stake and basin edge for a scenario",
    ),
    "recommend": (
        "gaia_sim.sweep.cli_recommend",
        "the cheapest design (stake, slashing, probes, committee) that deters every attack the red team finds",
    ),
    "dashboard": ("dashboard.app", "start the Dash dashboard on localhost"),
}


def _parser(argv: list[str]) -> tuple[argparse.ArgumentParser, str | None]:
    parser = argparse.ArgumentParser(prog="gaia-sim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(cmd)
    return parser, chosen


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser, chosen = _parser(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(importlib.import_module(COMMANDS[chosen][0]).run(args) or 0)
    except UserError as err:
        # messages that name the command themselves ("gaia-sim evaluate: --trials ...") are not prefixed twice
        print(f"gaia-sim {chosen}: error: {str(err).removeprefix(f'gaia-sim {chosen}: ')}", file=sys.stderr)
        return err.exit_code
    except OSError as err:  # a file-system problem no command foresaw: one line, never a traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"gaia-sim {chosen}: error: {where}{err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"gaia-sim {chosen}: interrupted; finished work is kept, run again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
