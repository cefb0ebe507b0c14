"""The "one odd point" lesson on the real engine: an edited dataset (one added point) trains, the added point is
the forget set, and each question is judged from the numbers computed."""
import pytest

from explorer import lessons as L
from explorer.engine.device import torch_threads
from toy_data import load_dataset

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def outcomes():
    engine = L.local_engine()
    with torch_threads():
        return [L.compute(step, engine) for step in L.LESSONS["oddpoint"].steps]


def test_the_scenario_is_the_moons_with_one_added_outlier():
    scenario = L.scenario("odd_point")
    (x1, x2, label), = scenario.dataset.edits.added
    data = load_dataset(scenario.dataset)
    assert label == 0 and len(data.x_train) == len(load_dataset(L.scenario("moons").dataset).x_train) + 1
    assert tuple(data.x_train[-1]) == pytest.approx((x1, x2)) and data.y_train[-1] == 0


def test_every_question_is_judged_from_the_engine_numbers(outcomes):
    for step, outcome in zip(L.LESSONS["oddpoint"].steps, outcomes):
        assert outcome.figures and outcome.facts
        if step.question is None:
            continue
        keys = [c[0] for c in step.question.choices]
        assert outcome.answer in keys and outcome.why
        assert L.judge(step, outcome.answer, outcome)[0]
        assert not L.judge(step, next(k for k in keys if k != outcome.answer), outcome)[0]


def test_the_reveals_follow_the_numbers(outcomes):
    _, train_with, retrain, jit = outcomes
    bend = train_with.numbers["bend"]
    assert train_with.answer == ("ignore" if bend < 0.002 else "fit" if train_with.numbers["p_own_label"] > 0.5
                                 else "toward")
    # retraining without the added point is training on the data as generated: the same model
    assert retrain.answer == "same" and retrain.numbers["agreement"] == 1.0
    given = jit.numbers["given_back"]
    assert jit.numbers["bend"] == pytest.approx(bend)
    assert jit.answer == ("little" if bend < 0.002 or given < 0.1 else "some" if given < 0.5 else "most")
