"""The registry that declares each metric the explorer reports once (:class:`Metric`, :func:`register_metric`),
composed of the pure measures of explorer/measures/functions.py. Accuracies are in [0, 1].

Definitions follow the JiT paper (Foster et al., arXiv 2402.01401) and its code
(jwf40/Information-Theoretic-Unlearning) where they have one: the entropy membership attack
(src/metrics.py) and the D_f / D_r columns of its tables (``paper_forget_acc`` / ``paper_retain_acc``).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from explorer.measures.entropy_attack import EPS, entropy, mia, mia_many  # noqa: F401  (entropy, mia: part of the API)
from explorer.measures.functions import (  # noqa: F401  (the measures the registry composes, read as M.<name>)
    accuracy, default_radius, information_score, js_divergence, label_agreement, lipschitz_ratios, margins,
    mean_entropy, mia_efficacy, true_class_confidence,
)



# ---- the metric registry ------------------------------------------------------------------------
#
# Each metric is declared once, as a :class:`Metric`: its name, the words the interface shows, which
# way is better, what data it reads (``needs``), how it is computed from an :class:`Outputs` record,
# and where it is shown by default (``shown``). The Evaluator computes every registered metric; the
# comparison rows, the metrics CSV, the animation and the command line's summary read the registry.

NEEDS: dict[str, str] = {
    "retain": "the model's class probabilities on the retain set (training points kept) and their labels",
    "forget": "the model's class probabilities on the forget set (training points to forget) and their labels",
    "test": "the model's class probabilities on the test set and its labels",
    "eval": "the model's class probabilities on the evaluation inputs (the grid for 2D data, the test set for images)",
    "original": "the original model's labels on the evaluation inputs",
    "retrain": "the retrained model's labels on the evaluation inputs and its class probabilities on the forget "
               "set (missing when there is no retrained model)",
    "noisy_forget": "the Lipschitz probe: the model's outputs (probabilities or logits) at the forget points and at "
                    "fixed perturbed copies of them, and those inputs",
    "paper_split": "where the JiT paper measures its D_f / D_r columns: masks over the test set",
}
"""The closed vocabulary of ``Metric.needs``: what data a metric reads."""

PLACES: dict[str, str] = {
    "table": "a column of the method comparison table by default",
    "animation": "a panel of the trajectory animation",
    "summary": "a column of the command line's summary",
    "csv": "a column of the metrics CSV (every metric: added to each metric's shown)",
}
"""The closed vocabulary of ``Metric.shown``: where a metric appears by default."""

IDEALS = ("retrain", "high", "low")
# Names a metric cannot take: the other columns of the metrics CSV and of the comparison rows.
RESERVED_NAMES = frozenset({"model", "step", "epoch", "loss", "method", "zero_shot", "uses", "seconds",
                            "stopped", "avg_gap", "label"})


@dataclass(frozen=True)
class Outputs:
    """What one model's metrics are computed from; the Evaluator fills it from one batched forward.

    Probabilities are ``(n, C)`` arrays, labels ``(n,)`` integer arrays. A field is None when the
    data is not there (no retrained model, say); a metric that needs it is then NaN. A metric's
    ``compute`` sees only the fields its ``needs`` name (the others are None), so the declaration
    is what it reads.
    """

    # "retain", "forget", "test": the model's class probabilities and the true labels
    retain: np.ndarray | None = None
    retain_labels: np.ndarray | None = None
    forget: np.ndarray | None = None
    forget_labels: np.ndarray | None = None
    test: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    # "eval": the model's class probabilities on the evaluation inputs
    eval: np.ndarray | None = None
    # "original": the original model's labels on the evaluation inputs
    original_eval_labels: np.ndarray | None = None
    # "retrain": the retrained model's labels on the evaluation inputs, its probabilities on the forget set
    retrain_eval_labels: np.ndarray | None = None
    retrain_forget: np.ndarray | None = None
    # "noisy_forget": outputs (B, ·) at the forget points and (M, B, ·) at M perturbed copies; the inputs alike
    forget_space: np.ndarray | None = None
    noisy_space: np.ndarray | None = None
    forget_inputs: np.ndarray | None = None
    noisy_inputs: np.ndarray | None = None
    # "paper_split": an object with ``forget_test`` (a mask over the test set, or None when D_f is the
    # forget set itself) and ``retain_test`` (a mask over the test set), as evaluation.PaperSplit
    paper: Any = None

    @property
    def eval_labels(self) -> np.ndarray:
        """The model's labels on the evaluation inputs."""
        return np.asarray(self.eval).argmax(axis=1)

    def has(self, need: str) -> bool:
        """Whether every field of ``need`` is there."""
        return all(getattr(self, f) is not None for f in _FIELDS[need])

    def only(self, needs: Iterable[str]) -> "Outputs":
        """A copy holding only the fields of ``needs``."""
        keep = {f for need in needs for f in _FIELDS[need]}
        return replace(self, **{f.name: None for f in fields(self) if f.name not in keep})


