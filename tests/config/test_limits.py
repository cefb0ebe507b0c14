"""One declaration per setting (type, range, unit), clamping with a notice, and the work budget."""
from dataclasses import replace

import pytest

from explorer.config import declare, limits
from explorer import pipeline
from explorer.config.model import ModelConfig
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.config.training import TrainConfig
from explorer.unlearning import METHODS
from toy_data import load_dataset
from explorer.config.dataset import DatasetSpec


@pytest.mark.parametrize("prefix, cls", [("dataset", DatasetSpec), ("model", ModelConfig), ("train", TrainConfig),
                                         *[(name, spec.config_cls) for name, spec in METHODS.items()]])
def test_every_setting_of_every_config_is_declared(prefix, cls):
    # a dataset's edits and data file are objects with checks of their own (config/edits.py, config/datafile.py)
    skip = {"name", "edits", "file"} if prefix == "dataset" else set()
    assert [f for f in declare.undeclared(prefix, cls) if f not in skip] == []


def test_every_default_and_every_preset_lies_inside_its_declaration():
    for prefix, obj in (("dataset", DatasetSpec()), ("model", ModelConfig()), ("train", TrainConfig())):
        declare.check_fields(prefix, obj)
    for name, spec in METHODS.items():
        declare.check_fields(name, spec.default_config())
        for preset in spec.presets.values():
            declare.check_fields(name, preset.config)


@pytest.mark.parametrize("path, value, message", [
    ("jit.passes", 10**9, "between 1 and 10000"), ("jit.perturbations", 10**7, "between 1 and 1000"),
    ("jit.sigma", float("inf"), "finite"), ("jit.sigma", 1e308, "<= 10"), ("jit.eta", 0.0, "> 0"),
    ("train.weight_decay", float("nan"), "finite"), ("jit.passes", 1.5, "whole number"),
    ("jit.passes", True, "whole number"), ("train.patience", 0, "between 1"), ("jit.train_mode", 1, "true or false"),
    ("model.kind", "rnn", "one of mlp, cnn"), ("scrub.lr_decay_epochs", ("a",), "number"),
    ("unsir.noise_steps", 10**6, "between 1 and 1000"), ("emmn.noise_copies", 10**6, "between 1 and 1000"),
])
def test_check_names_the_setting_the_value_and_the_limit(path, value, message):
    with pytest.raises(ValueError, match=message) as err:
        declare.check(path, value)
    assert path in str(err.value) and "\n" not in str(err.value)


def test_clamp_moves_a_number_to_its_limit_with_the_checkers_line_and_what_it_used():
    assert declare.clamp("train.epochs", 50000) == (20000, "train.epochs must be between 1 and 20000 epochs, got "
                                                          "50000; using 20000.")
    value, note = declare.clamp("dataset.samples", 5)
    assert value == 20 and note == "dataset.samples must be between 20 and 20000 points, got 5; using 20."
    assert declare.clamp("model.width", 64) == (64, None)
    with pytest.raises(ValueError):  # an open bound has nothing to clamp to
        declare.clamp("train.lr", 0.0)


def test_widget_bounds_come_from_the_declarations():
    assert declare.bounds("dataset.samples") == (20, limits.MAX_SAMPLES)
    lo, hi = declare.bounds("train.lr")
    assert 0 < lo < 1e-4 and hi == 10.0


def test_recorded_evaluations_stay_bounded_however_many_steps():
    assert limits.recorded_evaluations(30) == 32
    assert limits.recorded_evaluations(10**9) < 20 * limits.MAX_RECORDED_POINTS


def _data(scenario):
    return load_dataset(scenario.dataset)


def test_the_default_runs_fit_the_budget_and_an_oversized_one_is_refused_before_any_work():
    scenario = replace(default_scenario("moons"), compare=("finetune", "scrub", "neggrad"))
    data = _data(scenario)
    assert pipeline.work(scenario, data, 30).total < limits.WORK_BUDGET / 4
    digits = default_scenario("digits")
    assert pipeline.work(digits, _data(digits), 180).total < limits.WORK_BUDGET
    huge = replace(scenario, grid_resolution=400, configs={"jit": {"passes": 10000, "perturbations": 1000}})
    with pytest.raises(ScenarioError, match="work budget"):
        pipeline.resolve_forget(huge, data, list(range(200)))
    big_model = replace(scenario, model=ModelConfig(depth=8, width=1024), train=replace(scenario.train, epochs=20000),
                        dataset=replace(scenario.dataset, samples=20000))
    with pytest.raises(ScenarioError, match="training"):
        pipeline.train_original(big_model)


def test_every_out_of_range_setting_is_refused_in_one_line_as_the_config_is_built_or_validated():
    base = default_scenario("moons")
    for build in (lambda: replace(base, grid_resolution=1000), lambda: replace(base, record_every=0),
                  lambda: replace(base.train, patience=0), lambda: replace(base.model, width=10**6)):
        with pytest.raises(ScenarioError) as err:  # the one checker, when the config is built
            build()
        assert "\n" not in str(err.value)
    for bad in (replace(base, configs={"jit": {"passes": 10**9}}),  # method settings: checked with their method
                replace(base, configs={"unsir": {"noise_steps": 10**6}}, compare=("unsir",))):
        with pytest.raises(ScenarioError) as err:
            pipeline.validate(bad)
        assert "\n" not in str(err.value)


def test_a_scenario_dict_round_trips_inside_the_limits():
    s = default_scenario("moons")
    assert Scenario.from_dict(s.to_dict()) == s


def test_every_lesson_scenario_lies_inside_the_limits_and_the_budget():
    from explorer import lessons

    for key in lessons.SCENARIOS:
        scenario = lessons.scenario(key)
        pipeline.validate(scenario)
        data = _data(scenario)
        assert pipeline.work(scenario, data, max(1, len(data.x_train) // 10)).total < limits.WORK_BUDGET, key
