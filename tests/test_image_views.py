"""Image views: the selectable map, thumbnails, the boundary plane, per-image probabilities,
per-class bars, confusion matrix, the entropy test, and the digits full-class JiT preset."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import image_views as V
from explorer import pipeline
from explorer.scenario import ForgetSpec, default_scenario
from explorer.unlearning import get_method


@pytest.fixture(scope="module")
def digits():
    sc = replace(default_scenario("digits"), device="cpu", presets={"jit": "digits-class"})
    return sc, pipeline.train_original(sc, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def digits_run(digits):
    sc, trained = digits
    ids = ForgetSpec(forget_class=3).resolve(trained.data, 0)
    return V.run_images(sc, trained, ids, resolution=24)


def test_embed_pca_and_tsne(digits):
    _, trained = digits
    x = trained.data.x_train[:120]
    a, b = V.embed_2d(x, "pca"), V.embed_2d(x, "pca")
    assert a.shape == (120, 2) and np.array_equal(a, b)
    t = V.embed_2d(x, "tsne")
    assert t.shape == (120, 2) and np.isfinite(t).all()
    f = V.penultimate_features(trained.model, x)
    assert f.shape == (120, 64)
    with pytest.raises(ValueError, match="pca or tsne"):
        V.embed_2d(x, "umap")


def test_map_is_one_selectable_trace_with_ids(digits):
    _, trained = digits
    d = trained.data
    coords = V.embed_2d(d.x_train, "pca")
    fig = V.map_figure(coords, d.y_train, d.class_names, forget_ids=[5, 9])
    selectable = [t for t in fig.data if t.customdata is not None]
    assert len(selectable) == 1
    trace = selectable[0]
    assert list(trace.customdata) == list(range(len(d.x_train)))
    assert trace.marker.symbol[5] == "x" and trace.marker.symbol[9] == "x" and trace.marker.symbol[0] == "circle"
    assert all(t.x == (None,) for t in fig.data if t is not trace)  # legend-only traces carry no points


def test_thumbnails_mosaic(digits):
    _, trained = digits
    d = trained.data
    m = V.mosaic(d.x_train[:7], d.image_shape, cols=3)
    assert m.shape == (3 * 9 - 1, 3 * 9 - 1)
    assert np.allclose(m[:8, :8], d.x_train[0].reshape(8, 8))
    assert np.isnan(m[8, 0]) and np.isnan(m[-1, -1])  # gap row and the empty last cell
    fig = V.thumbnails_figure(d.x_train, d.image_shape, [0, 1, 2], d.y_train, d.class_names)
    assert len(fig.layout.annotations) == 3


def test_plane_goes_through_the_three_images(digits):
    _, trained = digits
    d = trained.data
    i = int(np.flatnonzero(d.y_train == 3)[0])
    others = V.other_class_neighbours(d.x_train, d.y_train, i)
    assert len(others) == 2 and all(d.y_train[j] != 3 for j in others)
    assert d.y_train[others[0]] != d.y_train[others[1]]  # two different other classes
    plane = V.boundary_plane(d.x_train, d.y_train, i, resolution=20)
    for j, (a, b) in zip(plane.anchor_ids, plane.anchors_ab):
        assert np.allclose(plane.origin + a * plane.u + b * plane.v, d.x_train[j], atol=1e-4)
    assert plane.points.shape == (400, 64)
    assert abs(float(plane.u @ plane.v)) < 1e-5
    with pytest.raises(ValueError):
        V.boundary_plane(d.x_train, d.y_train, i, others=[i, others[0]])


def test_run_records_plane_and_image_probs_per_step(digits, digits_run):
    _, trained = digits
    run = digits_run
    n_steps = len(run.steps)
    assert n_steps >= 3 and run.steps[0] == 0
    assert len(run.shown_probs) == n_steps and run.shown_probs[0].shape == (len(run.shown_ids), 10)
    assert len(run.planes) == 2 and run.plane_probs[0][0].shape == (24 * 24, 10)
    # the plane's predicted classes move during unlearning
    first, last = run.plane_probs[0][0].argmax(1), run.plane_probs[0][-1].argmax(1)
    assert (first != last).mean() > 0.01
    # step 0 is the original model
    from explorer.models import predict_proba
    assert np.allclose(run.plane_probs[0][0], predict_proba(trained.model, run.planes[0].points), atol=1e-5)


def test_plane_figure_animates_with_fixed_axes(digits, digits_run):
    _, trained = digits
    figs = V.run_figures(digits_run, trained.data)
    fig = figs["plane_0"]
    assert 2 <= len(fig.frames) <= V.MAX_FRAMES
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    z0, zl = np.asarray(fig.frames[0].data[0].z), np.asarray(fig.frames[-1].data[0].z)
    assert not np.array_equal(z0, zl)
    play = fig.layout.updatemenus[0].buttons[0]
    assert play.label.endswith("Play") and play.args[1]["frame"]["redraw"] is True
    # the retrained model's boundary is overlaid as a dashed line
    assert any(t.line.dash == "dash" for t in fig.data if t.type == "scatter" and t.mode == "lines")
    probs = figs["probs_0"]
    assert len(probs.frames) == len(fig.frames)
    assert [t.type for t in probs.data] == ["heatmap", "bar", "bar"]
    for name in ("per_class", "confusion", "entropy", "metrics"):
        assert name in figs


def test_per_class_accuracy_and_confusion():
    y = np.array([0, 0, 1, 1, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 0]]
    assert np.allclose(V.per_class_accuracy(probs, y, 3), [0.5, 1.0, 0.0])
    cm = V.confusion(y, probs.argmax(1), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    fig = V.confusion_figure(y, probs.argmax(1), ["a", "b", "c"])
    assert np.asarray(fig.data[0].z).sum() == 5


def test_entropy_test_wilcoxon():
    rng = np.random.default_rng(0)
    confident = np.tile([0.98, 0.01, 0.01], (40, 1))
    unsure = rng.dirichlet([1, 1, 1], size=40)
    alike = np.clip(unsure + rng.normal(0, 0.01, unsure.shape), 1e-3, None)
    alike /= alike.sum(1, keepdims=True)
    t = V.entropy_test(confident, alike, unsure)
    assert t["p_original_vs_retrain"] < 1e-3
    assert t["p_unlearned_vs_retrain"] > 0.01
    assert t["mean"]["original"] < t["mean"]["retrain"]
    assert np.isnan(V.wilcoxon_p(unsure[:, 0], unsure[:, 0]))  # identical pairs: undefined, not an error
    fig = V.entropy_figure(t)
    assert len(fig.data) == 3 and "Wilcoxon" in fig.layout.title.text


def test_digits_class_preset_forgets_the_class_and_keeps_the_rest(digits, digits_run):
    """The issue's acceptance check: JiT's documented digits full-class preset drives forget
    accuracy far below the original's while retain accuracy stays within a few points of retrain's."""
    preset = get_method("jit").presets["digits-class"]
    assert preset.config.output_space == "probs" and "sweep" in preset.source
    m = digits_run.models
    original, retrain, jit = m["original"]["metrics"], m["retrain"]["metrics"], m["jit"]["metrics"]
    assert original["forget_acc"] > 0.95 and retrain["forget_acc"] < 0.05
    assert jit["forget_acc"] < 0.2 * original["forget_acc"]
    assert jit["retain_acc"] > retrain["retain_acc"] - 0.06
    assert "stopped" not in m["jit"]


def test_sweep_figure_shows_both_metrics():
    from types import SimpleNamespace
    sweep = SimpleNamespace(sigmas=[0.5, 1.0], etas=[0.1, 0.2, 0.3],
                            metrics={"retain_acc": np.full((3, 2), 0.9), "forget_acc": np.array([[1, 1], [0, 0.5], [0, 0]])})
    fig = V.sweep_figure(sweep)
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert np.asarray(fig.data[1].z).shape == (3, 2) and list(fig.data[0].x) == ["0.5", "1"]


def test_a_class_only_method_compared_on_random_images_is_refused_and_the_run_kept(digits):
    sc, trained = digits
    ids = ForgetSpec(random_fraction=0.02).resolve(trained.data, 0)
    run = V.run_images(replace(sc, presets={}), trained, ids, resolution=12, compare=("unsir", "neggrad"))
    assert "whole classes" in run.refused["unsir"]
    assert {"original", "retrain", "jit", "neggrad"} <= set(run.models) and "unsir" not in run.models
