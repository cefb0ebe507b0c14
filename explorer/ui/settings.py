"""The settings widgets of both pages, and the one mapping between them and a Scenario.

Each widget's key is :func:`explorer.ui.state.widget_key` of the scenario field it edits, so the
scenario is read back by walking the same paths. Method settings are generated from each method's
config dataclass: a field type without a widget raises TypeError (a test checks every registered
method), never a silent gap.
"""
from __future__ import annotations

import math
import typing
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

import streamlit as st

from explorer.engine.device import device_label, page_devices, pick_device, torch_threads
from explorer.config import declare
from explorer.config.scenario import Scenario, ScenarioError
from explorer.ui.state import set_widget, widget_key, widget_value
from explorer.ui.text import HELP
from explorer.unlearning import METHODS, get_method, method_names
from explorer.config.urlstate import parse_value

NO_PRESET = "(defaults)"


@dataclass(frozen=True)
class Control:
    """One scenario field's widget: where it lives in the scenario, its label and help (the setting's declared
    ones, explorer/config/declare.py, unless the page words them its own way). Its range and step come from the
    declaration too (``lo``/``hi``/``step`` only to narrow them)."""

    path: str  # "dataset.samples", "model.width", "train.lr", ...
    label: str = ""
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    fmt: str | None = None
    options: Callable[[], list] | None = None  # a selectbox when given
    format_func: Callable[[Any], str] | None = None
    enabled: Callable[[dict], bool] | None = None  # reads the other widgets' values by path
    slider: bool = False

    def __post_init__(self) -> None:
        declared = declare.limit(self.path)
        for words in ("label", "help"):
            if not getattr(self, words) and declared is not None:
                object.__setattr__(self, words, getattr(declared, words))
        if self.options is None and declared is not None and declared.choices:  # a choice: a selectbox of them
            object.__setattr__(self, "options", lambda: list(declared.choices))

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def range(self) -> tuple[Any, Any, Any]:
        """(min, max, step): the page's own when it gives them, else the declaration's."""
        lo, hi = declare.bounds(self.path)
        declared = declare.limit(self.path)
        step = self.step if self.step is not None else (declared.step if declared else None)
        return (self.lo if self.lo is not None else lo), (self.hi if self.hi is not None else hi), step


def get_path(scenario: Scenario, path: str) -> Any:
    value: Any = scenario
    for part in path.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def with_path(scenario: Scenario, path: str, value: Any) -> Scenario:
    """``scenario`` with the dataclass field at ``path`` (one or two levels) replaced."""
    head, _, rest = path.partition(".")
    if not rest:
        return replace(scenario, **{head: value})
    return replace(scenario, **{head: replace(getattr(scenario, head), **{rest: value})})


# ----------------------------------------------------------------------------------------------
# scenario -> widgets

def set_widgets(page: str, scenario: Scenario, controls: list[Control], methods: list[str]) -> None:
    """Every widget of ``controls`` and of the method block from ``scenario`` (a session's first run)."""
    for c in controls:
        set_widget(page, c.path, get_path(scenario, c.path))
    set_widget(page, "method", scenario.method if scenario.method in methods else methods[0])
    set_widget(page, "compare", list(scenario.compare))
    set_widget(page, "device", scenario.device)
    for method in methods:
        preset = scenario.presets.get(method) or default_preset(method)
        set_widget(page, f"presets.{method}", preset or NO_PRESET)
        for name, value in method_values(method, preset, scenario.configs.get(method)).items():
            set_widget(page, f"configs.{method}.{name}", to_widget(value))


def default_preset(method: str) -> str | None:
    return "explorer" if "explorer" in get_method(method).presets else None


def method_values(method: str, preset: str | None, overrides: dict | None = None) -> dict:
    cfg = get_method(method).config_from(overrides or None, preset)
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)}


def to_widget(value: Any) -> Any:
    """A setting's value as its widget holds it (a tuple is edited as comma-separated text)."""
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else value


# ----------------------------------------------------------------------------------------------
# widgets -> scenario

def scenario_from_widgets(page: str, base: Scenario, controls: list[Control]) -> Scenario:
    """``base`` (the fields no widget edits: seeds, grid, probe) with every widget's value at its path."""
    scenario = base
    for c in controls:
        value = widget_value(page, c.path, get_path(base, c.path))
        like = get_path(base, c.path)
        scenario = with_path(scenario, c.path, type(like)(value) if isinstance(like, (int, float)) else value)
    method = widget_value(page, "method", base.method)
    preset = widget_value(page, f"presets.{method}", NO_PRESET)
    preset = None if preset == NO_PRESET else preset
    defaults = method_values(method, preset)
    overrides = {}
    for name, default in defaults.items():
        raw = widget_value(page, f"configs.{method}.{name}", to_widget(default))
        try:
            value = parse_value(raw, default) if isinstance(default, tuple) else raw
        except ValueError as err:
            raise ScenarioError(f"{method} setting {name}: {err}") from None
        if value != default:
            overrides[name] = value
    return replace(scenario, method=method, configs={method: overrides} if overrides else {},
                   presets={method: preset} if preset else {}, device=widget_value(page, "device", base.device))


# ----------------------------------------------------------------------------------------------
# drawing

