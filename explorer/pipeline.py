"""From a scenario to trained models, the retrain reference, unlearned models and a JSON report.

:func:`run` is the one run path of the CLI, both pages and the benchmarks; its stages are separate
functions so the app can cache them (the trained original per data/model/training settings, the
retrain reference per forget set) and hand them back in.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
from torch import nn

from explorer.config import limits, selection
from explorer.config.fields import replaced
from explorer.config.scenario import ForgetSpec, Scenario, ScenarioError
from explorer.engine.device import pick_device
from explorer.engine.models import build_model, predict_proba
from explorer.engine.training import TrainHistory, train
from explorer.engine.trajectory import Trajectory
from explorer.measures.comparison import avg_gap, gaps, metrics_csv
from explorer.measures.evaluation import Evaluator, Grid, Line
from explorer.measures.verdict import judge, method_label
from explorer.unlearning import RunContext, UnlearnResult, get_method, run_method
from explorer.unlearning.base import refusal
from toy_data import Dataset, load_dataset
from toy_data.base import validate_spec

Progress = Callable[[str, float], None]  # (stage label, fraction done in [0, 1])


@dataclass
class Trained:
    """A dataset with its initial and trained model (what the app caches per settings)."""

    data: Dataset
    initial: nn.Module
    model: nn.Module
    history: TrainHistory
    device: torch.device
    grid: Grid | Line | None  # the 2D grid, the 1-D line, or None (images: the test set)

    @property
    def eval_inputs(self) -> np.ndarray:
        return self.grid.points if self.grid is not None else self.data.x_test


def load_data(scenario: Scenario) -> Dataset:
    try:
        return load_dataset(scenario.dataset)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


def build_initial(scenario: Scenario, data: Dataset) -> nn.Module:
    try:
        return build_model(scenario.model, data.n_features, data.n_classes, data.image_shape, seed=scenario.train.seed)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


def train_original(scenario: Scenario, progress: Progress | None = None, device: torch.device | None = None,
                   data: Dataset | None = None) -> Trained:
    device = device or resolve_device(scenario)
    data = data if data is not None else load_data(scenario)
    check_work(scenario, data, 0, methods=False)  # the training part of the budget, before training
    initial = build_initial(scenario, data)
    report = (lambda e, total, loss: progress("training the original model", e / total)) if progress else None
    try:
        model, history = train(initial, data.x_train, data.y_train, scenario.train, device, report)
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    grid = (Grid.around(data.x_train, scenario.grid_resolution) if data.is_2d
            else Line.around(data.x_train, 2 * scenario.grid_resolution + 1) if data.is_1d else None)
    return Trained(data, initial.to(device), model, history, device, grid)


def resolve_device(scenario: Scenario) -> torch.device:
    try:
        return pick_device(scenario.device)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


def retrain_reference(scenario: Scenario, trained: Trained, forget_ids, progress: Progress | None = None
                      ) -> tuple[nn.Module, TrainHistory, float]:
    """Same architecture, same initial weights, same recipe, trained on the retain set only."""
    keep = np.ones(len(trained.data.x_train), dtype=bool)
    keep[list(forget_ids)] = False
    report = (lambda e, total, loss: progress("retraining without the forget set", e / total)) if progress else None
    start = time.perf_counter()
    try:
        model, history = train(trained.initial, trained.data.x_train[keep], trained.data.y_train[keep],
                               scenario.train, trained.device, report)
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    return model, history, time.perf_counter() - start


def method_config(scenario: Scenario, name: str):
    try:
        spec = get_method(name)
        if name == "retrain" and name not in scenario.presets:  # the scenario's own recipe, not the default
            return replaced(scenario.train, name, **(scenario.configs.get(name) or {}))
        return spec.config_from(scenario.configs.get(name), scenario.presets.get(name))
    except (TypeError, ValueError) as err:
        raise ScenarioError(str(err).splitlines()[0]) from None


def make_evaluator(scenario: Scenario, trained: Trained, forget_ids, retrain: nn.Module | None) -> Evaluator:
    return Evaluator(trained.data, forget_ids, trained.eval_inputs, trained.model, retrain, trained.device,
                     lipschitz_sigma=scenario.lipschitz_sigma, lipschitz_space=scenario.lipschitz_space,
                     seed=scenario.seed)


def validate(scenario: Scenario) -> None:
    """Cheap checks that need no training, so bad input fails fast: the dataset is a registered one, each method's
    config builds (every setting was checked against its declaration when its config was built), the device."""
    try:
        validate_spec(scenario.dataset)
    except ValueError as err:
        raise ScenarioError(one_line(err)) from None
    for name in scenario.methods:
        method_config(scenario, name)
    resolve_device(scenario)


def unlearn(scenario: Scenario, name: str, trained: Trained, forget_ids, evaluate,
            record_probs: bool = False, progress: Progress | None = None) -> UnlearnResult:
    """One method from the trained model; ``evaluate`` (an Evaluator or a :class:`ProbeEvaluator`) measures
    every recorded step."""
    ctx = RunContext(
        device=trained.device, seed=scenario.seed, evaluate=evaluate,
        record_every=scenario.record_every, record_probs=record_probs, initial_model=trained.initial,
        progress=(lambda s, total: progress(f"running {name}", s / total)) if progress else None,
    )
    try:
        return run_method(name, trained.model, trained.data, forget_ids, method_config(scenario, name), ctx)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


# ----------------------------------------------------------------------------------------------
# the one run: original, retrain reference, every method (or its refusal), probes for the views

EVAL_INPUTS = None  # a probe given as this reads the Evaluator's own evaluation inputs (the 2D grid)


class ProbeEvaluator:
    """The Evaluator's metrics plus, when asked, class probabilities on named probe inputs (the 2D grid,
    the forgotten images shown, the plane through one): one array per recorded step, cut by name later."""

    def __init__(self, evaluator: Evaluator, probes: dict[str, np.ndarray | None], trained: Trained):
        self.evaluator, self.device = evaluator, trained.device
        sizes, extra = {}, []
        for name, inputs in probes.items():
            inputs = evaluator.eval_inputs if inputs is EVAL_INPUTS else np.asarray(inputs, dtype=np.float32)
            sizes[name] = len(inputs)
            if not (probes[name] is EVAL_INPUTS):
                extra.append(inputs)
        # The evaluation inputs come free with the metrics' forward pass; only the others cost a forward.
        self.uses_eval = any(v is EVAL_INPUTS for v in probes.values())
        order = [n for n in probes if probes[n] is EVAL_INPUTS] + [n for n in probes if probes[n] is not EVAL_INPUTS]
        bounds = np.cumsum([0] + [sizes[n] for n in order])
        self.slices = {n: slice(int(bounds[k]), int(bounds[k + 1])) for k, n in enumerate(order)}
        self.extra = np.concatenate(extra) if extra else None

    def __call__(self, model: nn.Module, with_probs: bool = False):
        metrics, probs = self.evaluator.evaluate(model, with_probs=with_probs and self.uses_eval)
        if not with_probs:
            return metrics, None
        parts = ([probs] if self.uses_eval else []) + (
            [predict_proba(model, self.extra, self.device)] if self.extra is not None else [])
        return metrics, np.concatenate(parts).astype(np.float32) if parts else None

    def cut(self, probs: np.ndarray | None) -> dict[str, np.ndarray]:
        return {} if probs is None else {n: probs[s] for n, s in self.slices.items()}


@dataclass
class MethodOutcome:
    """One method's run on the forget set: its final model, the (thinned) trajectory, its own seconds."""

    name: str
    model: nn.Module
    trajectory: Trajectory
    seconds: float
    slices: dict[str, slice] = field(default_factory=dict, repr=False)

    @property
    def stopped(self) -> str | None:
        return self.trajectory.stopped

    @property
    def final_metrics(self) -> dict[str, float]:
        return self.trajectory.final.metrics

    def probe(self, name: str) -> list[np.ndarray]:
        """Class probabilities on probe ``name`` at every recorded step."""
        return [p.probs[self.slices[name]] for p in self.trajectory.points]

    def final_probe(self, name: str) -> np.ndarray:
        return self.trajectory.final.probs[self.slices[name]]


