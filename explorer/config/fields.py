"""Each setting declared once, on the config field it belongs to, and the one checker every config runs.

A config is a frozen dataclass made with :func:`config`; each of its fields is made with :func:`setting`,
which puts a :class:`Setting` (type, range, unit, choices, label, help, the CLI flag's name) in the field's
metadata. Building a config, by its constructor or ``dataclasses.replace``, checks every declared field
with :func:`check`: the one checker, so a config that exists is a valid one. Every entrance reads the same
declarations: the sidebar widgets take their range, step, label and help from them, the link parser
parses and clamps with them, the CLI generates its flags from them (``--help`` shows each range and unit),
and ``--set`` and scenario files build the configs, so a bad value gives the same one line everywhere:
``jit.passes must be between 1 and 10000 passes, got 1,000,000,000``.

This module imports nothing heavy (no torch, no scikit-learn): the command line parses and checks its
flags with it before the engine loads.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import MISSING, dataclass, field
from typing import Any

KEY = "setting"  # the metadata key of a field's declaration
KINDS = (bool, int, float, str, tuple)


class SettingError(ValueError):
    """A value outside its declaration: one line naming the setting's path, the limit and the value."""

    def __init__(self, path: str, why: str):
        super().__init__(f"{path} {why}" if path else why)
        self.path, self.why = path, why

    def at(self, prefix: str) -> "SettingError":
        """The same problem named under ``prefix`` (a config shared by two methods, ssd and lf_ssd)."""
        return SettingError(join(prefix, self.path.rpartition(".")[2]), self.why)


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


@dataclass(frozen=True)
class Setting:
    """One setting: its type (``bool``, ``int``, ``float``, ``str`` or ``tuple`` of whole numbers), its range
    ``[lo, hi]`` (``lo_open``: lo itself excluded), unit, choices, a widget's step, and how people see it."""

    kind: type
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    lo_open: bool = False
    choices: tuple = ()
    step: float | None = None
    label: str = ""
    help: str = ""
    flag: str = ""  # the CLI flag (without dashes) when it is not the field's name
    link: str = ""  # the link's key when it is not the field's name (the scenario's own fields)

    def describe(self) -> str:
        """The limit in words: ``between 1 and 10000 passes``, ``> 0 and <= 10``, ``one of mlp, cnn``."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "a name"
        lo = "" if self.lo is None else (f"> {number(self.lo)}" if self.lo_open else f">= {number(self.lo)}")
        if self.lo is not None and self.hi is not None and not self.lo_open:
            text = f"between {number(self.lo)} and {number(self.hi)}"
        elif self.hi is not None:
            text = f"{lo} and <= {number(self.hi)}" if lo else f"<= {number(self.hi)}"
        else:
            text = lo or "any value"
        return text + (f" {self.unit}" if self.unit else "")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks this declaration (``must be …, got …``), or None when it fits."""
        if self.kind is bool:
            return None if isinstance(value, bool) else f"must be true or false, got {short(value)}"
        if self.kind is str:
            if not isinstance(value, str):
                return f"must be text, got {short(value)}"
            if self.choices and value not in self.choices:
                return f"must be {self.describe()}, got {short(value)}"
            return None
        if self.kind is tuple:
            if not isinstance(value, (tuple, list)) or len(value) > 100:
                return f"must be a list of at most 100 whole numbers, got {short(value)}"
            element = dataclasses.replace(self, kind=int)
            return next((why for why in map(element.problem, value) if why), None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a {'whole ' if self.kind is int else ''}number, got {short(value)}"
        if self.kind is int and not isinstance(value, int):
            return f"must be a whole number, got {short(value)}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value}"
        if self.below(value) or (self.hi is not None and value > self.hi):
            return f"must be {self.describe()}, got {number(value)}"
        return None

    def below(self, value: float) -> bool:
        return self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo))

    def parse(self, text: str, path: str = "") -> Any:
        """``text`` (a link's value, a CLI flag, ``--set``) as this setting's type; a list of whole numbers is
        comma-separated. Only the type is read here: :meth:`problem` judges the value. SettingError if unreadable."""
        text = str(text).strip()
        if self.kind is tuple:
            element = dataclasses.replace(self, kind=int)
            return tuple(element.parse(t, path) for t in text.split(",") if t.strip())
        if self.kind is bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise SettingError(path, f"must be true or false, got {short(text)}")
        if self.kind is str:
            return text
        try:
            value = float(text)
        except ValueError:
            raise SettingError(path, f"must be a {'whole ' if self.kind is int else ''}number, got {short(text)}") from None
        if self.kind is int and math.isfinite(value):
            if value != int(value):
                raise SettingError(path, f"must be a whole number, got {short(text)}")
            return int(value)
        return value

    def clamp(self, value: Any) -> Any:
        """A number outside the range moved to the nearer limit (an open lower limit has no number to move to:
        the value is returned as it is, for :meth:`problem` to refuse). Anything else, and a number inside the
        range, is returned as it is (the same object)."""
        if self.kind not in (int, float) or isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            return value
        if self.hi is not None and value > self.hi:
            return self.kind(self.hi)
        if self.below(value) and not self.lo_open:
            return self.kind(self.lo)
        return value

    def bounds(self) -> tuple[Any, Any]:
        """(min, max) for a number widget, in the setting's type: an open lower limit becomes the smallest
        useful value above it."""
        if self.kind not in (int, float):
            return None, None
        lo = self.lo
        if lo is not None and self.lo_open:
            lo = lo + (1 if self.kind is int else 1e-6)
        cast = (lambda v: int(math.ceil(v))) if self.kind is int else float
        return (None if lo is None else cast(lo)), (None if self.hi is None else self.kind(self.hi))