def draw(page: str, control: Control) -> None:
    key = widget_key(page, control.path)
    disabled = control.enabled is not None and not control.enabled(lambda p: widget_value(page, p))
    if control.options is not None:
        st.selectbox(control.label, control.options(), key=key, help=control.help, disabled=disabled,
                     format_func=control.format_func or str)
    elif control.slider:
        lo, hi, step = control.range
        st.slider(control.label, lo, hi, step=step, key=key, help=control.help,
                  disabled=disabled)
    else:
        lo, hi, step = control.range
        st.number_input(control.label, lo, hi, step=step, key=key, help=control.help,
                        format=control.fmt, disabled=disabled)


def widget_kind(hint, value, choices: tuple = ()) -> str:
    """Which widget edits a config field of this type (``choices``: the declared ones); TypeError when none does."""
    if choices or typing.get_origin(hint) is typing.Literal:
        return "select"
    if isinstance(value, bool):
        return "checkbox"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, tuple) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return "numbers"
    raise TypeError(f"no widget for a setting of type {hint!r} (value {value!r})")


def config_widget(page: str, method: str, name: str, value, hint) -> None:
    key = widget_key(page, f"configs.{method}.{name}")
    declared = declare.limit(f"{method}.{name}")
    label = (declared and declared.label) or name.replace("_", " ")
    helptext = (declared and declared.help) or f"{method} setting '{name}'."
    choices = declared.choices if declared else ()
    kind = widget_kind(hint, value, choices)
    if kind == "select":
        st.selectbox(label, list(choices or typing.get_args(hint)), key=key, help=helptext)
    elif kind == "checkbox":
        st.checkbox(label, key=key, help=helptext)
    elif kind == "number" and isinstance(value, int):
        lo, hi = _typed_bounds(method, name, int)
        st.number_input(label, lo, hi, step=1, key=key, help=helptext)
    elif kind == "number":
        lo, hi = _typed_bounds(method, name, float)
        st.number_input(label, lo, hi, key=key, help=helptext, format="%.5g", step=max(abs(value) / 10, 1e-4))
    else:  # text, or numbers written comma-separated
        st.text_input(label, key=key, help=helptext + (" Comma-separated." if kind == "numbers" else ""))


def _typed_bounds(method: str, name: str, kind: type) -> tuple[Any, Any]:
    """A method setting's declared (min, max) (explorer/config/declare.py) in the widget's number type."""
    lo, hi = declare.bounds(f"{method}.{name}")
    if kind is int:
        return (None if lo is None else math.ceil(lo)), (None if hi is None else math.floor(hi))
    return (None if lo is None else float(lo)), (None if hi is None else float(hi))


def _on_preset_change(page: str, method: str) -> None:
    preset = widget_value(page, f"presets.{method}")
    for name, value in method_values(method, None if preset == NO_PRESET else preset).items():
        set_widget(page, f"configs.{method}.{name}", to_widget(value))


def method_block(page: str, methods: list[str]) -> None:
    """The method, its preset (with its source) and every setting of its config, then the device."""
    method = st.selectbox("method", methods, key=widget_key(page, "method"), help=HELP["method"],
                          format_func=lambda m: f"{m} — {METHODS[m].summary.split(':')[0]}" if m in METHODS else m)
    spec = get_method(method)
    st.caption(f"{spec.summary}. Sees: {spec.access.describe()}" + (" (zero-shot)." if spec.access.zero_shot else "."))
    st.selectbox("preset", [NO_PRESET, *spec.presets], key=widget_key(page, f"presets.{method}"),
                 on_change=_on_preset_change, args=(page, method), help=HELP["preset"])
    preset = widget_value(page, f"presets.{method}", NO_PRESET)
    if preset != NO_PRESET:
        st.caption(f"Source: {spec.presets[preset].source}")
    hints = typing.get_type_hints(spec.config_cls)
    for name, value in method_values(method, None if preset == NO_PRESET else preset).items():
        config_widget(page, method, name, value, hints.get(name))
    device_widget(page)


def device_widget(page: str) -> None:
    devices = page_devices()
    if widget_value(page, "device") not in devices:
        set_widget(page, "device", "auto")
    st.selectbox("device", devices, key=widget_key(page, "device"), help=HELP["device"])
    try:
        with torch_threads():  # the threads the app computes with, not the process default
            st.caption(f"Running on **{device_label(pick_device(widget_value(page, 'device')))}**: the models are "
                       "tiny, so one thread is faster than several")
    except ValueError as err:
        st.caption(str(err))


def runnable_methods() -> list[str]:
    """Methods the Unlearn button can run (every registered one except the reference itself)."""
    return [m for m in method_names() if m != "retrain"] or ["jit"]


def compare_options(main: str, zero_shot_only: bool = False) -> list[str]:
    """Registered methods that can be compared with ``main`` (never itself or the retrain reference)."""
    return [m for m in method_names(zero_shot_only=zero_shot_only) if m not in (main, "retrain")]


def compare_widget(page: str, main: str) -> list[str]:
    """The "Compare with" multiselect and its zero-shot filter (choices drop what the filter hides)."""
    zero_shot = st.checkbox("zero-shot only", key=widget_key(page, "ui.zero_shot"),
                            help=f"{HELP['zero_shot']} Here: {', '.join(method_names(zero_shot_only=True))}.")
    options = compare_options(main, zero_shot)
    set_widget(page, "compare", [m for m in widget_value(page, "compare", []) if m in options])
    st.multiselect("Compare with", options, key=widget_key(page, "compare"), help=HELP["compare"])
    st.caption("Zero-shot (never see the retain data): " + ", ".join(method_names(zero_shot_only=True)) + ".")
    return list(widget_value(page, "compare", []))
