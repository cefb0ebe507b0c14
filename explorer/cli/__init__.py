"""Headless command line: ``python -m explorer COMMAND`` (``run``, ``methods``, ``calibrate``, ``atlas``, ``audit``,
``sweep``, ``bench``).

The layering decides what loads when. This package is the light layer: argparse, the settings' declarations and
their checker (explorer/config/declare.py), one module per command with its parser; it imports neither torch nor
scikit-learn, so ``--help`` and a refused value answer at once. Once the command line has parsed and passed its
checks, :func:`main` imports the command's engine side, :mod:`explorer.commands` (``explorer.commands.run`` for
``run``), whose imports are at its top like every engine module's.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""
from __future__ import annotations

import sys
from importlib import import_module

from explorer.cli import atlas, audit, bench, calibrate, methods, run, sweep
from explorer.cli.common import Parser, UsageError
from explorer.config.echo import for_terminal
from explorer.config.errors import ScenarioError

COMMANDS = {module.NAME: module for module in (run, methods, calibrate, atlas, audit, sweep, bench)}


def build_parser() -> Parser:
    parser = Parser(prog="python -m explorer", description=__doc__)
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    run_parser = run.add_parser(sub)
    methods.add_parser(sub)
    calibrate.add_parser(sub)
    atlas.add_parser(sub, run_parser)
    audit.add_parser(sub, run_parser)
    sweep.add_parser(sub, run_parser)
    bench.add_parser(sub)
    return parser


# Options whose value may start with '-' (negative coordinates): argparse would take "-0.5,-0.5"
# for an option, so the value is glued on as --forget-point=-0.5,-0.5 before parsing.
NEGATIVE_VALUE_OPTIONS = ("--forget-point", "--forget-ids")


def _glue_negative_values(argv: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(argv):
        if argv[i] in NEGATIVE_VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_glue_negative_values(list(sys.argv[1:] if argv is None else argv)))
        if args.command is None:
            parser.print_help()
            return 2
        light = COMMANDS[args.command]
        if hasattr(light, "check"):
            light.check(args)  # what the light layer can check before the engine loads
        return import_module(f"explorer.commands.{args.command}").command(args)
    except (UsageError, ScenarioError) as err:
        print(f"error: {for_terminal(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 — the CLI promises no traceback, whatever happens
        print(f"error: unexpected {type(err).__name__}: {for_terminal(err)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
