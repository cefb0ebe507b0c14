"""Pure figure builders and computations for image datasets (no Streamlit): arrays in, figures out.

* :func:`embed_2d` / :func:`map_figure` — a 2D map of the training images (PCA or t-SNE of the
  pixels or of the CNN's penultimate features) as ONE selectable scatter trace whose
  ``customdata`` is the training id (ids never from point_index, which Plotly numbers per trace).
* :func:`thumbnails_figure` — a grid of chosen images as one heatmap mosaic.
* :class:`ImageProbe` — an evaluator wrapper: the usual metrics (test set) plus, at every recorded
  step, class probabilities on extra inputs (a few forgotten images and the points of the boundary
  planes), so one unlearning run feeds every animated view. No model is kept per step.
* :func:`forget_probs_figure` — one forgotten image with its class probabilities before, during
  (frames over the trajectory) and after, beside the retrained model's.
* :func:`boundary_plane` / :func:`plane_figure` — the plane in input space through a forgotten
  image and two other training images, the predicted class over it animated over the steps, the
  retrained model's boundary overlaid.
* per-class accuracy bars, confusion matrix, entropy histograms with Wilcoxon signed-rank tests,
  per-step metric lines and σ×η sweep heatmaps (:func:`sweep_figure`, for explorer/sweep.py).
* :func:`run_images` / :func:`run_figures` — one run and all of its views, for the page and the bench.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

from explorer import metrics as M
from explorer.figures import boundary_xy, class_color, heatmap_trace
from explorer.models import predict_proba
from explorer.unlearning.base import refusal

MAX_FRAMES = 60
PLAYER_MS = 150


# ----------------------------------------------------------------------------------------------
# the map of training images

@torch.no_grad()
def penultimate_features(model: nn.Module, x: np.ndarray, device: torch.device | None = None) -> np.ndarray:
    """The CNN's penultimate features (``model.embed``); for an MLP, the input to its last layer."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    if hasattr(model, "embed"):
        out = model.embed(xt)
    else:  # MLP: everything but the final Linear
        out = model.net[:-1](xt)
    model.train(was_training)
    return out.float().cpu().numpy()


def embed_2d(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(n, d) -> (n, 2) float32 by PCA or t-SNE (seeded, so the map does not jump between reruns)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        raise ValueError("a map needs at least 3 images")
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(n_components=2, random_state=seed).fit_transform(x).astype(np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE
        perplexity = float(min(30, max(2, (len(x) - 1) // 3)))
        return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed,
                    max_iter=500).fit_transform(x).astype(np.float32)
    raise ValueError(f"unknown projection {method!r}; choose pca or tsne")


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
                      dragmode="lasso", plot_bgcolor="white", legend=dict(orientation="h", y=-0.05),
                      xaxis=dict(showticklabels=False, showgrid=False, zeroline=False),
                      yaxis=dict(showticklabels=False, showgrid=False, zeroline=False))
    return fig


# ----------------------------------------------------------------------------------------------
# thumbnails

def mosaic(images: np.ndarray, image_shape: tuple[int, ...], cols: int = 10, gap: int = 1) -> np.ndarray:
    """(k, d) rows -> one (rows*(h+gap), cols*(w+gap)) float array with NaN gaps (first channel)."""
    c, h, w = image_shape
    k = len(images)
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i, img in enumerate(np.asarray(images, dtype=np.float32).reshape(k, c, h, w)[:, 0]):
        r, q = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, q * (w + gap): q * (w + gap) + w] = img
    return out


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


# ----------------------------------------------------------------------------------------------
# the boundary plane through a forgotten image

@dataclass(frozen=True)
class Plane:
    """The plane x0 + a·u + b·v (u, v orthonormal) through three training images."""

    anchor_ids: tuple[int, int, int]  # forgotten image, then the two other images
    origin: np.ndarray  # (d,)
    u: np.ndarray
    v: np.ndarray
    xs: np.ndarray  # (G,) a-coordinates
    ys: np.ndarray  # (G,) b-coordinates
    anchors_ab: np.ndarray  # (3, 2) plane coordinates of the three images

    @property
    def points(self) -> np.ndarray:
        """(G*G, d) row-major: row j*G + i is at (xs[i], ys[j])."""
        ga, gb = np.meshgrid(self.xs, self.ys)
        return (self.origin[None] + ga.reshape(-1, 1) * self.u[None] + gb.reshape(-1, 1) * self.v[None]
                ).astype(np.float32)


def other_class_neighbours(x: np.ndarray, y: np.ndarray, i: int, k: int = 2) -> list[int]:
    """The nearest training image of another class, then the nearest of yet another class
    (falls back to the second-nearest of another class when there are only two classes)."""
    d = ((x - x[i]) ** 2).sum(axis=1)
    order = [int(j) for j in np.argsort(d) if y[j] != y[i]]
    if not order:
        raise ValueError("the boundary view needs training images of another class")
    chosen = [order[0]]
    for j in order[1:]:
        if len(chosen) == k:
            break
        if y[j] not in {y[c] for c in chosen}:
            chosen.append(j)
    for j in order[1:]:  # two classes only: take the next nearest
        if len(chosen) == k:
            break
        if j not in chosen:
            chosen.append(j)
    return chosen


def boundary_plane(x: np.ndarray, y: np.ndarray, i: int, others: Sequence[int] | None = None,
                   resolution: int = 48, margin: float = 0.5) -> Plane:
    """The plane through training image ``i`` and two other images (default: nearest of other classes)."""
    others = list(others) if others is not None else other_class_neighbours(x, y, i)
    if len(others) != 2 or i in others or others[0] == others[1]:
        raise ValueError("the plane needs the forgotten image and two other, distinct images")
    x0, x1, x2 = (np.asarray(x[j], dtype=np.float64) for j in (i, *others))
    e1, e2 = x1 - x0, x2 - x0
    u = e1 / max(np.linalg.norm(e1), 1e-9)
    w = e2 - (e2 @ u) * u
    if np.linalg.norm(w) < 1e-9:
        raise ValueError("the three images lie on a line; pick another image")
    v = w / np.linalg.norm(w)
    ab = np.array([[0.0, 0.0], [e1 @ u, 0.0], [e2 @ u, e2 @ v]])
    lo, hi = ab.min(axis=0), ab.max(axis=0)
    pad = (hi - lo).max() * margin
    xs = np.linspace(lo[0] - pad, hi[0] + pad, resolution, dtype=np.float32)
    ys = np.linspace(lo[1] - pad, hi[1] + pad, resolution, dtype=np.float32)
    return Plane((int(i), int(others[0]), int(others[1])), x0.astype(np.float32), u.astype(np.float32),
                 v.astype(np.float32), xs, ys, ab.astype(np.float32))


def _frame_indices(n: int, max_frames: int = MAX_FRAMES) -> list[int]:
    if n <= max_frames:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_frames).round().astype(int).tolist()))


