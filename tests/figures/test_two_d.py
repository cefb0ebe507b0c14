"""The 2D figure builders (pure: arrays in, Plotly figures out): editor, animation, small multiples, information view."""
import base64
import json

import numpy as np
import plotly.io as pio
import pytest

from explorer.figures import two_d as F
from explorer.measures.evaluation import Grid


def decode(v):
    """Plotly 7 encodes numpy arrays as {"dtype", "bdata"(, "shape")}; lists stay lists."""
    if isinstance(v, dict) and "bdata" in v:
        arr = np.frombuffer(base64.b64decode(v["bdata"]), v["dtype"])
        return arr.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else arr
    return np.asarray(v, dtype=float)


def spec_of(fig):
    return json.loads(pio.to_json(fig, validate=False))


def toy_points(n=30, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (n, 2)).astype(np.float32), rng.integers(0, classes, n)


def test_editor_is_one_selectable_trace_with_ids(grid, sector_probs):
    x, y = toy_points(classes=3)
    fig = F.editor_figure(x, y, grid.xs, grid.ys, sector_probs(grid, 3), 3, forget_ids=[2, 5])
    pts = fig.data[-1]
    assert pts.type == "scatter" and list(pts.customdata) == list(range(len(x)))
    with_data = [t for t in fig.data if t.type == "scatter" and t.x is not None and t.x[0] is not None]
    assert len(with_data) == 2  # boundary line + the points; the rest name the classes in the legend only
    assert [t.name for t in fig.data if t.x is not None and t.x[0] is None] == ["class 0", "class 1", "class 2"]
    assert "dragmode" not in fig.layout.to_plotly_json()  # clicks select, in every state of the chart
    assert pts.marker.symbol[2] == "x" and pts.marker.symbol[0] == "circle"
    assert fig.layout.xaxis.autorange is False
    # deterministic between reruns (selection identity)
    again = F.editor_figure(x, y, grid.xs, grid.ys, sector_probs(grid, 3), 3, forget_ids=[2, 5])
    assert pio.to_json(fig) == pio.to_json(again)


@pytest.fixture
def anim(sector_probs, linear_probs):
    def build(grid, n_steps=5, classes=2, retrain=True, losses=True):
        x, y = toy_points(classes=classes)
        make = (lambda k: linear_probs(grid, 0.1 * k)) if classes == 2 else (lambda k: sector_probs(grid, classes, 0.1 * k))
        metrics = [{m: 0.9 - 0.01 * k for m in F.ANIMATION_METRICS} for k in range(n_steps)]
        metrics[-1]["forget_lipschitz"] = float("inf")  # a diverged value must not break the figure
        refs = {"original": {m: 0.95 for m in F.ANIMATION_METRICS}, "retrain": {m: 0.8 for m in F.ANIMATION_METRICS}}
        return F.animation_figure(x, y, grid.xs, grid.ys, classes, [1, 4], list(range(n_steps)),
                                  [make(k) for k in range(n_steps)], metrics, make(0),
                                  make(n_steps) if retrain else None, refs,
                                  losses=[None] + [1.0 / (k + 1) for k in range(1, n_steps)] if losses else None)
    return build


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_animation_has_frames_fixed_ranges_and_references(grid, classes, anim):
    fig = anim(grid, 6, classes)
    spec = spec_of(fig)
    assert len(spec["frames"]) == 6
    names = [t.get("name") for t in spec["data"]]
    assert "retrained boundary" in names and "original boundary" in names and "forgotten points" in names
    lay = spec["layout"]
    assert lay["xaxis"]["range"] == [pytest.approx(float(grid.xs[0])), pytest.approx(float(grid.xs[-1]))]
    assert lay["xaxis"]["autorange"] is False and lay["yaxis"]["autorange"] is False
    for key, axis in lay.items():  # every axis of every panel is fixed
        if key.startswith(("xaxis", "yaxis")):
            assert axis["autorange"] is False and len(axis["range"]) == 2, key
    # frames: the heatmap (uint8 class+confidence) and the current boundary change, redraw on
    f0, f5 = spec["frames"][0], spec["frames"][5]
    z0 = decode(f0["data"][0]["z"])
    assert z0.dtype == np.uint8 and z0.shape == grid.shape
    assert not np.array_equal(z0, decode(f5["data"][0]["z"]))
    assert f0["traces"][0] == 0 and spec["data"][f0["traces"][1]]["name"].endswith("boundary")
    assert len(f0["traces"]) == len(f0["data"])
    slider = lay["sliders"][0]
    assert len(slider["steps"]) == 6 and all(s["args"][1]["frame"]["redraw"] for s in slider["steps"])
    buttons = lay["updatemenus"][0]["buttons"]
    assert any(b["label"].endswith("Play") and b["args"][1]["frame"]["redraw"] for b in buttons)
    assert any("Pause" in b["label"] for b in buttons)
    assert len({b["args"][1]["frame"]["duration"] for b in buttons if b["args"][0] is None}) == 3  # speeds


