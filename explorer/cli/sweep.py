"""``python -m explorer sweep``'s command line: any registered method (``--method``, JiT by default) once per pair
of values of two of its numeric settings (``--x SETTING=V1,V2,...``, ``--y ...``; σ×η for JiT), on a scenario
(every scenario flag of ``run`` applies). What it does once parsed: :mod:`explorer.commands.sweep`."""
from __future__ import annotations

from explorer.cli.common import UsageError, floats, quoted, runner_flags

NAME = "sweep"


def add_parser(sub, run):
    sweep = sub.add_parser("sweep", help="a method once per pair of values of two of its settings (σ×η for JiT), "
                                         "measured against retraining; --method picks any registered method")
    for action in run._actions:  # every scenario flag of `run` applies, --method the sweep's method
        if action.dest not in ("help", "out", "threads"):
            sweep._add_action(action)
    sweep.add_argument("--x", metavar="SETTING=V1,V2,...",
                       help="the setting of the columns and its values (default for JiT: sigma around its value; "
                            "another method: its first numeric setting, a quarter to four times its value)")
    sweep.add_argument("--y", metavar="SETTING=V1,V2,...", help="the setting of the rows and its values (default for "
                                                                "JiT: eta; another method: its second numeric setting)")
    runner_flags(sweep)
    sweep.add_argument("--workers", type=int, help="processes or Ray tasks at once (default: the usable cores)")
    sweep.add_argument("--out", help="write the sweep's JSON here (default: stdout)")
    return sweep


def axis(text: str | None, flag: str) -> tuple[str, tuple[float, ...] | None] | None:
    """``SETTING=V1,V2,...`` (or ``SETTING`` alone: its default values) as (setting, values); None when not given."""
    if text is None:
        return None
    name, eq, values = text.partition("=")
    if not name.strip() or (eq and not values.strip()):
        raise UsageError(f"{flag} takes SETTING=V1,V2,..., got {quoted(text)}")
    return name.strip(), (floats(values, flag) if eq else None)


def check(args) -> None:
    """The axes' form, before the engine loads (their settings and ranges are the method's, checked after)."""
    axis(args.x, "--x")
    axis(args.y, "--y")
