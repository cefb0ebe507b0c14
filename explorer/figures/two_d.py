"""Pure Plotly figure builders for the 2D explorer: arrays in, ``go.Figure`` out (no Streamlit).

Conventions:

* The background is ONE heatmap per panel whose value encodes the predicted class *and* the
  confidence: ``z = class * LEVELS + level`` (uint8), shown with a piecewise-constant colourscale
  where each class's band runs from pale (unsure) to saturated (sure). This works for any number of
  classes and keeps each 100x100 frame at 10 kB before base64.
* Decision boundaries are scatter iso-lines computed here with numpy marching squares on
  ``p_c - max_{d != c} p_d`` (class-argmax changes), chained into polylines so dashes render.
* Every animated axis has a fixed range; frames carry only the traces that change.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale
from plotly.subplots import make_subplots

from explorer.measures.metrics import METRICS, live_metric_names

LEVELS = 8  # confidence shades per class in the background heatmap
PALETTE = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
FORGET_COLOR = "#111111"
ANIMATION_METRICS = live_metric_names("animation")  # the registry's shown="animation", kept up to date
SPEEDS = {"slow": 500, "normal": 180, "fast": 60}  # ms per frame for the in-figure Play buttons
MAX_FRAMES = 60


# ----------------------------------------------------------------------------------------------
# colours and encodings

def short_label(name: str) -> str:
    """A metric's few-word label from the registry ("loss" is the method's own objective)."""
    return "method loss" if name == "loss" else METRICS[name].short if name in METRICS else name


def class_color(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


def _mix(hex_color: str, amount: float) -> str:
    """``amount`` of the colour over white (0 = white, 1 = the colour)."""
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    mix = lambda v: round(255 + (v - 255) * amount)  # noqa: E731
    return f"rgb({mix(r)},{mix(g)},{mix(b)})"


def class_colorscale(n_classes: int, lo: float = 0.08, hi: float = 0.62) -> list:
    """Discrete colourscale for :func:`encode_class_confidence` values with zmin=-0.5, zmax=C*L-0.5."""
    n = n_classes * LEVELS
    scale = []
    for k in range(n):
        c, level = divmod(k, LEVELS)
        color = _mix(class_color(c), lo + (hi - lo) * level / (LEVELS - 1))
        scale += [[k / n, color], [(k + 1) / n, color]]
    return scale


def encode_class_confidence(probs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(G*G, C) probabilities -> (ny, nx) uint8 ``argmax * LEVELS + confidence level``.

    The level rescales the top probability from [1/C, 1] to [0, 1] and cuts it into LEVELS bins.
    """
    probs = np.asarray(probs, dtype=np.float32)
    c = probs.shape[1]
    top = probs.max(axis=1)
    conf = np.clip((top - 1.0 / c) / (1.0 - 1.0 / c), 0.0, 1.0)
    level = np.minimum((conf * LEVELS).astype(np.int64), LEVELS - 1)
    return (probs.argmax(axis=1) * LEVELS + level).astype(np.uint8).reshape(shape)


# ----------------------------------------------------------------------------------------------
# boundaries: marching squares on class-margin fields, chained into polylines

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
    keys = [(tuple(s[0]), tuple(s[1])) for s in segments]
    for i, (a, b) in enumerate(keys):
        ends.setdefault(a, []).append(i)
        ends.setdefault(b, []).append(i)
    used = np.zeros(len(segments), dtype=bool)
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


# ----------------------------------------------------------------------------------------------
# trace helpers

# Traces and figures are built as plain dicts and wrapped with ``go.Figure(..., _validate=False)``: plotly's
# per-property validation (make_subplots, update_*axes, add_trace) cost more than the data they carry, and a
# page builds them for every student.

def heatmap_trace(xs, ys, probs, n_classes: int, opacity: float = 1.0, **kw) -> dict:
    z = encode_class_confidence(probs, (len(ys), len(xs)))
    return dict(type="heatmap", x=np.asarray(xs, np.float32), y=np.asarray(ys, np.float32), z=z,
                zmin=-0.5, zmax=n_classes * LEVELS - 0.5, colorscale=class_colorscale(n_classes),
                showscale=False, zsmooth=False, hoverinfo="skip", opacity=opacity, **kw)