@dataclass
class RunOutcome:
    """What one run leaves: the trained original, the retrain reference, each method's outcome or its
    refusal (with the reason), and the probes every view reads. One report builder for the CLI's JSON,
    the comparison table and the CSV: :meth:`models`."""

    scenario: Scenario
    trained: Trained
    forget_ids: list[int]
    retrain: nn.Module
    retrain_seconds: float
    evaluator: Evaluator
    references: dict[str, dict[str, float]] = field(default_factory=dict)  # "original" / "retrain" -> metrics
    reference_probes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    results: dict[str, MethodOutcome] = field(default_factory=dict)  # the main method first
    refused: dict[str, str] = field(default_factory=dict)  # compared method -> why it did not run
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall-clock seconds

    @property
    def method(self) -> str:
        return self.scenario.method

    @property
    def main(self) -> MethodOutcome:
        return self.results[self.scenario.method]

    @property
    def compared(self) -> dict[str, MethodOutcome]:
        return {n: r for n, r in self.results.items() if n != self.scenario.method}

    @property
    def subject(self) -> str:
        return "boundary" if self.trained.data.is_2d else "predictions"

    def models(self) -> dict[str, dict]:
        """``{name: {"metrics", "seconds", "stopped"?}}``: original, retrain, then each method that ran."""
        history = self.trained.history
        out = {"original": {"metrics": self.references["original"], "seconds": history.seconds,
                            "epochs": history.epochs_run, "converged": history.converged},
               "retrain": {"metrics": self.references["retrain"], "seconds": self.retrain_seconds}}
        for name, result in self.results.items():
            out[name] = {"metrics": result.final_metrics, "seconds": result.seconds}
            if result.stopped:
                out[name]["stopped"] = result.stopped
        return out

    def verdict(self, name: str | None = None):
        """The one-sentence verdict on ``name`` (default: the main method) against original and retrain."""
        result = self.results[name or self.scenario.method]
        return judge(method_label(result.name), result.final_metrics, self.references["original"],
                     self.references["retrain"], len(self.forget_ids), self.subject, result.stopped)

    def trajectories(self) -> dict[str, list[dict]]:
        return {name: result.trajectory.to_list() for name, result in self.results.items()}

    def report(self) -> dict:
        scenario = self.scenario.to_dict()
        scenario["forget_ids"] = list(self.forget_ids)
        models = self.models()
        retrain_metrics = self.references["retrain"]
        for name, result in self.results.items():
            metrics = result.final_metrics
            models[name].update(verdict=self.verdict(name).to_dict(), gaps=gaps(metrics, retrain_metrics),
                                avg_gap=avg_gap(metrics, retrain_metrics), trajectory=result.trajectory.to_list())
        main = models.get(self.scenario.method, {}).get("verdict")
        return {"scenario": scenario, "device": self.trained.device.type,
                "verdict": main["sentence"] if main else None, "models": _clean(models), "refused": dict(self.refused)}

    def csv(self) -> str:
        """Every metric of every method at every recorded step, then each model's final row."""
        return metrics_csv(self.models(), self.trajectories())


