"""A scenario is everything needed to reproduce a run: data, model, training, forget set, methods.

It round-trips through plain dicts (the CLI's JSON report and scenario files) and is validated
with one-line messages, so every entry point (CLI, app, URL) rejects bad input the same way. Its own
settings (seed, grid, probe, recording) are declared fields like every config's (explorer/config/fields.py);
choosing the forget ids from a spec is explorer/config/selection.py's. Light: no torch, no scikit-learn.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from explorer.config import shared
from explorer.config.fields import Setting, config, setting, settings_of
from explorer.config.jit import default_preset
from explorer.config.limits import MAX_FORGET
from explorer.config.model import ModelConfig
from explorer.config.training import TrainConfig, default_train_config
from toy_data import DatasetSpec, default_spec, image_dataset_names


class ScenarioError(ValueError):
    """Bad user input; the message is one line meant for the user."""


@dataclass(frozen=True)
class ForgetSpec:
    """Exactly one way of choosing the forget set."""

    ids: tuple[int, ...] = ()
    forget_class: int | None = None
    random_fraction: float | None = None
    point: tuple[float, ...] | None = None  # forget the training point nearest to this
    named: str | None = None  # a named training point of the dataset (two_blobs' targets)
    # A sub-class: (class, cluster) — cluster `cluster` of SUBCLASS_CLUSTERS k-means clusters of that
    # class's training inputs (the analogue of CIFAR-20's "rocket inside vehicles").
    subclass: tuple[int, int] | None = None

    def chosen(self) -> list[str]:
        return [name for name, on in [("ids", bool(self.ids)), ("class", self.forget_class is not None),
                                      ("random", self.random_fraction is not None),
                                      ("point", self.point is not None), ("named", self.named is not None),
                                      ("subclass", self.subclass is not None)] if on]

    def check_types(self) -> None:
        """JSON-level types of each option (a scenario file may hold anything): whole numbers for ids, class
        and sub-class, finite numbers for the point and the fraction. ScenarioError, one line."""
        if len(self.ids) > MAX_FORGET:
            raise ScenarioError(f"{len(self.ids)} forget ids: at most {MAX_FORGET} (the largest training set)")
        if not all(_whole(i) for i in self.ids):
            bad = next(i for i in self.ids if not _whole(i))
            raise ScenarioError(f"forget ids must be whole numbers, got {bad!r}")
        if self.forget_class is not None and not _whole(self.forget_class):
            raise ScenarioError(f"the forget class must be a whole number, got {self.forget_class!r}")
        if self.random_fraction is not None and not _finite(self.random_fraction):
            raise ScenarioError(f"random forget fraction must be a number in (0, 1), got {self.random_fraction!r}")
        if self.point is not None and not (len(self.point) <= 10000 and all(_finite(v) for v in self.point)):
            raise ScenarioError(f"a forget point needs finite coordinates, got {_short(self.point)}")
        if self.subclass is not None and not (len(self.subclass) == 2 and all(_whole(v) for v in self.subclass)):
            raise ScenarioError(f"a sub-class is two whole numbers (class, cluster), got {_short(self.subclass)}")
        if self.named is not None and not isinstance(self.named, str):
            raise ScenarioError(f"a named point is a name, got {self.named!r}")


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _finite(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)) \
        and bool(np.isfinite(value))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@config("")
class Scenario:
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    forget: ForgetSpec = field(default_factory=ForgetSpec)
    method: str = setting("jit", help="the unlearning method to run (python -m explorer methods lists them)")
    compare: tuple[str, ...] = ()
    configs: dict = field(default_factory=dict)  # method name -> {field: value} overrides
    presets: dict = field(default_factory=dict)  # method name -> preset name
    device: str = setting("auto", help="auto (CUDA, then Apple MPS, then CPU), cpu, cuda, cuda:N or mps")
    seed: int = shared.seed(help="seeds the random forget set and the methods' own randomness")
    grid_resolution: int = setting(100, lo=10, hi=400, unit="cells per side", link="grid",
                                   help="the 2D evaluation grid (boundary pictures and the plane metrics)")
    # The forget_lipschitz probe, the same for every method (not JiT's σ: tuning JiT must not change
    # another method's metric). 0.1 and probabilities, as every report before the probe had its own σ.
    lipschitz_sigma: float = setting(0.1, lo=0.0, lo_open=True, hi=10.0, link="lip",
                                     help="σ of the forget_lipschitz metric's probe, the same for every method")
    lipschitz_space: str = setting("probs", choices=("probs", "logits"), link="lip_space",
                                   help="where the forget_lipschitz probe measures output change")
    record_every: int = setting(1, lo=1, hi=100000, unit="steps", help="record metrics every k-th step")

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys([self.method, *self.compare]))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["compare"] = list(self.compare)
        out["forget"]["ids"] = list(self.forget.ids)
        return out

    @classmethod
    def from_dict(cls, raw: dict) -> "Scenario":
        """Rebuild from :meth:`to_dict` output (or a report's ``scenario``); unknown keys are an error."""
        if not isinstance(raw, dict):
            raise ScenarioError("a scenario must be a JSON object")
        try:
            raw = dict(raw)
            raw.pop("forget_ids", None)  # resolved ids are informational; the spec is authoritative
            parts = {
                "dataset": _build(DatasetSpec, raw.pop("dataset", {})),
                "model": _build(ModelConfig, raw.pop("model", {})),
                "train": _build(TrainConfig, raw.pop("train", {})),
                "forget": _build(ForgetSpec, raw.pop("forget", {}), tuples=("ids", "point", "subclass")),
            }
            if "compare" in raw:
                if not (isinstance(raw["compare"], list) and all(isinstance(m, str) for m in raw["compare"])):
                    raise ScenarioError(f"compare must be a list of method names, got {_short(raw['compare'])}")
                raw["compare"] = tuple(raw["compare"])
            for key in ("configs", "presets"):
                value = raw.get(key, {})
                if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                    raise ScenarioError(f"{key} must be an object keyed by method name, got {_short(value)}")
            for method, values in raw.get("configs", {}).items():
                if not (isinstance(values, dict) and all(isinstance(k, str) for k in values)):
                    raise ScenarioError(f"configs.{method} must be an object of settings, got {_short(values)}")
            for method, preset in raw.get("presets", {}).items():
                if not (preset is None or isinstance(preset, str)):
                    raise ScenarioError(f"presets.{method} must be a preset name, got {_short(preset)}")
            scenario = _build(cls, {**raw, **parts})
            scenario.forget.check_types()
            return scenario
        except (TypeError, ValueError) as err:
            text = str(err).strip()
            raise ScenarioError(f"invalid scenario: {text.splitlines()[0] if text else type(err).__name__}") from None


def _build(kind, values: dict, tuples: tuple[str, ...] = ()):
    if not isinstance(values, dict):
        raise ScenarioError(f"{kind.__name__} must be an object")
    known = {f.name for f in fields(kind)}
    unknown = set(values) - known
    if unknown:
        raise ScenarioError(f"unknown {kind.__name__} field(s): {', '.join(sorted(unknown))}")
    values = {k: (tuple(v) if k in tuples and v is not None else v) for k, v in values.items()}
    defaults, declared = kind(), settings_of(kind)
    for name, value in values.items():
        if name in declared:  # the declaration's checker judges it when the config is built
            continue
        default = _OPTIONAL_LIKE.get(name, getattr(defaults, name))
        if not _same_kind(value, default):
            raise ScenarioError(f"{kind.__name__}.{name} must be like {default!r}, got {value!r}")
    return kind(**values)


SECTIONS = {"dataset": DatasetSpec, "model": ModelConfig, "train": TrainConfig}  # a scenario's nested configs


def declaration(path: str) -> Setting:
    """The declaration of a scenario setting by its path: ``dataset.samples``, ``train.lr``, ``grid_resolution``."""
    head, dot, name = path.partition(".")
    return settings_of(SECTIONS[head])[name] if dot else settings_of(Scenario)[head]


# Example values for the fields whose default is None (ForgetSpec's options), for the type check.
_OPTIONAL_LIKE = {"forget_class": 0, "random_fraction": 0.05, "point": (0.0, 0.0), "named": "name",
                  "subclass": (0, 0)}


def _same_kind(value, default) -> bool:
    """JSON-level type check: numbers for numbers (ints for ints), strings for strings, and so on."""
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, (tuple, list)):
        return isinstance(value, (tuple, list))
    return isinstance(value, type(default))


def default_scenario(dataset: str = "moons", **dataset_overrides) -> Scenario:
    """Sensible defaults for a dataset: the MLP for 2D toys, the CNN for images."""
    spec = default_spec(dataset, **dataset_overrides)
    image = spec.name in image_dataset_names()
    model = ModelConfig(kind="cnn", width=64) if image else ModelConfig()
    train = default_train_config(image, seed=spec.seed)
    return Scenario(dataset=spec, model=model, train=train, presets={"jit": default_preset(spec.name)})
