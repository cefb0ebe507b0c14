"""Headless command line: ``python -m explorer COMMAND``, one module per command (``run``, ``methods``,
``calibrate``, ``atlas``, ``bench``), each with ``command(args)``.

Two layers: explorer/cli/parsers.py parses the command line and checks every value against its setting's
declaration without loading the engine (``--help`` and a refused value take a fraction of a second); then
the command's module is imported by name and runs. Bad input exits with status 2 and one line on stderr,
never a traceback.
"""
from __future__ import annotations

import importlib
import sys

from explorer.cli.common import Parser, UsageError
from explorer.cli.parsers import build_parser as _build
from explorer.config.fields import SettingError
from explorer.config.scenario import ScenarioError

COMMANDS = ("run", "methods", "calibrate", "atlas", "bench")  # each explorer/cli/<name>.py, loaded when it runs


def build_parser() -> Parser:
    return _build(__doc__)


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
        return importlib.import_module(f"{__name__}.{args.command}").command(args)
    except (UsageError, ScenarioError, SettingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 — the CLI promises no traceback, whatever happens
        print(f"error: unexpected {type(err).__name__}: {err}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