def _player(fig: go.Figure, labels: list[str], prefix: str = "step ") -> None:
    def anim(ms):
        return {"frame": {"duration": ms, "redraw": True}, "fromcurrent": True,
                "transition": {"duration": 0}, "mode": "immediate"}
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="right", showactive=False, x=0.0, y=-0.16, xanchor="left",
                          yanchor="top", buttons=[
                              dict(label="▶ Play", method="animate", args=[None, anim(PLAYER_MS)]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                  "transition": {"duration": 0}}])])],
        sliders=[dict(active=0, x=0.25, y=-0.16, len=0.75, xanchor="left", yanchor="top",
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


# ----------------------------------------------------------------------------------------------
# evaluation with extra probe inputs (forgotten images shown + plane points)

class ImageProbe:
    """Duck-types :class:`explorer.evaluation.Evaluator` for ``pipeline.unlearn``: metrics from the
    wrapped evaluator, probabilities (when asked) on ``probe_inputs`` instead of its evaluation
    inputs. One extra batched forward per recorded step (a 48×48 plane of 8×8 images: a few ms)."""

    def __init__(self, evaluator, probe_inputs: np.ndarray, device: torch.device | None = None):
        self.evaluator = evaluator
        self.probe_inputs = np.asarray(probe_inputs, dtype=np.float32)
        self.device = device or getattr(evaluator, "device", None)

    def evaluate(self, model: nn.Module, with_probs: bool = False):
        values, _ = self.evaluator.evaluate(model, False)
        probs = predict_proba(model, self.probe_inputs, self.device).astype(np.float32) if with_probs else None
        return values, probs

    __call__ = evaluate


# ----------------------------------------------------------------------------------------------
# per forgotten image: probabilities before / during / after beside retrain

def forget_probs_figure(image: np.ndarray, image_shape, step_probs: Sequence[np.ndarray], steps: Sequence[int],
                        retrain_probs: np.ndarray, class_names, title: str = "", height: int = 340) -> go.Figure:
    """Thumbnail | class-probability bars: unlearned model per step (animated, frame 0 = before)
    beside the retrained model (fixed)."""
    c, h, w = image_shape
    keep = _frame_indices(len(step_probs))
    names = [str(n) for n in class_names]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.28, 0.72], horizontal_spacing=0.06)
    fig.add_trace(go.Heatmap(z=np.asarray(image, np.float32).reshape(c, h, w)[0], colorscale="gray_r", zmin=0,
                             zmax=1, showscale=False, hoverinfo="skip"), row=1, col=1)
    bars = lambda p: go.Bar(x=names, y=np.asarray(p, float).tolist(), name="unlearned (this step)",  # noqa: E731
                            marker_color="#d62728")
    fig.add_trace(bars(step_probs[keep[0]]), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=np.asarray(retrain_probs, float).tolist(), name="retrained",
                         marker_color="#7f7f7f"), row=1, col=2)
    fig.frames = [go.Frame(name=str(k), data=[bars(step_probs[j])], traces=[1]) for k, j in enumerate(keep)]
    _player(fig, [str(steps[j]) for j in keep])
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", row=1, col=1)
    fig.update_yaxes(range=[0, 1], autorange=False, title="probability", row=1, col=2)
    fig.update_layout(title=dict(text=f"{title}<br><sup>red: unlearned model at this step · grey: retrained</sup>",
                                 font_size=13), height=height, barmode="group", showlegend=False,
                      margin=dict(l=45, r=10, t=60, b=110))
    return fig