_FIELDS: dict[str, tuple[str, ...]] = {
    "retain": ("retain", "retain_labels"),
    "forget": ("forget", "forget_labels"),
    "test": ("test", "test_labels"),
    "eval": ("eval",),
    "original": ("original_eval_labels",),
    "retrain": ("retrain_eval_labels", "retrain_forget"),
    "noisy_forget": ("forget_space", "noisy_space", "forget_inputs", "noisy_inputs"),
    "paper_split": ("paper",),
}
assert set(_FIELDS) == set(NEEDS)


@dataclass(frozen=True)
class Metric:
    """One metric, declared once.

    ``needs`` (a subset of :data:`NEEDS`) says what data ``compute`` reads; ``shown`` (a subset of
    :data:`PLACES`) says where it appears by default — "csv" is always added: the CSV has every
    metric. ``ideal`` is "retrain" (closer to the retrained model is better), "high" or "low".
    ``per_step`` False: measured on each finished model only (its final row, the tables, the Avg. Gap), not at
    every recorded step of a run — for a metric that fits a model of its own each time it is computed.
    """

    name: str
    label: str
    better: str  # one line: what "better" means
    ideal: str  # "retrain" | "high" | "low"
    needs: frozenset[str]
    compute: Callable[[Outputs], float] = field(repr=False, compare=False)
    shown: frozenset[str] = frozenset({"csv"})
    short: str = ""  # a few words for table headers and small panels (default: the name, spaced)
    per_step: bool = True
    # Optional: the metric of many models at once (a list of Outputs -> one value each), the same values as
    # ``compute`` one by one; measuring a stack of models uses it (the membership attack's fits, vectorised).
    compute_many: Callable[[list[Outputs]], list[float]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"a metric's name must be an identifier, got {self.name!r}")
        if self.name in RESERVED_NAMES or self.name.startswith("gap_"):
            raise ValueError(f"{self.name!r} is a column of the CSV or the comparison rows; choose another name")
        if not self.label or not self.better:
            raise ValueError(f"metric {self.name!r} needs a label and a line on what better means")
        if self.ideal not in IDEALS:
            raise ValueError(f"metric {self.name!r}: ideal must be one of {IDEALS}, got {self.ideal!r}")
        needs = frozenset([self.needs] if isinstance(self.needs, str) else self.needs)
        shown = frozenset([self.shown] if isinstance(self.shown, str) else self.shown) | {"csv"}
        if not needs or needs - set(NEEDS):
            raise ValueError(f"metric {self.name!r}: needs must name some of {sorted(NEEDS)}, got {sorted(needs)}")
        if shown - set(PLACES):
            raise ValueError(f"metric {self.name!r}: shown must name some of {sorted(PLACES)}, got {sorted(shown)}")
        if not callable(self.compute):
            raise ValueError(f"metric {self.name!r}: compute must be a function of Outputs")
        object.__setattr__(self, "needs", needs)
        object.__setattr__(self, "shown", shown)
        object.__setattr__(self, "short", self.short or self.name.replace("_", " "))

    def __call__(self, outputs: Outputs) -> float:
        """The metric's value: NaN when something it needs is missing."""
        if not all(outputs.has(need) for need in self.needs):
            return float("nan")
        return float(self.compute(outputs.only(self.needs)))

    def many(self, outputs: list[Outputs]) -> list[float]:
        """The metric of each of many models (``compute_many`` when the metric has one)."""
        if self.compute_many is None:
            return [self(o) for o in outputs]
        ready = [i for i, o in enumerate(outputs) if all(o.has(need) for need in self.needs)]
        values = [float("nan")] * len(outputs)
        for i, value in zip(ready, self.compute_many([outputs[i].only(self.needs) for i in ready])):
            values[i] = float(value)
        return values


class _Registry(dict):
    """``METRICS``: an ordered name → :class:`Metric` dict that keeps the live name lists in step.

    Add metrics with :func:`register_metric` (which refuses a name already there); assigning an
    entry directly replaces it in place (as ``monkeypatch.setitem`` does)."""

    def __setitem__(self, name, metric):
        if not isinstance(metric, Metric) or metric.name != name:
            raise ValueError(f"METRICS[{name!r}] must be a Metric named {name!r}")
        super().__setitem__(name, metric)
        _sync()

    def __delitem__(self, name):
        super().__delitem__(name)
        _sync()

    def pop(self, *args):
        out = super().pop(*args)
        _sync()
        return out

    def popitem(self):
        out = super().popitem()
        _sync()
        return out

    def clear(self):
        super().clear()
        _sync()

    def update(self, *args, **kwargs):
        for name, metric in dict(*args, **kwargs).items():
            self[name] = metric

    def setdefault(self, name, metric=None):
        if name not in self:
            self[name] = metric
        return self[name]

    def __ior__(self, other):
        self.update(other)
        return self


