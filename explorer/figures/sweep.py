"""A sweep as heatmaps (rows: the second setting's values, columns: the first's; σ×η for JiT), one panel per
metric."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.config import declare
from explorer.measures.metrics import METRICS

SWEEP_LABELS = {"avg_gap": "avg gap to retrain"}  # sweep values that are not metrics of explorer.measures.metrics
SETTING_SYMBOLS = {"sigma": "σ", "eta": "η"}  # JiT's settings as the paper writes them


def setting_label(name: str, method: str = "jit") -> str:
    """A swept setting as the axes name it: σ and η for JiT's, else its declared label (the sidebar's words), else
    its name in words."""
    if method == "jit" and name in SETTING_SYMBOLS:
        return SETTING_SYMBOLS[name]
    declared = declare.limit(f"{method}.{name}")
    return (declared.label if declared is not None and declared.label else name.replace("_", " "))


def sweep_figure(sweep, metrics: Sequence[str] = ("retain_acc", "forget_acc"), title: str = "",
                 height: int = 340) -> go.Figure:
    """Side-by-side heatmaps of a :class:`explorer.studies.sweep.SweepResult` (rows its ``y`` setting, columns its
    ``x``; η and σ for JiT), each cell annotated; a usable window is high retain accuracy AND low forget accuracy."""
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[METRICS[m].label if m in METRICS
                                                                   else SWEEP_LABELS.get(m, m) for m in metrics], horizontal_spacing=0.12)
    xs = [f"{s:g}" for s in sweep.xs]
    ys = [f"{e:g}" for e in sweep.ys]
    x_label, y_label = setting_label(sweep.x, sweep.method), setting_label(sweep.y, sweep.method)
    for k, m in enumerate(metrics):
        z = np.asarray(sweep.metrics[m], float)
        fig.add_trace(go.Heatmap(z=z, x=xs, y=ys, zmin=0, zmax=1, colorscale="Viridis", showscale=k == 0,
                                 text=np.round(z, 2), texttemplate="%{text}",
                                 hovertemplate=f"{x_label} %{{x}}, {y_label} %{{y}}: {m} %{{z:.3f}}<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_xaxes(title=x_label, type="category", dtick=1, row=1, col=k + 1)
        fig.update_yaxes(title=y_label, type="category", dtick=1, row=1, col=k + 1)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=60, b=10))
    return fig

