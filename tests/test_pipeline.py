"""The pipeline's shared pieces: the evaluator every method is measured with."""
from dataclasses import replace

import pytest

from explorer import pipeline
from explorer.scenario import ScenarioError


def _original_lipschitz(scenario, trained):
    evaluator = pipeline.make_evaluator(scenario, trained, [3, 17], retrain=None)
    return evaluator.evaluate(trained.model)[0]["forget_lipschitz"]


def test_the_lipschitz_probe_is_the_scenarios_not_jits(moons_trained):
    """Tuning JiT must not change a metric of every method: the probe has its own σ and output space."""
    scenario, trained = moons_trained
    base = _original_lipschitz(scenario, trained)
    assert _original_lipschitz(replace(scenario, configs={"jit": {"sigma": 0.9}}), trained) == base
    assert _original_lipschitz(replace(scenario, presets={"jit": "published"}), trained) == base
    assert _original_lipschitz(replace(scenario, lipschitz_sigma=0.5), trained) != base
    assert _original_lipschitz(replace(scenario, lipschitz_space="logits"), trained) != base


@pytest.mark.parametrize("changes, message", [
    (dict(lipschitz_sigma=0.0), "sigma"), (dict(lipschitz_sigma=float("inf")), "sigma"),
    (dict(lipschitz_space="bits"), "probs or logits"),
])
def test_a_bad_probe_is_refused_before_any_work(moons_trained, changes, message):
    scenario, _ = moons_trained
    with pytest.raises(ScenarioError, match=message):
        pipeline.validate(replace(scenario, **changes))


def test_with_compare_drops_the_main_method_and_retrain_and_adds_default_presets():
    from explorer.scenario import default_scenario
    from explorer.unlearning import METHODS
    base = default_scenario("moons")
    sc = pipeline.with_compare(base, ["retrain", base.method, "neggrad", "finetune", "neggrad"])
    assert sc.compare == ("neggrad", "finetune")
    assert sc.method == base.method
    for m in sc.compare:
        assert sc.presets.get(m) == ("explorer" if "explorer" in METHODS[m].presets else None)
    assert pipeline.with_compare(base, []).compare == ()
