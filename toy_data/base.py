"""The Dataset record, the dataset spec (each field a declared setting) and the generator registry.

Light on purpose (numpy only): the registry fills itself on first read by importing the package's generator
modules, so the command line can read the spec's declarations before scikit-learn loads.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import MutableMapping
from dataclasses import dataclass, field, asdict
from pathlib import Path
from typing import Callable

import numpy as np

from explorer.config import shared
from explorer.config.fields import config, setting


@config("dataset")
class DatasetSpec:
    """Everything needed to rebuild a dataset exactly. Unused fields are ignored by a generator."""

    name: str = setting("moons", label="dataset", flag="dataset",
                        help="which dataset to generate (its own defaults for the other fields)")
    samples: int = setting(400, lo=20, hi=shared.MAX_SAMPLES, unit="points", step=20,
                           help="Number of generated points (before the train/test split).")
    noise: float = setting(0.2, lo=0.0, hi=5.0, step=0.05,
                           help="Spread of the points around the generator's shape (cluster std for blobs).")
    classes: int = setting(2, lo=2, hi=10, unit="classes", step=1,
                           help="Number of classes (blobs and spiral only; the other generators are binary).")
    seed: int = shared.seed(flag="data-seed", help="Random seed of the data (the pages seed the model's initial weights "
                                                   "with it too). Same seed, same run.")
    test_fraction: float = setting(0.25, lo=0.05, hi=0.9, step=0.05, label="test fraction",
                                   help="Share of the points held out as the test set (used for test accuracy "
                                        "and the MIA).")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray  # (n, d) float32
    y_train: np.ndarray  # (n,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    image_shape: tuple[int, ...] | None = None  # (channels, h, w) for image sets
    class_names: list[str] = field(default_factory=list)
    named_points: dict[str, int] = field(default_factory=dict)  # name -> training id
    spec: DatasetSpec | None = None

    @property
    def is_2d(self) -> bool:
        return self.image_shape is None and self.x_train.shape[1] == 2

    @property
    def is_1d(self) -> bool:
        return self.image_shape is None and self.x_train.shape[1] == 1

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def ids(self) -> np.ndarray:
        return np.arange(len(self.x_train))

    def nearest_train_id(self, point) -> int:
        """Training id of the sample closest (Euclidean) to ``point``."""
        point = np.asarray(point, dtype=np.float32).reshape(1, -1)
        if point.shape[1] != self.n_features:
            raise ValueError(
                f"a point needs {self.n_features} coordinates for dataset {self.name!r}, got {point.shape[1]}"
            )
        return int(np.argmin(((self.x_train - point) ** 2).sum(axis=1)))


Generator = Callable[[DatasetSpec], Dataset]


class Registry(MutableMapping):
    """A dict that, on its first read, imports every module of this package (each registers its datasets with
    :func:`register_dataset`): adding a dataset is one decorated function in a module of ``toy_data``. The
    menus list the 2D toys, then the 1-D lines, then the images, then any other module's datasets."""

    loaded = False
    FIRST = ("two_d", "one_d", "images")

    def __init__(self):
        self._items: dict = {}

    @classmethod
    def load(cls) -> None:
        if cls.loaded:
            return
        cls.loaded = True  # first: a generator module reading the registry while it loads must not recurse
        names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])]
        for name in sorted(names, key=lambda n: (cls.FIRST.index(n) if n in cls.FIRST else len(cls.FIRST), n)):
            importlib.import_module(f"{__package__}.{name}")

    def __getitem__(self, key):
        self.load()
        return self._items[key]

    def __iter__(self):
        self.load()
        return iter(self._items)

    def __len__(self):
        self.load()
        return len(self._items)

    def __setitem__(self, key, value):
        self._items[key] = value

    def __delitem__(self, key):
        del self._items[key]


DATASETS: Registry = Registry()  # name -> generator
DEFAULTS: Registry = Registry()  # per-dataset overrides of DatasetSpec's defaults


@dataclass(frozen=True)
class DatasetInfo:
    """What a page says about a dataset: a short title for menus and where the data comes from."""

    title: str
    about: str = ""
    images: bool = False  # real images (the images page) rather than a 2D toy (the main explorer)
    dims: int = 2  # input dimensions of a toy (1 for the line family); images say so with ``images``


INFO: Registry = Registry()


def register_dataset(name: str, title: str | None = None, about: str = "", images: bool = False, dims: int = 2,
                     **defaults):
    """Register a generator under ``name``: everything a page and the CLI need comes from this one call."""
    def wrap(fn: Generator) -> Generator:
        DATASETS[name] = fn
        DEFAULTS[name] = defaults
        INFO[name] = DatasetInfo(title or name, about or (fn.__doc__ or "").strip().split("\n")[0], images, dims)
        return fn

    return wrap


def image_dataset_names() -> list[str]:
    return [n for n in DATASETS if INFO[n].images]


def toy_dataset_names() -> list[str]:
    return [n for n in DATASETS if not INFO[n].images]


def default_spec(name: str, **overrides) -> DatasetSpec:
    """The spec a user gets for ``name`` when they set nothing else (``None`` overrides are ignored)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    fields = {"name": name, **DEFAULTS[name]}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return DatasetSpec(**fields)


def dataset_names() -> list[str]:
    return list(DATASETS)


def validate_spec(spec: DatasetSpec) -> None:
    """The dataset's name is a registered one (its other fields were checked when the spec was built)."""
    if not isinstance(spec.name, str) or spec.name not in DATASETS:
        raise ValueError(f"unknown dataset {spec.name!r}; choose one of {', '.join(DATASETS)}")


def load_dataset(spec: DatasetSpec | None = None, **params) -> Dataset:
    """Build a dataset from a spec (or keyword fields of one). Pure: same spec, same arrays."""
    spec = spec if spec is not None else DatasetSpec(**params)
    validate_spec(spec)
    data = DATASETS[spec.name](spec)
    data.spec = spec
    return data