def test_animation_metric_markers_follow_the_frames(grid, anim):
    spec = spec_of(anim(grid, 4))
    marker_traces = spec["frames"][0]["traces"][2:]
    assert len(marker_traces) == len(F.ANIMATION_METRICS) + 1  # + the loss panel
    xs = [spec["frames"][k]["data"][2]["x"][0] for k in range(4)]
    assert xs == [0, 1, 2, 3]
    # references drawn as flat lines at the retrain and original values
    ref_names = [t.get("name") for t in spec["data"]]
    assert ref_names.count("retrain") == len(F.ANIMATION_METRICS)
    assert ref_names.count("original") == len(F.ANIMATION_METRICS)


def test_animation_without_retrain_or_loss_and_limits(grid, anim):
    spec = spec_of(anim(grid, 3, retrain=False, losses=False))
    assert "retrained boundary" not in [t.get("name") for t in spec["data"]]
    with pytest.raises(ValueError):
        anim(grid, F.MAX_FRAMES + 1)


def test_animation_payload_is_small(grid, anim):
    g = Grid.around(np.array([[-2, -2], [2, 2]], np.float32), 100)
    fig = anim(g, 31)
    size = len(pio.to_json(fig, validate=False))
    assert size < 5_000_000
    assert size < 31 * 100 * 100 * 2  # far below a float64 heatmap per frame


def test_small_multiples_and_scores(grid, linear_probs):
    x, y = toy_points(classes=2)
    panels = [[{"title": t, "probs": linear_probs(grid, o), "scores": {"retain_acc": 0.91, "test_acc": 0.88}}
               for t, o in (("original", 0), ("JiT", 0.2), ("retrained", 0.3))]]
    fig = F.small_multiples(x, y, grid.xs, grid.ys, 2, [3], panels, original_probs=linear_probs(grid))
    spec = spec_of(fig)
    assert sum(t["type"] == "heatmap" for t in spec["data"]) == 3
    texts = [a["text"] for a in spec["layout"]["annotations"]]
    assert {"original", "JiT", "retrained"} <= set(texts)
    assert sum("retain acc 0.91" in t for t in texts) == 3
    two_rows = F.small_multiples(x, y, grid.xs, grid.ys, 2, [], panels * 2, row_titles=["a", "b"],
                                 rows_forget_ids=[[1], [2]])
    assert sum(t.type == "heatmap" for t in two_rows.data) == 6


def test_information_figure(grid):
    x, y = toy_points(classes=2)
    lip = np.abs(np.random.default_rng(0).normal(size=grid.shape)) + 0.1
    fig = F.information_figure(x, y, grid.xs, grid.ys, [0], lip, lip / 2, alpha=np.linspace(0, 1, len(x)))
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2 and heat[0].zmin == heat[1].zmin  # one shared colour scale
    plain = F.information_figure(x, y, grid.xs, grid.ys, [0], None, None, alpha=None)
    assert not [t for t in plain.data if t.type == "heatmap"]


def test_wrap_panels_chunks_rows():
    panels = [{"title": str(k)} for k in range(7)]
    rows = F.wrap_panels(panels, 4)
    assert [len(r) for r in rows] == [4, 3] and [p["title"] for r in rows for p in r] == [str(k) for k in range(7)]
    assert F.wrap_panels(panels[:3], 4) == [panels[:3]]
    with pytest.raises(ValueError):
        F.wrap_panels(panels, 0)
