"""The common interface of every unlearning method: data-access declarations, the data views a
method is handed, the run context, trajectory recording with divergence rollback, and the registry."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from explorer.config.fields import replaced
from explorer.config.limits import MAX_RECORDED_BYTES, MAX_RECORDED_POINTS, Cost, default_cost
from explorer.engine.trajectory import Trajectory, TrajectoryPoint
from toy_data import Dataset

EvaluateFn = Callable[[nn.Module, bool], "tuple[dict[str, float], np.ndarray | None]"]


@dataclass(frozen=True)
class DataAccess:
    """What a method is allowed to see. The registry hands it nothing else."""

    forget_inputs: bool = True
    forget_labels: bool = False
    retain: bool = False
    full_train_stats: bool = False  # statistics over the whole training set (e.g. SSD's importances)
    class_level_only: bool = False  # needs a whole class as the forget set

    @property
    def zero_shot(self) -> bool:
        """Zero-shot = needs neither retain data nor statistics over the training set."""
        return not (self.retain or self.full_train_stats)

    def describe(self) -> str:
        parts = ["forget inputs"] if self.forget_inputs else []
        parts += ["forget labels"] * self.forget_labels + ["retain data"] * self.retain
        parts += ["training-set statistics"] * self.full_train_stats + ["whole classes only"] * self.class_level_only
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class UnlearnData:
    """The data views handed to a method; anything its DataAccess does not declare is None."""

    n_classes: int
    forget_x: np.ndarray | None = None
    forget_y: np.ndarray | None = None
    retain_x: np.ndarray | None = None
    retain_y: np.ndarray | None = None
    train_x: np.ndarray | None = None  # the full training set, for methods that use its statistics
    train_y: np.ndarray | None = None
    forget_class: int | None = None  # set when the forget set is exactly one whole class

    @classmethod
    def restricted(cls, access: DataAccess, data: Dataset, forget_ids) -> "UnlearnData":
        ids = np.asarray(sorted(set(int(i) for i in forget_ids)), dtype=int)
        retain = np.ones(len(data.x_train), dtype=bool)
        retain[ids] = False
        classes = np.unique(data.y_train[ids])
        whole_class = (int(classes[0]) if len(classes) == 1
                       and (data.y_train[retain] != classes[0]).all() else None)
        return cls(
            n_classes=data.n_classes,
            forget_x=data.x_train[ids] if access.forget_inputs else None,
            forget_y=data.y_train[ids] if access.forget_labels else None,
            retain_x=data.x_train[retain] if access.retain else None,
            retain_y=data.y_train[retain] if access.retain else None,
            train_x=data.x_train if access.full_train_stats else None,
            # Training-set labels only for label-based methods (SSD); label-free ones (LF-SSD) get inputs.
            train_y=data.y_train if access.full_train_stats and access.forget_labels else None,
            forget_class=whole_class if access.class_level_only or access.forget_labels else None,
        )


@dataclass
class RunContext:
    device: torch.device
    seed: int = 0
    evaluate: EvaluateFn | None = None  # metrics (and probabilities) of a model, for the trajectory
    record_every: int = 1  # record every k-th step (the last step is always recorded)
    record_probs: bool = False  # keep class probabilities on the evaluation inputs at each record
    progress: Callable[[int, int], None] | None = None  # (step, total steps)
    initial_model: nn.Module | None = None  # untrained weights, for methods that start from scratch


@dataclass
class UnlearnResult:
    model: nn.Module
    trajectory: Trajectory
    seconds: float


class Recorder:
    """Records the trajectory and keeps the last good weights.

    ``step()`` returns False (and restores the last good weights into the model) when the loss or
    any weight stopped being finite, so a diverging run ends in a usable state with a reason.
    """

    def __init__(self, model: nn.Module, ctx: RunContext, total_steps: int):
        self.model, self.ctx, self.total = model, ctx, max(total_steps, 1)
        self.trajectory = Trajectory()
        self._good = self._snapshot()  # the last step with finite loss and weights
        self._measured = (0, self._good)  # the last step whose outputs were measured finite (recorded)
        self._last_recorded = -1
        # Bounded memory whatever the number of steps: past the cap the recorded points are thinned to
        # every other one and the recording stride doubles (limits.MAX_RECORDED_POINTS / _BYTES).
        self.stride = 1
        self.cap = MAX_RECORDED_POINTS
        self._record(0, 0, None)

    def _snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def _record(self, step: int, epoch: int, loss: float | None) -> None:
        metrics, probs = ({}, None)
        if self.ctx.evaluate is not None:
            start = time.perf_counter()
            metrics, probs = self.ctx.evaluate(self.model, self.ctx.record_probs)
            self.trajectory.eval_seconds += time.perf_counter() - start
        self.trajectory.points.append(TrajectoryPoint(step, epoch, loss, metrics, probs))
        self._last_recorded = step
        if probs is not None and len(self.trajectory.points) == 1:
            self.cap = max(4, min(MAX_RECORDED_POINTS, MAX_RECORDED_BYTES // max(1, probs.nbytes)))
        if len(self.trajectory.points) > self.cap:
            self.trajectory.points = self.trajectory.points[::2]
            self.stride *= 2

    def due(self, step: int) -> bool:
        """Whether ``step`` is recorded: every ``record_every``-th step, times the thinning stride, and the last."""
        return step % (self.ctx.record_every * self.stride) == 0 or step == self.total

    def step(self, step: int, epoch: int, loss: float | None) -> bool:
        finite = loss is None or np.isfinite(loss)
        finite = finite and all(bool(torch.isfinite(p).all()) for p in self.model.parameters())
        why = f"loss {loss}" if loss is None or not np.isfinite(loss) else "a weight stopped being finite"
        if finite and self.due(step):
            try:
                self._record(step, epoch, loss)
            except FloatingPointError as err:  # finite weights whose outputs overflow
                finite, why = False, str(err)
        if not finite:
            kept = step - 1
            self.model.load_state_dict(self._good)
            if self._last_recorded != kept:
                try:
                    self._record(kept, epoch, None)
                except FloatingPointError:  # the last finite step is already useless: its outputs overflow
                    kept, good = self._measured
                    self.model.load_state_dict(good)
            self.trajectory.stopped = (f"diverged at step {step} ({why}); "
                                       f"kept the weights of step {kept}. Try a smaller learning rate.")
            return False
        self._good = self._snapshot()
        if self._last_recorded == step:
            self._measured = (step, self._good)
        if self.ctx.progress:
            self.ctx.progress(step, self.total)
        return True

    def finish(self, step: int, epoch: int, loss: float | None = None) -> Trajectory:
        if self._last_recorded != step and self.trajectory.stopped is None:
            self._record(step, epoch, loss)
        return self.trajectory


@dataclass(frozen=True)
class Preset:
    config: Any
    source: str  # where the numbers come from


MethodFn = Callable[[nn.Module, UnlearnData, Any, RunContext], Trajectory]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fn: MethodFn
    config_cls: type  # made with explorer.config.fields.config: every setting declared on its field
    access: DataAccess
    summary: str
    presets: dict[str, Preset] = field(default_factory=dict)
    # (config, n_train, n_forget, n_classes) -> (sample forwards, optimiser steps), for the work budget
    # (explorer/config/limits.py); a backward pass counts as two forwards.
    cost: Cost = default_cost

    def default_config(self):
        return self.config_cls()

    def config_from(self, values: dict | None = None, preset: str | None = None):
        """A config from a preset name and/or field overrides; unknown fields are an error."""
        if preset is not None and preset not in self.presets:
            raise ValueError(f"unknown preset {preset!r} for {self.name}; choose one of {', '.join(self.presets)}")
        base = self.presets[preset].config if preset else self.default_config()
        values = values or {}
        known = {f.name for f in fields(self.config_cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"{self.name} has no setting {', '.join(sorted(unknown))}")
        return replaced(base, self.name, **values)  # checked as it is built, named under this method


METHODS: dict[str, MethodSpec] = {}


def register(name: str, *, config: type, access: DataAccess, summary: str, presets: dict[str, Preset] | None = None,
             cost: Cost = default_cost):
    """Decorator: one call registers a method under ``name`` (timm-style) with its config, its data access, its
    presets and its cost estimate for the work budget."""

    def wrap(fn: MethodFn) -> MethodFn:
        METHODS[name] = MethodSpec(name, fn, config, access, summary, dict(presets or {}), cost)
        return fn

    return wrap


def method_names(zero_shot_only: bool = False) -> list[str]:
    return [n for n, m in METHODS.items() if m.access.zero_shot or not zero_shot_only]


def get_method(name: str) -> MethodSpec:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[name]


def refusal(name: str, data: Dataset, forget_ids) -> str | None:
    """Why method ``name`` cannot run on this forget set (one line), or None when it can."""
    spec = get_method(name)
    if spec.access.class_level_only and UnlearnData.restricted(spec.access, data, forget_ids).forget_class is None:
        return f"{name} only forgets whole classes; choose a forget set that is exactly one class"
    return None


def run_method(name: str, model: nn.Module, data: Dataset, forget_ids, config=None,
               ctx: RunContext | None = None) -> UnlearnResult:
    """Run a registered method on a copy of ``model``: the caller's model is never changed."""
    spec = get_method(name)
    ctx = ctx or RunContext(device=next(model.parameters()).device)
    config = config if config is not None else spec.default_config()
    if not isinstance(config, spec.config_cls):
        raise TypeError(f"{name} takes a {spec.config_cls.__name__}, got {type(config).__name__}")
    reason = refusal(name, data, forget_ids)
    if reason:
        raise ValueError(reason)
    views = UnlearnData.restricted(spec.access, data, forget_ids)
    start = time.perf_counter()
    work = copy.deepcopy(model).to(ctx.device)
    trajectory = spec.fn(work, views, config, ctx)
    work.eval()
    # Report the method's own time: measuring the trajectory is the explorer's cost, not the method's.
    return UnlearnResult(work, trajectory, time.perf_counter() - start - trajectory.eval_seconds)