def line_trace(x, y, name: str, color: str = "#222", width: float = 2.0, dash: str = "solid",
               opacity: float = 1.0, showlegend: bool = True, **kw) -> dict:
    return dict(type="scatter", x=x, y=y, mode="lines", name=name, line=dict(color=color, width=width, dash=dash),
                opacity=opacity, hoverinfo="skip", showlegend=showlegend, connectgaps=False, **kw)


def _point_colors(y: np.ndarray) -> list[str]:
    return [class_color(int(c)) for c in y]


def points_traces(x: np.ndarray, y: np.ndarray, forget_ids: Sequence[int], showlegend: bool = True,
                  sizes: np.ndarray | None = None, **kw) -> list[dict]:
    """Two traces: retained training points coloured by class, forgotten points as black crosses."""
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    keep = ~forget
    size = sizes[keep] if sizes is not None else 6
    retained = dict(type="scatter", x=x[keep, 0], y=x[keep, 1], mode="markers", name="training points",
                    marker=dict(color=_point_colors(y[keep]), size=size, line=dict(color="white", width=0.6)),
                    hoverinfo="skip", showlegend=showlegend, **kw)
    forgotten = dict(type="scatter", x=x[forget, 0], y=x[forget, 1], mode="markers", name="forgotten points",
                     marker=dict(color=_point_colors(y[forget]), size=13, symbol="x",
                                 line=dict(color=FORGET_COLOR, width=2)),
                     text=[f"forgotten id {i}" for i in np.flatnonzero(forget)], hoverinfo="text",
                     showlegend=showlegend, **kw)
    return [retained, forgotten]


def _fixed_axes(xs, ys) -> tuple[dict, dict]:
    """The data plane's axes: fixed ranges (frames never rescale them), titled with the input coordinates."""
    title = lambda t: {"text": t, "font": {"size": 11}, "standoff": 4}  # noqa: E731
    return (dict(range=[float(xs[0]), float(xs[-1])], autorange=False, showgrid=False, zeroline=False, title=title("x₁")),
            dict(range=[float(ys[0]), float(ys[-1])], autorange=False, showgrid=False, zeroline=False, title=title("x₂")))


def class_legend(n_classes: int, prefix: str = "class") -> list[dict]:
    """Legend-only entries (no data, not selectable) naming each class's colour."""
    return [dict(type="scatter", x=[None], y=[None], mode="markers", name=f"{prefix} {c}", hoverinfo="skip",
                 marker=dict(color=class_color(c), size=9, line=dict(color="white", width=0.6)))
            for c in range(n_classes)]


def _figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from plain dicts, unvalidated (see above)."""
    spec = {"data": data, "layout": layout}
    if frames is not None:
        spec["frames"] = frames
    return go.Figure(spec, _validate=False)


class SpecFigure(go.Figure):
    """A finished figure as its spec (``fig.to_dict()``: plain data, arrays already base64-encoded), taken by plotly
    and Streamlit as a figure: ``to_dict()`` hands the spec back instead of rebuilding plotly's objects and
    deep-copying them, which ``st.plotly_chart`` does on every rerun of every page showing the figure (for a
    31-frame animation most of a rerun's CPU). Pickles, exports (``to_html``, ``to_json``) and draws as the figure
    it was made from; its ``data`` and ``layout`` attributes are empty: read the spec. Never mutate the spec."""

    def __init__(self, spec: dict | None = None):
        super().__init__()
        self._spec = spec if spec is not None else {"data": [], "layout": {}}

    def to_dict(self) -> dict:
        return self._spec


def from_spec(spec: dict) -> go.Figure:
    """A figure again from ``fig.to_dict()`` (see :class:`SpecFigure`)."""
    return SpecFigure(spec)


@lru_cache(maxsize=32)
def _subplots_cached(rows: int, cols: int, titles: tuple, row_titles: tuple | None, font_size: int,
                     spacing: tuple[float, float], specs: str | None = None, widths: tuple | None = None) -> str:
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=spacing[0],
                        vertical_spacing=spacing[1], row_titles=list(row_titles) if row_titles else None,
                        specs=json.loads(specs) if specs else None, column_widths=list(widths) if widths else None)
    fig.update_annotations(font_size=font_size)
    layout = fig.to_dict()["layout"]
    layout.pop("template", None)
    return json.dumps(layout)


def subplot_layout(rows: int, cols: int, titles, row_titles=None, font_size: int = 12,
                   spacing: tuple[float, float] = (0.03, 0.05), specs=None, widths=None) -> dict:
    """A fresh copy of make_subplots' layout (axis domains and panel titles), computed once per arrangement."""
    return json.loads(_subplots_cached(rows, cols, tuple(titles), tuple(row_titles) if row_titles else None,
                                       font_size, spacing, json.dumps(specs) if specs else None,
                                       tuple(widths) if widths else None))


@lru_cache(maxsize=8)
def _named_colorscale(name: str) -> str:
    return json.dumps(get_colorscale(name))


def named_colorscale(name: str) -> list:
    """A named colourscale as the list validation would have written (what plotly.py ships, not plotly.js's own)."""
    return json.loads(_named_colorscale(name))


def _axis_ref(k: int) -> tuple[str, str]:
    """The axes of subplot ``k`` (1-based, row by row) as a trace names them."""
    return ("x", "y") if k == 1 else (f"x{k}", f"y{k}")


def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(v), v, np.nan)


