"""Each setting declared once, on the config field it belongs to, and the one checker that reads the declarations.

A setting is a dataclass field made with :func:`setting`: its default, its range and unit, its label and help
(the words the CLI flag, the sidebar widget and a link's notice show), and, where today's name differs from the
field's, its CLI ``flag`` and its URL ``link`` key. A config class derives from :class:`Settings` with its
``section`` (``dataset``, ``model``, ``train``, ``jit``, ...; the scenario's own settings have none), and its
``__post_init__`` checks every declared field, so a config is checked once, when it is built (also by
``dataclasses.replace``). Every entrance reads the same fields: the sidebar widgets (explorer/ui/settings.py), the
link parser (explorer/config/urlstate.py), ``--set``, scenario files and the CLI flags (explorer/cli/flags.py).

A setting is named by its scenario path: ``dataset.samples``, ``train.epochs``, ``seed``, and ``<method>.<field>``
(``jit.passes``, ``scrub.lr``). Method settings that many methods share by name (``lr``, ``epochs``, ``batch_size``,
...) are declared once in :data:`SHARED`; a method config's field without its own declaration takes the shared one
of its name, so a new method inherits the bounds of the settings it shares with the others (a test checks that
every field of every registered config resolves to a declaration).

This module imports nothing heavy (neither torch nor scikit-learn), so the command line checks its flags before
the engine loads.
"""
from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any, ClassVar

from explorer.config.echo import number, shown
from explorer.config.errors import ScenarioError
from explorer.config.limits import MAX_SAMPLES

I, F, B, S, T = int, float, bool, str, tuple
OPTIMIZERS = ("adam", "sgd")  # what explorer/engine/training.py make_optimizer builds
SCHEDULES = ("constant", "cosine", "one_cycle", "step", "cosine_epochs")  # explorer/unlearning/_common.py's


class SettingError(ScenarioError):
    """A value outside its declaration: the checker's one line, the same from every entrance."""


@dataclass(frozen=True)
class Limit:
    """One setting: its type (``int``, ``float``, ``bool``, ``str`` or ``tuple`` of ints), its range ``[lo, hi]``
    (``lo_open``: lo itself excluded), its unit, its choices for a string, a widget's step; the words shown for it
    (``label`` on a widget, ``help`` on a widget and a flag); ``flag`` and ``link``: its CLI name and URL key where
    they differ from the field's name."""

    kind: type
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    lo_open: bool = False
    choices: tuple = ()
    step: float | None = None
    label: str = ""
    help: str = ""
    flag: str | None = None
    link: str | None = None

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind is bool:
            return "0 or 1"
        lo = "" if self.lo is None else (f"> {_num(self.lo)}" if self.lo_open else f">= {_num(self.lo)}")
        if self.lo is not None and self.hi is not None and not self.lo_open:
            text = f"between {_num(self.lo)} and {_num(self.hi)}"
        elif self.hi is not None:
            text = f"{lo} and <= {_num(self.hi)}" if lo else f"<= {_num(self.hi)}"
        else:
            text = lo or "any value"
        return text + (f" {self.unit}" if self.unit else "")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit (the end of the one-line message), or None."""
        if self.kind is B:
            return None if isinstance(value, bool) else f"must be true or false, got {_short(value)}"
        if self.kind is S:
            if not isinstance(value, str):
                return f"must be text, got {_short(value)}"
            if self.choices and value not in self.choices:
                return f"must be {self.describe()}, got {_short(value)}"
            return None
        if self.kind is T:
            if not isinstance(value, (tuple, list)) or len(value) > 100:
                return f"must be a list of at most 100 whole numbers, got {_short(value)}"
            item = Limit(I, self.lo, self.hi, self.unit)
            return next((why for why in map(item.problem, value) if why), None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a {'whole ' if self.kind is I else ''}number, got {_short(value)}"
        if self.kind is I and not isinstance(value, int):
            return f"must be a whole number, got {_short(value)}"
        if not math.isfinite(value):
            return f"must be a finite number, got {value}"
        if self.below(value) or (self.hi is not None and value > self.hi):
            return f"must be {self.describe()}, got {_num(value)}"
        return None

    def below(self, value) -> bool:
        return self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo))


def _num(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return number(value)  # 1e308 as 1e+308, never as a 309-digit whole number
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and value >= 10**6:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _short(value: Any) -> str:
    return shown(value, 40)


def setting(default: Any = MISSING, *, factory: Any = MISSING, kind: type | None = None, lo: float | None = None,
            hi: float | None = None, unit: str = "", lo_open: bool = False, choices: tuple = (),
            step: float | None = None, label: str = "", help: str = "", flag: str | None = None,
            link: str | None = None):
    """A dataclass field declaring one setting; its type is the default's unless ``kind`` says otherwise."""
    example = factory() if factory is not MISSING else default
    declared = Limit(kind or type(example), lo, hi, unit, lo_open, tuple(choices), step, label, help, flag, link)
    return field(default=default, default_factory=factory, metadata={"limit": declared})