METRICS: dict[str, Metric] = _Registry()
_LIVE: dict[str | None, list[str]] = {}


def metric_names(shown_in: str | None = None) -> list[str]:
    """Registered metric names in registration order; with ``shown_in`` (a :data:`PLACES` key) only
    those shown there by default ("csv": all of them)."""
    if shown_in is not None and shown_in not in PLACES:
        raise ValueError(f"shown_in must be one of {sorted(PLACES)} or None, got {shown_in!r}")
    return [name for name, m in METRICS.items() if shown_in is None or shown_in in m.shown]


def live_metric_names(shown_in: str | None = None) -> list[str]:
    """A list object that always holds :func:`metric_names` ``(shown_in)``: it is updated in place
    whenever the registry changes, so a module that imported it sees later registrations."""
    if shown_in not in _LIVE:
        _LIVE[shown_in] = metric_names(shown_in)
    return _LIVE[shown_in]


def _sync() -> None:
    for shown_in, names in _LIVE.items():
        names[:] = metric_names(shown_in)


def register_metric(name: str | Metric, *, label: str | None = None, better: str | None = None,
                    ideal: str | None = None, needs: Iterable[str] = (), shown: Iterable[str] = (),
                    compute: Callable[[Outputs], float] | None = None, short: str = ""):
    """Add a metric to the registry (after those already there); a name already registered is a
    ValueError. Either pass a :class:`Metric`, or its fields with ``compute`` (returns the Metric),
    or its fields without ``compute`` and use the result as a decorator of the compute function
    (returns the function)::

        @register_metric("forget_margin", label="Forget margin", better="...", ideal="retrain",
                         needs={"forget"}, shown={"table"})
        def forget_margin(o: Outputs) -> float: ...
    """
    if isinstance(name, Metric):
        return _add(name)
    if compute is None:
        def decorator(fn: Callable[[Outputs], float]):
            register_metric(name, label=label, better=better, ideal=ideal, needs=needs, shown=shown, compute=fn,
                            short=short)
            return fn
        return decorator
    return _add(Metric(name, label, better, ideal, needs, compute, shown, short))


def _add(metric: Metric) -> Metric:
    if metric.name in METRICS:
        raise ValueError(f"a metric named {metric.name!r} is already registered")
    METRICS[metric.name] = metric
    return metric


def unregister_metric(name: str) -> Metric:
    """Remove a metric from the registry and return it (KeyError if it is not registered)."""
    if name not in METRICS:
        raise KeyError(f"no metric named {name!r} is registered")
    return METRICS.pop(name)


@contextmanager
def temporary_metric(*args, **kwargs) -> Iterator[Metric]:
    """:func:`register_metric` (with a Metric or with ``compute``) for the duration of a ``with``
    block; the metric is removed on the way out, whatever happens."""
    metric = register_metric(*args, **kwargs)
    if not isinstance(metric, Metric):
        raise TypeError("temporary_metric needs a Metric or compute=")
    try:
        yield metric
    finally:
        if METRICS.get(metric.name) is metric:
            unregister_metric(metric.name)


def compute_metrics(outputs: Outputs, names: Iterable[str] | None = None, per_step_only: bool = False
                    ) -> dict[str, float]:
    """Every registered metric (or those of ``names``) of one model, in registry order; with ``per_step_only``
    those measured at every recorded step (``Metric.per_step``)."""
    chosen = METRICS if names is None else {n: METRICS[n] for n in names}
    return {name: metric(outputs) for name, metric in chosen.items() if metric.per_step or not per_step_only}


def compute_metrics_many(outputs: list[Outputs], names: Iterable[str] | None = None, per_step_only: bool = False
                         ) -> list[dict[str, float]]:
    """:func:`compute_metrics` of many models (one Outputs each), each metric computed for all at once."""
    chosen = METRICS if names is None else {n: METRICS[n] for n in names}
    columns = {name: metric.many(outputs) for name, metric in chosen.items() if metric.per_step or not per_step_only}
    return [{name: values[i] for name, values in columns.items()} for i in range(len(outputs))]


METRIC_NAMES: list[str] = live_metric_names()
"""Every registered metric's name, in order (a list kept up to date: see :func:`live_metric_names`)."""


# ---- the explorer's metrics, in the order of its tables and CSV --------------------------------

