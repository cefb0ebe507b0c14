"""1-D figure builders (data in, Plotly figure out, no Streamlit): the model's class-1 probability as a curve
over x, forget points as dots on the original curve, the curve after unlearning with each forget point's new
value joined to its old one by a vertical segment (the JiT paper's Figure 3), animated over steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.figures.cloud import seed_curve_traces
from explorer.figures.common import SPEEDS, class_color

ORIGINAL_COLOR = "#d62728"  # the paper's red: original curve and forget points on it
AFTER_COLOR = "#8c8c8c"  # grey curves after unlearning
NEW_COLOR = "#111111"  # black dots: a forget point's value on its new curve
RETRAIN_COLOR = "#1f77b4"
Y_TITLE = "P(class 1 | x)"


@dataclass
class CurveRun:
    """One unlearning run as the figure draws it: its curve at each recorded step and its forget points'
    values on that curve (``values[s][k]`` for forget point ``k`` at step ``s``)."""

    curves: Sequence[np.ndarray]  # (S,) arrays of shape (G,)
    forget_x: Sequence[float]
    values: Sequence[Sequence[float]]  # (S, k)
    label: str = "after JiT"
    extra: dict = field(default_factory=dict)


def _segments(xs, before, after):
    """One line trace's coordinates: a vertical segment per point, broken by None."""
    sx, sy = [], []
    for x, b, a in zip(xs, before, after):
        sx += [float(x), float(x), None]
        sy += [float(b), float(a), None]
    return sx, sy