def _range_of(values, pad: float = 0.08) -> list[float]:
    v = _finite(values)
    v = v[np.isfinite(v)]
    if not len(v):
        return [0.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    return [lo - pad * span, hi + pad * span]


# ----------------------------------------------------------------------------------------------
# 1. the editor: a selectable scatter (ONE trace, customdata = sample id) over the original model

def editor_figure(x: np.ndarray, y: np.ndarray, xs, ys, probs: np.ndarray | None, n_classes: int,
                  forget_ids: Sequence[int], alpha: np.ndarray | None = None, height: int = 520) -> go.Figure:
    """Training data to pick points from. Deterministic for the same inputs (selection identity).

    Trace order: [heatmap, original boundary,] the class legend, selectable points (always the LAST
    trace). Points carry their training id in ``customdata`` so a selection maps to ids whatever the trace
    layout. No drag tool is forced: after a box or lasso selection the chart is back to clicking.
    """
    traces = []
    if probs is not None:
        traces.append(heatmap_trace(xs, ys, probs, n_classes, opacity=0.8))
        bx, by = boundary_xy(probs, np.asarray(xs), np.asarray(ys))
        traces.append(line_trace(bx, by, "model boundary", color="#333", width=1.5, showlegend=False))
    traces += class_legend(n_classes)
    forget = set(int(i) for i in forget_ids)
    n = len(x)
    symbols = ["x" if i in forget else "circle" for i in range(n)]
    sizes = [14 if i in forget else 8 for i in range(n)]
    line_colors = [FORGET_COLOR if i in forget else "white" for i in range(n)]
    line_widths = [2.5 if i in forget else 0.7 for i in range(n)]
    hover = [f"id {i} · class {int(y[i])}" + (f" · α={alpha[i]:.2f}" if alpha is not None else "")
             + (" · forgotten" if i in forget else "") for i in range(n)]
    traces.append(dict(
        type="scatter", x=x[:, 0].tolist(), y=x[:, 1].tolist(), mode="markers", name="training points",
        customdata=list(range(n)), text=hover, hoverinfo="text",
        marker=dict(color=_point_colors(y), size=sizes, symbol=symbols,
                    line=dict(color=line_colors, width=line_widths)),
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=1.0)),
        showlegend=False,
    ))
    xa, ya = _fixed_axes(xs, ys)
    return _figure(traces, dict(height=height, margin=dict(l=45, r=10, t=10, b=40), xaxis=xa, yaxis=ya,
                                uirevision="editor", plot_bgcolor="white", clickmode="event+select",
                                legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", font={"size": 11})))


# ----------------------------------------------------------------------------------------------
# 2. the boundary animation with its metric panels on the same frames and slider

def animation_figure(x: np.ndarray, y: np.ndarray, xs, ys, n_classes: int, forget_ids: Sequence[int],
                     steps: Sequence[int], frame_probs: Sequence[np.ndarray], frame_metrics: Sequence[dict],
                     original_probs: np.ndarray, retrain_probs: np.ndarray | None,
                     references: dict[str, dict[str, float]] | None = None,
                     losses: Sequence[float | None] | None = None, method_label: str = "JiT",
                     metrics: Sequence[str] = ANIMATION_METRICS, height: int = 720) -> go.Figure:
    """One figure: boundary animation (left) + one small panel per metric (right), all driven by
    the same frames and slider. At most :data:`MAX_FRAMES` frames are expected (thin before).

    ``references`` maps "original"/"retrain" to metric dicts drawn as dotted/dashed lines.
    """
    if len(frame_probs) == 0 or len(frame_probs) != len(steps):
        raise ValueError("animation_figure needs one probability grid per step")
    if len(steps) > MAX_FRAMES:
        raise ValueError(f"at most {MAX_FRAMES} frames; thin the trajectory first (got {len(steps)})")
    xs, ys = np.asarray(xs, np.float32), np.asarray(ys, np.float32)
    references = references or {}
    panels = list(metrics) + (["loss"] if losses is not None else [])
    # Built as plain dicts on a cached subplot skeleton and wrapped with _validate=False: plotly's
    # per-property validation (make_subplots, update_*axes, 60 frames) cost more than the whole run.
    layout = _animation_skeleton(tuple(short_label(m) for m in panels))
    data: list[dict] = []

    def add(trace: dict, axis: int = 1) -> int:
        t = dict(trace)
        t["xaxis"], t["yaxis"] = _axis_ref(axis)
        data.append(t)
        return len(data) - 1

    # -- boundary panel (trace order matters: frames address traces by index)
    add(heatmap_trace(xs, ys, frame_probs[0], n_classes))                                            # 0
    ox, oy = boundary_xy(original_probs, xs, ys)
    add(line_trace(ox, oy, "original boundary", color="#555", width=1.5, opacity=0.45))              # 1
    if retrain_probs is not None:
        rx, ry = boundary_xy(retrain_probs, xs, ys)
        add(line_trace(rx, ry, "retrained boundary", color="#000", width=2, dash="dash"))             # 2
    bx, by = boundary_xy(frame_probs[0], xs, ys)
    current_index = add(line_trace(bx, by, f"{method_label} boundary", color="#c2185b", width=2.5))
    for trace in points_traces(x, y, forget_ids):
        add(trace)
    xa, ya = _fixed_axes(xs, ys)
    layout["xaxis"].update(xa)
    layout["yaxis"].update(ya)

    # -- metric panels: curve, references, and an animated marker each
    step_arr = np.asarray(steps, dtype=np.float64)
    x_range = [float(step_arr.min()) - 0.5, float(step_arr.max()) + 0.5]
    marker_indices, marker_values = [], []
    for k, name in enumerate(panels):
        axis = k + 2  # subplot order: the big panel is 1, then row by row
        values = _finite([(loss if loss is not None else np.nan) for loss in losses] if name == "loss"
                         else [m.get(name, np.nan) for m in frame_metrics])
        info = METRICS.get(name)
        hover = f"{short_label(name)}: %{{y:.3f}} at step %{{x}}" + (
            f"<br>{info.better}" if info else "") + "<extra></extra>"
        add({"type": "scatter", "x": step_arr, "y": values, "mode": "lines", "name": method_label,
             "line": {"color": "#c2185b", "width": 1.8}, "showlegend": False, "hovertemplate": hover}, axis)
        refs = [values]
        for ref, style in (("retrain", {"color": "#000", "dash": "dash"}), ("original", {"color": "#888", "dash": "dot"})):
            value = references.get(ref, {}).get(name)
            if value is not None and np.isfinite(value):
                refs.append([value])
                add({"type": "scatter", "x": x_range, "y": [float(value), float(value)], "mode": "lines",
                     "line": {"width": 1.2, **style}, "name": ref, "showlegend": False,
                     "hovertemplate": f"{ref}: {value:.3f}<extra></extra>"}, axis)
        marker_values.append(values)
        marker_indices.append(add({"type": "scatter", "x": [float(step_arr[0])], "y": [_json_float(values[0])],
                                   "mode": "markers", "showlegend": False, "hoverinfo": "skip",
                                   "marker": {"color": "#c2185b", "size": 9, "line": {"color": "white", "width": 1}}},
                                  axis))
        bottom = k + 2 >= len(panels)  # no panel below in its column: it carries the step axis for both
        layout[f"xaxis{axis}"].update(range=x_range, autorange=False, tickfont={"size": 9}, showticklabels=bottom,
                                      title={"text": "step" if bottom else "", "font": {"size": 10}, "standoff": 2})
        layout[f"yaxis{axis}"].update(range=_range_of(np.concatenate([np.ravel(r) for r in refs])),
                                      autorange=False, tickfont={"size": 9})

    # -- frames: heatmap + current boundary + the metric markers
    frames = []
    for k, (step, probs) in enumerate(zip(steps, frame_probs)):
        fx, fy = boundary_xy(probs, xs, ys)
        fdata = [{"type": "heatmap", "z": encode_class_confidence(probs, (len(ys), len(xs)))},
                 {"type": "scatter", "x": fx, "y": fy}]
        fdata += [{"type": "scatter", "x": [float(step_arr[k])], "y": [_json_float(vals[k])]} for vals in marker_values]
        frames.append({"name": str(k), "data": fdata, "traces": [0, current_index, *marker_indices]})
    layout.update(_player_controls([str(s) for s in steps]))
    layout.update(height=height, margin=dict(l=40, r=10, t=70, b=20), plot_bgcolor="white",
                  legend=dict(orientation="h", x=0.0, y=1.02, yanchor="bottom", font={"size": 11}),
                  uirevision="player", modebar=dict(orientation="v"))
    return _figure(data, layout, frames)


def _animation_skeleton(titles: tuple[str, ...]) -> dict:
    """Axes domains and panel titles of the animation layout (a fresh copy; computed once per layout)."""
    n_rows = math.ceil(len(titles) / 2)
    specs = [[{"rowspan": n_rows}, {}, {}]] + [[None, {}, {}] for _ in range(n_rows - 1)]
    padded = [""]
    for r in range(n_rows):
        row = list(titles[2 * r:2 * r + 2])
        padded += row + [""] * (2 - len(row))
    return subplot_layout(n_rows, 3, padded, font_size=11, spacing=(0.06, 0.09), specs=specs,
                          widths=(0.54, 0.23, 0.23))


def _json_float(v) -> float | None:
    return float(v) if np.isfinite(v) else None


def _player_controls(labels: list[str]) -> dict:
    """Play (three speeds) / Pause buttons and a step slider, all client-side, all with redraw for heatmaps."""
    def animate(duration, redraw=True):
        return {"frame": {"duration": duration, "redraw": redraw}, "fromcurrent": True,
                "transition": {"duration": 0}, "mode": "immediate"}

    buttons = [dict(label=f"▶ {name}" if name != "normal" else "▶ Play", method="animate",
                    args=[None, animate(ms)]) for name, ms in SPEEDS.items()]
    buttons.insert(0, buttons.pop(1))  # "Play" first
    buttons.append(dict(label="❚❚ Pause", method="animate",
                        args=[[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                       "transition": {"duration": 0}}]))
    return dict(
        updatemenus=[dict(type="buttons", direction="right", showactive=False, x=0.0, y=-0.05,
                          xanchor="left", yanchor="top", pad=dict(t=0, r=4), buttons=buttons, font={"size": 11})],
        sliders=[dict(active=0, x=0.0, y=-0.13, len=0.54, xanchor="left", yanchor="top", pad=dict(t=0, b=0),
                      currentvalue=dict(prefix="step ", visible=True, font={"size": 12}),
                      steps=[dict(label=lab, method="animate",
                                  args=[[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                                   "transition": {"duration": 0}}])
                             for k, lab in enumerate(labels)])],
    )


# ----------------------------------------------------------------------------------------------
# 3. small multiples: original | method | retrained (and the paper's Figure 2 grid)

def _score_text(scores: dict[str, float] | None) -> str:
    if not scores:
        return ""
    parts = []
    for name in ("retain_acc", "forget_acc", "test_acc", "agreement_with_retrain"):
        v = scores.get(name)
        if v is not None and np.isfinite(v):
            parts.append(f"{short_label(name)} {v:.2f}")
    return " · ".join(parts[:2]) + ("<br>" + " · ".join(parts[2:]) if len(parts) > 2 else "")


def wrap_panels(panels: Sequence[dict], per_row: int) -> list[list[dict]]:
    """Panels in rows of at most ``per_row`` (the rows :func:`small_multiples` takes)."""
    if per_row < 1:
        raise ValueError(f"per_row must be >= 1, got {per_row}")
    panels = list(panels)
    return [panels[k:k + per_row] for k in range(0, len(panels), per_row)] or [[]]


def small_multiples(x: np.ndarray, y: np.ndarray, xs, ys, n_classes: int, forget_ids: Sequence[int],
                    rows: Sequence[Sequence[dict]], original_probs: np.ndarray | None = None,
                    row_titles: Sequence[str] | None = None, height_per_row: int = 330,
                    rows_forget_ids: Sequence[Sequence[int]] | None = None) -> go.Figure:
    """A grid of static panels. Each panel dict: ``title``, ``probs`` ((G*G, C)), optional ``scores``
    (metric dict shown in the corner) and ``dash`` (boundary line dash). The original boundary is drawn
    faintly in every panel for comparison."""
    xs, ys = np.asarray(xs, np.float32), np.asarray(ys, np.float32)
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    titles = [p["title"] for r in rows for p in list(r) + [{"title": ""}] * (n_cols - len(r))]
    layout = subplot_layout(n_rows, n_cols, titles, row_titles, spacing=(0.03, 0.2 if n_rows > 1 else 0.05))
    data: list[dict] = []
    ox = oy = None
    if original_probs is not None:
        ox, oy = boundary_xy(original_probs, xs, ys)
    for r, row in enumerate(rows):
        ids = rows_forget_ids[r] if rows_forget_ids is not None else forget_ids
        for c, panel in enumerate(row):
            first, k = r == 0 and c == 0, r * n_cols + c + 1
            axes = dict(zip(("xaxis", "yaxis"), _axis_ref(k)))
            data.append({**heatmap_trace(xs, ys, panel["probs"], n_classes), **axes})
            if ox is not None:
                data.append({**line_trace(ox, oy, "original boundary", color="#555", width=1.3, opacity=0.5,
                                          showlegend=first, legendgroup="orig"), **axes})
            bx, by = boundary_xy(panel["probs"], xs, ys)
            data.append({**line_trace(bx, by, "boundary", color=panel.get("color", "#c2185b"), width=2.2,
                                      dash=panel.get("dash", "solid"), showlegend=False), **axes})
            data += [{**t, "legendgroup": t["name"], **axes} for t in points_traces(x, y, ids, showlegend=first)]
            text = _score_text(panel.get("scores"))
            if text:  # under the panel, not over the boundary it describes
                layout.setdefault("annotations", []).append(dict(
                    text=text, xref=f"{axes['xaxis']} domain", yref=f"{axes['yaxis']} domain", x=0.5, y=-0.02,
                    xanchor="center", yanchor="top", showarrow=False, align="center", font=dict(size=10, color="#111")))
    xa, ya = _fixed_axes(xs, ys)
    for name, axis in layout.items():  # the panels' titles say what they show: no axis titles or ticks
        if name.startswith(("xaxis", "yaxis")):
            axis.update({k: v for k, v in (xa if name[0] == "x" else ya).items() if k != "title"}, showticklabels=False)
    layout.update(height=(height_per_row + 30) * n_rows + 40, margin=dict(l=10, r=30, t=40, b=40),
                  plot_bgcolor="white", legend=dict(orientation="h", y=-0.04 - 0.08 / n_rows, font=dict(size=11)))
    return _figure(data, layout)


# ----------------------------------------------------------------------------------------------
# 4. information view: α(x) per point and the local Lipschitz heatmap, before vs after

def information_figure(x: np.ndarray, y: np.ndarray, xs, ys, forget_ids: Sequence[int],
                       lipschitz_before: np.ndarray | None, lipschitz_after: np.ndarray | None,
                       alpha: np.ndarray | None, after_label: str = "after JiT", height: int = 420) -> go.Figure:
    """Before | after panels. Background (optional): log10 of the local Lipschitz estimate on a grid
    (``(ny, nx)`` arrays on ``xs``, ``ys``), one shared colour scale. Points (optional α(x)): size and
    colour show information, low α = near other classes = large and dark."""
    xs, ys = np.asarray(xs, np.float32), np.asarray(ys, np.float32)
    layout = subplot_layout(1, 2, ["before (original model)", after_label], font_size=16, spacing=(0.08, 0.05))
    data: list[dict] = []
    if lipschitz_before is not None and lipschitz_after is not None:
        logs = [np.log10(np.maximum(_finite(a), 1e-6)).astype(np.float32) for a in (lipschitz_before, lipschitz_after)]
        both = np.concatenate([l.ravel() for l in logs])
        both = both[np.isfinite(both)]
        lo, hi = (float(np.percentile(both, 1)), float(np.percentile(both, 99))) if len(both) else (0.0, 1.0)
        for k, z in enumerate(logs):
            data.append(dict(type="heatmap", x=xs, y=ys, z=z, zmin=lo, zmax=hi, colorscale=named_colorscale("Viridis"),
                             zsmooth="best", showscale=k == 1, colorbar=dict(title=dict(text="log₁₀ Lipschitz"), len=0.9),
                             hovertemplate="log₁₀ L = %{z:.2f}<extra></extra>", xaxis=_axis_ref(k + 1)[0],
                             yaxis=_axis_ref(k + 1)[1]))
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    if alpha is not None:
        info = 1.0 - np.asarray(alpha, dtype=float)
        marker = dict(size=(5 + 14 * info).tolist(), color=info.tolist(), colorscale=named_colorscale("Reds"), cmin=0, cmax=1,
                      line=dict(color=_point_colors(y), width=1.5), showscale=False)
        hover = [f"id {i} · α={a:.2f}" for i, a in enumerate(alpha)]
    else:
        marker = dict(size=6, color=_point_colors(y), line=dict(color="white", width=0.5))
        hover = [f"id {i}" for i in range(len(x))]
    for k in range(2):
        xa_ref, ya_ref = _axis_ref(k + 1)
        data.append(dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", marker=marker, text=hover,
                         hoverinfo="text", showlegend=k == 0, xaxis=xa_ref, yaxis=ya_ref,
                         name="training points (size = 1 − α)" if alpha is not None else "training points"))
        data.append(dict(type="scatter", x=x[forget, 0], y=x[forget, 1], mode="markers", name="forgotten points",
                         marker=dict(symbol="x", size=13, color="#fff", line=dict(color=FORGET_COLOR, width=2)),
                         showlegend=k == 0, hoverinfo="skip", xaxis=xa_ref, yaxis=ya_ref))
    xa, ya = _fixed_axes(xs, ys)
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            axis.update(xa if name[0] == "x" else ya)
    layout.update(height=height, margin=dict(l=50, r=10, t=40, b=40), plot_bgcolor="white",
                  legend=dict(orientation="h", y=-0.15, font=dict(size=11)))
    return _figure(data, layout)


SWEEP_LABELS = {"avg_gap": "avg gap to retrain"}  # sweep values that are not metrics of explorer.measures.metrics


def sweep_figure(sweep, metrics: Sequence[str] = ("retain_acc", "forget_acc"), title: str = "",
                 height: int = 340) -> go.Figure:
    """Side-by-side heatmaps of a :class:`explorer.studies.sweep.SweepResult` (rows η, columns σ), each
    cell annotated; a usable window is high retain accuracy AND low forget accuracy."""
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[METRICS[m].label if m in METRICS
                                                                   else SWEEP_LABELS.get(m, m) for m in metrics], horizontal_spacing=0.12)
    xs = [f"{s:g}" for s in sweep.sigmas]
    ys = [f"{e:g}" for e in sweep.etas]
    for k, m in enumerate(metrics):
        z = np.asarray(sweep.metrics[m], float)
        fig.add_trace(go.Heatmap(z=z, x=xs, y=ys, zmin=0, zmax=1, colorscale="Viridis", showscale=k == 0,
                                 text=np.round(z, 2), texttemplate="%{text}",
                                 hovertemplate=f"σ %{{x}}, η %{{y}}: {m} %{{z:.3f}}<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_xaxes(title="σ", type="category", dtick=1, row=1, col=k + 1)
        fig.update_yaxes(title="η", type="category", dtick=1, row=1, col=k + 1)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=60, b=10))
    return fig


def figure_html(fig: go.Figure) -> str:
    """A self-contained HTML page of a figure (plotly.js inlined; works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)
