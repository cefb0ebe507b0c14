"""The metric registry: a metric declared once reaches the Evaluator, the comparison rows and the CSV."""
import csv
import io
import math

import numpy as np
import pytest
import torch

from explorer.measures import metrics as M
from explorer.measures.comparison import comparison_rows, metrics_csv
from explorer.measures.evaluation import Evaluator
from toy_data import Dataset

CENTRES = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=np.float32)
BUILT_IN = ["retain_acc", "forget_acc", "test_acc", "paper_forget_acc", "paper_retain_acc", "mia", "mia_efficacy",
            "forget_entropy", "agreement_with_retrain", "boundary_change", "js_to_retrain", "forget_lipschitz"]


@pytest.fixture(autouse=True)
def registry_restored():
    """Whatever a test registers or removes, the next test sees the built-in registry."""
    before = dict(M.METRICS)
    yield
    if dict(M.METRICS) != before or list(M.METRICS) != list(before):
        M.METRICS.clear()
        M.METRICS.update(before)
    assert M.METRIC_NAMES == list(before)


def _margin(o: M.Outputs) -> float:
    top = np.sort(o.forget, axis=1)
    return float((top[:, -1] - top[:, -2]).mean()) if len(top) else float("nan")


@pytest.fixture
def forget_margin():
    """A metric registered for one test and removed afterwards, even if the test fails."""
    metric = M.register_metric("forget_margin", label="Forget margin", ideal="retrain", needs={"forget"},
                               better="closer to retrain is better: mean top-1 minus top-2 probability on the "
                                      "forget set",
                               shown={"table"}, compute=_margin)
    try:
        yield metric
    finally:
        if "forget_margin" in M.METRICS:
            M.unregister_metric("forget_margin")


def _data(per_class=20, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + 0.8 * rng.standard_normal((per_class, 2)) for c in CENTRES]).astype(np.float32)
    xt = np.concatenate([c + 0.8 * rng.standard_normal((8, 2)) for c in CENTRES]).astype(np.float32)
    return Dataset("blobs", x, np.repeat(np.arange(3), per_class), xt, np.repeat(np.arange(3), 8), n_classes=3)


def _model(scale=1.0, shift=(0.0, 0.0, 0.0)):
    """A nearest-centre linear model, its confidence scaled; ``shift`` moves the class biases."""
    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.copy_(torch.as_tensor(scale * 2 * CENTRES))
        model.bias.copy_(torch.as_tensor(scale * -(CENTRES ** 2).sum(1)) + torch.as_tensor(shift))
    return model


FORGET = [0, 1, 2, 25]


def _evaluator(with_retrain=True):
    data = _data()
    retrain = _model(0.2, shift=(-2.0, 0.0, 0.0)) if with_retrain else None
    return data, Evaluator(data, FORGET, data.x_test, _model(), retrain, torch.device("cpu"), lipschitz_samples=4)


def _probs(model, x):
    with torch.no_grad():
        return torch.softmax(model(torch.as_tensor(x)), 1).numpy()


def _models(ev, unlearned):
    return {"original": {"metrics": ev.evaluate(_model())[0], "seconds": 1.0},
            "retrain": {"metrics": ev.evaluate(_model(0.2, shift=(-2.0, 0.0, 0.0)))[0], "seconds": 1.0},
            "finetune": {"metrics": ev.evaluate(unlearned)[0], "seconds": 0.5}}


def test_a_registered_metric_reaches_evaluate_the_rows_and_the_csv_and_leaves_with_unregister(forget_margin):
    data, ev = _evaluator()
    unlearned = _model(0.5)
    values, _ = ev.evaluate(unlearned)
    assert list(values) == BUILT_IN + ["forget_margin"]
    expected = _margin(M.Outputs(forget=_probs(unlearned, data.x_train[FORGET])))
    assert values["forget_margin"] == pytest.approx(expected) and 0 < expected < 1

    models = _models(ev, unlearned)
    rows = {r["method"]: r for r in comparison_rows(models)}
    assert rows["finetune"]["forget_margin"] == pytest.approx(expected)
    reference = models["retrain"]["metrics"]["forget_margin"]
    assert rows["finetune"]["gap_forget_margin"] == pytest.approx(expected - reference)
    # shown in the table by default: it comes right after the built-in table metrics
    order = [k for k in rows["finetune"] if k in M.METRICS]
    assert order[: len(M.metric_names("table"))] == M.metric_names("table")
    assert M.metric_names("table")[-1] == "forget_margin"

    trajectories = {"finetune": [{"step": 0, "epoch": 0, "loss": None, "metrics": models["original"]["metrics"]},
                                 {"step": 5, "epoch": 1, "loss": 0.25, "metrics": models["finetune"]["metrics"]}]}
    table = list(csv.DictReader(io.StringIO(metrics_csv(models, trajectories))))
    assert [(r["model"], r["step"]) for r in table] == [("finetune", "0"), ("finetune", "5"), ("original", ""),
                                                        ("retrain", ""), ("finetune", "")]
    assert float(table[1]["forget_margin"]) == pytest.approx(expected) and table[1]["loss"] == "0.25"
    assert float(table[-1]["forget_margin"]) == pytest.approx(expected)

    M.unregister_metric("forget_margin")
    assert "forget_margin" not in M.METRICS and "forget_margin" not in M.METRIC_NAMES
    assert "forget_margin" not in M.metric_names("table")
    assert "forget_margin" not in ev.evaluate(unlearned)[0]
    fresh = _models(ev, unlearned)
    assert "forget_margin" not in metrics_csv(fresh).splitlines()[0].split(",")
    assert "forget_margin" not in comparison_rows(fresh)[0]
    # values recorded while it was registered still get a column, after the registered ones
    assert metrics_csv(models).splitlines()[0].split(",")[4:] == M.METRIC_NAMES + ["forget_margin", "label"]
    with pytest.raises(KeyError):
        M.unregister_metric("forget_margin")


