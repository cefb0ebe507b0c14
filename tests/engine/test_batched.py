"""Many models at once: the batched trainer gives the models one-by-one training gives (each on its own
mask, from its own initial weights)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.engine.batched import ModelStack, batchable, train_each, train_many
from explorer.engine.models import logits


@pytest.fixture(scope="module")
def small(small_moons):
    return small_moons


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


def test_batched_training_from_k_initial_models_gives_each_seeds_model(small):
    """Seed k of a many-seed run: its own initial weights (training seed + k), the same data."""
    scenario, trained = small
    data = trained.data
    initials = [pipeline.build_initial(replace(scenario, train=replace(scenario.train, seed=s)), data)
                for s in (0, 1, 2)]
    masks = np.ones((3, len(data.x_train)), dtype=bool)
    masks[:, 7] = False
    stack, histories = train_many(initials, data.x_train, data.y_train, masks, scenario.train, trained.device,
                                  seeds=[0, 1, 2])
    models, references = train_each(initials, data.x_train, data.y_train, masks, scenario.train, trained.device,
                                     seeds=[0, 1, 2])
    labels = stack.labels(trained.eval_inputs)
    for k in range(3):
        assert (labels[k] == grid_labels(models[k], trained)).mean() >= 0.995
        assert histories[k].epochs_run == references[k].epochs_run
    assert len({h.epochs_run for h in histories}) > 1  # different seeds, different models
    with pytest.raises(ValueError, match="initial models"):
        train_many(initials[:2], data.x_train, data.y_train, masks, scenario.train, trained.device)


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


def test_minibatch_training_falls_back_to_one_by_one_with_each_seeds_batch_order(small):
    scenario, trained = small
    data = trained.data
    config = replace(scenario.train, batch_size=32, epochs=5)
    assert "minibatch" in batchable(trained.initial, config)
    masks = np.ones((2, len(data.x_train)), dtype=bool)
    masks[1, 0] = False
    stack, _ = train_many(trained.initial, data.x_train, data.y_train, masks, config, trained.device, seeds=[0, 4])
    models, _ = train_each(trained.initial, data.x_train, data.y_train, masks, config, trained.device, seeds=[0, 4])
    for k in range(2):
        assert (stack.labels(trained.eval_inputs)[k] == grid_labels(models[k], trained)).all()
    other, _ = train_each(trained.initial, data.x_train, data.y_train, masks[1:], config, trained.device)
    assert not all(torch.equal(a, b) for a, b in zip(models[1].parameters(), other[0].parameters()))


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
