"""Figures of the privacy audit (arrays in, Plotly out, no Streamlit): the exposure map with its threshold
slider, the ROC on log-log axes per model, and the forgotten images' exposure in rank order.

The exposure map draws every training point in one panel per model (original, the method, retrained) coloured
by one attack's score on one colour scale for all panels, centred on the attack's decision threshold (red: the
member side, blue: the non-member side), forgotten points as crosses. Its slider moves the threshold in the
browser (no round trip to the server): at each position, rings mark the points an attacker with that threshold
calls members, and the legend counts them per model.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.figures.common import FORGET_COLOR

SCALE = "RdBu_r"  # blue (looks like a non-member) to red (looks like a member)
MODEL_COLORS = {"original": "#555555", "retrain": "#000000"}
METHOD_COLOR = "#d62728"
STEPS = 25  # threshold positions on the slider


def _color_range(values: np.ndarray, threshold: float) -> tuple[float, float]:
    """A colour range centred on the threshold that spans the 2nd to the 98th percentile of the scores (a few
    extreme scores, e.g. -8000 for a point a model clearly never saw, would wash out every other colour)."""
    v = values[np.isfinite(values)]
    if not len(v):
        return threshold - 1.0, threshold + 1.0
    lo, hi = np.percentile(v, [2, 98])
    half = max(threshold - lo, hi - threshold, 1e-9)
    return threshold - half, threshold + half


def thresholds(values: np.ndarray, threshold: float, steps: int = STEPS) -> list[float]:
    """Slider positions: quantiles of the scores, and the attack's own decision threshold."""
    v = values[np.isfinite(values)]
    grid = np.quantile(v, np.linspace(0.0, 1.0, steps)) if len(v) else np.array([])
    return sorted(set(float(t) for t in grid) | {float(threshold)})


def exposure_map(coords: np.ndarray, labels: np.ndarray, forget: np.ndarray, panels: dict[str, np.ndarray],
                 threshold: float, attack_label: str, ids: Sequence[int] | None = None, height: int = 540,
                 titles: dict[str, str] | None = None) -> go.Figure:
    """One panel per model of ``panels`` ({model: scores of the points at ``coords``}), the slider over
    thresholds starting at ``threshold`` (the attack's decision rule)."""
    names = list(panels)
    titles = titles or {}
    ids = np.arange(len(coords)) if ids is None else np.asarray(ids)
    pooled = np.concatenate([panels[m] for m in names])
    cmin, cmax = _color_range(pooled, threshold)
    fig = make_subplots(rows=1, cols=len(names), shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.02,
                        subplot_titles=[f"{titles.get(m, m)} ({attack_label})" for m in names])
    forget = np.asarray(forget, dtype=bool)
    rings = []
    for col, model in enumerate(names, start=1):
        s = panels[model]
        text = [f"id {i}{' (forgotten)' if f else ''} · class {int(c)}<br>{attack_label} score {v:.3g}"
                for i, f, c, v in zip(ids, forget, labels, s)]
        for part, symbol, size, line in ((~forget, "circle", 8, dict(color="white", width=0.5)),
                                         (forget, "x", 14, dict(color=FORGET_COLOR, width=1.5))):
            fig.add_trace(go.Scatter(
                x=coords[part, 0], y=coords[part, 1], mode="markers", text=[t for t, p in zip(text, part) if p],
                hoverinfo="text", showlegend=False, name="forgotten points" if symbol == "x" else "training points",
                marker=dict(color=np.clip(s[part], cmin, cmax), cmin=cmin, cmax=cmax, colorscale=SCALE,
                            size=size, symbol=symbol, line=line,
                            showscale=col == len(names) and symbol == "circle",
                            colorbar=dict(title=dict(text=f"{attack_label}<br>score", side="top"), len=0.8))),
                row=1, col=col)
        rings.append(len(fig.data))
        fig.add_trace(go.Scatter(x=[], y=[], mode="markers", hoverinfo="skip", name=titles.get(model, model),
                                 marker=dict(symbol="circle-open", size=15, color="#111111", line=dict(width=1.5))),
                      row=1, col=col)
    steps, active = [], 0
    positions = thresholds(pooled, threshold)
    for k, t in enumerate(positions):
        called = [panels[m] > t for m in names]
        steps.append(dict(method="restyle", label=f"{t:.3g}", args=[{
            "x": [coords[c, 0].round(4).tolist() for c in called], "y": [coords[c, 1].round(4).tolist() for c in called],
            "name": [f"{titles.get(m, m)}: {int(c.sum())} called members" for m, c in zip(names, called)]}, rings]))
        if t == threshold:
            active = k
    for trace, step_x, step_y, name in zip(rings, *(steps[active]["args"][0][key] for key in ("x", "y", "name"))):
        fig.data[trace].update(x=step_x, y=step_y, name=name)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=100, b=10), plot_bgcolor="white",
        legend=dict(orientation="h", y=1.16, yanchor="bottom", x=0,
                    title=dict(text="rings: called members at the threshold ")),
        sliders=[dict(active=active, steps=steps, y=-0.02, len=0.9, x=0.05, pad=dict(t=20),
                      currentvalue=dict(prefix=f"threshold ({attack_label} score above it = member): "))])
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False)
    return fig


