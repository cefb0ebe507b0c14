"""A scenario and its forget ids <-> URL query parameters (flat strings, only non-default values).

Keys: ``ds`` dataset name, ``d.<field>`` other dataset fields, ``m.<field>`` model, ``t.<field>``
training, ``method``, ``p.<method>`` preset, ``c.<method>.<field>`` method settings, ``seed``, ``seeds``
(training seeds K), ``device``, ``grid``, ``cmp`` methods to compare (comma-separated), ``f`` forget ids as ranges (``3-5,9``).
Decoding never fails and never blows up: a number outside its declared range (explorer/config/declare.py) is clamped
to the limit with a notice naming the value and the limit; any other bad parameter is dropped alone (its
default is used) with a one-line notice; forget ids beyond the training set are dropped without being
expanded, with a notice.
"""
from __future__ import annotations

import typing
from dataclasses import fields, replace
from typing import Any, Iterable, Mapping

from explorer.config import datalink, declare
from explorer.config.declare import SettingError
from explorer.config.echo import clip, shown
from explorer.config.longlinks import TRIMMED, trimmed_notice
from explorer.config.limits import MAX_SAMPLES
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.config.selection import encode_ids, expand, parse_id_ranges
from explorer.unlearning import get_method, method_names
from explorer.engine.device import page_devices, pick_device
from explorer.pipeline import check_lipschitz_probe
from toy_data import dataset_names, image_dataset_names, max_train_size
from toy_data.base import validate_spec

SECTIONS = {"d": "dataset", "m": "model", "t": "train"}
MAX_KEY_NOTICES = 5  # unknown parameters named one by one; more are counted in one notice
# The scenario's own settings by link key: the field's name, or its declared ``link`` (grid=, lip=, lip_space=).
TOP = {(declared.link or name): name for name, declared in declare.declared(Scenario, "").items() if declared}


# ----------------------------------------------------------------------------------------------
# forget ids as compact ranges

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


def parse_value(text: str, like: Any) -> Any:
    """Parse ``text`` as the type of the default value ``like`` (the one parser of the URL and the CLI's
    ``--set``); a tuple of whole numbers is written comma-separated. ValueError with a one-line reason."""
    text = str(text).strip()
    if isinstance(like, (tuple, list)):  # a scenario file holds a tuple setting as a JSON list
        items = [t for t in text.split(",") if t.strip()]
        return tuple(parse_value(t, like[0] if like else 0) for t in items)
    if isinstance(like, bool):
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected 0/1, got {shown(text)}")
    if isinstance(like, int):
        f = float(text)
        if f != f or f in (float("inf"), float("-inf")) or f != int(f):
            raise ValueError(f"expected a whole number, got {shown(text)}")
        return int(f)
    if isinstance(like, float):
        v = float(text)
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {shown(text)}")
        return v + 0.0  # -0.0 as 0.0: NumPy refuses a negative-zero scale
    if like is None or isinstance(like, str):
        return text
    raise ValueError("unsupported setting")


def _diff(obj, base) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)
            if getattr(obj, f.name) != getattr(base, f.name)}


# ----------------------------------------------------------------------------------------------
# scenario -> params

