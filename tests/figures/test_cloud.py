"""The pictures over K training seeds on constructed inputs: the 2D animation's boundary cloud (K boundaries per
kind, the method's moving with the frames), the metric bands, the points coloured by a per-point score, and the
1-D view's seed curves."""
import json

import numpy as np
import plotly.io as pio
import pytest

from explorer.figures import cloud as C
from explorer.figures import one_d as F1
from explorer.figures import two_d as F

K, STEPS = 3, 4


def spec_of(fig):
    return json.loads(pio.to_json(fig, validate=False))


def named(spec, prefix):
    return [t for t in spec["data"] if str(t.get("name", "")).startswith(prefix)]


@pytest.fixture
def cloud_fig(grid, linear_probs):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (30, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    steps = list(range(STEPS))
    method = [[linear_probs(grid, 0.1 * s + 0.05 * k) for s in steps] for k in range(K)]
    metrics = [[{"forget_acc": 1.0 - 0.2 * s - 0.05 * k, "test_acc": 0.9} for s in steps] for k in range(K)]
    refs = {"retrain": [{"forget_acc": 0.3 + 0.1 * k, "test_acc": 0.9} for k in range(K)],
            "original": [{"forget_acc": 1.0, "test_acc": 0.9} for _ in range(K)]}
    scores = np.linspace(0.0, 2.0, len(x))
    scores[5] = np.nan  # a point without a score is drawn, its hover says so
    cloud = C.Cloud([linear_probs(grid, 0.0)] * K, [linear_probs(grid, -0.3 + 0.1 * k) for k in range(K)], method,
                    metrics, refs, scores, "KLoM")

    def build(**kw):
        c = cloud if not kw else C.Cloud(**{**cloud.__dict__, **kw})
        return F.animation_figure(x, y, grid.xs, grid.ys, 2, [1, 2], steps, method[0], [m for m in metrics[0]],
                                  linear_probs(grid, 0.0), c.retrain[0], {"retrain": refs["retrain"][0]},
                                  metrics=("forget_acc", "test_acc"), cloud=c)
    return build, scores


def test_the_cloud_draws_k_boundaries_of_each_kind_and_moves_the_methods(cloud_fig):
    build, _ = cloud_fig
    spec = spec_of(build())
    originals, retrained, method = (named(spec, p) for p in ("original boundaries", "retrained boundaries", "JiT boundaries"))
    assert len(originals) == len(retrained) == len(method) == K
    assert all(t["line"]["dash"] == "dash" and t["line"]["width"] <= 1.5 for t in retrained)
    assert all(t["line"]["dash"] == "solid" and t["line"]["width"] <= 1.5 for t in method)
    assert all(t["opacity"] < 0.5 for t in originals) and all(t["opacity"] == 1 for t in retrained)
    assert sum(t["showlegend"] for t in method) == 1  # one legend entry per kind
    index = [spec["data"].index(t) for t in method]
    assert len(spec["frames"]) == STEPS
    for frame in spec["frames"]:
        assert set(index) <= set(frame["traces"])  # every seed's method boundary moves with the steps
    first, last = spec["frames"][0], spec["frames"][-1]
    pos = first["traces"].index(index[0])
    assert first["data"][pos]["x"] != last["data"][pos]["x"]


def test_final_only_method_boundaries_stand_still(cloud_fig, grid, linear_probs):
    build, _ = cloud_fig
    spec = spec_of(build(method=[[linear_probs(grid, 0.1 * k)] for k in range(K)]))
    method = named(spec, "JiT boundaries")
    assert len(method) == K and "final" in method[0]["name"]
    index = {spec["data"].index(t) for t in method}
    assert all(not index & set(f["traces"]) for f in spec["frames"])


def test_metric_panels_draw_bands_with_the_mean_line(cloud_fig):
    build, _ = cloud_fig
    spec = spec_of(build())
    bands = [t for t in spec["data"] if t.get("fill") == "toself"]
    # each of the two panels: the method's band and the two references' bands
    assert len(bands) == 2 * 3 and all(C.BAND in t["name"] for t in bands)
    method_band = next(t for t in bands if t["name"].startswith("JiT") and t["xaxis"] == "x2")
    from tests.figures.test_two_d import decode
    ys = decode(method_band["y"])
    # the band spans seed 2 (lowest) to seed 0 (highest) at every step: 1 - 0.2 s - 0.05 k
    assert np.allclose(ys[:STEPS], [1.0 - 0.2 * s for s in range(STEPS)])
    assert np.allclose(ys[STEPS:], [1.0 - 0.2 * s - 0.1 for s in reversed(range(STEPS))])
    means = [t for t in spec["data"] if "mean of 3 seeds" in str(t.get("name")) and t["xaxis"] == "x2"]
    assert {t["name"].split(" (")[0] for t in means} == {"JiT", "retrain", "original"}
    retrain_band = next(t for t in bands if t["name"].startswith("retrain") and t["xaxis"] == "x2")
    assert np.allclose(sorted(set(decode(retrain_band["y"]).round(6))), [0.3, 0.5])


def test_points_are_coloured_by_their_score_with_a_colorbar(cloud_fig):
    build, scores = cloud_fig
    spec = spec_of(build())
    points = named(spec, "training points")
    assert len(points) == 1 and "KLoM" in points[0]["name"]
    marker = points[0]["marker"]
    assert marker["showscale"] is True and "KLoM" in marker["colorbar"]["title"]["text"]
    from tests.figures.test_two_d import decode
    colors = decode(marker["color"])
    kept = [i for i in range(len(scores)) if i not in (1, 2)]
    assert np.allclose(colors, np.nan_to_num(scores[kept]))
    assert "KLoM —" in points[0]["text"][kept.index(5)] and "KLoM 0" in points[0]["text"][0]


def test_without_a_cloud_the_animation_is_unchanged(grid, linear_probs):
    x = np.zeros((4, 2), np.float32)
    y = np.array([0, 1, 0, 1])
    probs = [linear_probs(grid, 0.1 * s) for s in range(3)]
    spec = spec_of(F.animation_figure(x, y, grid.xs, grid.ys, 2, [0], [0, 1, 2], probs, [{"forget_acc": 1.0}] * 3,
                                      probs[0], probs[0], metrics=("forget_acc",)))
    assert [t.get("name") for t in spec["data"][:4]] == [None, "original boundary", "retrained boundary", "JiT boundary"]
    assert not any(t.get("fill") for t in spec["data"])
    assert spec["frames"][0]["traces"][:2] == [0, 3]


def test_the_line_view_draws_each_seeds_curve():
    xs = np.linspace(-1, 1, 11)
    curves = [1 / (1 + np.exp(-(xs - 0.1 * k))) for k in range(K)]
    run = F1.CurveRun([curves[0]] * 2, [0.0], [[0.5], [0.4]], "after JiT")
    fig = F1.change_figure(xs, curves[0], [run], [0, 1], forget_before=[0.5], retrain=curves[1],
                           seed_curves={"retrained (each seed)": (curves, "dash"), "after JiT (each seed)": (curves, "solid")})
    spec = spec_of(fig)
    assert len(named(spec, "retrained (each seed)")) == K and len(named(spec, "after JiT (each seed)")) == K
    moving = set(spec["frames"][0]["traces"])
    assert not moving & {spec["data"].index(t) for t in named(spec, "after JiT (each seed)")}
    assert spec["data"][min(moving)]["name"] == "after JiT"  # the animated run's traces are still the ones framed
