"""The privacy audit end to end: the halves, the reference models (the same whichever chunk or backend trains
them), the constructed case (a point far from its class, kept vs removed), the retrained model's forget points
scoring as non-members do, other methods one by one, and the budget."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from explorer import pipeline
from explorer.config.scenario import ForgetSpec, ScenarioError
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.measures.membership import ATTACKS
from explorer.studies.audit import audited_models, check_audit, compute_audit, run_audit
from explorer.config.audit import AuditConfig
from explorer.studies.references import draw_halves, reference_models


def test_halves_are_complementary_pairs_drawn_from_the_scenario_seed():
    masks = draw_halves(401, 8, seed=3)
    assert (masks.sum(axis=0) == 4).all()  # every point in exactly half of the models
    assert set(masks.sum(axis=1)) == {200, 201}  # at most two sizes: at most two stacks
    assert (masks[0] ^ masks[1]).all() and (masks[6] ^ masks[7]).all()
    assert (draw_halves(401, 8, seed=3) == masks).all()
    assert not (draw_halves(401, 8, seed=4) == masks).all()
    forget_stream = np.random.default_rng(3).permutation(401)[:200]  # the random forget set's generator
    assert not masks[0, forget_stream].all()
    with pytest.raises(ValueError, match="even"):
        draw_halves(10, 3, seed=0)


@pytest.fixture(scope="module")
def blobs_audit():
    """two_blobs forgetting its high-information target: a class-1 point on class 0's side of the gap."""
    scenario = replace(default_scenario("two_blobs"), forget=ForgetSpec(named="high_information_target"))
    with torch_threads(1):
        return run_audit(scenario, AuditConfig(references=16), backend="serial")


def test_a_point_far_from_its_class_is_exposed_when_kept_and_not_when_removed(blobs_audit):
    a = blobs_audit
    j = a.forget_ids[0]
    retain, test = a.where("retain"), a.where("test")
    original = a.scores["original"]["lira"]
    assert original[j] > np.percentile(original[retain], 99)  # kept: it stands out from typical points
    assert a.members("original", "lira")[j]
    for attack in ("lira", "ulira", "rmia"):  # removed: scored as the non-members are, and called one
        s = a.scores["retrain"][attack]
        assert s[j] <= np.percentile(s[test], 95), attack
        assert not a.members("retrain", attack)[j], attack


def test_every_point_gets_a_score_and_a_decision_per_model_and_attack(blobs_audit):
    a = blobs_audit
    assert set(a.models) == {"original", "retrain", "jit"} and set(a.attacks) == set(ATTACKS)
    for model in a.models:
        for attack in a.attacks:
            assert a.scores[model][attack].shape == (len(a.labels),)
            assert np.isfinite(a.scores[model][attack]).all()
            summary = a.summary(model, attack)
            assert summary["forget"]["n_positives"] == 1 and summary["members"]["n_negatives"] == len(a.where("test"))
            assert summary["members"]["tpr_at_fpr"]["0.001"] is None  # 65 test points cannot resolve 0.1 %
    exposed = a.comparison("lira")["retain_more_exposed"]
    assert set(exposed) == {"retrain", "jit"} and exposed["jit"]["score_rose"] <= len(a.where("retain"))
    assert "retain_more_exposed" not in a.comparison("ulira")  # its references change with the model
    assert any("not resolvable" in line for line in a.sentences())


@pytest.fixture(scope="module")
def small_moons():
    scenario = replace(default_scenario("moons", samples=200), forget=ForgetSpec(random_fraction=0.1))
    with torch_threads(1):
        outcome = pipeline.run(scenario)
    return scenario, outcome


