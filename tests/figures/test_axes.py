"""Every figure builder of both pages: each axis that shows tick labels has a title (its own, or the subplot
title above it for a panel that names its quantity), and no category axis drops labels."""
import json

import numpy as np
import plotly.io as pio
import pytest

from explorer.figures import two_d as F
from explorer.figures.sweep import sweep_figure
from explorer.figures import one_d as F1
from explorer.views import image_analysis as A
from explorer.figures import images as IF
from explorer.measures.evaluation import Grid
from explorer.studies.sweep import SweepResult

RNG = np.random.default_rng(0)


def _probs(n, c):
    z = RNG.standard_normal((n, c))
    e = np.exp(z - z.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


def _two_d():
    x = RNG.uniform(-2, 2, (30, 2)).astype(np.float32)
    y = RNG.integers(0, 3, 30)
    return x, y, Grid.around(x, 20)


def editor():
    x, y, g = _two_d()
    return F.editor_figure(x, y, g.xs, g.ys, _probs(400, 3), 3, [1, 2], alpha=np.linspace(0, 1, 30))


def animation():
    x, y, g = _two_d()
    metrics = [{m: float(k) / 5 for m in F.ANIMATION_METRICS} for k in range(5)]
    return F.animation_figure(x, y, g.xs, g.ys, 3, [1], list(range(5)), [_probs(400, 3) for _ in range(5)], metrics,
                              _probs(400, 3), _probs(400, 3), {"retrain": metrics[-1], "original": metrics[0]},
                              losses=[1.0, 0.5, 0.3, 0.2, 0.1])


def small_multiples():
    x, y, g = _two_d()
    panels = [{"title": t, "probs": _probs(400, 3), "scores": {"forget_acc": 0.5, "test_acc": 0.9}}
              for t in ("original", "JiT", "retrained", "neggrad", "scrub")]
    return F.small_multiples(x, y, g.xs, g.ys, 3, [1], F.wrap_panels(panels, 4), original_probs=_probs(400, 3))


def information():
    x, y, g = _two_d()
    lip = RNG.uniform(0.1, 3, g.shape)
    return F.information_figure(x, y, g.xs, g.ys, [1], lip, lip / 2, np.linspace(0, 1, 30))


def sweep():
    m = {k: RNG.uniform(0, 1, (3, 4)) for k in ("retain_acc", "forget_acc", "test_acc", "avg_gap")}
    return sweep_figure(SweepResult(xs=[0.01, 0.1, 1.0, 10.0], ys=[1e-4, 1e-3, 1e-2], metrics=m, seconds=1.0),
                          metrics=tuple(m), title="sweep")


def _images():
    x = RNG.uniform(0, 1, (40, 64)).astype(np.float32)
    y = np.arange(40) % 10
    return x, y, [str(c) for c in range(10)]


def image_map():
    x, y, names = _images()
    return IF.map_figure(A.embed_2d(x, "pca"), y, names, [1, 2])


def plane():
    x, y, names = _images()
    p = A.boundary_plane(x, y, 0, resolution=12)
    steps = [_probs(144, 10) for _ in range(3)]
    return IF.plane_figure(p, steps, [0, 1, 2], _probs(144, 10), 10, names, y[list(p.anchor_ids)], title="plane")


def forget_probs():
    x, y, names = _images()
    return IF.forget_probs_figure(x[0], (1, 8, 8), [_probs(1, 10)[0] for _ in range(3)], [0, 1, 2],
                                  _probs(1, 10)[0], names, title="image")


def per_class():
    _, y, names = _images()
    return IF.per_class_figure({"original": RNG.uniform(0, 1, 10), "jit": RNG.uniform(0, 1, 10)}, names)


def confusion():
    _, y, names = _images()
    return IF.confusion_figure(y, RNG.integers(0, 10, 40), names)


def entropy():
    t = A.entropy_test(_probs(20, 10), _probs(20, 10), _probs(20, 10))
    return IF.entropy_figure(t, "JiT")


def metrics_lines():
    return IF.metrics_figure([0, 1, 2], {"retain_acc": [1, 0.9, 0.8], "forget_acc": [1, 0.5, 0.1]},
                             {"retrain": {"retain_acc": 0.95}, "original": {"retain_acc": 1.0}})


def change_1d():
    xs = np.linspace(-5, 5, 50)
    curve = 1 / (1 + np.exp(-xs))
    runs = [F1.CurveRun([curve, curve * 0.9], [float(x)], [[0.5], [0.45]]) for x in (-2.0, 2.0)]
    x = RNG.uniform(-5, 5, (20, 1)).astype(np.float32)
    return F1.change_figure(xs, curve, runs, [0, 5], forget_before=[0.12, 0.88], retrain=curve, x_train=x,
                            y_train=np.arange(20) % 2, forget_ids=[1])


def perturbation_1d():
    xs = np.linspace(-5, 5, 50)
    return F1.perturbation_figure(xs, 1 / (1 + np.exp(-xs)), 1.0, 0.73, [0.8, 1.2], [0.69, 0.77], 0.2)


def bars_1d():
    return F1.bars_figure(["original", "retrained", "JiT"], [1.0, 0.9, 0.8], "MIA", "model")


BUILDERS = [editor, animation, small_multiples, information, sweep, image_map, plane, forget_probs, per_class,
            confusion, entropy, metrics_lines, change_1d, perturbation_1d, bars_1d]


def _axes(layout):
    return {k: v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))}


def _shows_ticks(axis) -> bool:
    return axis.get("visible", True) is not False and axis.get("showticklabels", True) is not False


def _title(axis) -> str:
    t = axis.get("title")
    return (t.get("text") if isinstance(t, dict) else t) or ""


def _subplot_titled(layout, name, axis) -> bool:
    """A panel whose subplot title (an annotation centred over its x domain) names what it shows."""
    partner = layout.get(("yaxis" if name.startswith("x") else "xaxis") + name[5:], {})
    xdomain = (axis if name.startswith("x") else partner).get("domain", [0, 1])
    return any(a.get("xref") == "paper" and xdomain[0] <= a.get("x", -1) <= xdomain[1] and a.get("text")
               for a in layout.get("annotations", []))


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_every_shown_axis_is_titled_and_keeps_every_category(build):
    spec = json.loads(pio.to_json(build(), validate=False))
    layout = spec["layout"]
    for name, axis in _axes(layout).items():
        if not _shows_ticks(axis):
            continue
        assert _title(axis) or (name.startswith("y") and _subplot_titled(layout, name, axis)), (build.__name__, name)
        if axis.get("type") == "category":
            assert axis.get("dtick") == 1 or axis.get("tickmode") == "array", (build.__name__, name, "drops labels")
