"""Decision boundaries as polylines: numpy marching squares on ``p_c - max_{d != c} p_d`` (where the
class argmax changes), chained into polylines so that dashed lines render."""
from __future__ import annotations

import numpy as np


def _iso_segments(f: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Zero-level segments of ``f[y, x]`` as an (S, 2, 2) array of ((x0, y0), (x1, y1))."""
    f = np.asarray(f, dtype=np.float64)
    v00, v10, v01, v11 = f[:-1, :-1], f[:-1, 1:], f[1:, :-1], f[1:, 1:]
    x0, x1 = xs[None, :-1].astype(np.float64), xs[None, 1:].astype(np.float64)
    y0, y1 = ys[:-1, None].astype(np.float64), ys[1:, None].astype(np.float64)
    shape = v00.shape
    x0, x1 = np.broadcast_to(x0, shape), np.broadcast_to(x1, shape)
    y0, y1 = np.broadcast_to(y0, shape), np.broadcast_to(y1, shape)

    def cross(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where((a > 0) != (b > 0), a / (a - b), np.nan)
        return t

    t = [cross(v00, v10), cross(v10, v11), cross(v01, v11), cross(v00, v01)]  # bottom right top left
    px = np.stack([x0 + t[0] * (x1 - x0), x1, x0 + t[2] * (x1 - x0), x0])
    py = np.stack([y0, y0 + t[1] * (y1 - y0), y1, y0 + t[3] * (y1 - y0)])
    mask = np.stack([np.isfinite(ti) for ti in t])
    count = mask.sum(axis=0)
    segs = []
    two = count == 2
    if two.any():
        m = mask[:, two]
        first = m.argmax(axis=0)
        last = 3 - m[::-1].argmax(axis=0)
        pxs, pys = px[:, two], py[:, two]
        cols = np.arange(m.shape[1])
        segs.append(np.stack([np.stack([pxs[first, cols], pys[first, cols]], -1),
                              np.stack([pxs[last, cols], pys[last, cols]], -1)], 1))
    four = count == 4
    if four.any():
        centre = (v00 + v10 + v01 + v11)[four] / 4
        same = (centre > 0) == (v00[four] > 0)
        pxs, pys = px[:, four], py[:, four]
        pairs = np.where(same[None, :, None], np.array([[0, 1], [2, 3]])[:, None, :],
                         np.array([[0, 3], [1, 2]])[:, None, :])  # (2, K, 2) edge indices
        cols = np.arange(pxs.shape[1])
        for p in range(2):
            a, b = pairs[p, :, 0], pairs[p, :, 1]
            segs.append(np.stack([np.stack([pxs[a, cols], pys[a, cols]], -1),
                                  np.stack([pxs[b, cols], pys[b, cols]], -1)], 1))
    return np.concatenate(segs) if segs else np.zeros((0, 2, 2))


def _chain(segments: np.ndarray) -> list[np.ndarray]:
    """Join segments that share end points (exactly: shared edges interpolate identically)."""
    if not len(segments):
        return []
    ends: dict[tuple, list[int]] = {}
    keys = [(tuple(a), tuple(b)) for a, b in segments.tolist()]  # Python floats: hashed far faster than numpy's
    for i, (a, b) in enumerate(keys):
        ends.setdefault(a, []).append(i)
        ends.setdefault(b, []).append(i)
    used = [False] * len(segments)
    lines = []

    def walk(start_point, seg):
        pts = []
        point = start_point
        while seg is not None:
            used[seg] = True
            a, b = keys[seg]
            point = b if a == point else a
            pts.append(point)
            seg = next((s for s in ends[point] if not used[s]), None)
        return pts

    # Start open polylines at their ends first, then closed loops anywhere.
    order = sorted(range(len(segments)), key=lambda i: -(len(ends[keys[i][0]]) == 1 or len(ends[keys[i][1]]) == 1))
    for i in order:
        if used[i]:
            continue
        a, b = keys[i]
        start = a if len(ends[a]) == 1 or len(ends[b]) != 1 else b
        pts = [start] + walk(start, i)
        lines.append(np.array(pts))
    return lines


def boundary_xy(probs: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decision boundaries of ``probs`` ((G*G, C) on the row-major grid) as float32 x, y arrays with
    NaN gaps between polylines. For C classes the boundary of each class region is traced (for 2
    classes one field suffices)."""
    probs = np.asarray(probs, dtype=np.float32).reshape(len(ys), len(xs), -1)
    c = probs.shape[2]
    lines = []
    for k in range(1 if c == 2 else c):
        others = np.delete(probs, k, axis=2).max(axis=2)
        lines += _chain(_iso_segments(probs[:, :, k] - others, xs, ys))
    if not lines:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    gap = np.array([[np.nan, np.nan]])
    stacked = np.concatenate([part for line in lines for part in (line, gap)][:-1])
    return stacked[:, 0].astype(np.float32), stacked[:, 1].astype(np.float32)