# ----------------------------------------------------------------------------------------------
# per-class accuracy, confusion matrix, entropy test

def per_class_accuracy(probs: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    pred = np.asarray(probs).argmax(axis=1)
    return np.array([(pred[y == c] == c).mean() if (y == c).any() else np.nan for c in range(n_classes)])


def per_class_figure(accs: dict[str, np.ndarray], class_names, title: str = "Per-class test accuracy",
                     height: int = 320) -> go.Figure:
    """Grouped bars: one group per class, one bar per model (e.g. original / JiT / retrain)."""
    colors = {"original": "#1f77b4", "retrain": "#7f7f7f"}
    fig = go.Figure([go.Bar(x=[str(n) for n in class_names], y=np.nan_to_num(np.asarray(a, float)).tolist(),
                            name=name, marker_color=colors.get(name, "#d62728"))
                     for name, a in accs.items()])
    fig.update_layout(title=title, barmode="group", height=height, yaxis=dict(range=[0, 1.05], title="accuracy"),
                      xaxis=dict(type="category"), margin=dict(l=55, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.15))
    return fig


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, class_names, title: str = "Confusion matrix (test set)",
                     height: int = 380) -> go.Figure:
    names = [str(n) for n in class_names]
    cm = confusion(y_true, y_pred, len(names))
    fig = go.Figure(go.Heatmap(z=cm, x=names, y=names, colorscale="Blues", text=cm, texttemplate="%{text}",
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>", showscale=False))
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=10, t=40, b=10),
                      xaxis=dict(title="predicted", type="category"),
                      yaxis=dict(title="true", type="category", autorange="reversed"))
    return fig


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Paired Wilcoxon signed-rank p-value (scipy); NaN when it is undefined (too few pairs, or
    every pair equal)."""
    from scipy.stats import wilcoxon
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) != len(b) or len(a) < 2 or np.allclose(a, b, rtol=0, atol=1e-12):
        return float("nan")
    try:
        return float(wilcoxon(a, b).pvalue)
    except ValueError:
        return float("nan")


def entropy_test(original: np.ndarray, unlearned: np.ndarray, retrain: np.ndarray) -> dict:
    """The paper's entropy test on forget-set predictions (probabilities, paired per image)."""
    h = {"original": M.entropy(original), "unlearned": M.entropy(unlearned), "retrain": M.entropy(retrain)}
    return {"entropy": h, "mean": {k: float(v.mean()) if len(v) else float("nan") for k, v in h.items()},
            "p_unlearned_vs_retrain": wilcoxon_p(h["unlearned"], h["retrain"]),
            "p_original_vs_retrain": wilcoxon_p(h["original"], h["retrain"])}


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
        barmode="overlay", height=height, margin=dict(l=55, r=10, t=70, b=10),
        title=dict(text=(f"Forget-set prediction entropy<br><sup>Wilcoxon signed-rank p: {method} vs retrain "
                         f"{fmt(test['p_unlearned_vs_retrain'])}, original vs retrain "
                         f"{fmt(test['p_original_vs_retrain'])}</sup>"), font_size=13),
        xaxis=dict(title="entropy (nats)"), yaxis=dict(title="images"), legend=dict(orientation="h", y=1.0))
    return fig


