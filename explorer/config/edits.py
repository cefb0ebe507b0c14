"""Edits to a training set — points added, removed and relabelled — applied after the data is generated.

**Order and ids.** The generated (or uploaded) training set is edited in three steps, always in this order:

1. each ``flipped`` (id, label) gives that point the new label;
2. each ``removed`` id is taken out and the points after it close up (ids renumber, so a training point's id
   is still its row);
3. the ``added`` points are appended in the order they were added.

``removed`` and ``flipped`` name ids of the *unedited* training set, so they never shift whatever else is
edited; that is what a link and a scenario file store. After the edits, the unedited points that remain keep
their relative order, and added point k has id ``n - len(removed) + k``. The page renumbers its forget set
when a click removes a point (:func:`remove` returns the renumbering). The test set is never edited.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from explorer.config.limits import MAX_COORDINATE, MAX_EDITS

IdMap = Callable[[int], "int | None"]  # an id before an edit -> its id after it (None: the point is gone)


@dataclass(frozen=True)
class DataEdits:
    """What was done to a training set by hand (see the module's doc for the order and the ids)."""

    added: tuple[tuple[float, ...], ...] = ()  # each (*coordinates, label)
    removed: tuple[int, ...] = ()  # sorted ids of the unedited training set
    flipped: tuple[tuple[int, int], ...] = ()  # sorted (id of the unedited training set, its new label)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed) + len(self.flipped)

    def describe(self) -> str:
        parts = [f"{len(self.added)} added"] * bool(self.added) + [f"{len(self.removed)} removed"] * bool(self.removed)
        parts += [f"{len(self.flipped)} relabelled"] * bool(self.flipped)
        return ", ".join(parts) or "no edits"

    @classmethod
    def build(cls, added=(), removed=(), flipped=()) -> "DataEdits":
        """The canonical form: removed and flipped sorted and unique (a flip of a removed point dropped)."""
        removed = tuple(sorted(set(int(i) for i in removed)))
        gone = set(removed)
        flips = {int(i): int(label) for i, label in flipped if int(i) not in gone}
        return cls(tuple(tuple(float(v) for v in p[:-1]) + (int(p[-1]),) for p in added), removed,
                   tuple(sorted(flips.items())))

    @classmethod
    def from_dict(cls, raw) -> "DataEdits":
        """From a scenario file's JSON (``{"added": [[x1, x2, label], ...], "removed": [ids], "flipped": [[id,
        label], ...]}``): JSON-level types only (the ids and labels are checked against the data when it loads)."""
        if not isinstance(raw, dict) or set(raw) - {"added", "removed", "flipped"}:
            raise ValueError("dataset.edits must be an object with added, removed and flipped lists")
        parts = {k: raw.get(k, []) for k in ("added", "removed", "flipped")}
        if not all(isinstance(v, (list, tuple)) for v in parts.values()):
            raise ValueError("dataset.edits: added, removed and flipped must be lists")
        if sum(len(v) for v in parts.values()) > MAX_EDITS:
            raise ValueError(f"{sum(len(v) for v in parts.values()):,} data edits: at most {MAX_EDITS:,}")
        for p in parts["added"]:
            if not (isinstance(p, (list, tuple)) and 2 <= len(p) <= 3 and all(_number(v) for v in p[:-1])
                    and _whole(p[-1])):
                raise ValueError(f"an added point is [x1, x2, label] or [x, label], got {_short(p)}")
        if not all(_whole(i) for i in parts["removed"]):
            raise ValueError(f"removed ids must be whole numbers, got {_short(parts['removed'])}")
        if not all(isinstance(f, (list, tuple)) and len(f) == 2 and all(_whole(v) for v in f) for f in parts["flipped"]):
            raise ValueError(f"a relabelled point is [id, label] (whole numbers), got {_short(parts['flipped'])}")
        edits = cls.build(parts["added"], parts["removed"], parts["flipped"])
        if len(edits.removed) != len(parts["removed"]) or len(edits.flipped) != len(parts["flipped"]):
            raise ValueError("dataset.edits lists a point twice (removed twice, relabelled twice, or both)")
        return edits

    # ------------------------------------------------------------------------------------------
    # checking and applying

    def check(self, n_base: int, n_features: int, n_classes: int) -> None:
        """Against the unedited training set's size, its dimensions and classes; ValueError in one line."""
        if len(self) > MAX_EDITS:
            raise ValueError(f"{len(self):,} data edits: at most {MAX_EDITS:,}")
        for k, point in enumerate(self.added):
            if len(point) != n_features + 1:
                raise ValueError(f"added point {k + 1} has {len(point) - 1} coordinate(s); this data has {n_features}")
            coords, label = point[:-1], point[-1]
            if not all(_number(v) and math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in coords):
                raise ValueError(f"added point {k + 1} needs finite coordinates within ±{MAX_COORDINATE:,.0f}, "
                                 f"got {_short(coords)}")
            _check_label(label, n_classes, f"added point {k + 1}")
        for i in self.removed:
            _check_id(i, n_base, "a removed id")
        if len(set(self.removed)) != len(self.removed):
            raise ValueError("a removed id is listed twice")
        seen = set()
        for i, label in self.flipped:
            _check_id(i, n_base, "a relabelled id")
            _check_label(label, n_classes, f"relabelled point {i}")
            if i in seen or i in self.removed:
                raise ValueError(f"point {i} is relabelled twice or both removed and relabelled")
            seen.add(i)
        if n_base - len(self.removed) + len(self.added) < 2:
            raise ValueError("the data edits leave fewer than 2 training points")

    def apply(self, data):
        """``data`` (a toy_data Dataset) with these edits, in place of its training set; checked first."""
        n_base = len(data.x_train)
        self.check(n_base, data.n_features, data.n_classes)
        if not len(self):
            return data
        y = data.y_train.copy()
        for i, label in self.flipped:
            y[i] = label
        keep = self.kept(n_base)
        x = data.x_train[keep]
        y = y[keep]
        if self.added:
            added = np.array(self.added, dtype=np.float64)
            x = np.concatenate([x, added[:, :-1].astype(np.float32)])
            y = np.concatenate([y, added[:, -1].astype(np.int64)])
        after = self.id_map(n_base)
        named = {name: after(i) for name, i in data.named_points.items()}
        return replace(data, x_train=np.ascontiguousarray(x, dtype=np.float32), y_train=y.astype(np.int64),
                       named_points={name: i for name, i in named.items() if i is not None})

    def kept(self, n_base: int) -> np.ndarray:
        """The unedited ids that remain, in order (their new ids are their positions here)."""
        keep = np.ones(n_base, dtype=bool)
        keep[list(self.removed)] = False
        return np.flatnonzero(keep)

    def id_map(self, n_base: int) -> IdMap:
        """Unedited id -> its id after these edits (None where removed)."""
        new = np.full(n_base, -1)
        kept = self.kept(n_base)
        new[kept] = np.arange(len(kept))
        return lambda i: int(new[i]) if 0 <= i < n_base and new[i] >= 0 else None

    def origin(self, edited_id: int, n_base: int) -> tuple[str, int]:
        """("base", unedited id) or ("added", index in ``added``) of a point of the edited training set."""
        kept = self.kept(n_base)
        if 0 <= edited_id < len(kept):
            return "base", int(kept[edited_id])
        k = edited_id - len(kept)
        if 0 <= k < len(self.added):
            return "added", k
        raise ValueError(f"there is no training point {edited_id}: the edited training set has ids "
                         f"0..{len(kept) + len(self.added) - 1}")

    def fit(self, n_base: int, n_features: int, n_classes: int) -> tuple["DataEdits", int]:
        """These edits without the ones this training set cannot take (after a change of samples or classes),
        and how many were dropped."""
        added = tuple(p for p in self.added if len(p) == n_features + 1 and 0 <= p[-1] < n_classes)
        removed = tuple(i for i in self.removed if 0 <= i < n_base)
        flipped = tuple((i, c) for i, c in self.flipped if 0 <= i < n_base and 0 <= c < n_classes)
        kept = DataEdits(added, removed, flipped)
        return kept, len(self) - len(kept)


# ----------------------------------------------------------------------------------------------
# one edit at a time (the page's clicks): the new edits and how the old ids map to the new ones

def add(edits: DataEdits, coords, label: int) -> tuple[DataEdits, IdMap]:
    """A new point at ``coords`` of class ``label``; it takes the next id, no other id changes."""
    point = tuple(float(v) for v in coords) + (int(label),)
    return replace(edits, added=edits.added + (point,)), (lambda i: i)


def remove(edits: DataEdits, edited_id: int, n_base: int) -> tuple[DataEdits, IdMap]:
    """Point ``edited_id`` taken out (an added point is dropped from ``added``); the ids after it close up."""
    kind, k = edits.origin(edited_id, n_base)
    if kind == "added":
        new = replace(edits, added=edits.added[:k] + edits.added[k + 1:])
    else:
        new = DataEdits.build(edits.added, edits.removed + (k,), edits.flipped)
    return new, (lambda i: None if i == edited_id else i - 1 if i > edited_id else i)


def relabel(edits: DataEdits, edited_id: int, label: int, base_y: np.ndarray) -> tuple[DataEdits, IdMap]:
    """Point ``edited_id`` gets class ``label`` (a flip back to its generated label removes the flip)."""
    kind, k = edits.origin(edited_id, len(base_y))
    if kind == "added":
        point = edits.added[k][:-1] + (int(label),)
        return replace(edits, added=edits.added[:k] + (point,) + edits.added[k + 1:]), (lambda i: i)
    flips = dict(edits.flipped)
    flips.pop(k, None)
    if int(label) != int(base_y[k]):
        flips[k] = int(label)
    return DataEdits.build(edits.added, edits.removed, flips.items()), (lambda i: i)


def next_label(label: int, n_classes: int) -> int:
    """The label a flip gives: the other class of two, the next one of more."""
    return (int(label) + 1) % n_classes


# ----------------------------------------------------------------------------------------------
# presets

def outlier_position(x: np.ndarray, y: np.ndarray, inside: int) -> np.ndarray:
    """A spot deep inside class ``inside``: midway between its point farthest from every other class and that
    point's nearest neighbour of the same class (on a training point of its own, an added point would hide)."""
    members = np.flatnonzero(y == inside)
    others = x[y != inside]
    if len(members) < 2 or not len(others):
        raise ValueError(f"class {inside} needs at least two training points and another class around it")
    d_other = np.sqrt(((x[members, None, :] - others[None]) ** 2).sum(-1)).min(1)
    deepest = members[int(np.argmax(d_other))]
    same = x[members]
    d_same = np.sqrt(((same - x[deepest]) ** 2).sum(-1))
    d_same[members == deepest] = np.inf
    return (x[deepest] + same[int(np.argmin(d_same))]) / 2


def add_outlier(edits: DataEdits, data, label: int, inside: int) -> tuple[DataEdits, IdMap]:
    """One point of class ``label`` deep inside class ``inside`` of the (edited) training set ``data``."""
    if label == inside:
        raise ValueError("an outlier's class must differ from the class it sits in")
    spot = outlier_position(data.x_train, data.y_train, inside)
    return add(edits, np.round(spot, 4), label)


def flip_random(edits: DataEdits, data, k: int, seed: int, base_y: np.ndarray) -> tuple[DataEdits, IdMap]:
    """``k`` training points of the (edited) set ``data``, drawn with ``seed``, each given the next label."""
    n = len(data.x_train)
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and {n}, got {k}")
    for i in np.random.default_rng(seed).choice(n, size=k, replace=False):
        edits, _ = relabel(edits, int(i), next_label(data.y_train[i], data.n_classes), base_y)
    return edits, (lambda i: i)


def _number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _whole(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_label(label, n_classes: int, what: str) -> None:
    if not (_whole(label) and 0 <= label < n_classes):
        raise ValueError(f"{what}: label {_short(label)} is not a class of this data (0..{n_classes - 1})")


def _check_id(i, n_base: int, what: str) -> None:
    if not (_whole(i) and 0 <= i < n_base):
        raise ValueError(f"{what} {_short(i)} is not a point of the unedited training set (ids 0..{n_base - 1})")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
