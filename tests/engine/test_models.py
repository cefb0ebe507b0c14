"""Models: seeded initial weights, the shapes each kind accepts, outputs in eval mode without side effects."""
import numpy as np
import pytest
import torch

from explorer.engine.models import build_model, logits, predict_proba
from explorer.config.model import ModelConfig


def test_the_same_seed_gives_the_same_weights_and_another_seed_others():
    a, b, c = (build_model(ModelConfig(), 2, 3, seed=s) for s in (0, 0, 1))
    same = all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert same and not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_the_mlp_maps_inputs_to_class_scores(depth):
    model = build_model(ModelConfig(depth=depth, width=8), 2, 4)
    assert model(torch.zeros(5, 2)).shape == (5, 4)


def test_the_cnn_needs_an_image_shape_and_folds_flat_rows():
    with pytest.raises(ValueError, match="image dataset"):
        build_model(ModelConfig(kind="cnn"), 64, 10)
    model = build_model(ModelConfig(kind="cnn", channels=4, width=8), 64, 10, image_shape=(1, 8, 8))
    assert model(torch.zeros(3, 64)).shape == (3, 10)


def test_predictions_are_probabilities_and_leave_the_mode_alone():
    model = build_model(ModelConfig(dropout=0.5), 2, 3)
    model.train()
    x = np.random.default_rng(0).standard_normal((7, 2)).astype(np.float32)
    p = predict_proba(model, x)
    assert p.shape == (7, 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert torch.equal(logits(model, x), logits(model, x))  # eval mode: dropout off, so deterministic
    assert model.training
