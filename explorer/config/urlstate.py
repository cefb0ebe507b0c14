"""A scenario and its forget ids <-> URL query parameters (flat strings, only non-default values).

Keys: ``ds`` dataset name, ``d.<field>`` other dataset fields, ``m.<field>`` model, ``t.<field>``
training, ``method``, ``p.<method>`` preset, ``c.<method>.<field>`` method settings, ``seed``,
``device``, ``grid``, ``cmp`` methods to compare (comma-separated), ``f`` forget ids as ranges (``3-5,9``).
Every key but ``ds``, ``p.``, ``cmp`` and ``f`` names a declared setting (explorer/config/fields.py), and the
declaration parses its value. Decoding never fails and never blows up: a number outside its declared range is
clamped to the limit with a notice naming the value and the declaration's limit; any other bad parameter is
dropped alone (its default is used) with a one-line notice; forget ids beyond the training set are dropped
without being expanded, with a notice.
"""
from __future__ import annotations

from dataclasses import fields, replace
from typing import Any, Iterable, Mapping

import torch

from explorer.config.fields import Setting, check_value, number, settings_of
from explorer.config.scenario import Scenario, ScenarioError, default_scenario
from explorer.config.shared import MAX_SAMPLES
from explorer.engine.device import mps_available, pick_device
from explorer.config.selection import expand, parse_id_ranges
from explorer.unlearning import get_method, method_names
from toy_data import dataset_names, image_dataset_names

SECTIONS = {"d": "dataset", "m": "model", "t": "train"}
TOP = {declared.link or name: name for name, declared in settings_of(Scenario).items()}  # seed, grid, lip, ...


# ----------------------------------------------------------------------------------------------
# forget ids as compact ranges

def encode_ids(ids: Iterable[int]) -> str:
    ids = sorted(set(int(i) for i in ids))
    parts, i = [], 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if j == i else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def decode_ids(text: str, n: int = MAX_SAMPLES) -> list[int]:
    """Inverse of :func:`encode_ids` for ids below ``n``; ids at or beyond ``n`` are dropped without ever being
    expanded (:func:`explorer.config.selection.parse_id_ranges`). ValueError on anything that is not an id list."""
    ranges, _ = parse_id_ranges(text, n)
    return expand(ranges)


# ----------------------------------------------------------------------------------------------
# values

def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return ",".join(_fmt(v) for v in value)
    return str(value)


def _diff(obj, base) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)
            if getattr(obj, f.name) != getattr(base, f.name)}


# ----------------------------------------------------------------------------------------------
# scenario -> params

def to_params(scenario: Scenario, forget_ids: Iterable[int] = ()) -> dict[str, str]:
    """Flat string parameters holding everything that differs from ``default_scenario(dataset)``."""
    base = default_scenario(scenario.dataset.name)
    out = {"ds": scenario.dataset.name}
    for short, attr in SECTIONS.items():
        for name, value in _diff(getattr(scenario, attr), getattr(base, attr)).items():
            if attr == "dataset" and name == "name":
                continue
            out[f"{short}.{name}"] = _fmt(value)
    for key, attr in TOP.items():
        if getattr(scenario, attr) != getattr(base, attr):
            out[key] = _fmt(getattr(scenario, attr))
    for method, preset in sorted(scenario.presets.items()):
        if preset and preset != base.presets.get(method):  # the dataset's default preset needs no parameter
            out[f"p.{method}"] = str(preset)
    for method, values in sorted(scenario.configs.items()):
        for name, value in sorted((values or {}).items()):
            out[f"c.{method}.{name}"] = _fmt(value)
    if scenario.compare:
        out["cmp"] = ",".join(scenario.compare)
    ids = encode_ids(forget_ids)
    if ids:
        out["f"] = ids
    return out


# ----------------------------------------------------------------------------------------------
# params -> scenario

def _first(value) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else ""
    return str(value)