def _paper_forget_acc(o: Outputs) -> float:
    if o.paper.forget_test is None:  # random forgetting: D_f is the forget set itself
        return accuracy(o.forget, o.forget_labels)
    mask = o.paper.forget_test
    return accuracy(o.test[mask], o.test_labels[mask])


def _paper_retain_acc(o: Outputs) -> float:
    mask = o.paper.retain_test
    return accuracy(o.test[mask], o.test_labels[mask])


_HEADLINE = {"table", "animation", "summary"}
for _metric in [
    Metric("retain_acc", "Retain accuracy", "higher is better: the rest of the training set must stay learnt",
           "high", frozenset({"retain"}), lambda o: accuracy(o.retain, o.retain_labels), _HEADLINE, "retain acc"),
    Metric("forget_acc", "Forget accuracy", "closer to retrain is better (not simply lower: a retrained model may "
           "still get them right)", "retrain", frozenset({"forget"}), lambda o: accuracy(o.forget, o.forget_labels),
           _HEADLINE, "forget acc"),
    Metric("test_acc", "Test accuracy", "higher is better: unlearning should not cost generalisation", "high",
           frozenset({"test"}), lambda o: accuracy(o.test, o.test_labels), _HEADLINE, "test acc"),
    Metric("paper_forget_acc", "D_f accuracy (paper's tables)", "closer to retrain is better. The paper's D_f "
           "column: for a whole forgotten class (or sub-class) the accuracy on its *test* images; for any other "
           "forget set the accuracy on the forgotten training points (as forget_acc)", "retrain",
           frozenset({"paper_split", "test", "forget"}), _paper_forget_acc, short="D_f acc"),
    Metric("paper_retain_acc", "D_r accuracy (paper's tables)", "higher is better. The paper's D_r column: test "
           "accuracy without the forgotten class (or sub-class); for any other forget set the whole test set (as "
           "test_acc)", "high", frozenset({"paper_split", "test"}), _paper_retain_acc, short="D_r acc"),
    Metric("mia", "MIA (share of forget set called member)", "closer to retrain is better; lower means fewer "
           "forgotten points still look like training data. When every retain and test entropy is the same the "
           "attack has nothing to learn and the explorer reports 0.5 (chance); the published code's logistic "
           "regression then calls every point a non-member (0.0), which would read as perfect forgetting",
           "retrain", frozenset({"retain", "test", "forget"}), lambda o: mia(o.retain, o.test, o.forget), _HEADLINE,
           "MIA", compute_many=lambda outs: mia_many([o.retain for o in outs], [o.test for o in outs],
                                                     [o.forget for o in outs])),
    Metric("mia_efficacy", "MIA-Efficacy (SalUn's attack: share of forget set called non-member)", "closer to "
           "retrain is better; higher means more forgotten points look like unseen data. SalUn's SVC on the true-class "
           "confidence (OPTML-Group/Unlearn-Saliency evaluation/SVC_MIA.py), the MIA of its Avg. Gap; measured on "
           "each finished model, not at every step (it fits an SVC each time)", "retrain",
           frozenset({"retain", "test", "forget"}),
           lambda o: mia_efficacy(o.retain, o.retain_labels, o.test, o.test_labels, o.forget, o.forget_labels),
           {"table"}, "MIA-Efficacy", per_step=False),
    Metric("forget_entropy", "Forget-set entropy", "closer to retrain is better: a retrained model is less sure "
           "about points it never saw", "retrain", frozenset({"forget"}), lambda o: mean_entropy(o.forget),
           {"table", "animation"}, "forget entropy"),
    Metric("agreement_with_retrain", "Agreement with retrain", "higher is better: share of evaluation points "
           "labelled as the retrained model labels them", "high", frozenset({"eval", "retrain"}),
           lambda o: label_agreement(o.eval_labels, o.retrain_eval_labels), _HEADLINE, "agreement w/ retrain"),
    Metric("boundary_change", "Boundary change vs original", "closer to retrain is better: share of evaluation "
           "points whose label changed", "retrain", frozenset({"eval", "original"}),
           lambda o: 1.0 - label_agreement(o.eval_labels, o.original_eval_labels), short="boundary change"),
    Metric("js_to_retrain", "JS divergence to retrain (forget set)", "lower is better: 0 means the same "
           "predictions as retraining", "low", frozenset({"forget", "retrain"}),
           lambda o: float(js_divergence(o.forget, o.retrain_forget).mean()), short="JS to retrain"),
    Metric("forget_lipschitz", "Local Lipschitz at forget points", "closer to retrain is better; JiT lowers it by "
           "design", "retrain", frozenset({"noisy_forget"}),
           lambda o: float(lipschitz_ratios(o.forget_space, o.noisy_space, o.forget_inputs, o.noisy_inputs).mean()),
           {"animation"}, "forget Lipschitz"),
]:
    register_metric(_metric)
del _metric
