"""Figures of the images page (Plotly out, no Streamlit): the selectable map, thumbnails, the
animated plane through a forgotten image, per-image probabilities, per-class bars, the confusion
matrix, the entropy histograms and per-step metric lines. The maths is in explorer/views/image_analysis.py."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.figures.boundary import boundary_xy
from explorer.figures.common import MAX_FRAMES, class_color, heatmap_trace
from explorer.views.image_analysis import Plane, confusion, mosaic



PLAYER_MS = 150


def map_figure(coords: np.ndarray, y: np.ndarray, class_names: Sequence[str], forget_ids: Sequence[int] = (),
               title: str = "", height: int = 520) -> go.Figure:
    """ONE selectable scatter trace: colour = class, customdata = training id, forgotten ids drawn
    as black-edged crosses (same trace, so point_index == id and customdata is a plain int)."""
    n = len(coords)
    forget = np.zeros(n, dtype=bool)
    forget[[int(i) for i in forget_ids if 0 <= int(i) < n]] = True
    colors = [class_color(int(c)) for c in y]
    fig = go.Figure(go.Scatter(
        x=coords[:, 0].astype(float).tolist(), y=coords[:, 1].astype(float).tolist(), mode="markers",
        customdata=list(range(n)),
        text=[f"id {i} · {class_names[int(c)]}{' · forgotten' if forget[i] else ''}" for i, c in enumerate(y)],
        hovertemplate="%{text}<extra></extra>",
        marker=dict(color=colors, size=np.where(forget, 11, 7).tolist(),
                    symbol=np.where(forget, "x", "circle").tolist(),
                    line=dict(color=np.where(forget, "#111111", "white").tolist(),
                              width=np.where(forget, 1.5, 0.5).tolist())),
        showlegend=False, name="training images"))
    for c, name in enumerate(class_names):  # legend only: non-selectable, no data
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(color=class_color(c), size=8),
                                 name=str(name), hoverinfo="skip"))
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.05),
                      xaxis=dict(showticklabels=False, showgrid=False, zeroline=False),
                      yaxis=dict(showticklabels=False, showgrid=False, zeroline=False))
    return fig


def thumbnails_figure(x: np.ndarray, image_shape, ids: Sequence[int], labels: np.ndarray, class_names,
                      max_images: int = 40, cols: int = 10) -> go.Figure:
    """The chosen images (first ``max_images``) as one grey mosaic, each captioned "id (class)"."""
    ids = [int(i) for i in ids][:max_images]
    fig = go.Figure()
    if not ids:
        fig.update_layout(height=80, annotations=[dict(text="no images chosen", showarrow=False)],
                          xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(l=0, r=0, t=0, b=0))
        return fig
    _, h, w = image_shape
    cols = min(cols, len(ids))
    grid = mosaic(x[ids], image_shape, cols)
    captions = np.full(grid.shape, "", dtype=object)
    for k, i in enumerate(ids):
        r, q = divmod(k, cols)
        captions[r * (h + 1): r * (h + 1) + h, q * (w + 1): q * (w + 1) + w] = f"id {i} ({class_names[int(labels[i])]})"
    fig.add_trace(go.Heatmap(z=grid, colorscale="gray_r", zmin=0, zmax=1, showscale=False, text=captions.tolist(),
                             hovertemplate="%{text}<extra></extra>"))
    for k, i in enumerate(ids if len(ids) <= 12 else []):  # captions for a few; hover for many
        r, q = divmod(k, cols)
        fig.add_annotation(x=q * (w + 1) + (w - 1) / 2, y=r * (h + 1) - 0.6, text=f"{i} ({class_names[int(labels[i])]})",
                           showarrow=False, font=dict(size=9), yanchor="bottom")
    rows = -(-len(ids) // cols)
    fig.update_layout(height=max(120, 90 * rows), margin=dict(l=0, r=0, t=14, b=0),
                      xaxis=dict(visible=False, constrain="domain"),
                      yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"))
    return fig


def _frame_indices(n: int, max_frames: int = MAX_FRAMES) -> list[int]:
    if n <= max_frames:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_frames).round().astype(int).tolist()))


def _player(fig: go.Figure, labels: list[str], prefix: str = "step ", y: float = -0.16, slider_x: float = 0.25) -> None:
    """Play / Pause and a step slider under the plot, at ``y`` (paper units; lower under a titled x axis); the
    slider starts at ``slider_x`` (further right in a narrow figure, clear of the buttons)."""
    def anim(ms):
        return {"frame": {"duration": ms, "redraw": True}, "fromcurrent": True,
                "transition": {"duration": 0}, "mode": "immediate"}
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="right", showactive=False, x=0.0, y=y, xanchor="left",
                          yanchor="top", buttons=[
                              dict(label="▶ Play", method="animate", args=[None, anim(PLAYER_MS)]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                  "transition": {"duration": 0}}])])],
        sliders=[dict(active=0, x=slider_x, y=y, len=1 - slider_x, xanchor="left", yanchor="top",
                      currentvalue=dict(prefix=prefix, visible=True, font_size=12),
                      steps=[dict(label=lab, method="animate",
                                  args=[[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                                   "transition": {"duration": 0}}])
                             for k, lab in enumerate(labels)])])


def plane_figure(plane: Plane, step_probs: Sequence[np.ndarray], steps: Sequence[int], retrain_probs: np.ndarray,
                 n_classes: int, class_names, anchor_labels: Sequence[int], title: str = "",
                 height: int = 520) -> go.Figure:
    """Predicted class over the plane (heatmap, one frame per recorded step, ≤ 60 frames, fixed
    axes) with the retrained model's boundary dashed and the three images marked."""
    keep = _frame_indices(len(step_probs))
    bx, by = boundary_xy(retrain_probs, plane.xs, plane.ys)
    names = ["forgotten image", "other image 1", "other image 2"]
    markers = go.Scatter(
        x=plane.anchors_ab[:, 0].tolist(), y=plane.anchors_ab[:, 1].tolist(), mode="markers+text",
        text=[f"{n} #{i} ({class_names[int(c)]})" for n, i, c in zip(names, plane.anchor_ids, anchor_labels)],
        textposition="top center", marker=dict(size=[14, 10, 10], symbol=["x", "circle", "circle"],
                                               color=[class_color(int(c)) for c in anchor_labels],
                                               line=dict(color="#111", width=2)),
        hoverinfo="text", name="images", showlegend=False)
    retrain_line = go.Scatter(x=bx, y=by, mode="lines", name="retrained model's boundary",
                              line=dict(color="#111", width=2, dash="dash"), hoverinfo="skip")
    first = heatmap_trace(plane.xs, plane.ys, step_probs[keep[0]], n_classes)
    fig = go.Figure([first, retrain_line, markers])
    for c in range(n_classes):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(color=class_color(c), symbol="square",
                                                                                    size=10),
                                 name=f"predicted {class_names[c]}", hoverinfo="skip"))
    frames = [go.Frame(name=str(k), data=[heatmap_trace(plane.xs, plane.ys, step_probs[j], n_classes)], traces=[0])
              for k, j in enumerate(keep)]
    fig.frames = frames
    _player(fig, [str(steps[j]) for j in keep])
    fig.update_layout(
        title=dict(text=title, font_size=14), height=height, margin=dict(l=50, r=10, t=40 if title else 10, b=120),
        plot_bgcolor="white",
        xaxis=dict(range=[float(plane.xs[0]), float(plane.xs[-1])], autorange=False, title="towards other image 1"),
        yaxis=dict(range=[float(plane.ys[0]), float(plane.ys[-1])], autorange=False, title="towards other image 2"),
        legend=dict(orientation="v", x=1.02, y=1.0, font_size=10), uirevision="plane")
    return fig