def with_compare(scenario: Scenario, methods) -> Scenario:
    """``scenario`` with ``methods`` to compare (not the main method, not retrain, no repeats), each at its
    default settings: the registry's "explorer" preset where the method has one, else its defaults."""
    chosen = tuple(dict.fromkeys(m for m in methods if m not in (scenario.method, "retrain")))
    presets = {m: "explorer" for m in chosen if "explorer" in get_method(m).presets}
    return replace(scenario, compare=chosen, presets={**presets, **scenario.presets})


def resolve_forget(scenario: Scenario, data: Dataset, forget_ids=None) -> list[int]:
    """The forget set: explicit ids (the app's selection) or the scenario's spec, validated in one place, and
    the whole run checked against the work budget (every page resolves the forget set before any work)."""
    spec = scenario.forget if forget_ids is None else ForgetSpec(ids=tuple(int(i) for i in forget_ids))
    ids = selection.forget_ids(spec, data, scenario.seed)
    check_work(scenario, data, len(ids))
    return ids


def work(scenario: Scenario, data: Dataset, n_forget: int, methods: bool = True) -> limits.Work:
    """The run's estimated multiply-adds by part (explorer/config/limits.py): training, each method, recording."""
    configs = {name: method_config(scenario, name) for name in scenario.methods} if methods else {}
    costs = {name: get_method(name).cost for name in configs}
    return limits.run_work(scenario, configs, costs, len(data.x_train), len(data.x_test), n_forget, data.n_features,
                           data.n_classes, data.image_shape, data.is_2d)


