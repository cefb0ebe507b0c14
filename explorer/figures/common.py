"""What every figure shares: the class palette and the class/confidence encoding of the background heatmap,
trace helpers (heatmap, lines, training points, class legend), fixed axes, figures from plain dicts with
cached subplot layouts, finished figure specs, the in-figure player controls, and the self-contained HTML
export. Pure Plotly: arrays in, traces and layout dicts out (no Streamlit).

The background is ONE heatmap per panel whose value encodes the predicted class *and* the confidence:
``z = class * LEVELS + level`` (uint8), shown with a piecewise-constant colourscale where each class's band
runs from pale (unsure) to saturated (sure). This works for any number of classes and keeps each 100x100
frame at 10 kB before base64.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import convert_to_base64
from plotly.colors import get_colorscale
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder

from explorer.measures.metrics import METRICS

LEVELS = 8  # confidence shades per class in the background heatmap
PALETTE = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
FORGET_COLOR = "#111111"
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


def point_colors(y: np.ndarray) -> list[str]:
    return [class_color(int(c)) for c in y]


def points_traces(x: np.ndarray, y: np.ndarray, forget_ids: Sequence[int], showlegend: bool = True,
                  sizes: np.ndarray | None = None, **kw) -> list[dict]:
    """Two traces: retained training points coloured by class, forgotten points as black crosses."""
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    keep = ~forget
    size = sizes[keep] if sizes is not None else 6
    retained = dict(type="scatter", x=x[keep, 0], y=x[keep, 1], mode="markers", name="training points",
                    marker=dict(color=point_colors(y[keep]), size=size, line=dict(color="white", width=0.6)),
                    hoverinfo="skip", showlegend=showlegend, **kw)
    forgotten = dict(type="scatter", x=x[forget, 0], y=x[forget, 1], mode="markers", name="forgotten points",
                     marker=dict(color=point_colors(y[forget]), size=13, symbol="x",
                                 line=dict(color=FORGET_COLOR, width=2)),
                     text=[f"forgotten id {i}" for i in np.flatnonzero(forget)], hoverinfo="text",
                     showlegend=showlegend, **kw)
    return [retained, forgotten]


def fixed_axes(xs, ys) -> tuple[dict, dict]:
    """The data plane's axes: fixed ranges (frames never rescale them), titled with the input coordinates."""
    title = lambda t: {"text": t, "font": {"size": 11}, "standoff": 4}  # noqa: E731
    return (dict(range=[float(xs[0]), float(xs[-1])], autorange=False, showgrid=False, zeroline=False, title=title("x₁")),
            dict(range=[float(ys[0]), float(ys[-1])], autorange=False, showgrid=False, zeroline=False, title=title("x₂")))


def class_legend(n_classes: int, prefix: str = "class") -> list[dict]:
    """Legend-only entries (no data, not selectable) naming each class's colour."""
    return [dict(type="scatter", x=[None], y=[None], mode="markers", name=f"{prefix} {c}", hoverinfo="skip",
                 marker=dict(color=class_color(c), size=9, line=dict(color="white", width=0.6)))
            for c in range(n_classes)]


# ----------------------------------------------------------------------------------------------
# figures from dicts, subplot layouts, finished specs

_SPECS_ONLY = threading.local()  # set by specs_only(), per thread (sessions build figures in threads of one server)


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A figure from plain dicts, unvalidated (see the trace helpers above); inside :func:`specs_only`, a
    :class:`SpecFigure` of the same spec."""
    if getattr(_SPECS_ONLY, "on", False):
        return SpecFigure(figure_spec(data, layout, frames))
    spec = {"data": data, "layout": layout}
    if frames is not None:
        spec["frames"] = frames
    return go.Figure(spec, _validate=False)


@contextmanager
def specs_only():
    """Figures built inside are finished specs (:class:`SpecFigure`, to be sent or drawn, not changed): the page's
    figures for every Unlearn skip building plotly's objects only to deep-copy them back into dicts (``to_dict``),
    which cost about a third of the figures' CPU (tests/figures check the specs are the same)."""
    before = getattr(_SPECS_ONLY, "on", False)
    _SPECS_ONLY.on = True
    try:
        yield
    finally:
        _SPECS_ONLY.on = before


@lru_cache(maxsize=4)
def _template_json(name: str) -> str:
    return json.dumps(pio.templates[name].to_plotly_json(), cls=PlotlyJSONEncoder)


def figure_spec(data: list[dict], layout: dict, frames: list[dict] | None = None) -> dict:
    """What ``figure(data, layout, frames).to_dict()`` returns — the default template in the layout, arrays as
    base64 specs — made from the dicts directly. It takes the dicts over: their arrays are replaced by specs."""
    layout = dict(layout)
    if layout.get("template") is None and isinstance(pio.templates.default, str):
        layout["template"] = json.loads(_template_json(pio.templates.default))
    spec = {"data": list(data), "layout": layout}
    if frames:
        spec["frames"] = list(frames)
    convert_to_base64(spec)
    return spec


@lru_cache(maxsize=32)
def _subplots_cached(rows: int, cols: int, titles: tuple, row_titles: tuple | None, font_size: int,
                     spacing: tuple[float, float], specs: str | None, widths: tuple | None) -> str:
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
                                       font_size, tuple(spacing), json.dumps(specs) if specs else None,
                                       tuple(widths) if widths else None))


def axis_ref(k: int) -> tuple[str, str]:
    """The axes of subplot ``k`` (1-based, row by row) as a trace names them."""
    return ("x", "y") if k == 1 else (f"x{k}", f"y{k}")


@lru_cache(maxsize=8)
def _named_colorscale(name: str) -> str:
    return json.dumps(get_colorscale(name))


def named_colorscale(name: str) -> list:
    """A named colourscale as validation would have written it (plotly.py's list, not plotly.js's own)."""
    return json.loads(_named_colorscale(name))


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


def finite_or_nan(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(v), v, np.nan)


def range_of(values, pad: float = 0.08) -> list[float]:
    v = finite_or_nan(values)
    v = v[np.isfinite(v)]
    if not len(v):
        return [0.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    return [lo - pad * span, hi + pad * span]


def json_float(v) -> float | None:
    return float(v) if np.isfinite(v) else None


def player_controls(labels: list[str]) -> dict:
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



def figure_html(fig: go.Figure) -> str:
    """A self-contained HTML page of a figure (plotly.js inlined; works offline)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False)
