"""Every baseline on a hand-made case: it moves in its documented direction, its presets load,
and it only ever sees the data its declaration allows."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from explorer.engine.models import predict_proba
from explorer.unlearning import (METHODS, DataAccess, RunContext, UndeclaredDataError, UnlearnData, get_method,
                                 run_method)
from explorer.unlearning import base as registry
from explorer.unlearning._common import cpu_generator, random_copy, random_wrong_labels

pytestmark = pytest.mark.usefixtures("one_torch_thread")
CPU = torch.device("cpu")
BASELINES = ["finetune", "neggrad", "neggrad_plus", "random_labels", "greedy", "ssd", "lf_ssd", "bad_teacher", "scrub"]
# Settings that make each effect visible on the hand-made three-class problem within a few dozen
# steps (the presets are sized for the explorer's scenarios; direction is what is tested here).
VISIBLE = {
    "finetune": dict(epochs=30),
    "neggrad": dict(lr=0.01),
    "neggrad_plus": dict(alpha=0.9),
    "random_labels": dict(epochs=10),
    "greedy": {},
    "ssd": dict(alpha=1.5),
    "lf_ssd": dict(alpha=1.5),
    "bad_teacher": {},
    "scrub": dict(msteps=10, lr=2e-3, lr_decay_epochs=()),
}


def _run(name, blobs3, **values):
    data, initial, model, forget_ids = blobs3
    config = get_method(name).config_from({**VISIBLE.get(name, {}), **values})
    return run_method(name, model, data, forget_ids, config, RunContext(device=CPU, seed=0, initial_model=initial))


def _run_past_the_limits(name, blobs3, **values):
    """The method's engine alone with settings past the declared limits (explorer/config/declare.py, which every entrance
    checks, so the ordinary path refuses them): how the engine itself behaves at the extreme."""
    import copy
    from dataclasses import replace
    from types import SimpleNamespace

    from explorer.unlearning.base import UnlearnData
    data, initial, model, forget_ids = blobs3
    spec = get_method(name)
    config = copy.copy(spec.config_from(VISIBLE.get(name) or None))
    with pytest.raises(ValueError, match="must be"):  # the config refuses them as it is built
        replace(config, **values)
    for field, value in values.items():  # set past the check, for the engine alone
        object.__setattr__(config, field, value)
    work = copy.deepcopy(model)
    trajectory = spec.fn(work, UnlearnData.restricted(spec.access, data, forget_ids), config,
                         RunContext(device=CPU, seed=0, initial_model=initial))
    return SimpleNamespace(model=work, trajectory=trajectory)


def _p_true(model, data, ids):
    p = predict_proba(model, data.x_train[ids])
    return float(p[np.arange(len(ids)), data.y_train[ids]].mean())


def _accuracy(model, x, y):
    return float((predict_proba(model, x).argmax(1) == y).mean())


def test_every_issue_method_is_registered():
    assert set(BASELINES) | {"jit", "retrain"} <= set(METHODS)


@pytest.mark.parametrize("name", BASELINES)
def test_each_method_lowers_confidence_on_the_forget_class_and_keeps_the_rest(name, blobs3):
    """The common direction: the true-class probability of the forgotten class falls; the methods
    that use retain data (or dampen selectively) keep the retain set learnt."""
    data, _, model, forget_ids = blobs3
    result = _run(name, blobs3)
    before, after = _p_true(model, data, forget_ids), _p_true(result.model, data, forget_ids)
    assert after < before - 0.1, f"{name}: p(true class) on the forget set {before:.3f} -> {after:.3f}"
    retain = np.setdiff1d(np.arange(len(data.y_train)), forget_ids)
    assert _accuracy(result.model, data.x_train[retain], data.y_train[retain]) >= 0.95
    assert result.trajectory.stopped is None
    assert len(result.trajectory) >= 2 and result.trajectory.points[0].step == 0


def test_neggrad_raises_the_forget_loss(blobs3):
    data, _, model, ids = blobs3
    x, y = torch.as_tensor(data.x_train[ids]), torch.as_tensor(data.y_train[ids])
    result = _run("neggrad", blobs3)
    with torch.no_grad():
        assert F.cross_entropy(result.model(x), y) > F.cross_entropy(model(x), y) + 1.0


def test_greedy_makes_the_model_predict_the_wrong_target(blobs3):
    data, _, model, ids = blobs3
    result = _run("greedy", blobs3)
    predicted = predict_proba(result.model, data.x_train[ids]).argmax(1)
    runner_up = predict_proba(model, data.x_train[ids])
    runner_up[:, 2] = -1
    assert (predicted == runner_up.argmax(1)).mean() >= 0.95  # every forget point now gets the wrong label


@pytest.mark.parametrize("name", ["ssd", "lf_ssd"])
def test_ssd_only_shrinks_weights(name, blobs3):
    _, _, model, _ = blobs3
    result = _run(name, blobs3)
    shrunk = 0
    for old, new in zip(model.parameters(), result.model.parameters()):
        assert torch.all(new.abs() <= old.abs() + 1e-7)
        assert torch.all((new == 0) | (torch.sign(new) == torch.sign(old)))
        shrunk += int((new.abs() < old.abs() - 1e-9).sum())
    assert shrunk > 0


def test_ssd_with_a_huge_selection_threshold_changes_nothing(blobs3):
    _, _, model, _ = blobs3
    result = _run_past_the_limits("ssd", blobs3, alpha=1e9)
    for old, new in zip(model.parameters(), result.model.parameters()):
        assert torch.equal(old, new)


def test_bad_teacher_moves_forget_outputs_toward_the_random_teacher(blobs3):
    data, _, model, ids = blobs3
    result = _run("bad_teacher", blobs3)
    bad = random_copy(model, 0 + 7, CPU)  # the incompetent teacher the method builds for seed 0
    x = torch.as_tensor(data.x_train[ids])
    with torch.no_grad():
        target = F.softmax(bad(x), 1)
        kl = lambda m: F.kl_div(F.log_softmax(m(x), 1), target, reduction="batchmean")  # noqa: E731
        assert kl(result.model) < kl(model)


def test_scrub_moves_away_from_the_teacher_on_the_forget_set_only(blobs3):
    data, _, model, ids = blobs3
    result = _run("scrub", blobs3)
    retain = np.setdiff1d(np.arange(len(data.y_train)), ids)

    def distance(rows):
        x = torch.as_tensor(data.x_train[rows])
        with torch.no_grad():
            return float(F.kl_div(F.log_softmax(result.model(x), 1), F.softmax(model(x), 1), reduction="batchmean"))
    assert distance(ids) > 5 * distance(retain)


def test_random_labels_are_always_wrong():
    y = np.array([0, 1, 2, 2, 1, 0] * 50)
    wrong = random_wrong_labels(y, 3, cpu_generator(0))
    assert (wrong != y).all() and set(np.unique(wrong)) == {0, 1, 2}
    assert (random_wrong_labels(y, 3, cpu_generator(0)) == wrong).all()


# ---- presets and validation ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_preset_loads_validates_and_names_its_source(name):
    spec = METHODS[name]
    assert spec.summary and spec.presets, f"{name} needs a summary and at least one preset"
    spec.config_from()  # the declared ranges, and the config's own validate() where it has one (a plugin's may not)
    for preset_name, preset in spec.presets.items():
        assert len(preset.source) > 10, f"{name}/{preset_name} has no source"
        config = spec.config_from(preset=preset_name)
        assert isinstance(config, spec.config_cls)
        assert dataclasses.is_dataclass(config)


@pytest.mark.parametrize("name", BASELINES)
def test_bad_settings_are_refused_with_a_message(name):
    spec = METHODS[name]
    names = {f.name for f in dataclasses.fields(spec.config_cls)}
    bad = next(k for k in ("lr", "alpha", "lam") if k in names)
    with pytest.raises(ValueError, match=name.split("_")[0] if name != "lf_ssd" else "ssd"):
        spec.config_from({bad: -1.0})
    with pytest.raises(ValueError, match="no setting"):
        spec.config_from({"not_a_setting": 1})


# ---- data access --------------------------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch):
    """Wrap every registered method so the views it is handed are recorded (the method still runs)."""
    seen: dict[str, UnlearnData] = {}
    for name, spec in list(METHODS.items()):
        def wrapped(model, data, config, ctx, _fn=spec.fn, _name=name):
            seen[_name] = data
            return _fn(model, data, config, ctx)
        monkeypatch.setitem(registry.METHODS, name, dataclasses.replace(spec, fn=wrapped))
    return seen


@pytest.mark.parametrize("name", sorted(set(BASELINES) | {"jit", "unsir", "emmn"}))
def test_a_method_is_handed_only_what_it_declares(name, blobs3, spy):
    data, initial, model, ids = blobs3
    settings = {f.name for f in dataclasses.fields(METHODS[name].config_cls)}
    short = {k: 1 for k in ("epochs", "passes", "steps", "msteps") if k in settings}
    run_method(name, model, data, ids, get_method(name).config_from(short),
               RunContext(device=CPU, initial_model=initial))
    view, access = spy[name], METHODS[name].access
    assert view.has("forget_x") == access.forget_inputs
    assert view.has("forget_y") == access.forget_labels
    assert view.has("retain_x") == access.retain and view.has("retain_y") == access.retain
    assert view.has("train_x") == access.full_train_stats
    for undeclared in (v for v in ("forget_x", "forget_y", "retain_x", "retain_y", "train_x", "train_y")
                       if not view.has(v)):
        with pytest.raises(UndeclaredDataError, match=f"{name} read .* without declaring it"):
            getattr(view, undeclared)
    if access.zero_shot:
        assert not (view.has("retain_x") or view.has("train_x") or view.has("train_y"))
    if access.class_level_only:
        assert view.forget_class == 2


def test_zero_shot_methods_include_jit_and_exclude_data_users():
    zero = {n for n in METHODS if METHODS[n].access.zero_shot}
    assert {"jit", "neggrad", "greedy"} <= zero
    assert not zero & {"retrain", "finetune", "neggrad_plus", "random_labels", "ssd", "lf_ssd", "bad_teacher", "scrub"}
    assert METHODS["lf_ssd"].access.forget_labels is False  # label-free
    assert METHODS["ssd"].access.full_train_stats and METHODS["lf_ssd"].access.full_train_stats


def test_a_registered_zero_shot_spy_never_receives_retain_data(blobs3, monkeypatch):
    data, _, model, ids = blobs3
    seen = []

    @dataclasses.dataclass(frozen=True)
    class Nothing:
        pass

    def spy_fn(model, view, config, ctx):
        seen.append(view)
        return registry.Recorder(model, ctx, 1).finish(0, 0)

    monkeypatch.setitem(registry.METHODS, "spy", registry.MethodSpec("spy", spy_fn, Nothing, DataAccess(), "spy"))
    run_method("spy", model, data, ids, Nothing(), RunContext(device=CPU))
    assert seen[0].forget_x is not None and len(seen[0].forget_x) == len(ids)
    assert not any(seen[0].has(v) for v in ("retain_x", "retain_y", "forget_y", "train_x", "train_y"))
    with pytest.raises(UndeclaredDataError, match=r"spy read retain data \(retain_x\) without declaring it"):
        seen[0].retain_x


def test_class_level_only_methods_refuse_a_random_forget_set(blobs3, monkeypatch):
    data, _, model, ids = blobs3

    @dataclasses.dataclass(frozen=True)
    class Nothing:
        pass

    spec = registry.MethodSpec("classy", lambda *a: None, Nothing, DataAccess(class_level_only=True), "spy")
    monkeypatch.setitem(registry.METHODS, "classy", spec)
    with pytest.raises(ValueError, match="whole classes"):
        run_method("classy", model, data, [0, 50], Nothing(), RunContext(device=CPU))


# ---- hygiene: seeds, no mutation, divergence ----------------------------------------------------


@pytest.mark.parametrize("name", BASELINES)
def test_same_seed_same_weights_and_inputs_untouched(name, blobs3):
    data, initial, model, ids = blobs3
    before_model = copy.deepcopy(model.state_dict())
    before_x = data.x_train.copy()
    config = get_method(name).config_from(VISIBLE[name])
    a = run_method(name, model, data, ids, config, RunContext(device=CPU, seed=3, initial_model=initial))
    b = run_method(name, model, data, ids, config, RunContext(device=CPU, seed=3, initial_model=initial))
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before_model[k])
    assert np.array_equal(data.x_train, before_x)


def test_a_diverging_ascent_is_rolled_back_with_a_reason(blobs3):
    result = _run_past_the_limits("neggrad", blobs3, lr=1e8, epochs=50)
    assert result.trajectory.stopped and "diverged" in result.trajectory.stopped
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


# ---- class-level noise methods (UNSIR, EMMN): on digits, forgetting one whole class ----------------


@pytest.fixture(scope="module")
def digits_class(single_thread):
    from dataclasses import replace

    from explorer import pipeline
    from explorer.config.scenario import ForgetSpec
    from explorer.scenarios import default_scenario

    scenario = replace(default_scenario("digits"), forget=ForgetSpec(forget_class=3))
    with single_thread(1):
        trained = pipeline.train_original(scenario, device=CPU)
    return trained, scenario.forget.resolve(trained.data, scenario.seed)


@pytest.mark.parametrize("name", ["unsir", "emmn"])
def test_noise_methods_lower_the_forget_class_and_refuse_random_sets(name, digits_class):
    trained, ids = digits_class
    data = trained.data
    result = run_method(name, trained.model, data, ids, None, RunContext(device=CPU))
    before, after = _p_true(trained.model, data, ids), _p_true(result.model, data, ids)
    assert after < before - 0.1, f"{name}: p(true class) on the forget class {before:.3f} -> {after:.3f}"
    retain = np.setdiff1d(np.arange(len(data.y_train)), ids)
    assert _accuracy(result.model, data.x_train[retain], data.y_train[retain]) > 0.5
    with pytest.raises(ValueError, match="whole classes"):
        run_method(name, trained.model, data, [0, 1, 2], None, RunContext(device=CPU))


def test_emmn_is_zero_shot_and_unsir_is_not():
    assert METHODS["emmn"].access.zero_shot and METHODS["emmn"].access.class_level_only
    assert not METHODS["unsir"].access.zero_shot and METHODS["unsir"].access.class_level_only


@pytest.mark.parametrize("name, preset", [(n, p) for n in sorted(METHODS) for p in METHODS[n].presets
                                          if n != "retrain"])
def test_every_preset_runs_to_a_finite_model(name, preset, blobs3):
    data, initial, model, ids = blobs3
    result = run_method(name, model, data, ids, METHODS[name].config_from(preset=preset),
                        RunContext(device=CPU, initial_model=initial))
    assert all(torch.isfinite(p).all() for p in result.model.parameters())
    assert len(result.trajectory) >= 1


@pytest.mark.cuda  # deselected by default (no GPU in CI); run with `pytest -m cuda` on a GPU machine
@pytest.mark.parametrize("name", sorted(set(BASELINES) | {"unsir", "emmn"}))
def test_every_baseline_runs_on_cuda_like_on_the_cpu(name, blobs3):
    assert torch.cuda.is_available(), "the cuda tests need a CUDA GPU"
    data, initial, model, ids = blobs3
    config = get_method(name).config_from(VISIBLE.get(name, {}))
    gpu = torch.device("cuda")
    on_gpu = run_method(name, model.to(CPU), data, ids, config, RunContext(device=gpu, initial_model=initial))
    on_cpu = run_method(name, model, data, ids, config, RunContext(device=CPU, initial_model=initial))
    assert next(on_gpu.model.parameters()).device.type == "cuda"
    gpu_p = _p_true(on_gpu.model.cpu(), data, ids)
    assert gpu_p == pytest.approx(_p_true(on_cpu.model, data, ids), abs=0.05)
