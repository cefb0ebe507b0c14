"""A scenario is everything needed to reproduce a run: data, model, training, forget set, methods.

It round-trips through plain dicts (the CLI's JSON report and scenario files) and checks every setting when it is
built (explorer/config/declare.py), so every entry point (CLI, app, URL) rejects bad input with the same one line.
Neither torch nor scikit-learn loads with it (the sub-class forget set's k-means loads scikit-learn when it runs);
the defaults of each dataset are explorer/scenarios.py's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from typing import TYPE_CHECKING

from explorer.config.datafile import DataFile
from explorer.config.dataset import DatasetSpec
from explorer.config.declare import SettingError, Settings, setting
from explorer.config.echo import clip, number, shown
from explorer.config.edits import DataEdits
from explorer.config.errors import ScenarioError
from explorer.config.limits import MAX_COORDINATE, MAX_FORGET, MAX_SEED, MAX_SEEDS
from explorer.config.model import ModelConfig
from explorer.config.training import TrainConfig

if TYPE_CHECKING:
    from toy_data import Dataset


@dataclass(frozen=True)
class ForgetSpec:
    """Exactly one way of choosing the forget set."""

    ids: tuple[int, ...] = ()
    forget_class: int | None = None
    random_fraction: float | None = None
    point: tuple[float, ...] | None = None  # forget the training point nearest to this
    named: str | None = None  # a named training point of the dataset (two_blobs' targets)
    # A sub-class: (class, cluster) — cluster `cluster` of toy_data.base.SUBCLASS_CLUSTERS k-means clusters of that
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
            raise ScenarioError(f"forget ids must be whole numbers, got {_short(bad)}")
        if self.forget_class is not None and not _whole(self.forget_class):
            raise ScenarioError(f"the forget class must be a whole number, got {_short(self.forget_class)}")
        if self.random_fraction is not None and not _finite(self.random_fraction):
            raise ScenarioError(f"random forget fraction must be a number in (0, 1), got {_short(self.random_fraction)}")
        if self.point is not None and not (len(self.point) <= 10000 and all(_finite(v) for v in self.point)):
            raise ScenarioError(f"a forget point needs finite coordinates, got {_short(self.point)}")
        if self.point is not None and any(abs(v) > MAX_COORDINATE for v in self.point):
            far = next(v for v in self.point if abs(v) > MAX_COORDINATE)
            raise ScenarioError(f"a forget point's coordinates must lie within ±{MAX_COORDINATE:g} (the data lie within "
                                f"about ±10), got {number(far)}")
        if self.subclass is not None and not (len(self.subclass) == 2 and all(_whole(v) for v in self.subclass)):
            raise ScenarioError(f"a sub-class is two whole numbers (class, cluster), got {_short(self.subclass)}")
        if self.named is not None and not isinstance(self.named, str):
            raise ScenarioError(f"a named point is a name, got {_short(self.named)}")

    def resolve(self, data: Dataset, seed: int = 0) -> list[int]:
        """The sorted training ids this spec selects; raises ScenarioError on bad or empty choices."""
        chosen = self.chosen()
        if len(chosen) > 1:
            raise ScenarioError(f"conflicting forget options ({' and '.join(chosen)}); give exactly one")
        n = len(data.x_train)
        if not chosen:
            raise ScenarioError("the forget set is empty; choose at least one training point to forget")
        self.check_types()
        if self.ids:
            if len(self.ids) > n:
                raise ScenarioError(f"{len(self.ids)} forget ids for a training set of {n} points")
            bad = [i for i in self.ids if not 0 <= i < n]
            if bad:
                raise ScenarioError(f"forget id {bad[0]} is out of range: the training set has ids 0..{n - 1}")
            ids = sorted(set(int(i) for i in self.ids))
        elif self.forget_class is not None:
            if not 0 <= self.forget_class < data.n_classes:
                raise ScenarioError(f"class {self.forget_class} does not exist: classes are 0..{data.n_classes - 1}")
            ids = np.flatnonzero(data.y_train == self.forget_class).tolist()
        elif self.random_fraction is not None:
            if not 0 < self.random_fraction < 1:
                raise ScenarioError(f"random forget fraction must be in (0, 1), got {self.random_fraction}")
            k = int(round(self.random_fraction * n))
            ids = sorted(np.random.default_rng(seed).choice(n, size=k, replace=False).tolist())
        elif self.subclass is not None:
            ids = data.subclass_ids(*self.subclass, seed=seed)
        elif self.point is not None:
            try:
                ids = [data.nearest_train_id(self.point)]
            except ValueError as err:
                raise ScenarioError(str(err)) from None
        else:
            if self.named not in data.named_points:
                names = ", ".join(data.named_points) or "none"
                raise ScenarioError(f"dataset {data.name!r} has no named point {_short(self.named)} (it has: {names})")
            ids = [data.named_points[self.named]]
        if not ids:
            raise ScenarioError("the forget set is empty; choose at least one training point to forget")
        if len(ids) >= n:
            raise ScenarioError("cannot forget every training point: nothing would be left to retrain on")
        return ids


def _whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _finite(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):  # however many digits (np.isfinite refuses a huge int)
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isfinite(value))


def _short(value) -> str:
    return shown(value, 40)


@dataclass(frozen=True)
class Scenario(Settings, section=""):
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    forget: ForgetSpec = field(default_factory=ForgetSpec)
    method: str = setting("jit", label="method", help="the method to run (default jit)")
    compare: tuple[str, ...] = ()
    configs: dict = field(default_factory=dict)  # method name -> {field: value} overrides
    presets: dict = field(default_factory=dict)  # method name -> preset name
    device: str = setting("auto", label="device", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    # seeds the random forget set and the methods' own randomness
    seed: int = setting(0, lo=0, hi=MAX_SEED, label="seed",
                        help="data, initial weights, random forget set and noise (default 0)")
    # Training seeds K: the original, the retrain reference and every method run once per seed k = 0 … K − 1,
    # seed k with training seed train.seed + k (initial weights, batch order) and method seed seed + k (the
    # method's own noise), on the same data and forget set. 1 = one run, as before seeds existed.
    seeds: int = setting(1, lo=1, hi=MAX_SEEDS, unit="training seeds", step=1, label="training seeds",
                         help="training seeds K: the original, the retrain reference and every method run once per "
                              "seed k (training seed + k, method seed + k; same data and forget set); the report gives "
                              "means, 95 % intervals, the noise floor and per-point ε and KLoM")
    grid_resolution: int = setting(100, lo=10, hi=400, unit="cells per side", link="grid", label="grid",
                                   help="2D evaluation grid size (default 100)")
    # The forget_lipschitz probe, the same for every method (not JiT's σ: tuning JiT must not change
    # another method's metric). 0.1 and probabilities, as every report before the probe had its own σ.
    lipschitz_sigma: float = setting(0.1, lo=0.0, hi=10.0, lo_open=True, link="lip", label="probe σ",
                                     help="σ of the forget_lipschitz metric's probe, the same for every method "
                                          "(default 0.1)")
    lipschitz_space: str = setting("probs", choices=("probs", "logits"), link="lip_space", label="probe space",
                                   help="where the forget_lipschitz probe measures output change (default probs)")
    record_every: int = setting(1, lo=1, hi=100000, unit="steps", label="record every",
                                help="record metrics every k-th step (default 1)")

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys([self.method, *self.compare]))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["dataset"] = self.dataset.to_dict()
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
                "dataset": _dataset(raw.pop("dataset", {})),
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
        except SettingError:
            raise  # a value outside its declaration: the checker's own line, as from every other entrance
        except (TypeError, ValueError) as err:
            text = str(err).strip()
            raise ScenarioError(f"invalid scenario: {text.splitlines()[0] if text else type(err).__name__}") from None


def _dataset(values) -> DatasetSpec:
    """The dataset part: its hand edits and its data file are objects of their own (explorer/config/edits.py,
    explorer/config/datafile.py), built and type-checked before the rest."""
    if not isinstance(values, dict):
        raise ScenarioError("DatasetSpec must be an object")
    values = dict(values)
    if "edits" in values:
        values["edits"] = DataEdits.from_dict(values["edits"])
    if values.get("file") is not None:
        raw = values["file"]
        if not isinstance(raw, dict) or set(raw) - {"sha256", "name", "embedded"} or "sha256" not in raw:
            raise ScenarioError("dataset.file must be an object with sha256 (and name, embedded)")
        values["file"] = DataFile(**raw)
        values["file"].check_types()
    return _build(DatasetSpec, values)


def _build(kind, values: dict, tuples: tuple[str, ...] = ()):
    if not isinstance(values, dict):
        raise ScenarioError(f"{kind.__name__} must be an object")
    known = {f.name for f in fields(kind)}
    unknown = set(values) - known
    if unknown:
        raise ScenarioError(f"unknown {kind.__name__} field(s): {clip(', '.join(sorted(unknown)), 120)}")
    values = {k: (tuple(v) if k in tuples and v is not None else v + 0.0 if type(v) is float else v)  # -0.0 as 0.0
              for k, v in values.items()}
    defaults = kind()
    for name, value in values.items():
        default = _OPTIONAL_LIKE.get(name, getattr(defaults, name))
        if not _same_kind(value, default):
            raise ScenarioError(f"{kind.__name__}.{name} must be like {default!r}, got {_short(value)}")
    return kind(**values)


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
