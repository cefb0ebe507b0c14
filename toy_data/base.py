"""The Dataset record, the generator registry and the shared train/test split."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from sklearn.cluster import KMeans
from sklearn.model_selection import train_test_split

from explorer.config.datafile import DataFile
from explorer.config.dataset import DatasetSpec
from explorer.config.edits import DataEdits
from explorer.config.errors import ScenarioError


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
        """Training id of the sample closest (Euclidean) to ``point``, computed in float64 (in float32 the squared
        distances of a far point overflow to inf everywhere, and the argmin would silently be id 0)."""
        point = np.asarray(point, dtype=np.float64).reshape(1, -1)
        if point.shape[1] != self.n_features:
            raise ValueError(
                f"a point needs {self.n_features} coordinates for dataset {self.name!r}, got {point.shape[1]}"
            )
        with np.errstate(over="ignore"):
            distances = ((self.x_train.astype(np.float64) - point) ** 2).sum(axis=1)
        if not np.isfinite(distances).all():
            raise ValueError("the point is too far from the data to find its nearest training point")
        return int(np.argmin(distances))


    def subclass_ids(self, cls: int, cluster: int, seed: int = 0, k: int | None = None) -> list[int]:
        """Training ids of k-means cluster ``cluster`` (clusters sorted by size, largest first) inside class ``cls``:
        a sub-class of a class, the images page's analogue of the papers' sub-class forgetting."""
        k = SUBCLASS_CLUSTERS if k is None else k
        if not 0 <= cls < self.n_classes:
            raise ScenarioError(f"class {cls} does not exist: classes are 0..{self.n_classes - 1}")
        if not 0 <= cluster < k:
            raise ScenarioError(f"sub-class cluster must be between 0 and {k - 1}, got {cluster}")
        members = np.flatnonzero(self.y_train == cls)
        if len(members) < k:
            raise ScenarioError(f"class {cls} has too few training points to split into {k} sub-classes")
        labels = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(self.x_train[members])
        by_size = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
        return sorted(members[labels == by_size[cluster]].tolist())


SUBCLASS_CLUSTERS = 3  # k-means clusters a class is split into for sub-class forgetting
Generator = Callable[[DatasetSpec], Dataset]
DATASETS: dict[str, Generator] = {}
DEFAULTS: dict[str, dict] = {}  # per-dataset overrides of DatasetSpec's defaults


@dataclass(frozen=True)
class DatasetInfo:
    """What a page says about a dataset: a short title for menus and where the data comes from."""

    title: str
    about: str = ""
    images: bool = False  # real images (the images page) rather than a 2D toy (the main explorer)
    dims: int = 2  # input dimensions of a toy (1 for the line family); images say so with ``images``
    extra_points: int = 0  # training points added to ``samples`` after the split (the 1-D family's named points)
    listed: bool = True  # offered by name in menus and --dataset (a user's data file is not)


INFO: dict[str, DatasetInfo] = {}


def register_dataset(name: str, title: str | None = None, about: str = "", images: bool = False, dims: int = 2,
                     extra_points: int = 0, listed: bool = True, **defaults):
    """Register a generator under ``name``: everything a page and the CLI need comes from this one call."""
    def wrap(fn: Generator) -> Generator:
        DATASETS[name] = fn
        DEFAULTS[name] = defaults
        INFO[name] = DatasetInfo(title or name, about or (fn.__doc__ or "").strip().split("\n")[0], images, dims,
                                 extra_points, listed)
        return fn

    return wrap


def image_dataset_names() -> list[str]:
    return [n for n in DATASETS if INFO[n].images and INFO[n].listed]


def toy_dataset_names() -> list[str]:
    return [n for n in DATASETS if not INFO[n].images and INFO[n].listed]


def default_spec(name: str, **overrides) -> DatasetSpec:
    """The spec a user gets for ``name`` when they set nothing else (``None`` overrides are ignored)."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    fields = {"name": name, **DEFAULTS[name]}
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return DatasetSpec(**fields)


def max_train_size(spec: DatasetSpec) -> int:
    """An upper bound on the training set's size without building it: ``samples`` plus the points a generator
    adds after the split (a link's forget ids are clipped to it before training; the page clips exactly after)."""
    info = INFO.get(spec.name)
    return int(spec.samples) + (info.extra_points if info else 0)


def dataset_names() -> list[str]:
    return [n for n in DATASETS if INFO[n].listed]


def validate_spec(spec: DatasetSpec) -> None:
    """What a field's declaration cannot say (the spec checked its fields when it was built): the name is a
    registered generator, the edits and the data file are what they claim; one-line ValueError."""
    if not isinstance(spec.name, str) or spec.name not in DATASETS:
        raise ValueError(f"unknown dataset {spec.name!r}; choose one of {', '.join(dataset_names())}")
    if not isinstance(spec.edits, DataEdits):
        raise ValueError("dataset.edits must be data edits (added, removed, flipped)")
    if spec.file is not None and (spec.name != "file" or not isinstance(spec.file, DataFile)):
        raise ValueError(f"only the dataset 'file' reads a data file, not {spec.name!r}")
    if spec.file is not None:
        spec.file.check_types()


def load_dataset(spec: DatasetSpec | None = None, **params) -> Dataset:
    """Build a dataset from a spec (or keyword fields of one). Pure: same spec, same arrays."""
    spec = spec if spec is not None else DatasetSpec(**params)
    validate_spec(spec)
    if isinstance(spec.noise, float) and spec.noise == 0:
        spec = replace(spec, noise=0.0)  # -0.0 as 0.0: NumPy refuses a scale whose sign bit is set
    data = spec.edits.apply(DATASETS[spec.name](spec))  # edits after generation: explorer/config/edits.py says how
    data.spec = spec
    return data


def split(name, x, y, spec: DatasetSpec, n_classes: int, stratified: bool = True, **extra) -> Dataset:
    """Stratified, seeded train/test split shared by every generator."""
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=spec.test_fraction, random_state=spec.seed, stratify=y if stratified else None
    )
    return Dataset(
        name=name,
        x_train=np.ascontiguousarray(x_tr, dtype=np.float32),
        y_train=np.asarray(y_tr, dtype=np.int64),
        x_test=np.ascontiguousarray(x_te, dtype=np.float32),
        y_test=np.asarray(y_te, dtype=np.int64),
        n_classes=n_classes,
        **extra,
    )
