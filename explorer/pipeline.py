"""From a scenario to trained models, the retrain reference, unlearned models and a JSON report.

Each stage is a separate function so the app can cache them independently (the trained original
per data/model/training settings, the retrain reference per forget set).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
from torch import nn

from explorer.comparison import avg_gap, gaps
from explorer.device import pick_device
from explorer.evaluation import Evaluator, Grid
from explorer.models import build_model
from explorer.scenario import Scenario, ScenarioError
from explorer.training import TrainHistory, train
from explorer.verdict import judge, method_label
from explorer.unlearning import RunContext, UnlearnResult, get_method, run_method
from explorer.unlearning.base import refusal
from toy_data import Dataset, load_dataset

Progress = Callable[[str, float], None]  # (stage label, fraction done in [0, 1])


@dataclass
class Trained:
    """A dataset with its initial and trained model (what the app caches per settings)."""

    data: Dataset
    initial: nn.Module
    model: nn.Module
    history: TrainHistory
    device: torch.device
    grid: Grid | None

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
    initial = build_initial(scenario, data)
    try:
        scenario.train.validate()
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    report = (lambda e, total, loss: progress("training the original model", e / total)) if progress else None
    try:
        model, history = train(initial, data.x_train, data.y_train, scenario.train, device, report)
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    grid = Grid.around(data.x_train, scenario.grid_resolution) if data.is_2d else None
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
            return replace(scenario.train, **(scenario.configs.get(name) or {}))
        return spec.config_from(scenario.configs.get(name), scenario.presets.get(name))
    except (TypeError, ValueError) as err:
        raise ScenarioError(str(err).splitlines()[0]) from None


def make_evaluator(scenario: Scenario, trained: Trained, forget_ids, retrain: nn.Module | None) -> Evaluator:
    return Evaluator(trained.data, forget_ids, trained.eval_inputs, trained.model, retrain, trained.device,
                     lipschitz_sigma=scenario.lipschitz_sigma, lipschitz_space=scenario.lipschitz_space,
                     seed=scenario.seed)


def validate(scenario: Scenario) -> None:
    """Cheap checks that need no training, so bad input fails fast."""
    for name in scenario.methods:
        method_config(scenario, name)
    if scenario.grid_resolution < 10 or scenario.grid_resolution > 400:
        raise ScenarioError(f"grid resolution must be between 10 and 400, got {scenario.grid_resolution}")
    check_lipschitz_probe(scenario.lipschitz_sigma, scenario.lipschitz_space)
    if scenario.record_every < 1:
        raise ScenarioError(f"record-every must be >= 1, got {scenario.record_every}")
    if not 0 <= scenario.seed < 2**32:
        raise ScenarioError(f"seed must be between 0 and 2**32 - 1, got {scenario.seed}")
    resolve_device(scenario)


def check_lipschitz_probe(sigma, space) -> None:
    if not (isinstance(sigma, (int, float)) and 0 < sigma <= 10 and np.isfinite(sigma)):
        raise ScenarioError(f"the Lipschitz probe's sigma must be in (0, 10], got {sigma}")
    if space not in ("probs", "logits"):
        raise ScenarioError(f"the Lipschitz probe's space must be probs or logits, got {space!r}")


def unlearn(scenario: Scenario, name: str, trained: Trained, forget_ids, evaluator: Evaluator,
            record_probs: bool = False, progress: Progress | None = None) -> UnlearnResult:
    ctx = RunContext(
        device=trained.device, seed=scenario.seed, evaluate=evaluator.evaluate,
        record_every=scenario.record_every, record_probs=record_probs, initial_model=trained.initial,
        progress=(lambda s, total: progress(f"running {name}", s / total)) if progress else None,
    )
    try:
        return run_method(name, trained.model, trained.data, forget_ids, method_config(scenario, name), ctx)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


@dataclass
class RunOutcome:
    scenario: Scenario
    trained: Trained
    forget_ids: list[int]
    retrain: nn.Module
    retrain_seconds: float
    evaluator: Evaluator
    results: dict[str, UnlearnResult] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # compared method -> why it did not run

    def report(self) -> dict:
        original_metrics, _ = self.evaluator.evaluate(self.trained.model)
        retrain_metrics, _ = self.evaluator.evaluate(self.retrain)
        scenario = self.scenario.to_dict()
        scenario["forget_ids"] = list(self.forget_ids)
        models = {
            "original": {"metrics": original_metrics, "seconds": self.trained.history.seconds,
                         "epochs": self.trained.history.epochs_run, "converged": self.trained.history.converged},
            "retrain": {"metrics": retrain_metrics, "seconds": self.retrain_seconds},
        }
        verdicts = {}
        for name, result in self.results.items():
            metrics = result.trajectory.final.metrics
            verdicts[name] = self.verdict(name, metrics, original_metrics, retrain_metrics, result.trajectory.stopped)
            entry = {"metrics": metrics, "seconds": result.seconds, "verdict": verdicts[name],
                     "gaps": gaps(metrics, retrain_metrics), "avg_gap": avg_gap(metrics, retrain_metrics),
                     "trajectory": result.trajectory.to_list()}
            if result.trajectory.stopped:
                entry["stopped"] = result.trajectory.stopped
            models[name] = entry
        main = verdicts.get(self.scenario.method)
        return {"scenario": scenario, "device": self.trained.device.type,
                "verdict": main["sentence"] if main else None, "models": _clean(models), "refused": dict(self.refused)}

    def verdict(self, name: str, metrics: dict, original: dict, retrain: dict, stopped: str | None) -> dict:
        label = method_label(name)
        subject = "boundary" if self.trained.data.is_2d else "predictions"
        return judge(label, metrics, original, retrain, len(self.forget_ids), subject, stopped).to_dict()


def run(scenario: Scenario, progress: Progress | None = None, record_probs: bool = False,
        trained: Trained | None = None) -> RunOutcome:
    """The whole headless pipeline: train, resolve the forget set, retrain, unlearn, measure."""
    validate(scenario)
    data = trained.data if trained is not None else load_data(scenario)
    forget_ids = scenario.forget.resolve(data, scenario.seed)  # bad forget sets fail before any training
    # A method that cannot take this forget set: the main one is an error, a compared one is refused
    # (with its reason in the report) and the rest of the run is kept — both before any training.
    refused = {name: why for name in scenario.methods if name != "retrain"
               for why in [refusal(name, data, forget_ids)] if why}
    if scenario.method in refused:
        raise ScenarioError(refused[scenario.method])
    trained = trained or train_original(scenario, progress, data=data)
    retrain, _, retrain_seconds = retrain_reference(scenario, trained, forget_ids, progress)
    evaluator = make_evaluator(scenario, trained, forget_ids, retrain)
    outcome = RunOutcome(scenario, trained, forget_ids, retrain, retrain_seconds, evaluator, refused=refused)
    for name in scenario.methods:
        if name == "retrain" or name in refused:  # retrain: the reference above is that model, reported once
            continue
        outcome.results[name] = unlearn(scenario, name, trained, forget_ids, evaluator, record_probs, progress)
    return outcome


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
