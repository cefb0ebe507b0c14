"""What the pictures add over K training seeds (no Streamlit): the boundary *cloud* of a 2D animation, metric
bands, training points coloured by a per-point forgetting score, and each seed's curve on a line.

Retrained models of different training seeds disagree with each other (about 3 % of the moons plane), so one
retrained boundary is one sample of what "forgotten" looks like. The cloud draws every seed's retrained boundary
(thin, dashed), every seed's boundary under the method (thin, solid, moving with the steps) and the originals
(faint): a viewer sees whether the method's boundaries fall inside the retrained cloud. A metric panel draws the
method's band — the lowest to the highest value over the seeds at each step — around the seeds' mean, and the
references' bands beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from explorer.figures.boundary import boundary_xy
from explorer.figures.common import FORGET_COLOR, class_color, finite_or_nan, line_trace, named_colorscale

METHOD_COLOR = "#c2185b"
RETRAIN_COLOR = "#000000"
ORIGINAL_COLOR = "#555555"
BAND = "min–max over seeds"  # what a band spans, said in the legend and hover


@dataclass
class Cloud:
    """A run over K seeds as the 2D animation draws it. ``method[k][f]``: seed k's grid probabilities at frame f
    (every frame), or ``[final]`` for each seed (then drawn, unchanged, in every frame); ``metrics[k][f]``: seed k's
    metrics at frame f; ``references[name][k]``: the original's and the retrained model's metrics of seed k;
    ``scores``: one per-point forgetting score per training point (NaN where none), named ``score_label``."""

    original: Sequence[np.ndarray]
    retrain: Sequence[np.ndarray]
    method: Sequence[Sequence[np.ndarray]]
    metrics: Sequence[Sequence[dict]] = ()
    references: dict[str, Sequence[dict]] = field(default_factory=dict)
    scores: np.ndarray | None = None
    score_label: str = ""

    @property
    def seeds(self) -> int:
        return len(self.retrain)

    @property
    def per_step(self) -> bool:
        """Whether the method's boundaries move with the frames (else each seed's final one stands in all)."""
        return all(len(frames) > 1 for frames in self.method)

    def method_at(self, frame: int) -> list[np.ndarray]:
        return [frames[min(frame, len(frames) - 1)] if self.per_step else frames[-1] for frames in self.method]


def boundary_traces(probs: Sequence[np.ndarray], xs, ys, name: str, color: str, dash: str = "solid",
                    width: float = 1.0, opacity: float = 1.0) -> list[dict]:
    """One thin boundary per seed; only the first carries the legend entry (the group toggles together)."""
    out = []
    for k, p in enumerate(probs):
        bx, by = boundary_xy(p, xs, ys)
        out.append(line_trace(bx, by, name, color=color, width=width, dash=dash, opacity=opacity,
                              showlegend=k == 0, legendgroup=name))
    return out


def frame_boundaries(probs: Sequence[np.ndarray], xs, ys) -> list[dict]:
    """The frame data of :func:`boundary_traces`: the polylines only."""
    return [{"type": "scatter", "x": bx, "y": by} for bx, by in (boundary_xy(p, xs, ys) for p in probs)]


def band_traces(x, values: np.ndarray, name: str, color: str, fill: str, dash: str = "solid") -> list[dict]:
    """A band from the lowest to the highest of ``values`` ((K, n): one row per seed) at each x, and the mean
    line: two traces (the band a closed polygon, so gaps in one seed do not break it)."""
    v = finite_or_nan(values)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        lo, hi = np.nanmin(v, axis=0), np.nanmax(v, axis=0)
        mean = np.nanmean(v, axis=0)
    ok = np.isfinite(lo)
    px = np.concatenate([x[ok], x[ok][::-1]])
    py = np.concatenate([hi[ok], lo[ok][::-1]])
    band = {"type": "scatter", "x": px, "y": py, "mode": "lines", "fill": "toself", "fillcolor": fill,
            "line": {"width": 0}, "name": f"{name} ({BAND})", "showlegend": False, "hoverinfo": "skip"}
    line = {"type": "scatter", "x": x, "y": mean, "mode": "lines", "name": f"{name} (mean of {len(v)} seeds)",
            "line": {"color": color, "width": 1.6, "dash": dash}, "showlegend": False,
            "hovertemplate": f"{name}: mean %{{y:.3f}} at step %{{x}} ({len(v)} seeds)<extra></extra>"}
    return [band, line]


def scored_points_traces(x: np.ndarray, y: np.ndarray, forget_ids: Sequence[int], scores: np.ndarray,
                         label: str, showlegend: bool = True) -> list[dict]:
    """Training points filled by their per-point score (one shared colour bar; the class as the outline), the
    forgotten ones as crosses on the same scale: two traces, as :func:`explorer.figures.common.points_traces`."""
    scores = finite_or_nan(scores)
    finite = scores[np.isfinite(scores)]
    top = float(np.percentile(finite, 99)) if len(finite) else 1.0
    top = top if top > 0 else 1.0
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    colorbar = dict(title=dict(text=label, side="right", font={"size": 10}), len=0.45, y=0.75, x=-0.05, xanchor="right",
                    thickness=10, tickfont={"size": 9})

    def trace(mask, name, symbol, size, outline, width, bar):
        ids = np.flatnonzero(mask)
        return dict(type="scatter", x=x[mask, 0], y=x[mask, 1], mode="markers", name=name, showlegend=showlegend,
                    text=[f"id {i} · class {int(y[i])} · {label} " + (f"{scores[i]:.3g}" if np.isfinite(scores[i])
                                                                      else "—") for i in ids], hoverinfo="text",
                    marker=dict(color=np.nan_to_num(scores[mask], nan=0.0), cmin=0.0, cmax=top,
                                colorscale=named_colorscale("Viridis"), showscale=bar, colorbar=colorbar,
                                size=size, symbol=symbol, line=dict(color=outline, width=width)))
    keep = ~forget
    return [trace(keep, f"training points (fill: {label})", "circle", 7,
                  [class_color(int(c)) for c in y[keep]], 1.4, True),
            trace(forget, "forgotten points", "x", 13, FORGET_COLOR, 2, False)]


def seed_curve_traces(xs, curves: Sequence[np.ndarray], name: str, color: str, dash: str = "solid") -> list[dict]:
    """Each seed's curve on a line (1-D data): thin, one legend entry for the group."""
    xs = np.asarray(xs, dtype=float).tolist()
    return [dict(type="scatter", x=xs, y=np.asarray(c, float).tolist(), mode="lines", name=name, legendgroup=name,
                 showlegend=k == 0, hoverinfo="skip", opacity=0.6, line=dict(color=color, width=1, dash=dash))
            for k, c in enumerate(curves)]