def change_figure(xs, original: np.ndarray, runs: Sequence[CurveRun], steps: Sequence[int], *,
                  forget_before: Sequence[float] = (), retrain: np.ndarray | None = None,
                  x_train: np.ndarray | None = None, y_train: np.ndarray | None = None,
                  forget_ids: Sequence[int] = (), title: str | None = None, height: int = 460,
                  scale: float = 1.0, animate: bool = True,
                  seed_curves: dict[str, tuple[Sequence[np.ndarray], str]] | None = None) -> go.Figure:
    """The original curve (red) with its forget points (red dots); each run's curve (grey) with its forget
    points' new values (black dots) joined to the old ones by vertical segments; optionally the retrained
    model's curve (blue, dashed) and the training data at y = its label (the LAST trace, selectable, with
    the training id as customdata). With ``animate`` and several steps, frames and a slider walk the steps.
    ``seed_curves`` (a run over several training seeds): name -> (each seed's final curve, dash), drawn thin.
    """
    xs = np.asarray(xs, dtype=float)
    n_steps = len(steps)
    for run in runs:
        if len(run.curves) != n_steps or len(run.values) != n_steps:
            raise ValueError("change_figure needs one curve and one set of forget values per step for every run")
    fx = [float(x) for run in runs for x in run.forget_x]
    before = [float(v) for v in forget_before]
    if len(before) != len(fx):
        raise ValueError("change_figure needs one original value per forget point")

    def at(s: int):
        curves = [go.Scatter(x=xs.tolist(), y=np.asarray(run.curves[s], float).tolist(), mode="lines",
                             line=dict(color=AFTER_COLOR, width=1.2 * scale), name=run.label,
                             showlegend=k == 0, hoverinfo="skip") for k, run in enumerate(runs)]
        after = [float(v) for run in runs for v in run.values[s]]
        sx, sy = _segments(fx, before, after)
        seg = go.Scatter(x=sx, y=sy, mode="lines", line=dict(color=NEW_COLOR, width=1.5 * scale),
                         name="change", showlegend=False, hoverinfo="skip")
        dots = go.Scatter(x=fx, y=after, mode="markers", name="forget point, after",
                          marker=dict(color=NEW_COLOR, size=8 * scale),
                          text=[f"x = {x:g}: {b:.3f} → {a:.3f} (Δ {a - b:+.3f})" for x, b, a in zip(fx, before, after)],
                          hoverinfo="text")
        return curves + [seg, dots]

    last = n_steps - 1 if n_steps else 0
    traces = [go.Scatter(x=xs.tolist(), y=np.asarray(original, float).tolist(), mode="lines", name="original",
                         line=dict(color=ORIGINAL_COLOR, width=2.5 * scale), hoverinfo="skip")]
    if retrain is not None:
        traces.append(go.Scatter(x=xs.tolist(), y=np.asarray(retrain, float).tolist(), mode="lines",
                                 name="retrained without the forget set", hoverinfo="skip",
                                 line=dict(color=RETRAIN_COLOR, width=2 * scale, dash="dash")))
    for name, (curves, dash) in (seed_curves or {}).items():
        color = RETRAIN_COLOR if dash == "dash" else AFTER_COLOR
        traces += [go.Scatter(t) for t in seed_curve_traces(xs, curves, name, color, dash)]
    moving_from = len(traces)
    traces += at(last) if n_steps else []
    traces.append(go.Scatter(x=fx, y=before, mode="markers", name="forget point, before",
                             marker=dict(color=ORIGINAL_COLOR, size=9 * scale, line=dict(color="white", width=1)),
                             hoverinfo="skip"))
    if x_train is not None:
        forget = set(int(i) for i in forget_ids)
        n = len(x_train)
        y = np.asarray(y_train)
        traces.append(go.Scatter(
            x=np.asarray(x_train)[:, 0].astype(float).tolist(), y=[float(c) for c in y], mode="markers",
            name="training points (at their label)", customdata=list(range(n)),
            text=[f"id {i} · x = {float(x_train[i, 0]):.2f} · class {int(y[i])}" + (" · forgotten" if i in forget else "")
                  for i in range(n)], hoverinfo="text",
            marker=dict(color=[class_color(int(c)) for c in y], size=[13 * scale if i in forget else 7 * scale
                                                                      for i in range(n)],
                        symbol=["x" if i in forget else "circle" for i in range(n)],
                        line=dict(color=["#111" if i in forget else "white" for i in range(n)], width=1)),
            selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=1.0))))
    fig = go.Figure(traces)
    font = dict(size=int(13 * scale))
    fig.update_layout(
        height=height, plot_bgcolor="white", margin=dict(l=55, r=10, t=80 if title else 10, b=45), font=font,
        title=dict(text=title, y=0.99, yanchor="top", x=0.0, xanchor="left") if title else None, clickmode="event+select", uirevision="curve",
        xaxis=dict(title=dict(text="x"), range=[float(xs.min()), float(xs.max())], zeroline=False,
                   gridcolor="#eee"),
        yaxis=dict(title=dict(text=Y_TITLE), range=[-0.05, 1.05], gridcolor="#eee"),
        legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom"))
    if animate and n_steps > 1 and runs:
        moving = list(range(moving_from, moving_from + len(runs) + 2))
        fig.frames = [go.Frame(data=at(s), traces=moving, name=str(k)) for k, s in enumerate(range(n_steps))]
        fig.layout.sliders = [dict(active=last, currentvalue=dict(prefix="step "), pad=dict(t=10), x=0.12, len=0.88,
                                   y=-0.16, yanchor="top",
                                   steps=[dict(label=str(steps[k]), method="animate",
                                               args=[[str(k)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                                    transition=dict(duration=0))])
                                          for k in range(n_steps)])]
        fig.layout.updatemenus = [dict(type="buttons", showactive=False, x=0.0, y=-0.2, xanchor="left",
                                       yanchor="top", direction="left",
                                       buttons=[dict(label="▶ Play", method="animate",
                                                     args=[None, dict(frame=dict(duration=SPEEDS["slow"], redraw=True),
                                                                      fromcurrent=False, transition=dict(duration=0))])])]
        fig.update_layout(margin=dict(b=130), height=height + 80)
    return fig


def perturbation_figure(xs, curve: np.ndarray, x0: float, f0: float, perturbed_x: Sequence[float],
                        perturbed_f: Sequence[float], sigma: float, height: int = 380, scale: float = 1.0) -> go.Figure:
    """What JiT measures at one forget point: the curve, the point, and its Gaussian perturbations with the
    model's value at each (the output change over the input change is the quantity JiT lowers)."""
    px, pf = [float(v) for v in perturbed_x], [float(v) for v in perturbed_f]
    sx, sy = [], []
    for x, f in zip(px, pf):
        sx += [x0, x, None]
        sy += [f0, f, None]
    fig = go.Figure([
        go.Scatter(x=np.asarray(xs, float).tolist(), y=np.asarray(curve, float).tolist(), mode="lines",
                   name="model", line=dict(color=ORIGINAL_COLOR, width=2.5 * scale), hoverinfo="skip"),
        go.Scatter(x=sx, y=sy, mode="lines", line=dict(color="#bbb", width=1), showlegend=False, hoverinfo="skip"),
        go.Scatter(x=px, y=pf, mode="markers", name=f"perturbed copies (σ = {sigma:g})",
                   marker=dict(color=AFTER_COLOR, size=7 * scale)),
        go.Scatter(x=[x0], y=[f0], mode="markers", name="forget point",
                   marker=dict(color=NEW_COLOR, size=12 * scale, symbol="x")),
    ])
    fig.update_layout(height=height, plot_bgcolor="white", margin=dict(l=55, r=10, t=10, b=45),
                      font=dict(size=int(13 * scale)),
                      xaxis=dict(title=dict(text="x"), gridcolor="#eee"),
                      yaxis=dict(title=dict(text=Y_TITLE), range=[-0.05, 1.05], gridcolor="#eee"),
                      legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom"))
    return fig


def bars_figure(labels: Sequence[str], values: Sequence[float], y_title: str, x_title: str, title: str | None = None,
                height: int = 320, scale: float = 1.0) -> go.Figure:
    """A few named numbers as bars (the lessons' reveals): every label kept."""
    fig = go.Figure(go.Bar(x=list(labels), y=[float(v) for v in values], marker_color=AFTER_COLOR,
                           text=[f"{float(v):.3f}" for v in values], textposition="outside"))
    fig.update_layout(height=height, plot_bgcolor="white", margin=dict(l=55, r=10, t=40 if title else 10, b=45),
                      font=dict(size=int(13 * scale)), title=dict(text=title) if title else None,
                      xaxis=dict(title=dict(text=x_title), type="category", tickmode="array", tickvals=list(labels)),
                      yaxis=dict(title=dict(text=y_title), gridcolor="#eee"))
    return fig