def roc_figure(curves: dict[str, dict], title: str, colors: dict[str, str] | None = None,
               height: int = 420) -> go.Figure:
    """ROC curves on log-log axes: ``curves`` {label: {"members": roc summary, "forget": roc summary}} (the
    summaries of :func:`explorer.measures.membership.roc_summary`); members solid, forgotten points dotted.
    Rates of 0 cannot sit on a log axis: they are drawn at the axis floor."""
    colors = colors or {}
    n_neg = max([c["members"]["n_negatives"] for c in curves.values()] + [1])
    n_pos = max([c["members"]["n_positives"] for c in curves.values()] + [1])
    floor = min(0.5 / max(n_neg, n_pos), 5e-4)  # low enough to show FPR 0.1 %
    fig = go.Figure(go.Scatter(x=[floor, 1], y=[floor, 1], mode="lines", name="chance", hoverinfo="skip",
                               line=dict(color="#bbbbbb", dash="dash", width=1)))
    for label, curve in curves.items():
        for kind, dash in (("members", "solid"), ("forget", "dot")):
            roc = curve.get(kind)
            if not roc or not roc["fpr"]:
                continue
            auc = f"AUC {roc['auc']:.2f}" if roc["auc"] is not None else "AUC —"
            what = "retain vs test" if kind == "members" else f"forgotten ({roc['n_positives']}) vs test"
            fig.add_trace(go.Scatter(
                x=np.maximum(roc["fpr"], floor), y=np.maximum(roc["tpr"], floor), mode="lines",
                line=dict(color=colors.get(label, METHOD_COLOR), dash=dash, shape="hv", width=2),
                name=f"{label}: {what}, {auc}",
                hovertemplate="FPR %{x:.3g} · TPR %{y:.3g}<extra>" + label + "</extra>"))
    for fpr in (0.01, 0.001):  # the rates the field reports (dotted)
        fig.add_vline(x=max(fpr, floor), line=dict(color="#999999", width=1, dash="dot"))
    resolved = f"{n_neg} test points: FPR below {1 / n_neg:.1%} is not resolvable" if n_neg < 1000 else \
        f"{n_neg} test points"
    axis = dict(type="log", range=[np.log10(floor), 0], showgrid=True, gridcolor="#eeeeee", dtick=1,
                tickformat=".1~%")
    fig.update_layout(title=title, height=height, margin=dict(l=70, r=10, t=50, b=55), plot_bgcolor="white",
                      xaxis=dict(title=f"false-positive rate (test points called members; {resolved})", **axis),
                      yaxis=dict(title="true-positive rate", **axis), legend=dict(font=dict(size=10)))
    return fig


def ranked_bars(ids: Sequence[int], panels: dict[str, np.ndarray], threshold: float, attack_label: str,
                colors: dict[str, str] | None = None, height: int = 300) -> go.Figure:
    """The forgotten images' scores per model, in the order given (most exposed first), with the threshold."""
    colors = colors or {}
    names = [f"#{i}" for i in ids]
    fig = go.Figure([go.Bar(x=names, y=np.asarray(v, dtype=float), name=label,
                            marker_color=colors.get(label, METHOD_COLOR)) for label, v in panels.items()])
    fig.add_hline(y=threshold, line=dict(color="#555555", dash="dash", width=1),
                  annotation_text="member above this", annotation_font_size=10)
    fig.update_layout(barmode="group", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      title=f"{attack_label} score of each forgotten image, most exposed first",
                      yaxis=dict(title=f"{attack_label} score"), xaxis=dict(type="category"),
                      legend=dict(orientation="h", y=-0.25))
    return fig
