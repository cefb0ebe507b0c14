"""Command-line flags generated from the settings' declarations: one flag per field of the data, model and
training configs, the scenario's own settings and JiT's settings (the ``run`` shortcuts ``--sigma``,
``--eta``, …). A flag's help shows the declaration's help, range and unit; its value is read and checked by
the declaration as it is parsed, so a value out of range stops the command line with the declaration's one
line before anything heavy loads."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from explorer.cli.common import UsageError
from explorer.config.fields import Setting, SettingError, check_value, settings_of
from explorer.config.jit import JiTConfig
from explorer.config.scenario import SECTIONS, Scenario


@dataclass(frozen=True)
class Flag:
    """A generated flag: its name, where its value goes in the scenario and the declaration it is read by."""

    name: str  # without dashes: "samples", "jit-batch-size", "data-seed"
    path: str  # "dataset.samples", "jit.batch_size", "seed"
    declared: Setting

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def read(self, text: str):
        """The flag's value as its declaration reads and checks it; UsageError, one line, otherwise."""
        try:
            return check_value(self.path, self.declared, self.declared.parse(text, self.path))
        except SettingError as err:
            raise UsageError(str(err)) from None


def _flags(prefix: str, cls) -> list[Flag]:
    return [Flag(s.flag or name.replace("_", "-"), f"{prefix}.{name}" if prefix else name, s)
            for name, s in settings_of(cls).items()]


# Every setting of the data, model and training configs and the scenario's own, and JiT's settings.
SCENARIO_FLAGS: list[Flag] = [flag for prefix, cls in SECTIONS.items() for flag in _flags(prefix, cls)]
SCENARIO_FLAGS += _flags("", Scenario)
JIT_FLAGS: list[Flag] = _flags("jit", JiTConfig)


def help_text(flag: Flag, lead: str = "") -> str:
    """The declaration's help with its range and unit (``%`` escaped for argparse); a switch needs no range."""
    limit = "" if flag.declared.kind is bool else f" ({flag.declared.describe()})"
    return f"{lead}{flag.declared.help.rstrip('.')}{limit}".replace("%", "%%")


def add(parser, flags: list[Flag], lead: str = "", extra: dict[str, str] | None = None) -> None:
    """Add each flag to ``parser`` (a parser or an argument group); ``extra`` adds words to a flag's help."""
    for flag in flags:
        text = help_text(flag, lead) + (extra or {}).get(flag.name, "")
        if flag.declared.kind is bool:
            parser.add_argument(f"--{flag.name}", dest=flag.dest, action=argparse.BooleanOptionalAction,
                                default=None, help=text)
        else:
            metavar = "{" + ",".join(flag.declared.choices) + "}" if flag.declared.choices else flag.dest.upper()
            parser.add_argument(f"--{flag.name}", dest=flag.dest, type=flag.read, metavar=metavar, help=text)


def given(args: argparse.Namespace, flags: list[Flag]) -> dict[str, object]:
    """{path: value} of the flags given on the command line."""
    return {flag.path: getattr(args, flag.dest) for flag in flags if getattr(args, flag.dest, None) is not None}
