"""The JiT engine: loss equal to a plain loop, every published-code switch, recording, rollback."""
import copy
import re
from dataclasses import replace

import numpy as np

import pytest
import torch
from torch import nn

from explorer.bench import reference_loop_loss
from explorer.engine.models import build_model
from explorer.config.model import ModelConfig
from explorer.unlearning import RunContext, run_method
from explorer.unlearning.jit import guarded_step, jit_loss
from explorer.config.jit import JiTConfig
from explorer.unlearning.jit import outputs as probabilities
from toy_data import default_spec, load_dataset

CPU = torch.device("cpu")


def plain_loop_loss(model, x, noise, config):
    """Per sample, per perturbation, scalar by scalar: the formula as written."""
    total = 0.0
    space = (lambda z: torch.softmax(z, -1)) if config.output_space == "probs" else (lambda z: z)
    lo, hi = x.min(), x.max()
    per_sample = []
    for i in range(x.shape[0]):
        terms = []
        for n in range(noise.shape[0]):
            xt = x[i] + config.sigma * noise[n, i]
            if config.clamp_to_batch_range:
                xt = xt.clamp(lo, hi)
            fx = space(model(x[i:i + 1]))[0]
            ft = space(model(xt[None]))[0]
            terms.append(torch.linalg.norm(fx - ft) / torch.linalg.norm(x[i] - xt))
        per_sample.append(torch.stack(terms).mean())
    total = torch.stack(per_sample)
    return total.sum() if config.reduction == "sum" else total.mean()


@pytest.fixture
def setup():
    model = build_model(ModelConfig(width=16), 2, 3, seed=0)
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(1))
    noise = torch.randn(5, 7, 2, generator=torch.Generator().manual_seed(2))
    return model, x, noise