def test_a_metric_registered_after_the_evaluator_was_built_is_computed():
    _, ev = _evaluator()
    with M.temporary_metric("forget_size", label="Forget-set size", better="informative only", ideal="high",
                            needs={"forget"}, compute=lambda o: len(o.forget_labels)) as metric:
        assert metric.shown == {"csv"}  # the CSV has every metric
        assert ev.evaluate(_model())[0]["forget_size"] == len(FORGET)
        assert "forget_size" in M.metric_names("csv") and "forget_size" not in M.metric_names("table")
    assert "forget_size" not in M.METRICS and "forget_size" not in ev.evaluate(_model())[0]


def test_a_decorated_function_is_registered_and_kept():
    @M.register_metric("forget_top1", label="Forget top-1 probability", better="informative only",
                       ideal="retrain", needs={"forget"}, shown={"summary"})
    def forget_top1(o):
        return float(o.forget.max(1).mean())

    assert callable(forget_top1) and M.METRICS["forget_top1"].compute is forget_top1
    assert M.metric_names("summary")[-1] == "forget_top1"
    M.unregister_metric("forget_top1")


def test_a_name_already_registered_is_refused_and_the_registry_is_unchanged(forget_margin):
    before = list(M.METRICS)
    for name in ("forget_margin", "retain_acc"):
        with pytest.raises(ValueError, match="already registered"):
            M.register_metric(name, label="x", better="x", ideal="high", needs={"forget"}, compute=_margin)
    with pytest.raises(ValueError, match="already registered"):
        M.register_metric(forget_margin)
    assert list(M.METRICS) == before and M.METRICS["forget_margin"] is forget_margin


def test_without_a_retrained_model_what_needs_it_is_nan_and_its_compute_is_not_called():
    def never(_):
        raise AssertionError("a metric whose data is missing must not be computed")

    _, ev = _evaluator(with_retrain=False)
    with M.temporary_metric("needs_retrain", label="x", better="x", ideal="low", needs={"forget", "retrain"},
                            compute=never):
        values, _ = ev.evaluate(_model())
    for name in ("agreement_with_retrain", "js_to_retrain", "needs_retrain"):
        assert math.isnan(values[name]), name
    assert not any(math.isnan(values[m]) for m in ("retain_acc", "mia", "boundary_change", "forget_lipschitz"))
    assert math.isnan(M.METRICS["retain_acc"](M.Outputs()))  # nothing there: NaN, not an error


def test_compute_sees_only_what_needs_declares():
    _, ev = _evaluator()
    seen = {}

    def peek(o):
        seen.update(forget=o.forget is not None, test=o.test is not None, retrain=o.retrain_forget is not None)
        return 0.0

    with M.temporary_metric("peek", label="x", better="x", ideal="low", needs={"forget"}, compute=peek):
        ev.evaluate(_model())
    assert seen == {"forget": True, "test": False, "retrain": False}


def test_default_places_follow_the_registry_order():
    from explorer.figures import two_d as F

    assert M.metric_names() == BUILT_IN and M.metric_names("csv") == BUILT_IN
    assert M.metric_names("table") == ["retain_acc", "forget_acc", "test_acc", "mia", "mia_efficacy", "forget_entropy",
                                       "agreement_with_retrain"]
    assert M.metric_names("animation") == ["retain_acc", "forget_acc", "test_acc", "mia", "forget_entropy",
                                           "agreement_with_retrain", "forget_lipschitz"] == F.ANIMATION_METRICS
    assert M.metric_names("summary") == ["retain_acc", "forget_acc", "test_acc", "mia", "agreement_with_retrain"]
    with pytest.raises(ValueError):
        M.metric_names("sidebar")


def test_the_old_names_stay_live_lists(forget_margin):
    from explorer.figures import two_d as F
    from explorer.measures.metrics import METRIC_NAMES

    assert isinstance(METRIC_NAMES, list) and METRIC_NAMES is M.METRIC_NAMES
    assert METRIC_NAMES == BUILT_IN + ["forget_margin"] and METRIC_NAMES.index("forget_margin") == len(BUILT_IN)
    assert ",".join(METRIC_NAMES).endswith(",forget_margin")  # C-level readers see it too
    assert "forget_margin" not in F.ANIMATION_METRICS  # not shown there
    info = M.METRICS["forget_margin"]
    assert info.label == "Forget margin" and info.ideal == "retrain" and info.better.startswith("closer")


@pytest.mark.parametrize("change, message", [
    (dict(needs={"weights"}), "needs"), (dict(needs=set()), "needs"), (dict(shown={"sidebar"}), "shown"),
    (dict(ideal="middle"), "ideal"), (dict(name="step"), "column"), (dict(name="gap_x"), "column"),
    (dict(name="two words"), "identifier"), (dict(label=""), "label"),
])
def test_a_declaration_outside_the_vocabulary_is_refused(change, message):
    fields = dict(name="m", label="M", better="b", ideal="high", needs={"forget"}, shown=(), compute=_margin)
    fields.update(change)
    name = fields.pop("name")
    with pytest.raises(ValueError, match=message):
        M.register_metric(name, **fields)
    assert name not in M.METRICS


def test_metrics_are_assignable_by_key_as_monkeypatch_does(monkeypatch):
    replacement = M.Metric("mia", "MIA", "b", "retrain", frozenset({"forget"}), lambda o: 0.25)
    monkeypatch.setitem(M.METRICS, "mia", replacement)
    assert M.METRIC_NAMES == BUILT_IN  # same place
    with pytest.raises(ValueError):
        M.METRICS["other"] = replacement  # the key must be the metric's name