def test_the_retrained_model_scores_its_forget_points_as_non_members(small_moons):
    scenario, outcome = small_moons
    with torch_threads(1):
        a = compute_audit(scenario, outcome.trained, outcome.forget_ids, audited_models(outcome), "jit",
                          AuditConfig(references=16), backend="serial")
    forget, test = a.where("forget"), a.where("test")
    for attack in ("lira", "ulira", "rmia"):
        s = a.scores["retrain"][attack]
        # the 15 forget points and the 50 test points could come from one distribution
        assert stats.ks_2samp(s[forget], s[test]).pvalue > 0.01, attack
        assert abs(a.summary("retrain", attack)["forget"]["auc"] - 0.5) < 0.25, attack


def test_reference_models_do_not_depend_on_the_chunk_or_the_backend(small_moons):
    scenario, outcome = small_moons
    with torch_threads(1):
        one = reference_models(scenario, outcome.trained, outcome.forget_ids, "jit", 8, backend="serial", chunk=8)
        split = reference_models(scenario, outcome.trained, outcome.forget_ids, "jit", 8, backend="serial", chunk=2)
    pooled = reference_models(scenario, outcome.trained, outcome.forget_ids, "jit", 8, backend="processes",
                              workers=2, chunk=4)
    assert pooled.backend == "processes"
    for other in (split, pooled):
        assert (other.masks == one.masks).all() and (other.unlearned == one.unlearned).all()
        assert np.allclose(other.logits, one.logits, atol=1e-4)
        assert np.allclose(other.unlearned_logits, one.unlearned_logits, atol=1e-4)
    assert (one.unlearned == (one.masks[:, outcome.forget_ids].any(axis=1))).all()
    changed = np.abs(one.unlearned_logits - one.logits).max(axis=(1, 2))
    assert (changed[one.unlearned] > 0).all() and (changed[~one.unlearned] == 0).all()


def test_other_methods_unlearn_the_references_one_by_one(small_moons):
    scenario, outcome = small_moons
    scenario = replace(scenario, method="finetune", configs={"finetune": {"epochs": 2}})
    ids = outcome.forget_ids
    with torch_threads(1):
        refs = reference_models(scenario, outcome.trained, ids, "finetune", 4, backend="serial")
        retrained = reference_models(scenario, outcome.trained, ids, "retrain", 4, backend="serial")
    assert refs.refused is None and refs.unlearned.all()
    assert not np.allclose(refs.unlearned_logits, refs.logits)
    assert not np.allclose(retrained.unlearned_logits, retrained.logits)


def test_a_method_that_only_forgets_whole_classes_gives_no_ulira(small_moons):
    scenario, outcome = small_moons
    scenario = replace(scenario, method="unsir", forget=ForgetSpec(forget_class=0))
    data = outcome.trained.data
    ids = np.flatnonzero(data.y_train == 0).tolist()
    with torch_threads(1):
        refs = reference_models(scenario, outcome.trained, ids, "unsir", 2, backend="serial")
    assert refs.refused and "whole classes" in refs.refused


def test_an_audit_over_the_budget_is_refused_before_any_work():
    scenario = replace(default_scenario("moons", samples=20000), forget=ForgetSpec(ids=(1,)))
    data = pipeline.load_data(scenario)
    with pytest.raises(ScenarioError, match="this audit needs.*over the work budget.*reference"):
        check_audit(scenario, data, 1, AuditConfig(references=256))
    with pytest.raises(ScenarioError, match="audit.references"):
        AuditConfig(references=1000).validate()
    with pytest.raises(ScenarioError, match="even"):
        AuditConfig(references=7).validate()
    with pytest.raises(ScenarioError, match="audit.variance"):
        AuditConfig(variance="median").validate()
    check_audit(default_scenario("moons"), pipeline.load_data(default_scenario("moons")), 1, AuditConfig(128))



@pytest.mark.cuda
def test_the_audit_runs_on_cuda():
    scenario = replace(default_scenario("moons", samples=200), forget=ForgetSpec(ids=(3,)), device="cuda")
    a = run_audit(scenario, AuditConfig(references=8), backend="serial")
    assert a.summary("jit", "ulira")["forget"]["n_positives"] == 1
    assert np.isfinite(a.scores["original"]["lira"]).all()
