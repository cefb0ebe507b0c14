"""Many models at once: the batched trainer gives the models one-by-one training gives (each on its own
mask), and batched single-point JiT gives the models of single JiT runs."""
from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.engine.batched import ModelStack, batchable, jit_many, train_each, train_many
from explorer.engine.models import logits
from explorer.config.scenario import default_scenario
from explorer.unlearning import RunContext, run_method
from explorer.config.jit import JiTConfig


@pytest.fixture(scope="module")
def small():
    scenario = default_scenario("moons", samples=120)
    with torch.random.fork_rng():
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            trained = pipeline.train_original(scenario, device=torch.device("cpu"))
        finally:
            torch.set_num_threads(before)
    return scenario, trained


def grid_labels(model, trained):
    return logits(model, trained.eval_inputs).argmax(1).numpy()


def test_batched_training_gives_the_one_by_one_models(small):
    scenario, trained = small
    data = trained.data
    n = len(data.x_train)
    rng = np.random.default_rng(0)
    masks = np.ones((5, n), dtype=bool)
    masks[0, 3] = masks[1, 40] = False  # two leave-one-out masks (one stack) ...
    masks[2, rng.choice(n, 10, replace=False)] = False  # ... and masks of other sizes (stacks of their own)
    masks[3, data.y_train == 0] = False
    progress = []
    stack, histories = train_many(trained.initial, data.x_train, data.y_train, masks, scenario.train,
                                  trained.device, progress=lambda *a: progress.append(a))
    models, references = train_each(trained.initial, data.x_train, data.y_train, masks, scenario.train, trained.device)
    batched_labels = stack.labels(trained.eval_inputs)
    for k, (model, reference) in enumerate(zip(models, references)):
        agreement = (batched_labels[k] == grid_labels(model, trained)).mean()
        assert agreement >= 0.995, (k, agreement)
        assert histories[k].epochs_run == reference.epochs_run
        assert histories[k].converged == reference.converged
        assert histories[k].train_acc == pytest.approx(reference.train_acc)
        assert (grid_labels(stack.model(k), trained) == batched_labels[k]).all()
    assert progress and progress[-1][0] == len(masks)


def test_the_caller_model_is_untouched_and_bad_masks_are_refused(small):
    scenario, trained = small
    before = [p.detach().clone() for p in trained.initial.parameters()]
    data = trained.data
    with pytest.raises(ValueError, match="shape"):
        train_many(trained.initial, data.x_train, data.y_train, np.ones((2, 3), bool), scenario.train, trained.device)
    with pytest.raises(ValueError, match="empty"):
        train_many(trained.initial, data.x_train, data.y_train, np.zeros((1, len(data.x_train)), bool),
                   scenario.train, trained.device)
    train_many(trained.initial, data.x_train, data.y_train, np.ones((1, len(data.x_train)), bool),
               replace(scenario.train, epochs=3), trained.device)
    assert all(torch.equal(a, b) for a, b in zip(before, trained.initial.parameters()))


def test_minibatch_training_falls_back_to_one_by_one(small):
    scenario, trained = small
    data = trained.data
    config = replace(scenario.train, batch_size=32, epochs=5)
    assert "minibatch" in batchable(trained.initial, config)
    masks = np.ones((2, len(data.x_train)), dtype=bool)
    masks[1, 0] = False
    stack, _ = train_many(trained.initial, data.x_train, data.y_train, masks, config, trained.device)
    models, _ = train_each(trained.initial, data.x_train, data.y_train, masks, config, trained.device)
    for k in range(2):
        assert (stack.labels(trained.eval_inputs)[k] == grid_labels(models[k], trained)).all()


@pytest.mark.parametrize("config", [
    JiTConfig(),  # the calibrated default: probabilities, the step guard on
    JiTConfig(max_step_change=0.0, eta=0.02, passes=5),  # no guard
    JiTConfig(output_space="logits", eta=0.001, passes=5, detach_perturbed=False),
    JiTConfig(passes=3, clamp_to_batch_range=True, reduction="sum"),
], ids=["default", "no-guard", "logits-both-branches", "clamped"])
def test_batched_jit_gives_the_single_runs(small, config):
    scenario, trained = small
    ids = [0, 5, 17, 60]
    many = jit_many(trained.model, trained.data.x_train[ids], config, trained.device, seed=3)
    labels = many.stack.labels(trained.eval_inputs)
    for k, i in enumerate(ids):
        single = run_method("jit", trained.model, trained.data, [i], config, RunContext(device=trained.device, seed=3))
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-5), (i, name)
        assert (labels[k] == grid_labels(single.model, trained)).all()
        assert many.stopped[k] == single.trajectory.stopped


@pytest.mark.parametrize("guard", [0.0, 0.05])
def test_batched_jit_stops_a_diverging_run_like_the_single_run(small, guard):
    scenario, trained = small
    model = copy.deepcopy(trained.model)
    with torch.no_grad():  # outputs that overflow: the loss is not finite from the first step
        model.net[-1].weight.mul_(1e38)
    config = JiTConfig(max_step_change=guard, output_space="logits", passes=4)
    ids = [1, 2]
    many = jit_many(model, trained.data.x_train[ids], config, trained.device, seed=0)
    for k, i in enumerate(ids):
        single = run_method("jit", model, trained.data, [i], config, RunContext(device=trained.device, seed=0))
        assert single.trajectory.stopped is not None
        assert many.stopped[k] is not None and many.stopped[k].split("(")[0] == single.trajectory.stopped.split("(")[0]
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-4, equal_nan=True)
        assert all(torch.isfinite(v[k]).all() for v in many.stack.params.values())


def test_a_stack_round_trips_models(small):
    _, trained = small
    stack = ModelStack.of([trained.model, trained.initial])
    assert len(stack) == 2
    assert (stack.labels(trained.eval_inputs)[0] == grid_labels(trained.model, trained)).all()
    assert (grid_labels(stack.models()[1], trained) == grid_labels(trained.initial, trained)).all()


@pytest.mark.cuda
def test_batched_trainer_and_jit_on_cuda(small):
    scenario, trained = small
    device = torch.device("cuda")
    data = trained.data
    masks = np.ones((3, len(data.x_train)), dtype=bool)
    masks[np.arange(3), [0, 1, 2]] = False
    stack, _ = train_many(trained.initial, data.x_train, data.y_train, masks, scenario.train, device)
    models, _ = train_each(trained.initial, data.x_train, data.y_train, masks, scenario.train, device)
    labels = stack.labels(trained.eval_inputs)
    for k in range(3):
        assert (labels[k] == grid_labels(models[k], trained)).mean() >= 0.995
    many = jit_many(trained.model.to(device), data.x_train[:3], JiTConfig(), device, seed=0)
    for k in range(3):
        single = run_method("jit", trained.model, data, [k], JiTConfig(), RunContext(device=device, seed=0))
        assert (many.stack.labels(trained.eval_inputs)[k] == grid_labels(single.model, trained)).mean() >= 0.995
