"""The stages of a run, each a function the one run path (:mod:`explorer.pipeline`) and every study
(:mod:`explorer.studies.study`) put together: the data, the trained original, the retrain reference, each
method's config and run, the evaluator and the probes, the checks before any work (settings, the forget set,
the work budget). The app caches some of them (the trained original per data/model/training settings, the
retrain reference per forget set) and hands them back in.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
from torch import nn

from explorer.config import declare, limits
from explorer.config.echo import shown
from explorer.config.scenario import ForgetSpec, Scenario, ScenarioError
from explorer.engine.device import pick_device
from explorer.engine.models import build_model, predict_proba
from explorer.engine.training import TrainHistory, train, with_seed
from explorer.engine.trajectory import Trajectory
from explorer.measures.evaluation import Evaluator, Grid, Line
from explorer.measures.metrics import METRICS, Outputs, compute_metrics
from explorer.unlearning import RunContext, UnlearnResult, get_method, run_method
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
    data = data if data is not None else load_data(scenario)  # the configs checked themselves when built
    check_work(scenario, data, 0, methods=False)  # the training part of the budget, before training
    initial = build_initial(scenario, data)
    report = (lambda e, total, loss: progress("training the original model", e / total)) if progress else None
    try:
        model, history = train(initial, data.x_train, data.y_train, scenario.train, device, report)
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    return Trained(data, initial.to(device), model, history, device, eval_grid(scenario, data))


def eval_grid(scenario: Scenario, data: Dataset) -> Grid | Line | None:
    """Where agreement and boundary change are measured: the 2D grid, the 1-D line, or None (the test set)."""
    return (Grid.around(data.x_train, scenario.grid_resolution) if data.is_2d
            else Line.around(data.x_train, 2 * scenario.grid_resolution + 1) if data.is_1d else None)


def seed_scenario(scenario: Scenario, k: int) -> Scenario:
    """Seed ``k`` of a many-seed run as a one-seed scenario: training seed ``train.seed + k`` (initial weights,
    batch order) and method seed ``seed + k`` (the method's own noise); data and forget set unchanged."""
    if k == 0 and scenario.seeds == 1:
        return scenario
    return replace(scenario, seeds=1, train=with_seed(scenario.train, k), seed=scenario.seed + k)


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
            config = replace(scenario.train, **(scenario.configs.get(name) or {}))
            config.validate()
            return config
        return spec.config_from(scenario.configs.get(name), scenario.presets.get(name))
    except (TypeError, ValueError) as err:
        raise ScenarioError(str(err).splitlines()[0]) from None


def make_evaluator(scenario: Scenario, trained: Trained, forget_ids, retrain: nn.Module | None) -> Evaluator:
    return Evaluator(trained.data, forget_ids, trained.eval_inputs, trained.model, retrain, trained.device,
                     lipschitz_sigma=scenario.lipschitz_sigma, lipschitz_space=scenario.lipschitz_space,
                     seed=scenario.seed)


def validate(scenario: Scenario) -> None:
    """Cheap checks that need no training, so bad input fails fast (each setting checked itself when the scenario
    was built, explorer/config/declare.py): the dataset's name and data, each method's config, the device."""
    try:
        validate_spec(scenario.dataset)
    except (TypeError, ValueError) as err:
        raise ScenarioError(one_line(err)) from None
    for name in scenario.methods:
        method_config(scenario, name)
    for name in dict.fromkeys([*scenario.configs, *scenario.presets]):  # settings of a method not run: checked
        try:  # too, so a misspelt method name is refused, not ignored
            method_config(scenario, name)
        except ScenarioError as err:
            raise ScenarioError(f"the scenario's settings for method {shown(name)}: {err}") from None
    last = scenario.seeds - 1  # seed k trains with train.seed + k and runs methods with seed + k
    if max(scenario.seed, scenario.train.seed) + last > limits.MAX_SEED:
        raise ScenarioError(f"with {scenario.seeds} seeds the seed and the training seed must be at most "
                            f"{limits.MAX_SEED - last:,} (seed k uses seed + k)")
    resolve_device(scenario)


def check_lipschitz_probe(sigma, space) -> None:
    """The probe's σ and output space against their declarations (explorer/config/declare.py); ScenarioError."""
    try:
        declare.check("lipschitz_sigma", sigma)
        declare.check("lipschitz_space", space)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


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


EVAL_INPUTS = None  # a probe given as this reads the Evaluator's own evaluation inputs (the 2D grid)


class ProbeEvaluator:
    """The Evaluator's metrics (all, or those of ``names``) plus, when asked, class probabilities on named probe
    inputs (the 2D grid, the forgotten images shown, the plane through one): one array per recorded step, cut by
    name later. It measures one model (a call) or, from logits on :attr:`inputs`, any model of a batched forward
    (:func:`explorer.measures.many.measure_many`)."""

    def __init__(self, evaluator: Evaluator, probes: dict[str, np.ndarray | None], trained: Trained, names=None):
        self.evaluator, self.device, self.names = evaluator, trained.device, names
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
        self.inputs = (evaluator.inputs if self.extra is None
                       else np.concatenate([evaluator.inputs, self.extra]).astype(np.float32))

    def __call__(self, model: nn.Module, with_probs: bool = False, final: bool = False):
        """A recorded step's metrics (with ``final``: every metric, for a finished model: those a run does not
        measure at every step too) and probe probabilities."""
        metrics, probs = self.evaluator.evaluate(model, with_probs and self.uses_eval, self.names, per_step_only=not final)
        if not with_probs:
            return metrics, None
        parts = ([probs] if self.uses_eval else []) + (
            [predict_proba(model, self.extra, self.device)] if self.extra is not None else [])
        return metrics, np.concatenate(parts).astype(np.float32) if parts else None

    def from_logits(self, z: torch.Tensor, with_probs: bool = False, final: bool = False):
        """The call's result for the model whose logits on :attr:`inputs` are ``z``."""
        outputs, probs = self.parts(z, with_probs)
        return compute_metrics(outputs, self.names, per_step_only=not final), probs

    def final_only(self, model: nn.Module) -> dict[str, float]:
        """The metrics of :attr:`names` that runs measure on finished models only (``Metric.per_step`` False)."""
        names = [n for n, m in METRICS.items() if not m.per_step and (self.names is None or n in self.names)]
        return self.evaluator.evaluate(model, names=names)[0] if names else {}

    def parts(self, z: torch.Tensor, with_probs: bool = False) -> tuple[Outputs, np.ndarray | None]:
        """What the metrics read for the model whose logits on :attr:`inputs` are ``z``, and (if asked) its class
        probabilities on the probes: :func:`explorer.measures.many.measure_many` computes the metrics of many."""
        n = len(self.evaluator.inputs)
        outputs = self.evaluator.outputs_from(z[:n])
        if not with_probs:
            return outputs, None
        parts = ([outputs.eval.astype(np.float32)] if self.uses_eval else []) + (
            [torch.softmax(z[n:], 1).numpy()] if self.extra is not None else [])
        return outputs, np.concatenate(parts).astype(np.float32) if parts else None

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


def with_compare(scenario: Scenario, methods) -> Scenario:
    """``scenario`` with ``methods`` to compare (not the main method, not retrain, no repeats), each at its
    default settings: the registry's "explorer" preset where the method has one, else its defaults."""
    chosen = tuple(dict.fromkeys(m for m in methods if m not in (scenario.method, "retrain")))
    presets = {m: "explorer" for m in chosen if "explorer" in get_method(m).presets}
    return replace(scenario, compare=chosen, presets={**presets, **scenario.presets})


def resolve_forget(scenario: Scenario, data: Dataset, forget_ids=None, probe_points: int = 0,
                   max_frames: int | None = None) -> list[int]:
    """The forget set: explicit ids (the app's selection) or the scenario's spec, validated in one place, and
    the whole run checked against the work budget (every page resolves the forget set before any work);
    ``probe_points`` and ``max_frames`` as :func:`explorer.pipeline.run` records them, for the memory the run
    will keep."""
    spec = scenario.forget if forget_ids is None else ForgetSpec(ids=tuple(int(i) for i in forget_ids))
    ids = spec.resolve(data, scenario.seed)
    check_work(scenario, data, len(ids), probe_points=probe_points, max_frames=max_frames)
    return ids


def grid_points(scenario: Scenario, data: Dataset) -> int:
    """Evaluation points besides the data: the 2D grid, the 1-D line (images: none)."""
    return scenario.grid_resolution ** 2 if data.is_2d else 2 * scenario.grid_resolution + 1 if data.is_1d else 0


def work(scenario: Scenario, data: Dataset, n_forget: int, methods: bool = True, probe_points: int = 0,
         max_frames: int | None = None) -> limits.Work:
    """The run's estimated CPU-seconds by part and the bytes it keeps (explorer/config/limits.py and cost.py),
    every part once per training seed."""
    configs = {name: method_config(scenario, name) for name in scenario.methods} if methods else {}
    return limits.run_work(scenario, configs, len(data.x_train), len(data.x_test), n_forget, data.n_features,
                           data.n_classes, data.image_shape, data.is_2d, probe_points=probe_points,
                           max_frames=max_frames, grid_points=grid_points(scenario, data))


def check_work(scenario: Scenario, data: Dataset, n_forget: int, methods: bool = True, probe_points: int = 0,
               max_frames: int | None = None) -> None:
    """Refuse (one line) a run whose estimated work or memory is over the budget, before any of it starts."""
    try:
        work(scenario, data, n_forget, methods, probe_points, max_frames).check()
    except ValueError as err:
        raise ScenarioError(one_line(err)) from None


def probe_size(scenario: Scenario, data: Dataset, probes: dict | None) -> int:
    """How many inputs ``probes`` records class probabilities for (:data:`EVAL_INPUTS` is the grid or line, or the
    test set for images)."""
    return sum((grid_points(scenario, data) or len(data.x_test)) if p is EVAL_INPUTS else len(p)
               for p in (probes or {}).values())


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
