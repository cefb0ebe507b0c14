"""The editor in "Edit data" mode: the plane made clickable.

Plotly's selection events report only points of scatter traces (a heatmap never selects), so a click on empty
plane has to land on a point to reach the app: an invisible scatter of cell centres covers the plane, and the
click picks the nearest cell (Plotly hovers the closest point, a training point when the click is on one). The
cell's index travels as a negative ``customdata`` — training ids are >= 0 — and :func:`cell_xy` turns it back into
coordinates on the same grid.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

CELLS = 40  # per side: about 15 px apart on the page, so every click is within Plotly's 20 px hover distance


def cell_axes(xs, ys, cells: int = CELLS) -> tuple[np.ndarray, np.ndarray]:
    """The cell centres' x and y values over the plane the editor shows (rounded: short links)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    return (np.round(np.linspace(xs.min(), xs.max(), cells), 3), np.round(np.linspace(ys.min(), ys.max(), cells), 3))


def cell_id(k: int) -> int:
    """The customdata of cell ``k`` (negative: never a training id)."""
    return -1 - int(k)


def cell_xy(customdata: int, axes: tuple[np.ndarray, np.ndarray]) -> tuple[float, float] | None:
    """The coordinates of the cell a click picked, or None when ``customdata`` is not a cell of these axes."""
    gx, gy = axes
    k = -1 - int(customdata)
    if not 0 <= k < len(gx) * len(gy):
        return None
    return float(gx[k % len(gx)]), float(gy[k // len(gx)])


def clickable(fig: go.Figure, axes: tuple[np.ndarray, np.ndarray], label: str) -> go.Figure:
    """``fig`` (the editor) with the invisible cells under its training points (which stay the last trace)."""
    gx, gy = axes
    px, py = np.meshgrid(gx, gy)
    fig.add_trace(go.Scatter(
        x=px.ravel().tolist(), y=py.ravel().tolist(), mode="markers", name="click to add",
        customdata=[cell_id(k) for k in range(px.size)], showlegend=False,
        marker=dict(size=2, opacity=0, color="#000"), selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
        hovertemplate=f"click: add {label} at (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    fig.data = fig.data[:-2] + (fig.data[-1], fig.data[-2])
    return fig