def from_params(params: Mapping[str, Any]) -> tuple[Scenario, list[int], list[str]]:
    """(scenario, forget ids, notices). Unknown or invalid parameters fall back to defaults."""
    raw = {str(k): _first(v) for k, v in dict(params).items()}
    notices: list[str] = []

    def bad(key: str, why: str) -> None:
        notices.append(f"Ignored URL parameter {key}={raw.get(key, '')!r} ({why}); using the default.")

    name = raw.pop("ds", "moons") or "moons"
    if name not in dataset_names() or name in image_dataset_names():
        notices.append(f"Ignored URL parameter ds={name!r} (unknown 2D dataset); using moons.")
        name = "moons"
    scenario = default_scenario(name)
    consumed: set[str] = set()

    # dataset / model / train: one field at a time, each validated with its section
    for short, attr in SECTIONS.items():
        for key in sorted(k for k in raw if k.startswith(short + ".")):
            consumed.add(key)
            field_name = key[len(short) + 1:]
            section = getattr(scenario, attr)
            if field_name not in {f.name for f in fields(section)} or (attr == "dataset" and field_name == "name"):
                bad(key, "unknown setting")
                continue
            try:
                declared = settings_of(section)[field_name]
                value = _clamped(f"{attr}.{field_name}", key, raw[key], declared, pending := [])
                if attr == "model" and field_name == "kind" and value != "mlp":
                    raise ValueError("the 2D explorer trains an MLP; cnn is for the images page")
                candidate = replace(section, **{field_name: value})
            except (ValueError, TypeError, OverflowError) as err:
                bad(key, str(err).split("\n")[0])
                continue
            scenario = replace(scenario, **{attr: candidate})
            notices += pending

    for key, attr in TOP.items():
        if key not in raw:
            continue
        consumed.add(key)
        try:
            value = _clamped(attr, key, raw[key], settings_of(Scenario)[attr], pending := [])
            if attr == "method" and value not in method_names():
                raise ValueError(f"unknown method; valid: {', '.join(method_names())}")
            if attr == "method" and value == "retrain":
                raise ValueError("retrain is the reference, not a method to run")
            if attr == "device":
                pick_device(value)
                if value not in page_devices():
                    raise ValueError(f"the page offers {', '.join(page_devices())} here")
            scenario = replace(scenario, **{attr: value})
            notices += pending
        except (ValueError, TypeError, OverflowError) as err:
            bad(key, str(err).split("\n")[0])

    presets = dict(scenario.presets)  # the dataset's defaults, overridden by the link
    for key in sorted(k for k in raw if k.startswith("p.")):
        consumed.add(key)
        method = key[2:]
        try:
            get_method(method).config_from(None, raw[key])
            presets[method] = raw[key]
        except ValueError as err:
            bad(key, str(err))
    configs: dict[str, dict] = {}
    for key in sorted(k for k in raw if k.startswith("c.")):
        consumed.add(key)
        try:
            _, method, field_name = key.split(".", 2)
            spec = get_method(method)
            base = spec.config_from(None, presets.get(method))
            if field_name not in {f.name for f in fields(base)}:
                raise ValueError(f"{method} has no setting {field_name}")
            value = _clamped(f"{method}.{field_name}", key, raw[key], settings_of(base)[field_name], pending := [])
            trial = {**configs.get(method, {}), field_name: value}
            spec.config_from(trial, presets.get(method))
            configs.setdefault(method, {})[field_name] = value
            notices += pending
        except (ValueError, TypeError, OverflowError) as err:
            bad(key, str(err).split("\n")[0])
    scenario = replace(scenario, presets=presets, configs=configs)

    if "cmp" in raw:
        consumed.add("cmp")
        names = [m.strip() for m in raw["cmp"].split(",") if m.strip()]
        unknown = [m for m in names if m not in method_names()]
        if unknown:
            bad("cmp", f"unknown method {unknown[0]!r}")
        scenario = replace(scenario, compare=tuple(dict.fromkeys(
            m for m in names if m in method_names() and m not in (scenario.method, "retrain"))))

    ids: list[int] = []
    if "f" in raw:
        consumed.add("f")
        try:
            # The training set has fewer points than samples: ids beyond are dropped, never expanded; the page
            # clips to the exact size after training.
            n = scenario.dataset.samples
            ranges, beyond = parse_id_ranges(raw["f"], n)
            ids = expand(ranges)
            if beyond:
                notices.append(f"Dropped {beyond:,} forget id(s) from URL parameter f: the dataset has "
                               f"{n:,} samples, so ids stop below {n:,}.")
        except ValueError as err:
            text = raw["f"] if len(raw["f"]) <= 40 else raw["f"][:37] + "..."
            notices.append(f"Ignored URL parameter f={text!r} ({err}); the forget set starts empty.")
    for key in sorted(set(raw) - consumed):
        notices.append(f"Ignored unknown URL parameter {key!r}.")
    return scenario, ids, notices


def _clamped(path: str, key: str, text: str, declared: Setting, notices: list[str]) -> Any:
    """``text`` read by the declaration of ``path`` and clamped to its range; a clamped value adds a notice naming
    the value and the declared limit to ``notices`` (the caller keeps it once the setting is used). ValueError
    (one line) when it cannot be used at all."""
    value = declared.parse(text, path)
    clamped = declared.clamp(value)
    if clamped is not value:
        notices.append(f"URL parameter {key}={number(value)} is out of range: {path} must be {declared.describe()}; "
                       f"using the limit {number(clamped)}.")
    return check_value(path, declared, clamped)


def page_devices() -> list[str]:
    """The devices a page offers: auto, the CPU, and CUDA or Apple MPS where this server has them."""
    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if mps_available() else [])


def round_trip_ok(scenario: Scenario, ids: Iterable[int]) -> bool:
    """True when ``scenario`` and ``ids`` survive encoding unchanged (used by tests and the app)."""
    back, back_ids, notices = from_params(to_params(scenario, ids))
    return not notices and back == scenario and back_ids == sorted(set(int(i) for i in ids))


__all__ = ["to_params", "from_params", "encode_ids", "decode_ids", "round_trip_ok", "ScenarioError"]
