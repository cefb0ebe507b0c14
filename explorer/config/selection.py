"""Choosing what to forget, as pure functions: selection events -> sample ids, the forget set with
undo history, and presets (boundary point, deep point, whole class, random k %, k most informative).

A sample's id is its row in ``x_train``. Ids come from the selectable scatter's ``customdata``
(never from ``point_index``, which Plotly numbers per trace, not per figure).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np
from sklearn.neighbors import NearestNeighbors

from explorer.config.echo import clip, shown
from explorer.measures.functions import default_radius, information_score

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


def ids_and_cells(event: Any, n: int) -> tuple[list[int], list[int], str]:
    """(training ids, clicked cells, kind) of a selection event on the editor in "Edit data" mode: points with an
    id in ``range(n)`` are training points, points with a negative ``customdata`` are the cells that make empty
    plane clickable (explorer/figures/edit.py). ``kind`` as in :func:`ids_from_event`."""
    sel = _get(event, "selection") if event else None
    if not sel:
        return [], [], "none"
    ids, cells = set(), []
    for p in _get(sel, "points", []) or []:
        i = _as_id(_get(p, "customdata"))
        if i is not None and 0 <= i < n:
            ids.add(i)
        elif i is not None and i < 0:
            cells.append(i)
    kind = "lasso" if _get(sel, "lasso") else "box" if _get(sel, "box") else "points"
    return sorted(ids), cells, kind if (ids or cells) else "none"


MAX_ID_TEXT = 64 * 1024  # characters of an id list (a URL's f=, the CLI's --forget-ids)
MAX_ID_PARTS = 4096  # comma-separated ids or ranges in one list


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
            raise ValueError(f"id {clip(part, 24)} is out of range: ids start at 0")
        a, dash, b = part.partition("-") if not part.startswith("-") else ("", "", "")
        try:
            if not part or len(part) > 41 or part.startswith("-"):
                raise ValueError
            lo, hi = (_id(a), _id(b)) if dash else (_id(part),) * 2
        except ValueError:
            raise ValueError(f"{shown(part, 40)} is not an id (a whole number >= 0) or a range A-B") from None
        if hi < lo:
            raise ValueError(f"range {shown(part, 40)} runs backwards")
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
    """The forget set, the training set's hand edits it refers to (the 2D page's data edits, explorer/config/edits.py;
    None elsewhere) and the states before each change (for undo: Undo covers edits as it covers forget sets).
    Immutable: methods return new states."""

    ids: tuple[int, ...] = ()
    history: tuple[tuple[tuple[int, ...], Any], ...] = ()  # earlier (ids, edits)
    edits: Any = None

    def _push(self, ids: tuple[int, ...], edits: Any) -> "ForgetState":
        if ids == self.ids and edits == self.edits:
            return self
        return ForgetState(ids, (self.history + ((self.ids, self.edits),))[-MAX_HISTORY:], edits)

    def set(self, ids: Iterable[int]) -> "ForgetState":
        return self._push(tuple(sorted(set(int(i) for i in ids))), self.edits)

    def edit(self, edits: Any, ids: Iterable[int]) -> "ForgetState":
        """New data edits and the forget set renumbered for them, as one step of the history."""
        return self._push(tuple(sorted(set(int(i) for i in ids))), edits)

    def apply(self, ids: Iterable[int], kind: str) -> "ForgetState":
        return self.set(apply_event(self.ids, ids, kind))

    def clear(self) -> "ForgetState":
        return self.set(())

    def undo(self) -> "ForgetState":
        if not self.history:
            return self
        ids, edits = self.history[-1]
        return ForgetState(ids, self.history[:-1], edits)

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
    class; α as in :func:`explorer.measures.functions.information_score` with the default radius."""
    n = len(data.x_train)
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    if alpha is None:
        alpha = information_score(data.x_train, data.y_train, default_radius(data.x_train))
    order = np.lexsort((_other_class_distance(data.x_train, data.y_train), alpha))
    return sorted(int(i) for i in order[:k])
