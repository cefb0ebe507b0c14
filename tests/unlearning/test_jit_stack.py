"""JiT on K models at once gives the models and trajectories of K single runs: one model on K single-point
forget sets with one seed (the atlas), and K models (seeds) on one forget set, each with its own noise seed
(a many-seed run), recorded and measured per step as the single run records."""
from __future__ import annotations

import copy
import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.engine.models import build_model, logits
from explorer.config.model import ModelConfig
from explorer.measures.many import measure_many
from explorer.stages import ProbeEvaluator, seed_scenario
from explorer.unlearning import RunContext, run_method
from explorer.config.jit import JiTConfig
from explorer.unlearning.jit_stack import batchable, jit_many


@pytest.fixture(scope="module")
def small(small_moons):
    """The small moons original and those of training seeds 1 and 2."""
    scenario, trained = small_moons
    with torch_threads(1):
        others = [pipeline.train_original(seed_scenario(scenario, k), device=torch.device("cpu")) for k in (1, 2)]
    return scenario, trained, [trained, *others]


def grid_labels(model, trained):
    return logits(model, trained.eval_inputs).argmax(1).numpy()


@pytest.mark.parametrize("config", [
    JiTConfig(),  # the calibrated default: probabilities, the step guard on
    JiTConfig(max_step_change=0.0, eta=0.02, passes=5),  # no guard
    JiTConfig(output_space="logits", eta=0.001, passes=5, detach_perturbed=False),
    JiTConfig(passes=3, clamp_to_batch_range=True, reduction="sum"),
], ids=["default", "no-guard", "logits-both-branches", "clamped"])
def test_one_model_on_single_points_gives_the_single_runs(small, config):
    _, trained, _ = small
    ids = [0, 5, 17, 60]
    many = jit_many(trained.model, trained.data.x_train[ids], config, trained.device, seeds=3)
    labels = many.stack.labels(trained.eval_inputs)
    for k, i in enumerate(ids):
        single = run_method("jit", trained.model, trained.data, [i], config, RunContext(device=trained.device, seed=3))
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-5), (i, name)
        assert (labels[k] == grid_labels(single.model, trained)).all()
        assert many.stopped[k] == single.trajectory.stopped
        assert many.trajectories[k].steps == single.trajectory.steps


@pytest.mark.parametrize("config", [
    JiTConfig(passes=8),
    JiTConfig(passes=4, batch_size=2, accumulate_grads=True, max_step_change=0.0, eta=0.01),
    JiTConfig(passes=6, batch_size=3, output_space="logits", eta=0.001, max_step_change=0.02),
], ids=["default", "batches-accumulated", "logits-batches"])
def test_k_seeds_on_one_forget_set_give_the_single_runs_and_their_trajectories(small, config):
    """Model k: its own original (training seed k), its own noise seed; recorded at every other step with the
    grid probabilities, measured in one batched forward per step."""
    scenario, _, seeds = small
    ids = [3, 17, 42, 60, 88]
    data = seeds[0].data
    retrain, _, _ = pipeline.retrain_reference(scenario, seeds[0], ids)
    measurers = [ProbeEvaluator(pipeline.make_evaluator(scenario, t, ids, retrain), {"grid": pipeline.EVAL_INPUTS},
                                t) for t in seeds]

    def evaluate_many(stack, ks, with_probs):
        return measure_many([measurers[k] for k in ks], stack, with_probs)

    method_seeds = [7, 8, 9]
    many = jit_many([t.model for t in seeds], np.stack([data.x_train[ids]] * 3), config, seeds[0].device,
                    seeds=method_seeds, evaluate_many=evaluate_many, record_every=2, record_probs=True)
    for k, t in enumerate(seeds):
        ctx = RunContext(device=t.device, seed=method_seeds[k], evaluate=measurers[k], record_every=2,
                         record_probs=True)
        single = run_method("jit", t.model, data, ids, config, ctx)
        for name, p in single.model.named_parameters():
            assert torch.allclose(many.stack.params[name][k], p, atol=1e-5), (k, name)
        got, want = many.trajectories[k], single.trajectory
        assert got.steps == want.steps and got.stopped == want.stopped
        for a, b in zip(got.points, want.points):
            assert (a.loss is None and b.loss is None) or a.loss == pytest.approx(b.loss, rel=1e-4, abs=1e-6)
            for name, value in b.metrics.items():
                assert a.metrics[name] == pytest.approx(value, abs=1e-4, nan_ok=True), (k, a.step, name)
            assert (a.probs.argmax(1) == b.probs.argmax(1)).mean() >= 0.999
    # the seeds differ: different originals and noise give different models
    assert not torch.allclose(many.stack.params["net.0.weight"][0], many.stack.params["net.0.weight"][1])


@pytest.mark.parametrize("guard", [0.0, 0.05])
def test_a_diverging_run_stops_like_its_single_run_and_the_others_go_on(small, guard):
    _, trained, _ = small
    model = copy.deepcopy(trained.model)
    with torch.no_grad():  # outputs that overflow: the loss is not finite from the first step
        model.net[-1].weight.mul_(1e38)
    config = JiTConfig(max_step_change=guard, output_space="logits", passes=4)
    ids = [1, 2]
    many = jit_many([model, trained.model], trained.data.x_train[ids], config, trained.device, seeds=0)
    single = run_method("jit", model, trained.data, [1], config, RunContext(device=trained.device, seed=0))
    assert single.trajectory.stopped is not None
    assert many.stopped[0] is not None and many.stopped[0].split("(")[0] == single.trajectory.stopped.split("(")[0]
    for name, p in single.model.named_parameters():
        assert torch.allclose(many.stack.params[name][0], p, atol=1e-4, equal_nan=True)
    assert all(torch.isfinite(v[0]).all() for v in many.stack.params.values())
    healthy = run_method("jit", trained.model, trained.data, [2], config, RunContext(device=trained.device, seed=0))
    assert many.stopped[1] is None and many.trajectories[1].steps == healthy.trajectory.steps
    for name, p in healthy.model.named_parameters():
        assert torch.allclose(many.stack.params[name][1], p, atol=1e-5)


def test_train_mode_with_dropout_is_not_batched():
    net = build_model(ModelConfig(dropout=0.2), 2, 2, seed=0)
    assert batchable(net, JiTConfig(train_mode=True)) is not None
    assert batchable(net, JiTConfig()) is None


@pytest.mark.cuda
def test_jit_on_many_models_on_cuda(small):
    _, trained, _ = small
    device = torch.device("cuda")
    data = trained.data
    many = jit_many(trained.model.to(device), data.x_train[:3], JiTConfig(), device, seeds=0)
    for k in range(3):
        single = run_method("jit", trained.model, data, [k], JiTConfig(), RunContext(device=device, seed=0))
        assert (many.stack.labels(trained.eval_inputs)[k] == grid_labels(single.model, trained)).mean() >= 0.995
