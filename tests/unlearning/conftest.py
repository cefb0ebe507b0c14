"""A hand-made three-class problem, small enough to train in well under a second."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.engine.device import torch_threads
from explorer.engine.models import build_model
from explorer.config.model import ModelConfig
from explorer.engine.training import train
from explorer.config.training import TrainConfig
from toy_data import Dataset

CENTRES = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=np.float32)


def three_blobs(per_class: int = 40, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + 0.7 * rng.standard_normal((per_class, 2)) for c in CENTRES]).astype(np.float32)
    y = np.repeat(np.arange(3), per_class).astype(np.int64)
    xt = np.concatenate([c + 0.7 * rng.standard_normal((per_class // 2, 2)) for c in CENTRES]).astype(np.float32)
    yt = np.repeat(np.arange(3), per_class // 2).astype(np.int64)
    return Dataset("three_blobs", x, y, xt, yt, n_classes=3)


@pytest.fixture(scope="session")
def single_thread():
    """The :func:`torch_threads` context manager, for fixtures in the test modules."""
    return torch_threads


@pytest.fixture(scope="module")
def one_torch_thread():
    with torch_threads(1):
        yield


@pytest.fixture(scope="session")
def blobs3():
    """(data, initial model, trained model, forget ids = all of class 2). Training stops at loss 0.05,
    so the model is confident but not saturated and every method has a gradient to work with."""
    data = three_blobs()
    initial = build_model(ModelConfig(width=32), 2, 3, seed=0)
    with torch_threads(1):
        model, history = train(initial, data.x_train, data.y_train,
                               TrainConfig(epochs=400, lr=0.01, patience=50, target_loss=0.05), torch.device("cpu"))
    assert history.train_acc == 1.0
    forget_ids = np.flatnonzero(data.y_train == 2).tolist()
    return data, initial, model, forget_ids