@pytest.mark.parametrize("space", ["logits", "probs"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("clamp", [False, True])
@pytest.mark.parametrize("detach", [True, False])
def test_loss_equals_a_plain_loop_on_identical_noise(setup, space, reduction, clamp, detach):
    model, x, noise = setup
    cfg = JiTConfig(sigma=0.3, output_space=space, reduction=reduction, clamp_to_batch_range=clamp,
                    detach_perturbed=detach)
    assert jit_loss(model, x, noise, cfg).item() == pytest.approx(plain_loop_loss(model, x, noise, cfg).item(), rel=1e-5)


def test_loss_and_gradient_equal_the_published_loop_structure(setup):
    model, x, noise = setup
    cfg = JiTConfig(sigma=0.3, output_space="logits", reduction="sum", clamp_to_batch_range=True)
    ours, theirs = jit_loss(model, x, noise, cfg), reference_loop_loss(model, x, noise, cfg)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    g1 = torch.autograd.grad(ours, list(model.parameters()))
    g2 = torch.autograd.grad(theirs, list(model.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)  # summation order differs with the thread count


class CountingMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = build_model(ModelConfig(width=8), 2, 2, seed=0)
        self.batch_sizes = []

    def forward(self, x):
        self.batch_sizes.append(x.shape[0])
        return self.net(x)


@pytest.mark.parametrize("detach, expected", [(True, [4, 10 * 4]), (False, [11 * 4])])
def test_all_perturbations_go_through_the_network_in_one_forward(detach, expected):
    model = CountingMLP()
    x, noise = torch.randn(4, 2), torch.randn(10, 4, 2)
    jit_loss(model, x, noise, JiTConfig(detach_perturbed=detach))
    assert model.batch_sizes == expected


def test_detaching_the_perturbed_branch_changes_the_gradient(setup):
    model, x, noise = setup
    grads = []
    for detach in (True, False):
        loss = jit_loss(model, x, noise, JiTConfig(sigma=0.3, detach_perturbed=detach, output_space="logits"))
        grads.append(torch.autograd.grad(loss, list(model.parameters()))[0])
    assert not torch.allclose(grads[0], grads[1])


def test_clamping_keeps_perturbed_inputs_inside_the_batch_range():
    from explorer.unlearning.jit import perturb
    x = torch.rand(6, 4)
    xt = perturb(x, torch.randn(9, 6, 4) * 10, JiTConfig(sigma=1.0, clamp_to_batch_range=True))
    assert xt.min() >= x.min() and xt.max() <= x.max()
    free = perturb(x, torch.randn(9, 6, 4) * 10, JiTConfig(sigma=1.0))
    assert free.min() < x.min() and free.max() > x.max()


def test_sum_is_batch_size_times_mean(setup):
    model, x, noise = setup
    s = jit_loss(model, x, noise, JiTConfig(reduction="sum"))
    m = jit_loss(model, x, noise, JiTConfig(reduction="mean"))
    assert s.item() == pytest.approx(m.item() * x.shape[0], rel=1e-6)


@pytest.fixture(scope="module")
def moons():
    return load_dataset(default_spec("moons", samples=200))


def _run(model, data, ids, cfg, **ctx):
    return run_method("jit", model, data, ids, cfg, RunContext(device=CPU, **ctx))


def past_the_limits(config, **values):
    """``config`` with ``values`` past their declared limits: set after it was built and checked (a config refuses
    them when it is built), to see what the engine alone does at the extreme."""
    out = copy.copy(config)
    for name, value in values.items():
        object.__setattr__(out, name, value)
    return out


def _run_past_the_limits(model, data, ids, cfg):
    """The engine alone, past the declared limits (η ≤ 10, explorer/config/jit.py, which every entrance checks):
    its rollback must hold whatever the step."""
    import copy
    from types import SimpleNamespace

    from explorer.unlearning.base import UnlearnData, get_method
    spec, work = get_method("jit"), copy.deepcopy(model)
    trajectory = spec.fn(work, UnlearnData.restricted(spec.access, data, ids), cfg, RunContext(device=CPU))
    return SimpleNamespace(model=work, trajectory=trajectory)


def test_accumulated_gradients_differ_from_zeroed_ones_only_with_several_batches(moons):
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    ids = list(range(12))
    base = JiTConfig(passes=1, batch_size=4, output_space="logits", eta=0.01)
    zeroed = _run(model, moons, ids, base).model
    accumulated = _run(model, moons, ids, replace(base, accumulate_grads=True)).model
    diff = max(float((a - b).detach().abs().max()) for a, b in zip(zeroed.parameters(), accumulated.parameters()))
    assert diff > 1e-4
    one_batch = replace(base, batch_size=12)
    a = _run(model, moons, ids, one_batch).model
    b = _run(model, moons, ids, replace(one_batch, accumulate_grads=True)).model
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_train_mode_switch_reaches_the_model(moons):
    model = build_model(ModelConfig(width=16, dropout=0.5), 2, 2, seed=0)
    seen = []
    model.net[0].register_forward_hook(lambda m, i, o: seen.append(m.training))
    _run(model, moons, [0, 1], JiTConfig(passes=1, train_mode=True))
    assert True in seen
    seen.clear()
    _run(model, moons, [0, 1], JiTConfig(passes=1, train_mode=False))
    # During the JiT steps the model is in eval mode (evaluation is always in eval mode).
    assert seen and not any(seen)


def test_the_given_model_is_never_mutated_and_a_new_one_is_returned(moons):
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    result = _run(model, moons, [0, 5], JiTConfig(eta=0.5, passes=3))
    assert result.model is not model
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before, result.model.parameters()))


def test_trajectory_records_every_kth_step_with_metrics_and_probs(moons):
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    evaluate = lambda m, with_probs: ({"mean_logit": m(torch.zeros(1, 2)).mean().item()},
                                      np.zeros((3, 2), np.float32) if with_probs else None)
    result = _run(model, moons, list(range(10)), JiTConfig(passes=7, batch_size=5), evaluate=evaluate,
                  record_every=3, record_probs=True)
    traj = result.trajectory
    assert traj.steps == [0, 3, 6, 9, 12, 14]  # 14 steps (7 passes x 2 batches), every 3rd, plus the last
    assert all("mean_logit" in p.metrics and p.probs.shape == (3, 2) for p in traj.points)
    assert [p.epoch for p in traj.points][-1] == 7 and traj.stopped is None
    assert traj.points[1].loss is not None and np.isfinite(traj.points[1].loss)


def test_divergence_stops_the_run_and_keeps_the_last_good_weights(moons):
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    with pytest.raises(ValueError, match="jit.eta"):  # every entrance refuses it: the config itself, as it is built
        JiTConfig(eta=1e38, passes=5, output_space="logits")
    cfg = past_the_limits(JiTConfig(passes=5, output_space="logits"), eta=1e38)
    result = _run_past_the_limits(model, moons, [0, 1, 2], cfg)
    assert result.trajectory.stopped and "diverged" in result.trajectory.stopped
    assert all(torch.isfinite(p).all() for p in result.model.parameters())
    assert len(result.trajectory) <= 3


def test_same_seed_same_result_other_seed_other_result(moons):
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    cfg = JiTConfig(passes=2, eta=0.1)
    a = _run(model, moons, [0, 1], cfg, seed=1).model
    b = _run(model, moons, [0, 1], cfg, seed=1).model
    c = _run(model, moons, [0, 1], cfg, seed=2).model
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert any(not torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize("bad, message", [
    (dict(sigma=0), "jit.sigma must be > 0 and <= 10, got 0"), (dict(eta=0), "jit.eta must be > 0"),
    (dict(perturbations=0), "jit.perturbations must be between 1 and 1000"), (dict(passes=0), "jit.passes"),
    (dict(output_space="bits"), "jit.output_space must be one of logits, probs, got 'bits'"),
    (dict(reduction="max"), "jit.reduction"), (dict(max_step_change=-0.1), "jit.max_step_change must be between 0"),
    (dict(max_step_change=1e3), "jit.max_step_change"),
    (dict(max_step_change=float("nan")), "jit.max_step_change must be a finite number, got nan"),
])
def test_bad_configs_are_refused_as_they_are_built(bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        JiTConfig(**bad)


def test_presets_load_and_published_turns_every_switch_on():
    from explorer.unlearning import get_method
    spec = get_method("jit")
    for name in spec.presets:
        spec.config_from(preset=name)
    published = spec.config_from(preset="published")
    assert (published.detach_perturbed, published.clamp_to_batch_range, published.accumulate_grads,
            published.reduction, published.train_mode, published.output_space) == (True, True, True, "sum", True, "logits")
    default = spec.default_config()
    assert (default.clamp_to_batch_range, default.accumulate_grads, default.train_mode) == (False, False, False)


def test_jit_is_zero_shot_and_sees_only_forget_inputs():
    from explorer.unlearning import UnlearnData, get_method
    access = get_method("jit").access
    assert access.zero_shot and not access.forget_labels
    data = load_dataset(default_spec("moons", samples=100))
    views = UnlearnData.restricted(access, data, [1, 2], "jit")
    assert views.forget_x.shape == (2, 2)
    assert not (views.has("forget_y") or views.has("retain_x") or views.has("train_x"))


def test_a_perturbation_clamped_back_onto_its_sample_adds_nothing_instead_of_dividing_by_zero():
    model = build_model(ModelConfig(width=8), 2, 2, seed=0)
    x = torch.tensor([[-0.5, -0.5]])  # one 2D point: the batch range is that single value
    loss = jit_loss(model, x, torch.randn(6, 1, 2), JiTConfig(clamp_to_batch_range=True))
    assert loss.item() == 0.0
    two = torch.tensor([[-0.5, -0.5], [0.5, 0.5]])
    assert torch.isfinite(jit_loss(model, two, torch.randn(6, 2, 2), JiTConfig(clamp_to_batch_range=True)))


def test_published_preset_runs_on_a_single_2d_point(moons):
    from explorer.unlearning import get_method
    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    result = _run(model, moons, [7], get_method("jit").config_from(preset="published"))
    assert result.trajectory.stopped is None


def test_outputs_that_overflow_with_finite_weights_roll_back_like_divergence(moons):
    from explorer.measures.evaluation import NonFiniteOutputs
    calls = []

    def evaluate(model, with_probs):
        calls.append(1)
        if len(calls) == 4:  # the record after step 3
            raise NonFiniteOutputs("the model's outputs are not finite")
        return {"calls": float(len(calls))}, None

    model = build_model(ModelConfig(width=16), 2, 2, seed=0)
    result = _run(model, moons, [0, 1], JiTConfig(passes=6), evaluate=evaluate)
    traj = result.trajectory
    assert traj.stopped and "outputs are not finite" in traj.stopped and "step 3" in traj.stopped
    assert traj.steps == [0, 1, 2]
    two = _run(model, moons, [0, 1], JiTConfig(passes=2)).model  # the same run stopped after 2 steps
    assert all(torch.equal(a, b) for a, b in zip(result.model.parameters(), two.parameters()))


# ---- the step guard (the explorer's own addition) --------------------------------------------------

def _guard_probe(model, x, noise, config):
    """The inputs the guard watches: the forget inputs and their perturbations, as jit() builds them."""
    from explorer.unlearning.jit import perturb
    return torch.cat([x, perturb(x, noise, config).reshape(-1, x.shape[1])])


def test_the_guard_is_off_by_default_in_the_published_presets():
    from explorer.unlearning import get_method
    spec = get_method("jit")
    for name, preset in spec.presets.items():
        if name == "published" or name.startswith("paper-") or name.startswith("notebook-"):
            assert preset.config.max_step_change == 0, name


def test_a_guarded_step_changes_no_watched_probability_by_more_than_the_limit(moons):
    """One step on a steep, overfit model: unguarded it moves the watched probabilities far; guarded, by at
    most the limit (and by more than nothing: the guard shortens the step, it does not cancel it)."""
    from explorer.engine.training import train
    from explorer.config.training import TrainConfig
    from explorer.unlearning.jit import outputs as probabilities
    initial = build_model(ModelConfig(width=32), 2, 2, seed=0)
    model, _ = train(initial, moons.x_train, moons.y_train, TrainConfig(epochs=600, lr=0.01), CPU)
    from explorer.engine.models import predict_proba
    from explorer.config.selection import boundary_point
    from explorer.unlearning.jit import noise_generator
    ids = boundary_point(moons, predict_proba(model, moons.x_train))
    x = torch.as_tensor(moons.x_train[ids])
    noise = torch.randn((25, *x.shape), generator=noise_generator(CPU, 0))  # the run's first draw (seed 0)
    changes = {}
    for limit in (0.0, 0.05):
        cfg = JiTConfig(passes=1, eta=0.5, sigma=0.2, max_step_change=limit)
        after = _run(model, moons, ids, cfg).model
        probe = _guard_probe(model, x, noise, cfg)
        changes[limit] = float((probabilities(after, probe) - probabilities(model, probe)).abs().max())
    assert changes[0.0] > 0.2  # the plain step is a jump
    assert 0 < changes[0.05] <= 0.05 + 1e-6


def test_the_guard_keeps_a_step_already_inside_the_limit_and_shortens_a_long_one():
    model = build_model(ModelConfig(width=8), 2, 2, seed=0)
    probe = torch.randn(10, 2, generator=torch.Generator().manual_seed(0))
    params = list(model.parameters())
    probs = probabilities(model, probe)

    def nudge(by):
        def step():
            for p in params:
                p.add_(by)
        return step

    measure = lambda: probabilities(model, probe)  # noqa: E731
    assert float(guarded_step(nudge(1e-4), params, measure, limit=0.5)) == 1.0
    before = probabilities(model, probe)
    kept = float(guarded_step(nudge(5.0), params, measure, limit=0.01))
    assert 0 < kept < 1
    assert float((probabilities(model, probe) - before).abs().max()) <= 0.01 + 1e-6
    assert float((probabilities(model, probe) - probs).abs().max()) > 0


def test_the_guard_acts_per_model_on_a_leading_model_axis():
    """With a leading model axis each model's step is shortened on its own: a model whose step is small keeps
    all of it while its neighbour's long step is shortened, and an unusable step is undone for that model only."""
    w = torch.zeros(3, 4)
    target = torch.tensor([[1e-4] * 4, [1.0] * 4, [float("inf")] * 4])

    def step():
        w.add_(target)

    kept = guarded_step(step, [w], lambda: w * 1.0, limit=0.1, model_dims=1)
    assert kept.shape == (3,)
    assert float(kept[0]) == 1.0 and torch.allclose(w[0], target[0])
    assert 0 < float(kept[1]) < 1 and float(w[1].abs().max()) <= 0.1 + 1e-9
    assert float(kept[2]) == 0 and torch.equal(w[2], torch.zeros(4))


def test_in_logit_space_the_guard_watches_logits_and_stops_the_blow_up(moons_trained):
    """A saturated softmax hides logits growing without bound: a guard on probabilities let this logit-space
    run diverge at step 20 (loss 1e13, test accuracy 0.50); watching the logits, it ends intact."""
    scenario, trained = moons_trained
    ids = [3, 17, 42]
    base = JiTConfig(sigma=0.1, eta=0.05, output_space="logits", passes=30)
    guarded = _run(trained.model, trained.data, ids, replace(base, max_step_change=0.05))
    assert guarded.trajectory.stopped is None and len(guarded.trajectory) == 31
    accuracy = float((guarded.model(torch.as_tensor(trained.data.x_test)).argmax(1).numpy()
                      == trained.data.y_test).mean())
    assert accuracy > 0.9


def test_a_step_the_guard_cannot_shorten_enough_stops_the_run_with_a_message(moons_trained):
    """At a huge η the outputs overflow: the guard undoes the step and says so, instead of silently
    keeping a zero-length step (or an overflowing one)."""
    from explorer.engine.models import predict_proba
    from explorer.config.selection import boundary_point
    _, trained = moons_trained
    ids = boundary_point(trained.data, predict_proba(trained.model, trained.data.x_train))
    cfg = past_the_limits(JiTConfig(output_space="logits", passes=3, max_step_change=0.05), eta=1e30)
    result = _run_past_the_limits(trained.model, trained.data, ids, cfg)
    assert result.trajectory.stopped is not None and "step guard" in result.trajectory.stopped
    assert all(torch.isfinite(p).all() for p in result.model.parameters())