def forget_probs_figure(image: np.ndarray, image_shape, step_probs: Sequence[np.ndarray], steps: Sequence[int],
                        retrain_probs: np.ndarray, class_names, title: str = "", height: int = 340) -> go.Figure:
    """Thumbnail | class-probability bars: unlearned model per step (animated, frame 0 = before)
    beside the retrained model (fixed)."""
    c, h, w = image_shape
    keep = _frame_indices(len(step_probs))
    names = [str(n) for n in class_names]
    # room between the thumbnail and the bars' "probability" title, in a half-width column too
    fig = make_subplots(rows=1, cols=2, column_widths=[0.28, 0.72], horizontal_spacing=0.16)
    fig.add_trace(go.Heatmap(z=np.asarray(image, np.float32).reshape(c, h, w)[0], colorscale="gray_r", zmin=0,
                             zmax=1, showscale=False, hoverinfo="skip"), row=1, col=1)
    bars = lambda p: go.Bar(x=names, y=np.asarray(p, float).tolist(), name="unlearned (this step)",  # noqa: E731
                            marker_color="#d62728")
    fig.add_trace(bars(step_probs[keep[0]]), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=np.asarray(retrain_probs, float).tolist(), name="retrained",
                         marker_color="#7f7f7f"), row=1, col=2)
    fig.frames = [go.Frame(name=str(k), data=[bars(step_probs[j])], traces=[1]) for k, j in enumerate(keep)]
    _player(fig, [str(steps[j]) for j in keep], y=-0.32, slider_x=0.5)  # under the "class" title
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_yaxes(range=[0, 1], autorange=False, title="probability", row=1, col=2)
    fig.update_xaxes(title="class", type="category", dtick=1, row=1, col=2)  # every class labelled
    fig.update_layout(title=dict(text=f"{title}<br><sup>red: unlearned model at this step · grey: retrained</sup>",
                                 font_size=13), height=height, barmode="group", showlegend=False,
                      margin=dict(l=45, r=10, t=60, b=150))
    return fig


