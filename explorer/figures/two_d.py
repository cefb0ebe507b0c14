"""Pure Plotly figure builders for the 2D explorer: arrays in, ``go.Figure`` out (no Streamlit).

The shared pieces (palette, class/confidence heatmap, trace helpers, player controls) are in
explorer/figures/common.py, the boundary polylines in explorer/figures/boundary.py. Every animated axis
has a fixed range; frames carry only the traces that change.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.figures import cloud as C
from explorer.figures.boundary import boundary_xy
from explorer.figures.common import (FORGET_COLOR, MAX_FRAMES, axis_ref, class_legend, encode_class_confidence,
                                     figure, finite_or_nan, fixed_axes, heatmap_trace, json_float,
                                     line_trace, named_colorscale, player_controls, point_colors, points_traces,
                                     range_of, short_label, subplot_layout)
from explorer.measures.metrics import METRICS, live_metric_names

ANIMATION_METRICS = live_metric_names("animation")  # the registry's shown="animation", kept up to date


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
        marker=dict(color=point_colors(y), size=sizes, symbol=symbols,
                    line=dict(color=line_colors, width=line_widths)),
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=1.0)),
        showlegend=False,
    ))
    xa, ya = fixed_axes(xs, ys)
    return figure(traces, dict(height=height, margin=dict(l=45, r=10, t=10, b=40), xaxis=xa, yaxis=ya,
                               uirevision="editor", plot_bgcolor="white", clickmode="event+select",
                               legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", font={"size": 11})))


# ----------------------------------------------------------------------------------------------
# 2. the boundary animation with its metric panels on the same frames and slider

def animation_figure(x: np.ndarray, y: np.ndarray, xs, ys, n_classes: int, forget_ids: Sequence[int],
                     steps: Sequence[int], frame_probs: Sequence[np.ndarray], frame_metrics: Sequence[dict],
                     original_probs: np.ndarray, retrain_probs: np.ndarray | None,
                     references: dict[str, dict[str, float]] | None = None,
                     losses: Sequence[float | None] | None = None, method_label: str = "JiT",
                     metrics: Sequence[str] = ANIMATION_METRICS, height: int = 720,
                     cloud: C.Cloud | None = None) -> go.Figure:
    """One figure: boundary animation (left) + one small panel per metric (right), all driven by
    the same frames and slider. At most :data:`MAX_FRAMES` frames are expected (thin before).

    ``references`` maps "original"/"retrain" to metric dicts drawn as dotted/dashed lines. With ``cloud`` (a run
    over K seeds, :class:`explorer.figures.cloud.Cloud`) the panel draws every seed's boundaries instead of one
    of each, the points coloured by the cloud's per-point score, and the metric panels bands over the seeds
    (the background stays seed 0's, whose steps ``frame_probs`` are).
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
        t["xaxis"], t["yaxis"] = axis_ref(axis)
        data.append(t)
        return len(data) - 1

    # -- boundary panel (trace order matters: frames address traces by index)
    add(heatmap_trace(xs, ys, frame_probs[0], n_classes))                                            # 0
    if cloud is None:
        ox, oy = boundary_xy(original_probs, xs, ys)
        add(line_trace(ox, oy, "original boundary", color="#555", width=1.5, opacity=0.45))          # 1
        if retrain_probs is not None:
            rx, ry = boundary_xy(retrain_probs, xs, ys)
            add(line_trace(rx, ry, "retrained boundary", color="#000", width=2, dash="dash"))         # 2
        bx, by = boundary_xy(frame_probs[0], xs, ys)
        current = [add(line_trace(bx, by, f"{method_label} boundary", color="#c2185b", width=2.5))]
        points = points_traces(x, y, forget_ids)
    else:
        k = cloud.seeds
        for trace in (C.boundary_traces(cloud.original, xs, ys, f"original boundaries ({k} seeds)", C.ORIGINAL_COLOR,
                                        opacity=0.3)
                      + C.boundary_traces(cloud.retrain, xs, ys, f"retrained boundaries ({k} seeds)", C.RETRAIN_COLOR,
                                          dash="dash")):
            add(trace)
        moving = "" if cloud.per_step else ", final"
        current = [add(t) for t in C.boundary_traces(cloud.method_at(0), xs, ys,
                                                     f"{method_label} boundaries ({k} seeds{moving})", C.METHOD_COLOR,
                                                     width=1.3)]
        points = (points_traces(x, y, forget_ids) if cloud.scores is None
                  else C.scored_points_traces(x, y, forget_ids, cloud.scores, cloud.score_label))
    for trace in points:
        add(trace)
    xa, ya = fixed_axes(xs, ys)
    layout["xaxis"].update(xa)
    layout["yaxis"].update(ya)

    # -- metric panels: curve, references, and an animated marker each
    step_arr = np.asarray(steps, dtype=np.float64)
    x_range = [float(step_arr.min()) - 0.5, float(step_arr.max()) + 0.5]
    marker_indices, marker_values = [], []
    for k, name in enumerate(panels):
        axis = k + 2  # subplot order: the big panel is 1, then row by row
        values = finite_or_nan([(loss if loss is not None else np.nan) for loss in losses] if name == "loss"
                         else [m.get(name, np.nan) for m in frame_metrics])
        info = METRICS.get(name)
        hover = f"{short_label(name)}: %{{y:.3f}} at step %{{x}}" + (
            f"<br>{info.better}" if info else "") + "<extra></extra>"
        if cloud is not None and cloud.metrics and name != "loss":
            values, refs = _bands(cloud, name, step_arr, x_range, method_label, lambda t: add(t, axis))
        else:
            add({"type": "scatter", "x": step_arr, "y": values, "mode": "lines", "name": method_label,
                 "line": {"color": "#c2185b", "width": 1.8}, "showlegend": False, "hovertemplate": hover}, axis)
            refs = [values]
        for ref, style in (("retrain", {"color": "#000", "dash": "dash"}), ("original", {"color": "#888", "dash": "dot"})):
            value = references.get(ref, {}).get(name)
            if value is not None and np.isfinite(value) and (cloud is None or not cloud.metrics or name == "loss"):
                refs.append([value])
                add({"type": "scatter", "x": x_range, "y": [float(value), float(value)], "mode": "lines",
                     "line": {"width": 1.2, **style}, "name": ref, "showlegend": False,
                     "hovertemplate": f"{ref}: {value:.3f}<extra></extra>"}, axis)
        marker_values.append(values)
        marker_indices.append(add({"type": "scatter", "x": [float(step_arr[0])], "y": [json_float(values[0])],
                                   "mode": "markers", "showlegend": False, "hoverinfo": "skip",
                                   "marker": {"color": "#c2185b", "size": 9, "line": {"color": "white", "width": 1}}},
                                  axis))
        bottom = k + 2 >= len(panels)  # no panel below in its column: it carries the step axis for both
        layout[f"xaxis{axis}"].update(range=x_range, autorange=False, tickfont={"size": 9}, showticklabels=bottom,
                                      title={"text": "step" if bottom else "", "font": {"size": 10}, "standoff": 2})
        layout[f"yaxis{axis}"].update(range=range_of(np.concatenate([np.ravel(r) for r in refs])),
                                      autorange=False, tickfont={"size": 9})

    # -- frames: heatmap + current boundary + the metric markers
    frames = []
    for k, (step, probs) in enumerate(zip(steps, frame_probs)):
        fx, fy = boundary_xy(probs, xs, ys)
        fdata = [{"type": "heatmap", "z": encode_class_confidence(probs, (len(ys), len(xs)))}]
        if cloud is None:
            fdata.append({"type": "scatter", "x": fx, "y": fy})
        moving = current if cloud is None or cloud.per_step else []
        if cloud is not None and cloud.per_step:
            fdata += C.frame_boundaries(cloud.method_at(k), xs, ys)
        fdata += [{"type": "scatter", "x": [float(step_arr[k])], "y": [json_float(vals[k])]} for vals in marker_values]
        frames.append({"name": str(k), "data": fdata, "traces": [0, *moving, *marker_indices]})
    layout.update(player_controls([str(s) for s in steps]))
    scored = cloud is not None and cloud.scores is not None  # room on the left for the scores' colour bar
    layout.update(height=height, margin=dict(l=115 if scored else 40, r=10, t=70, b=20), plot_bgcolor="white",
                  legend=dict(orientation="h", x=0.0, y=1.02, yanchor="bottom", font={"size": 11}),
                  uirevision="player", modebar=dict(orientation="v"))
    return figure(data, layout, frames)


def _bands(cloud: C.Cloud, name: str, steps: np.ndarray, x_range, method_label: str, add) -> tuple[np.ndarray, list]:
    """A metric panel over seeds: the retrained and original models' bands (flat: one value per seed) and the
    method's band around its mean line; (the mean per step, what the panel's range must hold)."""
    per_seed = np.array([[m.get(name, np.nan) for m in seed] for seed in cloud.metrics], dtype=np.float64)
    refs = [per_seed]
    for ref, color, fill, dash in (("retrain", "#000", "rgba(0,0,0,0.10)", "dash"),
                                   ("original", "#888", "rgba(120,120,120,0.10)", "dot")):
        values = np.array([[m.get(name, np.nan)] * 2 for m in cloud.references.get(ref, ())], dtype=np.float64)
        if len(values) and np.isfinite(values).any():
            refs.append(values)
            for trace in C.band_traces(x_range, values, ref, color, fill, dash):
                add(trace)
    band, mean = C.band_traces(steps, per_seed, method_label, C.METHOD_COLOR, "rgba(194,24,91,0.22)")
    add(band)
    add(mean)
    with np.errstate(all="ignore"):
        return finite_or_nan(np.nanmean(per_seed, axis=0)), refs


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
            axes = dict(zip(("xaxis", "yaxis"), axis_ref(k)))
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
    xa, ya = fixed_axes(xs, ys)
    for name, axis in layout.items():  # the panels' titles say what they show: no axis titles or ticks
        if name.startswith(("xaxis", "yaxis")):
            axis.update({k: v for k, v in (xa if name[0] == "x" else ya).items() if k != "title"}, showticklabels=False)
    layout.update(height=(height_per_row + 30) * n_rows + 40, margin=dict(l=10, r=30, t=40, b=40),
                  plot_bgcolor="white", legend=dict(orientation="h", y=-0.04 - 0.08 / n_rows, font=dict(size=11)))
    return figure(data, layout)


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
        logs = [np.log10(np.maximum(finite_or_nan(a), 1e-6)).astype(np.float32)
                for a in (lipschitz_before, lipschitz_after)]
        both = np.concatenate([l.ravel() for l in logs])
        both = both[np.isfinite(both)]
        lo, hi = (float(np.percentile(both, 1)), float(np.percentile(both, 99))) if len(both) else (0.0, 1.0)
        for k, z in enumerate(logs):
            data.append(dict(type="heatmap", x=xs, y=ys, z=z, zmin=lo, zmax=hi, colorscale=named_colorscale("Viridis"),
                             zsmooth="best", showscale=k == 1, colorbar=dict(title=dict(text="log₁₀ Lipschitz"), len=0.9),
                             hovertemplate="log₁₀ L = %{z:.2f}<extra></extra>",
                             **dict(zip(("xaxis", "yaxis"), axis_ref(k + 1)))))
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    if alpha is not None:
        info = 1.0 - np.asarray(alpha, dtype=float)
        marker = dict(size=(5 + 14 * info).tolist(), color=info.tolist(), colorscale=named_colorscale("Reds"), cmin=0,
                      cmax=1, line=dict(color=point_colors(y), width=1.5), showscale=False)
        hover = [f"id {i} · α={a:.2f}" for i, a in enumerate(alpha)]
    else:
        marker = dict(size=6, color=point_colors(y), line=dict(color="white", width=0.5))
        hover = [f"id {i}" for i in range(len(x))]
    for k in range(2):
        axes = dict(zip(("xaxis", "yaxis"), axis_ref(k + 1)))
        data.append(dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", marker=marker, text=hover,
                         hoverinfo="text", showlegend=k == 0, **axes,
                         name="training points (size = 1 − α)" if alpha is not None else "training points"))
        data.append(dict(type="scatter", x=x[forget, 0], y=x[forget, 1], mode="markers", name="forgotten points",
                         marker=dict(symbol="x", size=13, color="#fff", line=dict(color=FORGET_COLOR, width=2)),
                         showlegend=k == 0, hoverinfo="skip", **axes))
    xa, ya = fixed_axes(xs, ys)
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            axis.update(xa if name[0] == "x" else ya)
    layout.update(height=height, margin=dict(l=50, r=10, t=40, b=40), plot_bgcolor="white",
                  legend=dict(orientation="h", y=-0.15, font=dict(size=11)))
    return figure(data, layout)