def check_work(scenario: Scenario, data: Dataset, n_forget: int, methods: bool = True) -> None:
    """Refuse (one line) a run whose estimated work is over the budget, before any of it starts."""
    try:
        work(scenario, data, n_forget, methods).check()
    except ValueError as err:
        raise ScenarioError(one_line(err)) from None


def run(scenario: Scenario, progress: Progress | None = None, *, trained: Trained | None = None,
        forget_ids=None, probes: dict[str, np.ndarray | None] | None = None,
        retrain: tuple[nn.Module, float] | None = None, max_frames: int | None = None) -> RunOutcome:
    """The one run path of the CLI, both pages and the benchmarks: train (unless ``trained``), resolve the
    forget set (``forget_ids`` or the scenario's spec), retrain without it (unless ``retrain`` = (model,
    seconds) is given), run the main method and every compared one, and measure all of them the same way.

    ``probes`` names inputs whose class probabilities are recorded at every step (:data:`EVAL_INPUTS` for
    the evaluation inputs); ``max_frames`` thins each trajectory for animation. A compared method that
    cannot take this forget set (a class-only method on a forget set that is not one class) is refused
    with its reason before any training, and a compared method that fails is reported the same way: the
    rest of the run is kept. The main method's failure is the run's failure."""
    validate(scenario)
    data = trained.data if trained is not None else load_data(scenario)
    ids = resolve_forget(scenario, data, forget_ids)  # bad forget sets fail before any training
    refused = {name: why for name in scenario.methods if name != "retrain"
               for why in [refusal(name, data, ids)] if why}
    if scenario.method in refused:
        raise ScenarioError(refused[scenario.method])
    trained = trained or train_original(scenario, progress, data=data)
    if retrain is None:
        retrain_model, _, retrain_seconds = retrain_reference(scenario, trained, ids, progress)
    else:
        retrain_model, retrain_seconds = retrain
    start = time.perf_counter()
    evaluator = make_evaluator(scenario, trained, ids, retrain_model)
    probe = ProbeEvaluator(evaluator, probes or {}, trained)
    outcome = RunOutcome(scenario, trained, ids, retrain_model, retrain_seconds, evaluator, refused=refused)
    for name, model in (("original", trained.model), ("retrain", retrain_model)):
        metrics, probs = probe(model, with_probs=bool(probes))
        outcome.references[name], outcome.reference_probes[name] = metrics, probe.cut(probs)
    outcome.seconds = {"retrain": retrain_seconds, "references": time.perf_counter() - start}
    for name in scenario.methods:
        if name == "retrain" or name in refused:  # retrain: the reference above is that model, reported once
            continue
        try:
            result = unlearn(scenario, name, trained, ids, probe, record_probs=bool(probes), progress=progress)
        except Exception as err:  # noqa: BLE001 - a compared method's failure must not lose the others
            if name == scenario.method:
                raise
            if not isinstance(err, ScenarioError):
                logging.getLogger("explorer").exception("compared method %s failed", name)
            refused[name] = f"failed: {one_line(err)}" if not isinstance(err, ScenarioError) else one_line(err)
            continue
        trajectory = result.trajectory.thinned(max_frames) if max_frames else result.trajectory
        outcome.results[name] = MethodOutcome(name, result.model, trajectory, result.seconds, probe.slices)
        outcome.seconds[name] = result.seconds
    return outcome


def one_line(message) -> str:
    """The first line of an error message: what a page or the CLI shows."""
    text = str(message).strip()
    return text.splitlines()[0] if text else type(message).__name__


def _clean(value):
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
