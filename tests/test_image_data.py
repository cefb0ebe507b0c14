"""The real image sets load offline, without unpickling, with sensible shapes and labels."""
import pickle
import socket
import urllib.request
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.config.model import ModelConfig
from explorer.config.training import default_train_config
from toy_data import DATASETS, default_spec, load_dataset
from toy_data.images import IMAGE_DATASETS


def test_both_image_sets_are_registered():
    assert {"digits", "faces"} <= set(DATASETS)
    assert set(IMAGE_DATASETS) == {"digits", "faces"}


def test_faces_shapes_labels_and_range():
    d = load_dataset(default_spec("faces"))
    assert d.image_shape == (1, 25, 25)
    assert d.x_train.shape == (150, 625) and d.x_test.shape == (50, 625)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.n_classes == 2 and d.class_names == ["non-face", "face"]
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    # stratified split: both classes equally represented in train and test
    assert np.bincount(d.y_train).tolist() == [75, 75]
    assert np.bincount(d.y_test).tolist() == [25, 25]


def test_faces_is_deterministic_and_seeded():
    a, b = load_dataset(default_spec("faces")), load_dataset(default_spec("faces"))
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_train, b.y_train)
    c = load_dataset(default_spec("faces", seed=1))
    assert not np.array_equal(a.x_train, c.x_train)
    small = load_dataset(default_spec("faces", samples=80))
    assert len(small.x_train) + len(small.x_test) == 80


def test_faces_labels_match_the_images():
    """lfw_subset's first 100 images are faces: a face's centre is not uniform texture. Check the
    label/image pairing survived the split by comparing with the raw array."""
    from toy_data.images import lfw_subset_array
    raw = lfw_subset_array().reshape(200, -1).astype(np.float32)
    d = load_dataset(default_spec("faces"))
    for row, label in zip(d.x_train[:20], d.y_train[:20]):
        idx = int(np.argmin(((raw - row) ** 2).sum(axis=1)))
        assert np.allclose(raw[idx], row)
        assert label == (1 if idx < 100 else 0)


def test_digits_still_loads():
    d = load_dataset(default_spec("digits"))
    assert d.image_shape == (1, 8, 8) and d.n_classes == 10 and d.x_train.shape[1] == 64


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def no_unpickling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("unpickling attempted")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def test_the_guard_really_blocks_the_network(no_network):
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("example.org", 80), timeout=1)


def test_datasets_load_without_network_or_pickle(no_network, no_unpickling):
    for name in IMAGE_DATASETS:
        d = load_dataset(default_spec(name))
        assert len(d.x_train) > 0


def test_full_digits_run_without_network(no_network):
    """Train, retrain, JiT and the image views, all with the network refused."""
    from explorer.views import images as views
    for name, forget in [("digits", ForgetSpec(forget_class=3))]:
        sc = default_scenario(name)
        sc = replace(sc, model=ModelConfig(kind="cnn", width=32), train=replace(default_train_config(True), epochs=5),
                     forget=forget, device="cpu")
        trained = pipeline.train_original(sc, device=torch.device("cpu"))
        ids = sc.forget.resolve(trained.data, 0)
        run = views.run(sc, trained, ids, resolution=12)
        figs = views.figures(run)
        assert "plane_0" in figs and run.outcome.models()["jit"]["metrics"]["retain_acc"] is not None
