"""Atlas figure builders (data in, Plotly figure out, no Streamlit): the training set coloured by one
quantity of the atlas, and a scatter of two quantities with Spearman's ρ and its p-value."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explorer.studies.atlas import PAIRS, QUANTITIES, Atlas

HOVER = ("point %{customdata[0]} (class %{customdata[1]})<br>α %{customdata[2]:.2f} · Lipschitz %{customdata[3]:.2f}"
         "<br>leave-one-out change %{customdata[4]:.4f}<br>method change %{customdata[5]:.4f} · agreement with "
         "leave-one-out %{customdata[6]:.4f}<br>test accuracy lost %{customdata[7]:+.3f}<extra></extra>")
SHORT = {"alpha": "α(x)", "lipschitz": "local Lipschitz", "loo_boundary_change": "leave-one-out influence",
         "method_boundary_change": "method influence", "method_agreement_with_loo": "agreement with leave-one-out",
         "method_test_drop": "test accuracy lost"}


def _customdata(atlas: Atlas) -> np.ndarray:
    cols = ["id", "label", "alpha", "lipschitz", "loo_boundary_change", "method_boundary_change",
            "method_agreement_with_loo", "method_test_drop"]
    return np.array([[p[c] for c in cols] for p in atlas.points], dtype=float)


def rho_text(value: dict) -> str:
    """'ρ = +0.41 (p = 3e-13, n = 300); noise floor ρ = +0.06' or 'ρ undefined (a constant column)'; the floor
    (two training seeds' maps against each other) where the atlas computed it."""
    floor = ""
    if "noise_floor" in value:
        f = value["noise_floor"]
        c = value.get("noise_ceiling")
        floor = "; noise floor ρ " + ("undefined" if f is None else f"= {f:+.2f}") + (
            "" if c is None else f", ceiling ±{c:.2f}")
    if value.get("rho") is None:
        return "ρ undefined (a constant column)" + floor
    return f"ρ = {value['rho']:+.2f} (p = {value['p']:.2g}, n = {value['n']})" + floor


def atlas_map(atlas: Atlas, quantity: str = "loo_boundary_change") -> go.Figure:
    """The training set, each point coloured by ``quantity``; a click selects it (its id is in customdata)."""
    if quantity not in QUANTITIES:
        raise ValueError(f"unknown atlas quantity {quantity!r}; choose one of {', '.join(QUANTITIES)}")
    xy = np.array([p["x"] for p in atlas.points], dtype=float)
    values = atlas.column(quantity)
    labels = atlas.column("label")
    symbols = np.array(["circle", "diamond", "square", "cross", "x", "triangle-up"])[labels.astype(int) % 6]
    fig = go.Figure(go.Scatter(
        x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=_customdata(atlas), hovertemplate=HOVER,
        marker=dict(color=values, colorscale="Viridis_r" if quantity in ("alpha", "method_agreement_with_loo") else "Viridis",
                    size=9, symbol=list(symbols), line=dict(width=0.5, color="white"),
                    colorbar=dict(title=SHORT[quantity])),
        name="training points"))
    fig.update_layout(title=SHORT[quantity].capitalize(), height=520, margin=dict(l=10, r=10, t=50, b=10),
                      xaxis=dict(title="x₁"), yaxis=dict(title="x₂", scaleanchor="x"), clickmode="event+select")
    return fig


def atlas_scatter(atlas: Atlas, pair: str) -> go.Figure:
    """One of :data:`explorer.studies.atlas.PAIRS` as a scatter (x: the predictor, y: leave-one-out influence),
    titled with Spearman's ρ and its p-value; hover shows each point's numbers."""
    x_name, y_name = PAIRS[pair]
    fig = go.Figure(go.Scatter(x=atlas.column(x_name), y=atlas.column(y_name), mode="markers",
                               customdata=_customdata(atlas), hovertemplate=HOVER,
                               marker=dict(size=7, color=atlas.column("label"), colorscale="Plotly3", opacity=0.8)))
    fig.update_layout(title=f"{SHORT[x_name]} vs {SHORT[y_name]}<br><sub>{rho_text(atlas.spearman[pair])}</sub>",
                      height=380,
                      margin=dict(l=10, r=10, t=50, b=10), xaxis=dict(title=SHORT[x_name]),
                      yaxis=dict(title=SHORT[y_name]), clickmode="event+select", showlegend=False)
    return fig