def to_params(scenario: Scenario, forget_ids: Iterable[int] = ()) -> dict[str, str]:
    """Flat string parameters holding everything that differs from ``default_scenario(dataset)``. Data edits
    too long for a link (explorer/config/datalink.py) leave the link without them and without the forget ids."""
    data = scenario.dataset
    base = default_scenario(data.name, file=data.file)
    out = {"ds": data.name, **datalink.file_params(data.file)}
    for short, attr in SECTIONS.items():
        for name, value in _diff(getattr(scenario, attr), getattr(base, attr)).items():
            if attr == "dataset" and name in ("name", "edits", "file"):
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
    if not datalink.fits_link(data.edits):
        return out
    out.update(datalink.edit_params(data.edits))
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
    if TRIMMED in raw:  # the server kept only part of a link past Streamlit's limits (explorer/ui/links.py)
        notice = trimmed_notice(raw[TRIMMED])
        if notice:
            notices.append(notice)
            raw.pop(TRIMMED)

    def bad(key: str, why) -> None:
        link = f"URL parameter {clip(key, 60)}={shown(raw.get(key, ''))}"
        if isinstance(why, SettingError):  # the checker's own line first, as from every other entrance
            notices.append(f"{why} (ignored {link}); using the default.")
        else:
            notices.append(f"Ignored {link} ({clip(str(why).split(chr(10))[0], 120)}); using the default.")

    name = raw.pop("ds", "moons") or "moons"
    datafile = datalink.file_from_params(name, raw, notices)  # ds=file&data=<sha256>: data this server holds
    if datafile is None and (name not in dataset_names() or name in _image_datasets()):
        if name != "file":
            notices.append(f"Ignored URL parameter ds={shown(name)} (unknown 2D dataset); using moons.")
        name = "moons"
    scenario = default_scenario(name, file=datafile)
    if datafile is not None and scenario.model.kind != "mlp":
        notices.append("Ignored URL parameter ds=file: that data file holds images; open it on the Real images page. "
                       "Using moons.")
        scenario = default_scenario("moons")
    edits = datalink.edits_from_params(raw, notices)
    scenario = replace(scenario, dataset=replace(scenario.dataset, edits=edits))
    consumed: set[str] = set()

    # dataset / model / train: one field at a time, each validated with its section
    for short, attr in SECTIONS.items():
        for key in sorted(k for k in raw if k.startswith(short + ".")):
            consumed.add(key)
            field_name = key[len(short) + 1:]
            section = getattr(scenario, attr)
            if field_name not in {f.name for f in fields(section)} or (
                    attr == "dataset" and field_name in ("name", "edits", "file")):
                bad(key, "unknown setting")
                continue
            try:
                value = _clamped(f"{attr}.{field_name}", key, raw[key], getattr(section, field_name), notices)
                if attr == "model" and field_name == "kind" and value != "mlp":
                    raise ValueError("the 2D explorer trains an MLP; cnn is for the images page")
                candidate = replace(section, **{field_name: value})
                _validate_section(attr, candidate)
            except (ValueError, TypeError, OverflowError) as err:
                bad(key, err)
                continue
            scenario = replace(scenario, **{attr: candidate})

    for key, attr in TOP.items():
        if key not in raw:
            continue
        consumed.add(key)
        try:
            value = _clamped(attr, key, raw[key], getattr(scenario, attr), notices)
            if attr == "method" and value not in method_names():
                raise ValueError(f"unknown method; valid: {', '.join(method_names())}")
            if attr == "method" and value == "retrain":
                raise ValueError("retrain is the reference, not a method to run")
            if attr == "lipschitz_sigma":
                check_lipschitz_probe(value, "probs")
            if attr == "lipschitz_space":
                check_lipschitz_probe(0.1, value)
            if attr == "device":
                pick_device(value)
                if value not in page_devices():
                    raise ValueError(f"the page offers {', '.join(page_devices())} here")
            scenario = replace(scenario, **{attr: value})
        except (ValueError, TypeError, OverflowError) as err:
            bad(key, err)

    presets = dict(scenario.presets)  # the dataset's defaults, overridden by the link
    for key in sorted(k for k in raw if k.startswith("p.")):
        consumed.add(key)
        method = key[2:]
        try:
            get_method(method).config_from(None, raw[key])
            presets[method] = raw[key]
        except ValueError as err:
            bad(key, err)
    configs: dict[str, dict] = {}
    for key in sorted(k for k in raw if k.startswith("c.")):
        consumed.add(key)
        try:
            _, method, field_name = key.split(".", 2)
            spec = get_method(method)
            base = spec.config_from(None, presets.get(method))
            if field_name not in {f.name for f in fields(base)}:
                raise ValueError(f"{method} has no setting {field_name}")
            like = getattr(base, field_name)
            if typing.get_type_hints(type(base)).get(field_name) is float and not isinstance(like, bool):
                like = float(like)  # a preset may write 10 for a float setting
            value = _clamped(f"{method}.{field_name}", key, raw[key], like, notices)
            trial = {**configs.get(method, {}), field_name: value}
            spec.config_from(trial, presets.get(method))
            configs.setdefault(method, {})[field_name] = value
        except (ValueError, TypeError, OverflowError) as err:
            bad(key, err)
    scenario = replace(scenario, presets=presets, configs=configs)

    if "cmp" in raw:
        consumed.add("cmp")
        names = [m.strip() for m in raw["cmp"].split(",") if m.strip()]
        unknown = [m for m in names if m not in method_names()]
        if unknown:
            bad("cmp", f"unknown method {shown(unknown[0])}")
        scenario = replace(scenario, compare=tuple(dict.fromkeys(
            m for m in names if m in method_names() and m not in (scenario.method, "retrain"))))

    ids: list[int] = []
    if "f" in raw:
        consumed.add("f")
        try:
            # The training set has fewer points than samples: ids beyond are dropped, never expanded; the page
            # clips to the exact size after training.
            n = max_train_size(scenario.dataset) + len(scenario.dataset.edits.added)  # added points: ids after the rest
            if scenario.dataset.file is not None:
                n = MAX_SAMPLES + len(scenario.dataset.edits.added)
            ranges, beyond = parse_id_ranges(raw["f"], n)
            ids = expand(ranges)
            if beyond:
                notices.append(f"Dropped {beyond:,} forget id(s) from URL parameter f: the training set of "
                               f"{scenario.dataset.name} with {scenario.dataset.samples:,} samples has fewer than "
                               f"{n:,} points, so ids stop below {n:,}.")
        except ValueError as err:
            notices.append(f"Ignored URL parameter f={shown(raw['f'], 40)} ({err}); the forget set starts empty.")
    unknown_keys = sorted(set(raw) - consumed)
    if len(unknown_keys) > MAX_KEY_NOTICES:  # one line for a flood, not a page of them
        notices.append(f"Ignored {len(unknown_keys):,} unknown URL parameters "
                       f"({', '.join(shown(k, 20) for k in unknown_keys[:3])}, …).")
    else:
        notices.extend(f"Ignored unknown URL parameter {shown(key)}." for key in unknown_keys)
    return scenario, ids, notices