def number(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and value >= 10**6:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ----------------------------------------------------------------------------------------------
# declaring

def setting(default: Any = MISSING, *, kind: type | None = None, lo: float | None = None, hi: float | None = None,
            unit: str = "", lo_open: bool = False, choices: tuple = (), step: float | None = None, label: str = "",
            help: str = "", flag: str = "", link: str = "", default_factory: Any = MISSING) -> Any:
    """A dataclass field declared as a setting; its type is the default's unless ``kind`` says otherwise."""
    example = default_factory() if default is MISSING and default_factory is not MISSING else default
    kind = kind or next((k for k in KINDS if isinstance(example, k)), None)
    if kind not in KINDS:
        raise TypeError(f"a setting is one of {', '.join(k.__name__ for k in KINDS)}, got {example!r}")
    declared = Setting(kind, lo, hi, unit, lo_open, tuple(choices), step, label, help, flag, link)
    return field(default=default, default_factory=default_factory, metadata={KEY: declared})


def config(prefix: str):
    """Class decorator: a frozen dataclass whose declared fields :func:`check` checks every time one is built.

    ``prefix`` names the config's settings in messages and paths (``jit`` -> ``jit.sigma``; ``""`` for the
    scenario's own fields). Checking in ``__post_init__`` rather than in each entrance means there is one place
    that checks, and no config object that skipped it: ``dataclasses.replace`` builds through it too.
    """
    def wrap(cls):
        def __post_init__(self):
            check(self)

        cls.__post_init__ = __post_init__
        cls = dataclass(frozen=True)(cls)
        cls.__settings_prefix__ = prefix
        cls.__settings__ = {f.name: dataclasses.replace(f.metadata[KEY], label=f.metadata[KEY].label
                                                        or f.name.replace("_", " "))
                            for f in dataclasses.fields(cls) if KEY in f.metadata}
        return cls

    return wrap


def settings_of(config_or_cls) -> dict[str, Setting]:
    """{field name: Setting} of a config class or instance made with :func:`config` (empty for any other)."""
    return getattr(config_or_cls, "__settings__", {})


def prefix_of(config_or_cls) -> str:
    return getattr(config_or_cls, "__settings_prefix__", "")


# ----------------------------------------------------------------------------------------------
# the one checker

def check(obj) -> None:
    """Every declared field of ``obj`` against its declaration, then the config's ``rules()`` (a rule between
    fields, such as SCRUB's msteps <= epochs), if it has any; SettingError, one line, on the first that breaks."""
    prefix = prefix_of(obj)
    for name, declared in settings_of(obj).items():
        why = declared.problem(getattr(obj, name))
        if why:
            raise SettingError(join(prefix, name), why)
    if hasattr(obj, "rules"):
        obj.rules()


def check_value(path: str, declared: Setting, value: Any) -> Any:
    """``value`` if it fits ``declared``; SettingError naming ``path`` otherwise (a flag checked as it is parsed)."""
    why = declared.problem(value)
    if why:
        raise SettingError(path, why)
    return value


def replaced(obj, prefix: str | None = None, **values):
    """``dataclasses.replace(obj, **values)``, a problem named under ``prefix`` when that differs from the config's
    own (SSD's config serves ``lf_ssd`` too; the retrain reference reads the training recipe)."""
    try:
        return dataclasses.replace(obj, **values)
    except SettingError as err:
        raise (err.at(prefix) if prefix is not None and prefix != prefix_of(obj) else err) from None
