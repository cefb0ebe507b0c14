"""``run``'s setting flags, generated from the settings' declarations (explorer/config/declare.py): one flag per
declared field of the data, model and training configs and of the scenario itself, and one per JiT setting. A
flag's name is the field's (``test_fraction`` as ``--test-fraction``) or its declared ``flag``; its help is the
declared help, ending with the range and unit; its value is read by the declared type and checked by the one
checker (:func:`explorer.config.declare.check`) while the command line is parsed, so an out-of-range value stops
with the same line a scenario file, a link or ``--set`` gets, before the engine loads (the configs' modules import
neither torch nor scikit-learn)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from explorer.cli.common import UsageError
from explorer.config import declare
from explorer.config.audit import AuditConfig
from explorer.config.dataset import DatasetSpec
from explorer.config.jit import JiTConfig
from explorer.config.model import ModelConfig
from explorer.config.scenario import Scenario
from explorer.config.training import TrainConfig

SECTIONS = ("dataset.", "model.", "train.")


@dataclass(frozen=True)
class Flag:
    """A generated flag: its name (without dashes), the setting's scenario path and its declaration."""

    name: str
    path: str
    declared: declare.Limit

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def read(self, text: str):
        """The flag's value as its declared type reads it, checked by the one checker; UsageError, one line."""
        kind = self.declared.kind
        try:
            value = kind(text) if kind in (int, float) else text
        except ValueError:
            value = text  # the checker names the type it wanted
        try:
            return declare.check(self.path, value)
        except ValueError as err:
            raise UsageError(str(err)) from None

    def help(self, lead: str = "") -> str:
        free = self.declared.kind is bool or (self.declared.kind is str and not self.declared.choices)
        limit = "" if free else f" ({self.declared.describe()})"
        words = (self.declared.help or self.path).removesuffix(".")
        return f"{lead}{words}{limit}".replace("%", "%%")


def flags_of(cls: type) -> list[Flag]:
    """A flag for each declared field of the config class ``cls`` (its section from the class)."""
    out = []
    for f in fields(cls):
        declared = declare.limit(declare.path_of(cls.section, f.name))
        if declared is not None:
            out.append(Flag(declared.flag or f.name.replace("_", "-"), declare.path_of(cls.section, f.name), declared))
    return out


SCENARIO_FLAGS = [flag for cls in (DatasetSpec, ModelConfig, TrainConfig, Scenario) for flag in flags_of(cls)]
JIT_FLAGS = flags_of(JiTConfig)
AUDIT_FLAGS = flags_of(AuditConfig)  # the audit command's own


def section(head: str) -> list[Flag]:
    """The scenario flags under ``head`` ("dataset.", "model.", "train.", or "" for the scenario's own)."""
    if head:
        return [f for f in SCENARIO_FLAGS if f.path.startswith(head)]
    return [f for f in SCENARIO_FLAGS if not f.path.startswith(SECTIONS)]


def add(parser, flags: list[Flag], lead: str = "") -> None:
    """Each flag on ``parser`` (a parser or an argument group): a switch for a true/false setting, else a value
    read and checked as it is parsed."""
    for flag in flags:
        if flag.declared.kind is bool:
            parser.add_argument(f"--{flag.name}", dest=flag.dest, action=argparse.BooleanOptionalAction,
                                default=None, help=flag.help(lead))
        else:
            metavar = "{" + ",".join(flag.declared.choices) + "}" if flag.declared.choices else flag.dest.upper()
            parser.add_argument(f"--{flag.name}", dest=flag.dest, type=flag.read, metavar=metavar,
                                help=flag.help(lead))


def given(args: argparse.Namespace, flags: list[Flag]) -> dict[str, object]:
    """{field name: value} of ``flags`` given on the command line (-0.0 read as 0.0)."""
    return {flag.path.rpartition(".")[2]: (value + 0.0 if isinstance(value, float) else value)
            for flag in flags if (value := getattr(args, flag.dest, None)) is not None}
