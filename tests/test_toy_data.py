import numpy as np
import pytest

from toy_data import dataset_names, default_spec, load_dataset
from toy_data.two_d import HIGH_INFO_TARGET, LOW_INFO_TARGET

TWO_D = ["moons", "circles", "blobs", "xor", "spiral", "two_blobs"]


@pytest.mark.parametrize("name", TWO_D + ["digits"])
def test_shapes_ids_and_split(name):
    spec = default_spec(name)
    data = load_dataset(spec)
    n_train, n_test = len(data.x_train), len(data.x_test)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.shape == (n_train, data.n_features) and data.y_train.shape == (n_train,)
    assert data.x_test.shape[1] == data.n_features and len(data.y_test) == n_test
    assert list(data.ids) == list(range(n_train))
    assert set(np.unique(data.y_train)) == set(range(data.n_classes))
    extra = len(data.named_points)
    assert n_test == pytest.approx(spec.test_fraction * (n_train - extra + n_test), abs=2)
    assert data.is_2d == (name != "digits")


@pytest.mark.parametrize("name", TWO_D + ["digits"])
def test_same_seed_same_data_other_seed_other_data(name):
    a, b = load_dataset(default_spec(name, seed=3)), load_dataset(default_spec(name, seed=3))
    c = load_dataset(default_spec(name, seed=4))
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", ["blobs", "spiral"])
@pytest.mark.parametrize("k", [2, 3, 5])
def test_class_count_is_a_parameter(name, k):
    data = load_dataset(default_spec(name, classes=k))
    assert data.n_classes == k and len(np.unique(data.y_train)) == k


def test_samples_and_noise_parameters_take_effect():
    small = load_dataset(default_spec("moons", samples=100))
    assert len(small.x_train) + len(small.x_test) == 100
    tight = load_dataset(default_spec("moons", noise=0.0, seed=1))
    loose = load_dataset(default_spec("moons", noise=0.5, seed=1))
    assert tight.x_train.std() < loose.x_train.std()


def test_two_blobs_has_the_figure_2_layout_and_named_targets():
    data = load_dataset(default_spec("two_blobs"))
    for cls, centre in enumerate([(-2.0, -1.7), (2.2, 2.0)]):
        pts = data.x_train[data.y_train == cls]
        assert 80 <= len(pts) <= 120  # ~100 training points per cluster
        np.testing.assert_allclose(pts.mean(axis=0), centre, atol=0.4)
        assert 0.7 < pts.std(axis=0).mean() < 1.3
    high, low = data.named_points["high_information_target"], data.named_points["low_information_target"]
    np.testing.assert_allclose(data.x_train[high], HIGH_INFO_TARGET)
    np.testing.assert_allclose(data.x_train[low], LOW_INFO_TARGET)
    assert data.y_train[high] == 1 and data.y_train[low] == 1
    assert data.nearest_train_id((1.25, 2.2)) == low and data.nearest_train_id((-0.5, -0.5)) == high


def test_digits_is_the_sklearn_set_scaled_to_unit_range():
    data = load_dataset(default_spec("digits"))
    assert data.image_shape == (1, 8, 8) and data.n_classes == 10
    assert len(data.x_train) + len(data.x_test) == 1797
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1


@pytest.mark.parametrize("bad, message", [
    (dict(name="nope"), "unknown dataset"), (dict(samples=5), "samples"), (dict(noise=-1), "noise"),
    (dict(classes=1), "classes"), (dict(test_fraction=0.99), "test_fraction"),
])
def test_bad_specs_are_refused_with_a_message(bad, message):
    from explorer.config.dataset import DatasetSpec
    with pytest.raises(ValueError, match=message):
        load_dataset(DatasetSpec(**bad))


def test_every_registered_dataset_is_listed():
    assert set(TWO_D + ["digits"]) <= set(dataset_names())


# ----------------------------------------------------------------------------------------------
# the 1-D family (the JiT paper's Figure 3 setting)

ONE_D = ["line", "line_gap", "line_interval"]


@pytest.mark.parametrize("name", ONE_D)
def test_one_d_datasets_are_lines_with_the_figure_3_points_named(name):
    from toy_data import toy_dataset_names
    from toy_data.one_d import FIGURE3_X, figure3_name

    data = load_dataset(default_spec(name))
    assert data.is_1d and not data.is_2d and data.n_features == 1 and data.n_classes == 2
    assert name in toy_dataset_names()
    assert set(np.unique(data.y_train)) == {0, 1}
    assert data.x_train.min() >= -6 and data.x_train.max() <= 6
    for x in FIGURE3_X:  # each forget position of Figure 3 is a training point at exactly that x
        assert data.x_train[data.named_points[figure3_name(x)], 0] == pytest.approx(x)
    a, b = load_dataset(default_spec(name, seed=2)), load_dataset(default_spec(name, seed=2))
    np.testing.assert_array_equal(a.x_train, b.x_train)


def test_line_labels_follow_a_sigmoid_of_x():
    data = load_dataset(default_spec("line", samples=2000))
    x, y = data.x_train[:, 0], data.y_train
    assert y[x < -3].mean() < 0.1 and y[x > 3].mean() > 0.9 and 0.3 < y[np.abs(x) < 0.5].mean() < 0.7
