import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.evaluation import Evaluator, Grid, local_lipschitz
from explorer.metrics import METRIC_NAMES
from explorer.scenario import ForgetSpec


def test_grid_is_row_major_and_covers_the_data():
    x = np.array([[0, 0], [2, 1]], dtype=np.float32)
    grid = Grid.around(x, resolution=5, margin=0.1)
    assert grid.shape == (5, 5) and grid.points.shape == (25, 2)
    assert grid.xs[0] < 0 and grid.xs[-1] > 2 and grid.ys[0] < 0 and grid.ys[-1] > 1
    np.testing.assert_allclose(grid.points[1], [grid.xs[1], grid.ys[0]])
    np.testing.assert_allclose(grid.points[5], [grid.xs[0], grid.ys[1]])


def test_original_and_retrain_reference_values(moons_trained):
    scenario, trained = moons_trained
    ids = ForgetSpec(ids=(3, 17, 42)).resolve(trained.data)
    retrain, _, _ = pipeline.retrain_reference(scenario, trained, ids)
    ev = Evaluator(trained.data, ids, trained.eval_inputs, trained.model, retrain, torch.device("cpu"))
    original, probs = ev.evaluate(trained.model, with_probs=True)
    assert set(original) == set(METRIC_NAMES)
    assert original["boundary_change"] == 0.0 and original["retain_acc"] > 0.95
    assert probs.shape == (100 * 100, 2) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    reference, _ = ev.evaluate(retrain)
    assert reference["agreement_with_retrain"] == 1.0 and reference["js_to_retrain"] == pytest.approx(0, abs=1e-6)
    assert all(0 <= reference[k] <= 1 for k in ("retain_acc", "forget_acc", "test_acc", "mia"))


def test_local_lipschitz_is_larger_near_the_boundary(two_blobs_trained):
    _, trained = two_blobs_trained
    centre = np.array([[2.2, 2.0]], dtype=np.float32)  # deep inside class 1
    gap = np.array([[0.2, 0.2]], dtype=np.float32)  # between the clusters
    inside = local_lipschitz(trained.model, centre, sigma=0.3)[0]
    boundary = local_lipschitz(trained.model, gap, sigma=0.3)[0]
    assert boundary > 10 * inside
