import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.measures.evaluation import Evaluator, Grid, local_lipschitz
from explorer.measures.metrics import METRIC_NAMES
from explorer.config.scenario import ForgetSpec


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
    assert list(original) == METRIC_NAMES  # every registered metric, in the registry's order
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


# ---- the paper's D_f / D_r columns --------------------------------------------------------------

CENTRES = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=np.float32)


def _blobs(per_class=30, seed=0):
    from toy_data import Dataset

    rng = np.random.default_rng(seed)
    x = np.concatenate([c + 0.5 * rng.standard_normal((per_class, 2)) for c in CENTRES]).astype(np.float32)
    y = np.repeat(np.arange(3), per_class)
    xt = np.concatenate([c + 0.5 * rng.standard_normal((10, 2)) for c in CENTRES]).astype(np.float32)
    yt = np.repeat(np.arange(3), 10)
    xt[20:24] = CENTRES[0]  # four class-2 test images that sit in class 0's blob: a nearest-centre model misses them
    return Dataset("blobs", x, y, xt, yt, n_classes=3)


def _nearest_centre_model():
    """logits_k = 2x·c_k − ‖c_k‖² = −‖x − c_k‖² + ‖x‖²: predicts the nearest centre."""
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(2 * CENTRES))
        model.bias.copy_(torch.as_tensor(-(CENTRES ** 2).sum(1)))
    return model


def _paper_metrics(data, ids, seed=0):
    model = _nearest_centre_model()
    ev = Evaluator(data, ids, data.x_test, model, None, torch.device("cpu"), seed=seed)
    return ev, ev.evaluate(model)[0]


def test_a_whole_class_is_scored_on_its_test_images_as_in_the_papers_full_class_tables():
    data = _blobs()
    ev, m = _paper_metrics(data, np.flatnonzero(data.y_train == 2))
    assert ev.paper.kind == "class" and "full class" in ev.paper.describe()
    assert m["forget_acc"] == 1.0  # the training images of class 2 are all recognised
    assert m["paper_forget_acc"] == pytest.approx(6 / 10)  # but 4 of its 10 test images are not
    assert m["paper_retain_acc"] == 1.0  # classes 0 and 1 on the test set
    assert m["test_acc"] == pytest.approx(26 / 30)


def test_any_other_forget_set_is_scored_as_the_papers_random_forgetting():
    data = _blobs()
    ids = [0, 1, 31, 65]  # three classes
    ev, m = _paper_metrics(data, ids)
    assert ev.paper.kind == "random" and ev.paper.forget_test is None
    assert m["paper_forget_acc"] == m["forget_acc"] == 1.0  # the forgotten training points themselves
    assert m["paper_retain_acc"] == m["test_acc"]  # the whole test set
    assert _paper_metrics(data, [60, 61, 62])[0].paper.kind == "random"  # part of one class, not a sub-class


def test_a_subclass_is_scored_on_the_test_images_nearest_its_centre():

    data = _blobs()
    ids = data.subclass_ids(2, 0, seed=0)
    ev, m = _paper_metrics(data, ids)
    assert ev.paper.kind == "subclass"
    mask = ev.paper.forget_test
    assert mask.sum() >= 1 and (data.y_test[mask] == 2).all()
    assert (ev.paper.retain_test == ~mask).all()
    centre = data.x_train[ids].mean(0)
    others = [data.x_train[data.subclass_ids(2, k, seed=0)].mean(0) for k in (1, 2)]
    for x in data.x_test[mask]:
        assert all(np.linalg.norm(x - centre) <= np.linalg.norm(x - o) for o in others)
    assert 0 <= m["paper_forget_acc"] <= 1 and m["forget_acc"] == 1.0


def test_evaluate_is_the_registry_over_one_outputs_record():
    from explorer.measures import metrics as M

    data = _blobs()
    model = _nearest_centre_model()
    ev = Evaluator(data, [0, 1, 31], data.x_test, model, None, torch.device("cpu"))
    o = ev.outputs(model)
    assert o.retain.shape == (87, 3) and o.forget.shape == (3, 3) and o.eval.shape == (30, 3)
    assert o.retrain_eval_labels is None and o.retrain_forget is None and o.paper is ev.paper
    assert o.noisy_space.shape[1:] == (3, 3) and o.noisy_inputs.shape[1:] == (3, 2)
    values, probs = ev.evaluate(model)
    assert probs is None
    np.testing.assert_equal(values, M.compute_metrics(o))