# Every config class with settings, by section (filled as each is defined; a method's by its registration).
SECTIONS: dict[str, type] = {}
CORE = ("dataset", "model", "train", "")  # sections whose fields never fall back on SHARED


class Settings:
    """Base of a config whose fields are declared with :func:`setting`: building one checks every declared field,
    with the one checker, and raises :class:`SettingError` (one line naming the setting by its path); then the
    config's own :meth:`validate` (rules between fields)."""

    section: ClassVar[str] = ""

    def __init_subclass__(cls, section: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if section is not None:
            cls.section = section
            SECTIONS[section] = cls

    def __post_init__(self) -> None:
        check_fields(self.section, self)
        self.validate()

    def validate(self) -> None:
        """The rules that one field's declaration cannot say (between fields); none unless a config adds them."""


def path_of(section: str, name: str) -> str:
    return f"{section}.{name}" if section else name


@cache
def declared(cls: type, section: str) -> dict[str, Limit | None]:
    """{field name: its declaration} of the dataclass ``cls`` read as settings of ``section``: the field's own, else
    (a method's) the shared declaration of its name."""
    shared = {} if section in CORE else SHARED
    return {f.name: f.metadata.get("limit") or shared.get(f.name) for f in fields(cls)}


def limit(path: str) -> Limit | None:
    """The declaration of ``path`` (``dataset.samples``, ``jit.passes``, ``scrub.lr``, ``retrain.lr``), or None."""
    head, _, name = path.rpartition(".")
    head = "train" if head == "retrain" else head
    cls = SECTIONS.get(head)
    if cls is None:
        return SHARED.get(name) if head and head not in CORE else None
    return declared(cls, head).get(name)


def check(path: str, value: Any) -> Any:
    """``value`` if it has the declared type and lies in range; :class:`SettingError` (one line naming the setting,
    the value and the limit) otherwise. An undeclared path passes unchanged."""
    lim = limit(path)
    why = lim.problem(value) if lim is not None else None
    if why:
        raise SettingError(f"{path} {why}")
    return value


def check_fields(section: str, obj) -> None:
    """Check every declared field of the dataclass ``obj`` as settings of ``section`` (``dataset``, ``jit``, ...)."""
    for name, lim in declared(type(obj), section).items():
        why = lim.problem(getattr(obj, name)) if lim is not None else None
        if why:
            raise SettingError(f"{path_of(section, name)} {why}")


def undeclared(section: str, config_cls: type) -> list[str]:
    """Fields of ``config_cls`` without a declaration (a test keeps this empty for every config)."""
    return [name for name, lim in declared(config_cls, section).items() if lim is None]


def clamp(path: str, value: Any) -> tuple[Any, str | None]:
    """(value inside the declared range, a notice, or None when unchanged). The notice is the checker's own line
    and what was used instead (``train.epochs must be between 1 and 20000 epochs, got 50000; using 20000.``). Only
    numbers are clamped; a wrong type, a non-finite number or an excluded lower bound is a :class:`SettingError`, as
    in :func:`check`."""
    lim = limit(path)
    if lim is None or lim.kind not in (I, F) or isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or (lim.kind is I and not isinstance(value, int)):
        return check(path, value), None
    if lim.hi is not None and value > lim.hi:
        used = lim.kind(lim.hi)
    elif lim.below(value) and not lim.lo_open:  # an open bound: nothing to clamp to, the bound is not allowed
        used = lim.kind(lim.lo)
    else:
        return check(path, value), None
    return used, f"{path} {lim.problem(value)}; using {_num(used)}."


def bounds(path: str) -> tuple[float | None, float | None]:
    """(min, max) for a widget: an open lower bound becomes the smallest useful positive value."""
    lim = limit(path)
    if lim is None or lim.kind not in (I, F):
        return None, None
    lo = lim.lo
    if lo is not None and lim.lo_open:
        lo = 1e-6 if lim.kind is F else lo + 1
    cast = lim.kind
    return (None if lo is None else cast(lo)), (None if lim.hi is None else cast(lim.hi))


# ----------------------------------------------------------------------------------------------
# method settings shared by name: declared once here, inherited by every method field of that name without its own

_FULL = "samples (0 = full batch)"
SHARED: dict[str, Limit] = {
    "lr": Limit(F, 0.0, 10.0, lo_open=True, help="learning rate"),
    "noise_lr": Limit(F, 0.0, 10.0, lo_open=True, help="the noise's learning rate"),
    "repair_lr": Limit(F, 0.0, 10.0, lo_open=True, help="the repair phase's learning rate"),
    "epochs": Limit(I, 1, 1000, "epochs"),
    "steps": Limit(I, 1, 10000, "steps"),
    "batch_size": Limit(I, 0, MAX_SAMPLES, _FULL),
    "forget_batch_size": Limit(I, 0, MAX_SAMPLES, _FULL),
    "repair_batch_size": Limit(I, 0, MAX_SAMPLES, _FULL),
    "optimizer": Limit(S, choices=OPTIMIZERS),
    "momentum": Limit(F, 0.0, 0.999),
    "weight_decay": Limit(F, 0.0, 10.0),
    "anchor_weight": Limit(F, 0.0, 1000.0),
    "schedule": Limit(S, choices=SCHEDULES),
    "alpha": Limit(F, 0.0, 1000.0),
    "gamma": Limit(F, 0.0, 1000.0),
    "temperature": Limit(F, 0.0, 100.0, lo_open=True),
    "train_mode": Limit(B, help="run the model in train mode (published)"),
    "three_per_copy": Limit(B),
    "stale_noise_grads": Limit(B),
    "noise_train_mode": Limit(B),
    "elementwise_kl": Limit(B),
    "first_per_class": Limit(B),
    "shuffle_forget": Limit(B),
    "noise_batch": Limit(I, 1, 1024, "samples"),
    "noise_steps": Limit(I, 1, 1000, "steps"),
    "max_noise_steps": Limit(I, 1, 1000, "steps"),
    "min_noise_steps": Limit(I, 1, 1000, "steps"),
    "noise_reg": Limit(F, 0.0, 1000.0),
    "min_noise_reg": Limit(F, 0.0, 1000.0),
    "noise_copies": Limit(I, 1, 1000, "copies"),
    "per_class": Limit(I, 1, MAX_SAMPLES, "samples"),
    "impair_epochs": Limit(I, 1, 100, "epochs"),
    "repair_epochs": Limit(I, 0, 100, "epochs"),
    "retain_fraction": Limit(F, 0.0, 1.0),
    "msteps": Limit(I, 0, 1000, "epochs"),
    "lr_decay_epochs": Limit(T, 0, 1000, "epochs"),
    "lr_decay_rate": Limit(F, 0.0, 1.0),
    "max_grad_norm": Limit(F, 0.0, 1e6),
    "lam": Limit(F, 0.0, 1000.0, lo_open=True),
    "exponent": Limit(F, 0.0, 100.0, lo_open=True),
    "lower_bound": Limit(F, 0.0, 1.0, lo_open=True),
}
