"""Figures of the images page (arrays in, Plotly out): the selectable map, thumbnails, the animated
plane, per-image probabilities, the confusion matrix and the entropy histograms."""
import numpy as np
import pytest

from explorer.views import image_analysis as A
from explorer.figures import images as F
from toy_data import default_spec, load_dataset


@pytest.fixture(scope="module")
def data():
    return load_dataset(default_spec("digits"))


def test_map_is_one_selectable_trace_with_ids(data):
    d = data
    coords = A.embed_2d(d.x_train, "pca")
    fig = F.map_figure(coords, d.y_train, d.class_names, forget_ids=[5, 9])
    selectable = [t for t in fig.data if t.customdata is not None]
    assert len(selectable) == 1
    trace = selectable[0]
    assert list(trace.customdata) == list(range(len(d.x_train)))
    assert trace.marker.symbol[5] == "x" and trace.marker.symbol[9] == "x" and trace.marker.symbol[0] == "circle"
    assert all(t.x == (None,) for t in fig.data if t is not trace)  # legend-only traces carry no points


def test_thumbnails_caption_each_image(data):
    d = data
    fig = F.thumbnails_figure(d.x_train, d.image_shape, [0, 1, 2], d.y_train, d.class_names)
    assert len(fig.layout.annotations) == 3
    assert np.allclose(np.asarray(fig.data[0].z, float)[:8, :8], d.x_train[0].reshape(8, 8))
    empty = F.thumbnails_figure(d.x_train, d.image_shape, [], d.y_train, d.class_names)
    assert not empty.data and empty.layout.annotations[0].text == "no images chosen"


def test_plane_figure_keeps_at_most_max_frames_on_fixed_axes(data):
    d = data
    i = int(np.flatnonzero(d.y_train == 3)[0])
    plane = A.boundary_plane(d.x_train, d.y_train, i, resolution=10)
    rng = np.random.default_rng(0)
    steps = list(range(F.MAX_FRAMES + 25))
    probs = [rng.dirichlet(np.ones(10), size=100).astype(np.float32) for _ in steps]
    fig = F.plane_figure(plane, probs, steps, probs[-1], 10, d.class_names, d.y_train[list(plane.anchor_ids)])
    assert len(fig.frames) == F.MAX_FRAMES
    assert fig.layout.sliders[0].steps[0].label == "0" and fig.layout.sliders[0].steps[-1].label == str(steps[-1])
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    bars = F.forget_probs_figure(d.x_train[i], d.image_shape, [p[0] for p in probs], steps, probs[-1][0],
                                 d.class_names)
    assert len(bars.frames) == F.MAX_FRAMES and [t.type for t in bars.data] == ["heatmap", "bar", "bar"]


def test_confusion_figure_counts_every_test_image():
    y = np.array([0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0])
    fig = F.confusion_figure(y, pred, ["a", "b", "c"])
    assert np.asarray(fig.data[0].z).sum() == 5
    assert np.asarray(fig.data[0].z).tolist() == A.confusion(y, pred, 3).tolist()


def test_entropy_figure_shows_three_histograms_and_the_wilcoxon_p():
    rng = np.random.default_rng(0)
    unsure = rng.dirichlet([1, 1, 1], size=40)
    t = A.entropy_test(np.tile([0.98, 0.01, 0.01], (40, 1)), unsure, unsure)  # unlearned == retrain: p n/a
    fig = F.entropy_figure(t)
    assert len(fig.data) == 3 and "Wilcoxon" in fig.layout.title.text and "n/a" in fig.layout.title.text