def metrics_figure(steps: Sequence[int], series: dict[str, np.ndarray], references: dict[str, dict[str, float]],
                   height: int = 320) -> go.Figure:
    """Per-step metric lines; dotted horizontal lines for the reference models' values."""
    fig = go.Figure()
    for k, (name, values) in enumerate(series.items()):
        color = class_color(k)
        fig.add_trace(go.Scatter(x=list(steps), y=np.asarray(values, float).tolist(), mode="lines+markers",
                                 name=name, line=dict(color=color)))
        for ref, vals in references.items():
            if name in vals and vals[name] is not None and np.isfinite(vals[name]):
                fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[vals[name]] * 2, mode="lines",
                                         line=dict(color=color, dash="dot" if ref == "retrain" else "dash", width=1),
                                         name=f"{name} ({ref})", showlegend=False, hoverinfo="name+y"))
    fig.update_layout(height=height, margin=dict(l=45, r=10, t=30, b=10), xaxis_title="step",
                      title=dict(text="Metrics per step (dotted: retrain, dashed: original)", font_size=13),
                      legend=dict(orientation="h", y=-0.25, font_size=10))
    return fig


# ----------------------------------------------------------------------------------------------
# one unlearning run on images, with everything the views need (no Streamlit)

@dataclass
class ImageRun:
    method: str
    forget_ids: list[int]
    shown_ids: list[int]  # forgotten images with per-step probabilities (≤ max_shown)
    planes: list[Plane]  # one boundary plane per shown image (≤ max_planes)
    steps: list[int]
    shown_probs: list[np.ndarray]  # per step: (len(shown_ids), C)
    plane_probs: list[list[np.ndarray]]  # per plane, per step: (G*G, C)
    retrain_shown: np.ndarray
    retrain_plane: list[np.ndarray]
    result: object  # UnlearnResult
    retrain_model: nn.Module
    retrain_seconds: float
    models: dict  # report-style {"original"|"retrain"|method: {"metrics", "seconds", ...}}
    test_probs: dict[str, np.ndarray]  # original / method / retrain on the test set
    forget_probs: dict[str, np.ndarray]  # original / method / retrain on the forget set
    seconds: dict[str, float]
    refused: dict[str, str] = field(default_factory=dict)  # compared method -> why it did not run
    paper_split: str = ""  # which of the JiT paper's settings the forget set is, and where D_f / D_r are measured


def run_images(scenario, trained, forget_ids, method: str = "jit", retrain: tuple | None = None,
               max_shown: int = 4, max_planes: int = 2, resolution: int = 40, progress=None,
               compare: Sequence[str] = ()) -> ImageRun:
    """Retrain reference (or reuse ``retrain`` = (model, seconds)), unlearn with ``method`` recording
    probabilities on the shown forgotten images and the boundary planes, then the comparison rows."""
    import time
    from explorer import pipeline

    start = time.perf_counter()
    data = trained.data
    forget_ids = sorted(set(int(i) for i in forget_ids))
    if not forget_ids:
        raise ValueError("choose at least one image to forget")
    if len(forget_ids) >= len(data.x_train):
        raise ValueError("the forget set cannot be the whole training set")
    if retrain is None:
        model_r, _, retrain_seconds = pipeline.retrain_reference(scenario, trained, forget_ids, progress)
    else:
        model_r, retrain_seconds = retrain
    t_retrain = time.perf_counter() - start
    shown = forget_ids[:max_shown]
    planes = [boundary_plane(data.x_train, data.y_train, i, resolution=resolution) for i in shown[:max_planes]]
    probe_in = np.concatenate([data.x_train[shown]] + [p.points for p in planes])
    evaluator = pipeline.make_evaluator(scenario, trained, forget_ids, model_r)
    probe = ImageProbe(evaluator, probe_in, trained.device)
    t0 = time.perf_counter()
    result = pipeline.unlearn(scenario, method, trained, forget_ids, probe, record_probs=True, progress=progress)
    t_unlearn = time.perf_counter() - t0
    traj = result.trajectory
    cuts = np.cumsum([len(shown)] + [len(p.points) for p in planes])
    steps = [p.step for p in traj.points]
    shown_probs = [p.probs[: cuts[0]] for p in traj.points]
    plane_probs = [[p.probs[cuts[k]: cuts[k + 1]] for p in traj.points] for k in range(len(planes))]
    r_probe = predict_proba(model_r, probe_in, trained.device)
    x_f = data.x_train[forget_ids]
    models = {
        "original": {"metrics": evaluator.evaluate(trained.model)[0], "seconds": trained.history.seconds},
        "retrain": {"metrics": evaluator.evaluate(model_r)[0], "seconds": retrain_seconds},
        method: {"metrics": traj.final.metrics, "seconds": result.seconds,
                 **({"stopped": traj.stopped} if traj.stopped else {})},
    }
    refused = {}
    for other in compare:
        if other in models:
            continue
        why = refusal(other, data, forget_ids)
        if why:  # refuse this one, keep the rest of the run
            refused[other] = why
            continue
        r = pipeline.unlearn(scenario, other, trained, forget_ids, evaluator, record_probs=False)
        models[other] = {"metrics": r.trajectory.final.metrics, "seconds": r.seconds,
                         **({"stopped": r.trajectory.stopped} if r.trajectory.stopped else {})}
    test_probs = {"original": predict_proba(trained.model, data.x_test), method: predict_proba(result.model, data.x_test),
                  "retrain": predict_proba(model_r, data.x_test)}
    forget_probs = {"original": predict_proba(trained.model, x_f), method: predict_proba(result.model, x_f),
                    "retrain": predict_proba(model_r, x_f)}
    return ImageRun(method, forget_ids, shown, planes, steps, shown_probs, plane_probs, r_probe[: cuts[0]],
                    [r_probe[cuts[k]: cuts[k + 1]] for k in range(len(planes))], result, model_r, retrain_seconds,
                    models, test_probs, forget_probs,
                    {"retrain": t_retrain, "unlearn": t_unlearn, "total": time.perf_counter() - start}, refused,
                    evaluator.paper.describe())


