"""The "Retrain twice" step of the forgetting lesson: its answer is the grid disagreement of two retrained models
(seeds 0 and 1, the same data without B), recomputed here one seed at a time, and its reveal draws the cloud."""
from dataclasses import replace

import pytest

from explorer import lessons as L
from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.engine.models import predict_proba
from explorer.lessons import seed_cloud
from explorer.stages import seed_scenario

pytestmark = pytest.mark.timeout(600)


def test_the_two_retrainings_step_answers_from_two_retrained_models_and_shows_the_cloud():
    lesson = L.LESSONS["forgetting"]
    step = next(s for s in lesson.steps if s.view == "two_retrainings")
    assert lesson.steps.index(step) == 2 and step.question is not None
    engine = L.local_engine()
    with torch_threads():
        outcome = L.compute(step, engine)
        base = L.scenario("moons")
        ids = L.forget_ids(step, engine.trained(base))["boundary"]
        grid = engine.trained(base).eval_inputs
        labels = []
        for k in (0, 1):  # each seed's retrained model on its own, as a one-seed run would make it
            single = seed_scenario(replace(base, seeds=2), k)
            model, _, _ = pipeline.retrain_reference(single, pipeline.train_original(single), ids)
            labels.append(predict_proba(model, grid).argmax(1))
    pair = float((labels[0] != labels[1]).mean())
    assert outcome.numbers["pair_disagreement"] == pytest.approx(pair, abs=0.01)
    expected = "same" if pair < seed_cloud.SAME else "close" if pair < seed_cloud.FAR else "far"
    assert outcome.answer == expected and f"{100 * outcome.numbers['pair_disagreement']:.1f} %" in outcome.why
    caption, fig = outcome.figures[0]
    names = [t.name for t in fig.data] if fig.data else [t.get("name") for t in fig.to_dict()["data"]]
    assert names.count(f"retrained boundaries ({seed_cloud.SEEDS} seeds)") == seed_cloud.SEEDS
    assert "cloud" in caption and len(outcome.facts) == 3
