"""What is not a setting: the work budget (each method's registered cost), recording bounds, and every scenario
the explorer ships lying inside the declarations and the budget."""
from dataclasses import replace

import pytest

from explorer import pipeline
from explorer.config import limits
from explorer.config.model import ModelConfig
from explorer.config.scenario import Scenario, ScenarioError, default_scenario
from explorer.unlearning import METHODS
from toy_data import load_dataset


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


def test_each_method_registers_its_own_cost_and_a_method_without_one_gets_the_default():
    data = load_dataset(default_scenario("moons").dataset)
    for name, spec in METHODS.items():
        forwards, steps = spec.cost(spec.default_config(), len(data.x_train), 10, data.n_classes)
        assert forwards > 0 and steps >= 1, name
    assert METHODS["jit"].cost is not limits.default_cost and METHODS["retrain"].cost is limits.default_cost
    cfg = METHODS["jit"].default_config()
    assert METHODS["jit"].cost(cfg, 300, 10, 2)[0] == cfg.passes * 10 * (cfg.perturbations + 1) * 5