def per_class_figure(accs: dict[str, np.ndarray], class_names, title: str = "Per-class test accuracy",
                     height: int = 320) -> go.Figure:
    """Grouped bars: one group per class, one bar per model (e.g. original / JiT / retrain). A model's value as a
    (K, classes) array (one row per training seed) is drawn as its mean with error bars from the lowest to the
    highest seed."""
    colors = {"original": "#1f77b4", "retrain": "#7f7f7f"}
    bars = []
    for name, a in accs.items():
        a = np.asarray(a, float)
        bar = dict(x=[str(n) for n in class_names], name=name, marker_color=colors.get(name, "#d62728"))
        if a.ndim == 2:
            with np.errstate(all="ignore"):
                mean, lo, hi = np.nanmean(a, 0), np.nanmin(a, 0), np.nanmax(a, 0)
            bar.update(name=f"{name} (mean of {len(a)} seeds)", error_y=dict(
                type="data", symmetric=False, array=np.nan_to_num(hi - mean).tolist(),
                arrayminus=np.nan_to_num(mean - lo).tolist(), thickness=1.2, width=3))
            a = mean
        bars.append(go.Bar(y=np.nan_to_num(a).tolist(), **bar))
    fig = go.Figure(bars)
    if any(np.asarray(a).ndim == 2 for a in accs.values()):
        title += "<br><sup>bars: mean over seeds · whiskers: lowest to highest seed</sup>"
    fig.update_layout(title=title, barmode="group", height=height, yaxis=dict(range=[0, 1.05], title="accuracy"),
                      xaxis=dict(type="category", dtick=1, title="class"), margin=dict(l=55, r=10, t=40, b=50),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def seed_probs_figure(class_names, per_model: dict[str, np.ndarray], title: str = "", height: int = 320
                      ) -> go.Figure:
    """One forgotten image over K training seeds: its class probabilities under each model (``per_model[name]``:
    (K, classes), one row per seed) as a strip of points per class, the models side by side (e.g. the method's
    beside the retrained models')."""
    colors = {"retrain": "#7f7f7f", "original": "#1f77b4"}
    names = [str(n) for n in class_names]
    fig = go.Figure()
    for name, probs in per_model.items():
        probs = np.asarray(probs, float)
        k = len(probs)
        fig.add_trace(go.Box(
            x=[names[c] for _ in range(k) for c in range(len(names))], y=probs.ravel().tolist(),
            name=f"{name} ({k} seeds)", boxpoints="all", jitter=0.5, pointpos=0, fillcolor="rgba(0,0,0,0)",
            line=dict(width=0), marker=dict(color=colors.get(name, "#d62728"), size=6, opacity=0.8),
            text=[f"seed {s}" for s in range(k) for _ in range(len(names))],
            hovertemplate="%{text}: P(%{x}) = %{y:.3f}<extra>" + name + "</extra>"))
    fig.update_layout(title=dict(text=f"{title}<br><sup>one dot per training seed</sup>", font_size=13),
                      boxmode="group", height=height, yaxis=dict(range=[-0.03, 1.03], title="probability"),
                      xaxis=dict(type="category", title="class"), margin=dict(l=45, r=10, t=60, b=45),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, class_names, title: str = "Confusion matrix (test set)",
                     height: int = 380) -> go.Figure:
    names = [str(n) for n in class_names]
    cm = confusion(y_true, y_pred, len(names))
    fig = go.Figure(go.Heatmap(z=cm, x=names, y=names, colorscale="Blues", text=cm, texttemplate="%{text}",
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False))
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=10, t=40, b=50),
                      xaxis=dict(title="predicted", type="category", dtick=1, side="bottom"),
                      yaxis=dict(title="true", type="category", dtick=1, autorange="reversed"))
    return fig


