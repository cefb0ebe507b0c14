"""A run over K training seeds: the batched K-seed run gives K single-seed runs (seed k = training seed + k,
method seed + k, the same data and forget set), its report's summaries recompute from the per-seed values
it keeps, and the work budget counts every seed."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from explorer import pipeline
from explorer.config.scenario import ForgetSpec, ScenarioError
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.measures import scores as S
from explorer.measures.spread import summary
from explorer.measures.verdict import judge_movement
from explorer.stages import seed_scenario

K = 3


@pytest.fixture(scope="module")
def scenario():
    return replace(default_scenario("moons", samples=120), forget=ForgetSpec(ids=(3, 17, 42)), compare=("neggrad",),
                   seeds=K)


@pytest.fixture(scope="module")
def outcome(scenario):
    with torch_threads(1):
        return pipeline.run(scenario, probes={"grid": pipeline.EVAL_INPUTS})


@pytest.fixture(scope="module")
def singles(scenario):
    with torch_threads(1):
        return [pipeline.run(seed_scenario(scenario, k), probes={"grid": pipeline.EVAL_INPUTS}) for k in range(K)]


def close(a: dict, b: dict, n_forget: int, skip=()):
    for name, value in b.items():
        if name in skip:
            continue
        # the stack's membership attack is the exact optimum of the attack's fit, lbfgs stops near it: a forget
        # point on the threshold can change sides
        tolerance = 1.0 / n_forget + 1e-9 if name == "mia" else 1e-4
        assert a[name] == pytest.approx(value, abs=tolerance, nan_ok=True), name


def test_the_k_seed_run_gives_k_single_seed_runs(outcome, singles):
    assert outcome.seeds == K and len(outcome.per_seed) == K
    for k, (run, single) in enumerate(zip(outcome.per_seed, singles)):
        assert run.offset == k
        assert run.trained.history.epochs_run == single.trained.history.epochs_run
        # the instrument is the scenario's for every seed: the Lipschitz probe's noise comes from the scenario's
        # seed, where a one-seed run of seed k draws it from seed + k
        skip = () if k == 0 else ("forget_lipschitz",)
        close(run.references["original"], single.references["original"], 3, skip)
        close(run.references["retrain"], single.references["retrain"], 3, skip)
        for name in ("jit", "neggrad"):
            got, want = run.results[name], single.results[name]
            assert got.trajectory.steps == want.trajectory.steps
            close(got.final_metrics, want.final_metrics, 3, skip)
            for a, b in zip(got.trajectory.points, want.trajectory.points):
                close(a.metrics, b.metrics, 3, skip)
            assert (got.final_probe("grid").argmax(1) == want.final_probe("grid").argmax(1)).mean() >= 0.999
            probe = run.evaluator.evaluate(want.model)[0]["forget_lipschitz"]
            assert got.final_metrics["forget_lipschitz"] == pytest.approx(probe, rel=1e-4)
    # seed 0's run is the one the one-seed fields (and the animation) show
    assert outcome.main is outcome.per_seed[0].results["jit"]
    # the seeds are different models on the same data
    assert len({run.references["original"]["agreement_with_retrain"] for run in outcome.per_seed}) > 1


def test_the_report_keeps_each_seed_and_its_summaries_recompute(outcome):
    report = outcome.report()
    assert report["seeds"]["count"] == K
    assert report["seeds"]["training_seeds"] == [0, 1, 2] and report["seeds"]["method_seeds"] == [0, 1, 2]
    for name in ("original", "retrain", "jit", "neggrad"):
        entry = report["models"][name]
        for metric, spread in entry["spread"].items():
            values = [run.metrics(name)[metric] for run in outcome.per_seed]
            assert spread["values"] == pytest.approx(values, nan_ok=True)
            again = summary(values)
            assert spread["mean"] == pytest.approx(again["mean"]) and entry["metrics"][metric] == pytest.approx(again["mean"])
            assert spread["ci95"] == pytest.approx(again["ci95"])
    jit = report["models"]["jit"]
    differences = [run.metrics("jit")["agreement_with_retrain"] - run.references["original"]["agreement_with_retrain"]
                   for run in outcome.per_seed]
    movement = judge_movement(differences)
    assert jit["verdict"]["movement"]["judged"] == movement.judged
    assert jit["verdict"]["movement"]["ci95"] == pytest.approx(list(movement.ci95))
    assert report["verdict"] == jit["verdict"]["sentence"] and "mean of 3 seeds" in report["verdict"]
    assert len(jit["seed_trajectories"]) == K
    assert len(jit["epsilon"]["per_point"]) == 3
    assert set(jit["klom"]) == {"forget", "retain", "test"}
    floor = report["noise_floor"]
    assert floor["retrain_agreement"]["pairs"] == 3 and 0.5 < floor["retrain_agreement"]["mean"] <= 1
    assert "epsilon" not in floor  # one seed per side is too few for the halves' floor (K = 3)


def test_the_scores_recompute_from_the_margins_the_report_keeps(outcome):
    report = outcome.report()
    jit, retrain = report["models"]["jit"], report["models"]["retrain"]
    unlearned, retrained = np.array(jit["margins"]["forget"]), np.array(retrain["margins"]["forget"])
    assert unlearned.shape == (K, 3)
    assert jit["epsilon"]["per_point"] == pytest.approx(S.epsilon(unlearned, retrained).tolist())
    test = S.klom(np.array(jit["margins"]["test"]), np.array(retrain["margins"]["test"]))
    assert jit["klom"]["test"]["p95"] == pytest.approx(S.p95(test))


def test_the_scores_recompute_from_the_margins(outcome):
    runs = outcome.per_seed
    unlearned = np.stack([run.margins["jit"]["forget"] for run in runs])
    retrained = np.stack([run.margins["retrain"]["forget"] for run in runs])
    scores = outcome.scores()
    assert scores["epsilon"]["per_point"] == pytest.approx(S.epsilon(unlearned, retrained).tolist())
    retain = np.stack([run.margins["jit"]["retain"] for run in runs])
    retain_r = np.stack([run.margins["retrain"]["retain"] for run in runs])
    assert scores["klom"]["retain"]["p95"] == pytest.approx(S.p95(S.klom(retain, retain_r)))


def test_cached_seed_zero_models_are_used_as_given(scenario, outcome):
    first = outcome.per_seed[0]
    with torch_threads(1):
        again = pipeline.run(scenario, trained=first.trained, retrain=(first.retrain, first.retrain_seconds),
                             forget_ids=[3, 17, 42])
    assert again.per_seed[0].trained is first.trained and again.per_seed[0].retrain is first.retrain
    close(again.per_seed[2].results["jit"].final_metrics, outcome.per_seed[2].results["jit"].final_metrics, 3)


def test_a_class_only_method_is_refused_and_minibatch_training_runs_one_by_one(scenario):
    small = replace(scenario, seeds=2, compare=("unsir",), train=replace(scenario.train, batch_size=32, epochs=20),
                    configs={"jit": {"passes": 3}})
    with torch_threads(1):
        out = pipeline.run(small)
        single = pipeline.run(seed_scenario(small, 1))
    assert "unsir" in out.refused and list(out.results) == ["jit"]
    close(out.per_seed[1].results["jit"].final_metrics, single.main.final_metrics, 3, ("forget_lipschitz",))


def test_the_work_budget_counts_every_seed():
    big = replace(default_scenario("moons", samples=2000), forget=ForgetSpec(ids=(1,)))
    pipeline.check_work(big, pipeline.load_data(big), 1)  # one seed fits
    with pytest.raises(ScenarioError, match="work budget"):
        pipeline.check_work(replace(big, seeds=32), pipeline.load_data(big), 1)
    assert pipeline.work(replace(big, seeds=4), pipeline.load_data(big), 1).total == pytest.approx(
        4 * pipeline.work(big, pipeline.load_data(big), 1).total)


def test_seeds_out_of_range_and_seed_overflow_are_one_line():
    base = default_scenario("moons")
    for bad in (0, 33):
        with pytest.raises(ScenarioError, match="seeds"):
            pipeline.validate(replace(base, seeds=bad))
    with pytest.raises(ScenarioError, match="seed k uses seed"):
        pipeline.validate(replace(base, seeds=4, seed=2**32 - 2))


def test_one_seed_has_no_seed_section(scenario):
    with torch_threads(1):
        report = pipeline.run(replace(scenario, seeds=1, compare=()), probes=None).report()
    assert "seeds" not in report and "noise_floor" not in report
    assert report["models"]["jit"]["verdict"]["movement"]["judged"] == "cannot_tell"
