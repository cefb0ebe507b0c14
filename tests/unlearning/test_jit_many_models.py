"""JiT on different models at once, each forgetting its own points (as the privacy audit's reference models do),
gives the models of the single runs."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from explorer.unlearning.jit_stack import jit_many
from explorer.unlearning import RunContext, run_method
from explorer.config.jit import JiTConfig


def _models(trained, k: int):
    """``k`` different models: the trained one with seeded changes of every weight."""
    gen = torch.Generator().manual_seed(7)
    models = []
    for j in range(k):
        model = copy.deepcopy(trained.model)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * j * torch.randn(p.shape, generator=gen))
        models.append(model)
    return models


@pytest.mark.parametrize("config", [
    JiTConfig(),  # the calibrated default: probabilities, the step guard on
    JiTConfig(max_step_change=0.0, eta=0.02, passes=4, batch_size=2),  # no guard, two batches per pass
    JiTConfig(output_space="logits", eta=0.001, passes=3, detach_perturbed=False, batch_size=1),
    JiTConfig(passes=3, clamp_to_batch_range=True, reduction="sum", accumulate_grads=True, batch_size=2,
              max_step_change=0.0, eta=0.005),
], ids=["default", "no-guard-batches", "logits-both-branches", "published-switches"])
def test_stacked_jit_gives_the_single_runs(small_moons, config):
    _, trained = small_moons
    data = trained.data
    forget = [[0, 5, 17], [2, 3, 60], [8, 9, 10]]  # each model its own three points, sorted as the run takes them
    models = _models(trained, len(forget))
    many = jit_many(models, np.stack([data.x_train[ids] for ids in forget]), config,
                     trained.device, seeds=3)
    for k, (model, ids) in enumerate(zip(models, forget)):
        single = run_method("jit", model, data, ids, config, RunContext(device=trained.device, seed=3))
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-5), (k, name)
        assert many.stopped[k] == single.trajectory.stopped


def test_stacked_jit_stops_a_diverging_model_alone(small_moons):
    _, trained = small_moons
    data = trained.data
    models = _models(trained, 2)
    with torch.no_grad():  # outputs that overflow: this model's loss is not finite from the first step
        models[1].net[-1].weight.mul_(1e38)
    config = JiTConfig(max_step_change=0.0, output_space="logits", passes=3)
    many = jit_many(models, np.stack([data.x_train[[1]], data.x_train[[2]]]), config,
                     trained.device, seeds=0)
    assert many.stopped[0] is None and many.stopped[1] is not None and "diverged" in many.stopped[1]
    single = run_method("jit", models[0], data, [1], config, RunContext(device=trained.device, seed=0))
    for name, p in single.model.named_parameters():
        assert torch.allclose(many.stack.params[name][0], p, atol=1e-5)
    assert all(torch.isfinite(v[1]).all() for v in many.stack.params.values())


def test_stacked_jit_refuses_points_that_do_not_match_the_stack(small_moons):
    _, trained = small_moons
    with pytest.raises(ValueError, match="points must be"):
        jit_many(_models(trained, 2), trained.data.x_train[:3], JiTConfig(), trained.device)


@pytest.mark.cuda
def test_stacked_jit_on_cuda(small_moons):
    _, trained = small_moons
    data, device = trained.data, torch.device("cuda")
    forget = [[0, 5], [2, 60]]
    models = _models(trained, 2)
    many = jit_many(models, np.stack([data.x_train[ids] for ids in forget]), JiTConfig(),
                     device, seeds=0)
    for k, (model, ids) in enumerate(zip(models, forget)):
        single = run_method("jit", model, data, ids, JiTConfig(), RunContext(device=device, seed=0))
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-4), (k, name)