def entropy_figure(test: dict, method: str = "JiT", height: int = 320) -> go.Figure:
    h = test["entropy"]
    top = max(float(max((v.max() for v in h.values() if len(v)), default=0.0)), 1e-3)
    edges = dict(start=0.0, end=top * 1.0001, size=top / 30)
    labels = {"original": "original", "unlearned": method, "retrain": "retrain"}
    colors = {"original": "#1f77b4", "unlearned": "#d62728", "retrain": "#7f7f7f"}
    fig = go.Figure([go.Histogram(x=v.tolist(), name=labels[k], xbins=edges, opacity=0.55, marker_color=colors[k])
                     for k, v in h.items()])

    def fmt(p):
        return "n/a" if not np.isfinite(p) else f"{p:.2g}"
    fig.update_layout(
        barmode="overlay", height=height, margin=dict(l=55, r=10, t=70, b=50),
        title=dict(text=(f"Forget-set prediction entropy<br><sup>Wilcoxon signed-rank p: {method} vs retrain "
                         f"{fmt(test['p_unlearned_vs_retrain'])}, original vs retrain "
                         f"{fmt(test['p_original_vs_retrain'])}</sup>"), font_size=13),
        xaxis=dict(title=dict(text="entropy (nats)", standoff=8)), yaxis=dict(title="images"),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1.0, xanchor="right"))
    return fig


def metrics_figure(steps: Sequence[int], series: dict[str, np.ndarray], references: dict[str, dict[str, float]],
                   height: int = 320) -> go.Figure:
    """Per-step metric lines; horizontal lines for the reference models' values, in the 2D animation's
    convention: dashed = retrained, dotted = original."""
    fig = go.Figure()
    for k, (name, values) in enumerate(series.items()):
        color = class_color(k)
        fig.add_trace(go.Scatter(x=list(steps), y=np.asarray(values, float).tolist(), mode="lines+markers",
                                 name=name, line=dict(color=color)))
        for ref, vals in references.items():
            if name in vals and vals[name] is not None and np.isfinite(vals[name]):
                fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[vals[name]] * 2, mode="lines",
                                         line=dict(color=color, dash="dash" if ref == "retrain" else "dot", width=1),
                                         name=f"{name} ({ref})", showlegend=False, hoverinfo="name+y"))
    fig.update_layout(height=height, margin=dict(l=45, r=10, t=30, b=10), xaxis_title="step",
                      title=dict(text="Metrics per step (dashed: retrain, dotted: original)", font_size=13),
                      legend=dict(orientation="h", y=-0.25, font_size=10))
    return fig
