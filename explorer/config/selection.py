"""Choosing what to forget, as pure functions: a scenario's forget spec -> sample ids, selection events ->
sample ids, the forget set with undo history, and presets (boundary point, deep point, whole class, random
k %, k most informative, a k-means sub-class).

A sample's id is its row in ``x_train``. Ids come from the selectable scatter's ``customdata``
(never from ``point_index``, which Plotly numbers per trace, not per figure).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors

from explorer.config.scenario import ForgetSpec, ScenarioError
from explorer.measures.metrics import default_radius, information_score
from toy_data import Dataset

MAX_HISTORY = 50


def _get(obj: Any, key: str, default=None):
    """Item access first (AppTest hands the app a plain dict), attribute access as a fallback."""
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return getattr(obj, key, default)


def _as_id(customdata: Any) -> int | None:
    """customdata arrives as a scalar, a one-element list, or {"0": id} (plotly's typed arrays)."""
    if customdata is None:
        return None
    if isinstance(customdata, Mapping):
        customdata = customdata.get("0", next(iter(customdata.values()), None))
    elif isinstance(customdata, (list, tuple)):
        customdata = customdata[0] if customdata else None
    try:
        value = float(customdata)
    except (TypeError, ValueError):
        return None
    return int(value) if np.isfinite(value) and value == int(value) else None


def ids_from_event(event: Any, n: int | None = None) -> tuple[list[int], str]:
    """(sorted unique ids, kind) from a Streamlit Plotly selection event.

    ``kind`` is "box" or "lasso" for a drag selection, "points" for clicks (shift-clicks included),
    "none" for an empty or unreadable event. Points without an id in ``customdata`` (e.g. from a
    non-selectable trace) are ignored; ids outside ``range(n)`` are dropped when ``n`` is given.
    """
    if not event:
        return [], "none"
    sel = _get(event, "selection")
    if not sel:
        return [], "none"
    ids = []
    for p in _get(sel, "points", []) or []:
        i = _as_id(_get(p, "customdata"))
        if i is not None and (n is None or 0 <= i < n):
            ids.append(i)
    ids = sorted(set(ids))
    if not ids:
        return [], "none"
    if _get(sel, "lasso"):
        return ids, "lasso"
    if _get(sel, "box"):
        return ids, "box"
    return ids, "points"


MAX_ID_TEXT = 64 * 1024  # characters of an id list (a URL's f=, the CLI's --forget-ids)
MAX_ID_PARTS = 4096  # comma-separated ids or ranges in one list


def parse_id_ranges(text: str, n: int) -> tuple[list[tuple[int, int]], int]:
    """Comma-separated ids and ranges (``3-5,9``) as merged, sorted ``[lo, hi]`` ranges clipped to ``range(n)``,
    and how many ids were beyond it. Nothing is expanded, so the work and memory are bounded by the text
    (capped at :data:`MAX_ID_TEXT` characters and :data:`MAX_ID_PARTS` parts), whatever the ranges span.
    ValueError (one line) on anything that is not such a list: an empty part, a non-integer, a negative id,
    a reversed range."""
    text = (text or "").strip()
    if not text:
        return [], 0
    if len(text) > MAX_ID_TEXT:
        raise ValueError(f"the id list is {len(text):,} characters long; at most {MAX_ID_TEXT:,}")
    parts = text.split(",")
    if len(parts) > MAX_ID_PARTS:
        raise ValueError(f"the id list has {len(parts):,} parts; at most {MAX_ID_PARTS:,}")
    raw: list[tuple[int, int]] = []
    for part in parts:
        part = part.strip()
        if part.startswith("-") and part[1:].isascii() and part[1:].isdigit():
            raise ValueError(f"id {part} is out of range: ids start at 0")
        a, dash, b = part.partition("-") if not part.startswith("-") else ("", "", "")
        try:
            if not part or len(part) > 41 or part.startswith("-"):
                raise ValueError
            lo, hi = (_id(a), _id(b)) if dash else (_id(part),) * 2
        except ValueError:
            raise ValueError(f"{part!r} is not an id (a whole number >= 0) or a range A-B") from None
        if hi < lo:
            raise ValueError(f"range {part!r} runs backwards")
        raw.append((lo, hi))
    raw.sort()
    merged: list[list[int]] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    kept, beyond = [], 0
    for lo, hi in merged:
        if hi >= n:
            beyond += hi - max(lo, n) + 1
        if lo < n:
            kept.append((lo, min(hi, n - 1)))
    return kept, beyond


def _id(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise ValueError
    return int(text)


def expand(ranges: Iterable[tuple[int, int]]) -> list[int]:
    """The ids of clipped ranges (at most the training set's size by construction)."""
    return [i for lo, hi in ranges for i in range(lo, hi + 1)]


def toggle(current: Iterable[int], ids: Iterable[int]) -> list[int]:
    """Clicked ids flip: forgotten ones are removed, others added."""
    out = set(int(i) for i in current)
    for i in ids:
        out.symmetric_difference_update({int(i)})
    return sorted(out)


def add(current: Iterable[int], ids: Iterable[int]) -> list[int]:
    return sorted(set(int(i) for i in current) | set(int(i) for i in ids))


def remove(current: Iterable[int], ids: Iterable[int]) -> list[int]:
    return sorted(set(int(i) for i in current) - set(int(i) for i in ids))


def apply_event(current: Iterable[int], ids: Iterable[int], kind: str) -> list[int]:
    """Clicks toggle (click a forgotten point again to remove it); box and lasso add."""
    if kind == "points":
        return toggle(current, ids)
    if kind in ("box", "lasso"):
        return add(current, ids)
    return sorted(set(int(i) for i in current))


def clip_to_range(ids: Iterable[int], n: int) -> tuple[list[int], list[int]]:
    """(ids still valid for a training set of ``n`` samples, ids dropped)."""
    ids = sorted(set(int(i) for i in ids))
    return [i for i in ids if 0 <= i < n], [i for i in ids if not 0 <= i < n]


@dataclass(frozen=True)
class ForgetState:
    """The forget set and the states before each change (for undo). Immutable: methods return new states."""

    ids: tuple[int, ...] = ()
    history: tuple[tuple[int, ...], ...] = ()

    def set(self, ids: Iterable[int]) -> "ForgetState":
        new = tuple(sorted(set(int(i) for i in ids)))
        if new == self.ids:
            return self
        return ForgetState(new, (self.history + (self.ids,))[-MAX_HISTORY:])

    def apply(self, ids: Iterable[int], kind: str) -> "ForgetState":
        return self.set(apply_event(self.ids, ids, kind))

    def clear(self) -> "ForgetState":
        return self.set(())

    def undo(self) -> "ForgetState":
        if not self.history:
            return self
        return ForgetState(self.history[-1], self.history[:-1])

    @property
    def can_undo(self) -> bool:
        return bool(self.history)

    def __len__(self) -> int:
        return len(self.ids)


# ----------------------------------------------------------------------------------------------
# presets

def _margin(probs: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 probability (small = near the model's decision boundary)."""
    p = np.sort(np.asarray(probs, dtype=float), axis=1)
    return p[:, -1] - p[:, -2]


def _other_class_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest point of another class."""

    out = np.full(len(x), np.inf)
    for c in np.unique(y):
        others = x[y != c]
        if not len(others):
            continue
        dist, _ = NearestNeighbors(n_neighbors=1).fit(others).kneighbors(x[y == c])
        out[y == c] = dist[:, 0]
    return out


def boundary_point(data, probs: np.ndarray | None = None) -> list[int]:
    """The training point closest to the decision boundary: the smallest margin between the model's two
    most likely classes when probabilities are given, else the smallest distance to another class."""
    score = _margin(probs) if probs is not None else _other_class_distance(data.x_train, data.y_train)
    return [int(np.argmin(score))]


def deep_point(data, probs: np.ndarray | None = None) -> list[int]:
    """One point deep inside its class: the farthest from any point of another class (ties: the
    most confident)."""
    dist = _other_class_distance(data.x_train, data.y_train)
    tie = _margin(probs) if probs is not None else np.zeros(len(dist))
    return [int(np.lexsort((-tie, -dist))[0])]


def whole_class(data, cls: int) -> list[int]:
    if not 0 <= int(cls) < data.n_classes:
        raise ValueError(f"class {cls} does not exist: classes are 0..{data.n_classes - 1}")
    return np.flatnonzero(data.y_train == int(cls)).tolist()


def random_percent(data, percent: float, seed: int = 0) -> list[int]:
    """A seeded random ``percent`` % of the training set (at least one point)."""
    if not 0 < percent < 100:
        raise ValueError(f"random forget share must be between 0 and 100 %, got {percent}")
    n = len(data.x_train)
    k = max(1, int(round(n * percent / 100)))
    return sorted(np.random.default_rng(seed).choice(n, size=k, replace=False).tolist())


def highest_information(data, k: int, alpha: np.ndarray | None = None) -> list[int]:
    """The ``k`` points with the lowest α(x) (most information), ties broken by nearness to another
    class; α as in :func:`explorer.measures.metrics.information_score` with the default radius."""
    n = len(data.x_train)
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    if alpha is None:
        alpha = information_score(data.x_train, data.y_train, default_radius(data.x_train))
    order = np.lexsort((_other_class_distance(data.x_train, data.y_train), alpha))
    return sorted(int(i) for i in order[:k])


# ----------------------------------------------------------------------------------------------
# a scenario's forget spec -> ids

def forget_ids(spec: ForgetSpec, data: Dataset, seed: int = 0) -> list[int]:
    """The sorted training ids ``spec`` selects in ``data``; raises ScenarioError on bad or empty choices."""
    chosen = spec.chosen()
    if len(chosen) > 1:
        raise ScenarioError(f"conflicting forget options ({' and '.join(chosen)}); give exactly one")
    n = len(data.x_train)
    if not chosen:
        raise ScenarioError("the forget set is empty; choose at least one training point to forget")
    spec.check_types()
    if spec.ids:
        if len(spec.ids) > n:
            raise ScenarioError(f"{len(spec.ids)} forget ids for a training set of {n} points")
        bad = [i for i in spec.ids if not 0 <= i < n]
        if bad:
            raise ScenarioError(f"forget id {bad[0]} is out of range: the training set has ids 0..{n - 1}")
        ids = sorted(set(int(i) for i in spec.ids))
    elif spec.forget_class is not None:
        if not 0 <= spec.forget_class < data.n_classes:
            raise ScenarioError(f"class {spec.forget_class} does not exist: classes are 0..{data.n_classes - 1}")
        ids = np.flatnonzero(data.y_train == spec.forget_class).tolist()
    elif spec.random_fraction is not None:
        if not 0 < spec.random_fraction < 1:
            raise ScenarioError(f"random forget fraction must be in (0, 1), got {spec.random_fraction}")
        k = int(round(spec.random_fraction * n))
        ids = sorted(np.random.default_rng(seed).choice(n, size=k, replace=False).tolist())
    elif spec.subclass is not None:
        ids = subclass_ids(data, *spec.subclass, seed=seed)
    elif spec.point is not None:
        try:
            ids = [data.nearest_train_id(spec.point)]
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    else:
        if spec.named not in data.named_points:
            names = ", ".join(data.named_points) or "none"
            raise ScenarioError(f"dataset {data.name!r} has no named point {spec.named!r} (it has: {names})")
        ids = [data.named_points[spec.named]]
    if not ids:
        raise ScenarioError("the forget set is empty; choose at least one training point to forget")
    if len(ids) >= n:
        raise ScenarioError("cannot forget every training point: nothing would be left to retrain on")
    return ids


SUBCLASS_CLUSTERS = 3


def subclass_ids(data: Dataset, cls: int, cluster: int, seed: int = 0, k: int = SUBCLASS_CLUSTERS) -> list[int]:
    """Training ids of k-means cluster ``cluster`` (clusters sorted by size, largest first) inside class ``cls``."""
    if not 0 <= cls < data.n_classes:
        raise ScenarioError(f"class {cls} does not exist: classes are 0..{data.n_classes - 1}")
    if not 0 <= cluster < k:
        raise ScenarioError(f"sub-class cluster must be between 0 and {k - 1}, got {cluster}")
    members = np.flatnonzero(data.y_train == cls)
    if len(members) < k:
        raise ScenarioError(f"class {cls} has too few training points to split into {k} sub-classes")
    labels = KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(data.x_train[members])
    by_size = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    return sorted(members[labels == by_size[cluster]].tolist())
