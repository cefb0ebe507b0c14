"""The pipeline's shared pieces: the evaluator every method is measured with."""
from dataclasses import replace

import pytest

from explorer import pipeline, stages
from explorer.config.scenario import ScenarioError


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
    (dict(lipschitz_space="bits"), "one of probs, logits"),
])
def test_a_bad_probe_is_refused_before_any_work(moons_trained, changes, message):
    scenario, _ = moons_trained
    with pytest.raises(ScenarioError, match=message):
        pipeline.validate(replace(scenario, **changes))


def test_with_compare_drops_the_main_method_and_retrain_and_adds_default_presets():
    from explorer.scenarios import default_scenario
    from explorer.unlearning import METHODS
    base = default_scenario("moons")
    sc = pipeline.with_compare(base, ["retrain", base.method, "neggrad", "finetune", "neggrad"])
    assert sc.compare == ("neggrad", "finetune")
    assert sc.method == base.method
    for m in sc.compare:
        assert sc.presets.get(m) == ("explorer" if "explorer" in METHODS[m].presets else None)
    assert pipeline.with_compare(base, []).compare == ()


# ----------------------------------------------------------------------------------------------
# the one run path

SMALL = dict(samples=160)


@pytest.fixture(scope="module")
def small():
    from explorer.scenarios import default_scenario
    scenario = default_scenario("blobs", classes=3, **SMALL)
    scenario = replace(scenario, train=replace(scenario.train, epochs=200), grid_resolution=30,
                       configs={"jit": {"passes": 3}})
    return scenario, pipeline.train_original(scenario)


def test_one_run_keeps_every_result_and_refuses_a_class_only_method_with_its_reason(small):
    scenario, trained = small
    out = pipeline.run(replace(scenario, compare=("neggrad", "unsir")), trained=trained, forget_ids=[0, 5, 9],
                       probes={"grid": pipeline.EVAL_INPUTS, "three": trained.data.x_train[:3]})
    assert list(out.results) == ["jit", "neggrad"] and "whole classes" in out.refused["unsir"]
    report = out.report()
    assert set(report["models"]) == {"original", "retrain", "jit", "neggrad"} and "unsir" in report["refused"]
    for result in out.results.values():  # every step carries both probes, cut by name
        assert [p.shape for p in result.probe("three")][0] == (3, 3)
        assert result.final_probe("grid").shape == (30 * 30, 3)
    assert out.reference_probes["retrain"]["three"].shape == (3, 3)
    assert out.verdict().sentence == report["verdict"]


def test_a_compared_method_that_fails_is_reported_and_the_rest_kept(small, monkeypatch):
    from explorer.unlearning import base
    scenario, trained = small
    real = base.run_method

    def flaky(name, *args, **kwargs):
        if name == "neggrad":
            raise RuntimeError("out of cheese")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(stages, "run_method", flaky)
    out = pipeline.run(replace(scenario, compare=("neggrad",)), trained=trained, forget_ids=[1, 2])
    assert list(out.results) == ["jit"] and out.refused == {"neggrad": "failed: out of cheese"}
    with pytest.raises(RuntimeError):  # the main method's failure is the run's
        pipeline.run(replace(scenario, method="neggrad"), trained=trained, forget_ids=[1, 2])


@pytest.mark.parametrize("ids, message", [([], "empty"), ([-1], "out of range"), ([10**6], "out of range")])
def test_the_forget_set_is_validated_in_one_place(small, ids, message):
    scenario, trained = small
    with pytest.raises(ScenarioError, match=message):
        pipeline.resolve_forget(scenario, trained.data, ids)
    with pytest.raises(ScenarioError, match=message):
        pipeline.run(scenario, trained=trained, forget_ids=ids)
    n = len(trained.data.x_train)
    with pytest.raises(ScenarioError, match="every training point"):
        pipeline.resolve_forget(scenario, trained.data, range(n))
    assert pipeline.resolve_forget(scenario, trained.data, [5, 3, 5]) == [3, 5]


def test_a_main_method_that_refuses_the_forget_set_is_an_error_before_training(small):
    scenario, trained = small
    with pytest.raises(ScenarioError, match="whole classes"):
        pipeline.run(replace(scenario, method="unsir"), trained=trained, forget_ids=[0, 1])


def test_a_registered_metric_reaches_the_report_the_table_and_the_csv(small):
    """Adding a metric is one declaration."""
    import numpy as np

    from explorer.measures import metrics as M
    from explorer.ui.shared import comparison_frame

    def margin(o):
        top = np.sort(o.forget, axis=1)
        return float((top[:, -1] - top[:, -2]).mean())

    scenario, trained = small
    with M.temporary_metric("forget_margin", label="Forget margin", better="closer to retrain is better",
                            ideal="retrain", needs={"forget"}, shown={"table", "summary"}, compute=margin):
        out = pipeline.run(scenario, trained=trained, forget_ids=[0, 5])
        report = out.report()
        assert all(0 <= m["metrics"]["forget_margin"] <= 1 for m in report["models"].values())
        assert "forget_margin" in report["models"]["jit"]["trajectory"][-1]["metrics"]
        assert "forget_margin" in comparison_frame(out.models()).columns
        assert "forget_margin" in out.csv().splitlines()[0].split(",")
        from explorer.commands.run import summary
        assert "forget_margin" in summary(report).splitlines()[0]
    assert "forget_margin" not in comparison_frame(out.models()).columns


def test_a_class_forgetting_run_that_forgets_nothing_is_told_so_and_judged_on_the_other_class(moons_trained):
    """Forgetting all of class 0 with a JiT step too small to change anything: the verdict says it did not forget,
    and judges damage on the other class's test images, where the retrained model is still right."""
    from explorer.config.scenario import ForgetSpec
    from explorer.engine.device import torch_threads

    scenario, trained = moons_trained
    still = replace(scenario, forget=ForgetSpec(forget_class=0), configs={"jit": {"eta": 1e-6, "passes": 1}})
    with torch_threads(1):
        outcome = pipeline.run(still, trained=trained)
    verdict = outcome.verdict()
    assert verdict.forgetting == "did_not_forget" and not verdict.damaged
    assert "did not forget the whole class" in verdict.sentence
    assert "kept accuracy on the other classes' test images" in verdict.sentence
    assert "test accuracy" not in verdict.sentence


def test_salun_mia_efficacy_is_measured_on_finished_models_and_feeds_the_avg_gap(moons_trained):
    from explorer.config.scenario import ForgetSpec
    from explorer.engine.device import torch_threads
    from explorer.measures.comparison import AVG_GAP_METRICS, avg_gap

    scenario, trained = moons_trained
    with torch_threads(1):
        outcome = pipeline.run(replace(scenario, forget=ForgetSpec(ids=(3, 17, 42))), trained=trained)
    steps = outcome.main.trajectory.points
    assert all("mia_efficacy" not in p.metrics for p in steps[:-1])  # not refitted at every step
    final = outcome.main.final_metrics
    assert 0 <= final["mia_efficacy"] <= 1 and 0 <= outcome.references["retrain"]["mia_efficacy"] <= 1
    assert "mia_efficacy" in AVG_GAP_METRICS and "mia" not in AVG_GAP_METRICS
    report = outcome.report()["models"]["jit"]
    assert report["avg_gap"] == pytest.approx(avg_gap(final, outcome.references["retrain"]))
