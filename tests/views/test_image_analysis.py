"""Image analysis (arrays in, arrays out): penultimate features, the 2D map's projection, the thumbnail
mosaic, the boundary plane through three images, per-class accuracy, the confusion matrix and the
paper's entropy test."""
from dataclasses import replace

import numpy as np
import pytest

from explorer.views import image_analysis as A
from explorer import pipeline
from explorer.scenarios import default_scenario


@pytest.fixture(scope="module")
def digits():
    """The digits data and the page's (untrained) CNN: the maths here does not need a trained model."""
    sc = replace(default_scenario("digits"), device="cpu")
    data = pipeline.load_data(sc)
    return data, pipeline.build_initial(sc, data)


def test_embed_pca_and_tsne(digits):
    data, model = digits
    x = data.x_train[:120]
    a, b = A.embed_2d(x, "pca"), A.embed_2d(x, "pca")
    assert a.shape == (120, 2) and np.array_equal(a, b)
    t = A.embed_2d(x, "tsne")
    assert t.shape == (120, 2) and np.isfinite(t).all()
    f = A.penultimate_features(model, x)
    assert f.shape == (120, 64)
    with pytest.raises(ValueError, match="pca or tsne"):
        A.embed_2d(x, "umap")


def test_mosaic_tiles_images_with_nan_gaps(digits):
    data, _ = digits
    m = A.mosaic(data.x_train[:7], data.image_shape, cols=3)
    assert m.shape == (3 * 9 - 1, 3 * 9 - 1)
    assert np.allclose(m[:8, :8], data.x_train[0].reshape(8, 8))
    assert np.isnan(m[8, 0]) and np.isnan(m[-1, -1])  # gap row and the empty last cell


def test_plane_goes_through_the_three_images(digits):
    d, _ = digits
    i = int(np.flatnonzero(d.y_train == 3)[0])
    others = A.other_class_neighbours(d.x_train, d.y_train, i)
    assert len(others) == 2 and all(d.y_train[j] != 3 for j in others)
    assert d.y_train[others[0]] != d.y_train[others[1]]  # two different other classes
    plane = A.boundary_plane(d.x_train, d.y_train, i, resolution=20)
    assert plane.anchor_ids[0] == i
    for j, (a, b) in zip(plane.anchor_ids, plane.anchors_ab):
        assert np.allclose(plane.origin + a * plane.u + b * plane.v, d.x_train[j], atol=1e-4)
    assert plane.points.shape == (400, 64)
    assert abs(float(plane.u @ plane.v)) < 1e-5
    with pytest.raises(ValueError):
        A.boundary_plane(d.x_train, d.y_train, i, others=[i, others[0]])


def test_per_class_accuracy_and_confusion():
    y = np.array([0, 0, 1, 1, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 0]]
    assert np.allclose(A.per_class_accuracy(probs, y, 3), [0.5, 1.0, 0.0])
    assert np.isnan(A.per_class_accuracy(probs[:4], y[:4], 3)[2])  # a class with no test images
    cm = A.confusion(y, probs.argmax(1), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]


def test_entropy_test_wilcoxon():
    rng = np.random.default_rng(0)
    confident = np.tile([0.98, 0.01, 0.01], (40, 1))
    unsure = rng.dirichlet([1, 1, 1], size=40)
    alike = np.clip(unsure + rng.normal(0, 0.01, unsure.shape), 1e-3, None)
    alike /= alike.sum(1, keepdims=True)
    t = A.entropy_test(confident, alike, unsure)
    assert t["p_original_vs_retrain"] < 1e-3
    assert t["p_unlearned_vs_retrain"] > 0.01
    assert t["mean"]["original"] < t["mean"]["retrain"]
    assert set(t["entropy"]) == {"original", "unlearned", "retrain"} and len(t["entropy"]["original"]) == 40
    assert np.isnan(A.wilcoxon_p(unsure[:, 0], unsure[:, 0]))  # identical pairs: undefined, not an error