def run_figures(run: ImageRun, data) -> dict[str, go.Figure]:
    """Every view of one run, by name."""
    names = data.class_names or [str(c) for c in range(data.n_classes)]
    figs: dict[str, go.Figure] = {}
    for k, plane in enumerate(run.planes):
        figs[f"plane_{k}"] = plane_figure(
            plane, run.plane_probs[k], run.steps, run.retrain_plane[k], data.n_classes, names,
            data.y_train[list(plane.anchor_ids)],
            title=f"Predicted class on the plane through forgotten image #{plane.anchor_ids[0]}")
    for k, i in enumerate(run.shown_ids):
        figs[f"probs_{k}"] = forget_probs_figure(
            data.x_train[i], data.image_shape, [p[k] for p in run.shown_probs], run.steps, run.retrain_shown[k], names,
            title=f"Forgotten image #{i} (class {names[int(data.y_train[i])]})")
    figs["per_class"] = per_class_figure({k: per_class_accuracy(v, data.y_test, data.n_classes)
                                          for k, v in run.test_probs.items()}, names)
    figs["confusion"] = confusion_figure(data.y_test, run.test_probs[run.method].argmax(1), names,
                                         title=f"Confusion matrix after {run.method} (test set)")
    f = run.forget_probs
    figs["entropy"] = entropy_figure(entropy_test(f["original"], f[run.method], f["retrain"]), run.method)
    traj = run.result.trajectory.thinned(MAX_FRAMES)
    shown = ["retain_acc", "forget_acc", "test_acc", "mia", "forget_entropy", "agreement_with_retrain"]
    figs["metrics"] = metrics_figure(traj.steps, {m: traj.metric(m) for m in shown},
                                     {k: run.models[k]["metrics"] for k in ("original", "retrain")})
    return figs


SWEEP_LABELS = {"avg_gap": "avg gap to retrain"}  # sweep values that are not metrics of explorer.metrics


def sweep_figure(sweep, metrics: Sequence[str] = ("retain_acc", "forget_acc"), title: str = "",
                 height: int = 340) -> go.Figure:
    """Side-by-side heatmaps of a :class:`explorer.sweep.SweepResult` (rows η, columns σ), each
    cell annotated; a usable window is high retain accuracy AND low forget accuracy."""
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[M.METRICS[m].label if m in M.METRICS
                                                                   else SWEEP_LABELS.get(m, m) for m in metrics], horizontal_spacing=0.12)
    xs = [f"{s:g}" for s in sweep.sigmas]
    ys = [f"{e:g}" for e in sweep.etas]
    for k, m in enumerate(metrics):
        z = np.asarray(sweep.metrics[m], float)
        fig.add_trace(go.Heatmap(z=z, x=xs, y=ys, zmin=0, zmax=1, colorscale="Viridis", showscale=k == 0,
                                 text=np.round(z, 2), texttemplate="%{text}",
                                 hovertemplate=f"σ %{{x}}, η %{{y}}: {m} %{{z:.3f}}<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_xaxes(title="σ", type="category", row=1, col=k + 1)
        fig.update_yaxes(title="η", type="category", row=1, col=k + 1)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=60, b=10))
    return fig
