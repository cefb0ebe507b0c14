"""Every lesson is valid data: 3-7 steps, each step's scenario resolves, its forget set exists in its dataset,
its view is known, and a question has at least two choices; links parse back. One lesson step per view kind runs
on the real engine and its question is judged from the numbers it computed."""
import pytest

from explorer import lessons as L
from explorer.engine.device import torch_threads
from explorer.config.scenario import Scenario

pytestmark = pytest.mark.timeout(300)
STEPS = [(name, k) for name, lesson in L.LESSONS.items() for k in range(len(lesson.steps))]
REQUIRED = {"forgetting", "information", "sigmoid", "jit", "privacy"}


def test_the_required_lessons_exist_with_3_to_7_steps():
    assert REQUIRED <= set(L.LESSONS)
    for lesson in L.LESSONS.values():
        assert 3 <= len(lesson.steps) <= 7, lesson.name
        assert lesson.title and lesson.summary


@pytest.mark.parametrize("name, k", STEPS)
def test_every_step_is_valid(name, k):
    step = L.LESSONS[name].steps[k]
    assert step.title and step.text and step.view in L.VIEWS
    scenario = L.scenario(step.scenario)
    assert isinstance(scenario, Scenario)
    from explorer.pipeline import load_data, validate
    validate(scenario)
    data = load_data(scenario)
    for word in step.forget:
        assert word in L.FORGET_SETS or word in data.named_points, (name, k, word)
    if step.question:
        keys = [c[0] for c in step.question.choices]
        assert len(keys) >= 2 and len(set(keys)) == len(keys) and step.question.prompt


@pytest.mark.parametrize("name", sorted(L.LESSONS))
def test_links_round_trip(name):
    n = len(L.LESSONS[name].steps)
    for k in range(n):
        query = L.link(name, k, classroom=True)
        params = dict(p.split("=") for p in query.lstrip("?").split("&"))
        assert L.parse_link(params)[:2] == (name, k) and params["classroom"] == "1"
    assert L.parse_link({"lesson": name, "step": "99"})[1] == n - 1
    assert L.parse_link({"lesson": "nope"})[0] is None


QUESTION_STEPS = [(name, k) for name, k in STEPS if L.LESSONS[name].steps[k].question
                  and L.LESSONS[name].steps[k].view in ("retrain_pair", "run2d", "sweep", "forget_acc", "mia", "audit",
                                                            "two_retrainings")]


@pytest.fixture(scope="module")
def engine():
    return L.local_engine()


@pytest.mark.parametrize("name, k", QUESTION_STEPS)
def test_a_question_is_judged_from_the_engine_numbers(engine, name, k):
    step = L.LESSONS[name].steps[k]
    with torch_threads():
        outcome = L.compute(step, engine)
    keys = [c[0] for c in step.question.choices]
    assert outcome.answer in keys and outcome.figures and outcome.facts
    right, sentence = L.judge(step, outcome.answer, outcome)
    assert right and sentence.startswith("Right")
    wrong = next(c for c in keys if c != outcome.answer)
    assert L.judge(step, wrong, outcome)[0] is False


def test_the_jit_lesson_names_the_step_guard_and_shows_the_run_and_the_sweep_without_it(engine):
    """Held-out check: the step that animates JiT names the guard and offers the unguarded run on request; the sweep
    runs both ways and its reveal states both numbers."""
    lesson = L.LESSONS["jit"]
    run_step, sweep_step = (next(s for s in lesson.steps if s.view == v) for v in ("jit_run", "sweep"))
    assert "step guard" in run_step.text and "step guard" in sweep_step.text
    with torch_threads():
        run, sweep = L.compute(run_step, engine), L.compute(sweep_step, engine)
    assert "JiT with step guard 0.05" in run.figures[0][0] and "without" in run.more[0][0]
    assert any(f.startswith("JiT with step guard 0.05") for f in run.facts)
    assert [c for c, _ in sweep.figures] == ["σ × η sweep on the boundary point: JiT without the step guard",
                                             "σ × η sweep on the boundary point: JiT with step guard 0.05"]
    plain, guarded = sweep.numbers["test_large_eta"], sweep.numbers["test_large_eta_guarded"]
    assert f"{100 * plain:.1f} %" in sweep.why and f"{100 * guarded:.1f} %" in sweep.why
    assert "step guard" in sweep.why


def test_the_per_point_step_reveals_the_audit_of_the_random_forget_set(engine):
    step = next(s for s in L.LESSONS["privacy"].steps if s.view == "audit")
    with torch_threads(1):
        outcome = L.compute(step, engine)
    assert outcome.answer == ("yes" if outcome.numbers["p"] < 0.05 else "no")
    assert f"{outcome.numbers['jit_mean']:.2f} under JiT" in outcome.why
    titles = [caption for caption, _ in outcome.figures]
    assert any("per training point" in t for t in titles) and any("ROC" in t for t in titles)
    exposure = outcome.figures[0][1]
    assert exposure.layout.sliders and len([t for t in exposure.data if t.name == "training points"]) == 3