PAGE_KEYS = ("classroom", "lesson", "step")  # read by the pages themselves


def key_rank(name: str) -> int:
    """What to keep first of a link too long for the server (explorer/config/longlinks.py): 0 the dataset and
    the forget set, 1 any other setting of a page, 2 anything else."""
    if name in ("ds", "f"):
        return 0
    head, dot, _ = name.partition(".")
    return 1 if name in TOP or name in PAGE_KEYS or name == "cmp" or (dot and head in (*SECTIONS, "c", "p")) else 2


def _clamped(path: str, key: str, text: str, like: Any, notices: list[str]) -> Any:
    """``text`` parsed as ``like``'s type and clamped to the declared range of ``path``; a clamped value adds a
    notice naming the value and the limit. ValueError when it cannot be used at all."""
    lim = declare.limit(path)
    if lim is not None and lim.kind in (int, float) and not isinstance(like, bool):
        try:
            number = float(str(text).strip())
        except ValueError:
            raise ValueError(f"expected a number, got {shown(str(text), 40)}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {shown(str(text), 40)}")
        number += 0.0  # -0 as 0 (NumPy refuses a negative-zero noise scale)
        if lim.kind is int:
            if number != int(number):
                raise ValueError(f"expected a whole number, got {shown(str(text), 40)}")
            number = int(number)
        value, note = declare.clamp(path, number)
        if note:
            notices.append(note)
        return value
    value = parse_value(text, like)
    declare.check(path, value)
    return value


def _validate_section(attr: str, value) -> None:
    if attr == "dataset":
        validate_spec(value)
    else:
        value.validate()


def _image_datasets() -> tuple[str, ...]:
    return tuple(image_dataset_names())


def round_trip_ok(scenario: Scenario, ids: Iterable[int]) -> bool:
    """True when ``scenario`` and ``ids`` survive encoding unchanged (used by tests and the app)."""
    back, back_ids, notices = from_params(to_params(scenario, ids))
    return not notices and back == scenario and back_ids == sorted(set(int(i) for i in ids))


__all__ = ["to_params", "from_params", "encode_ids", "decode_ids", "round_trip_ok", "ScenarioError"]
