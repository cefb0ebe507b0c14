"""The common interface of every unlearning method: data-access declarations, the data views a
method is handed, the run context, trajectory recording with divergence rollback, and the registry."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from explorer.config.declare import SECTIONS, Settings, check_fields, undeclared
from explorer.config.limits import MAX_RECORDED_BYTES, MAX_RECORDED_POINTS, WORK, WorkFn, recording_stride
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


class UndeclaredDataError(ValueError):
    """A method read a data view its DataAccess does not declare (one line, naming the method and the view)."""


HIDDEN = object()  # the value of a view the method did not declare: reading it raises UndeclaredDataError
VIEWS = {"forget_x": ("the forget inputs", "forget_inputs=True"), "forget_y": ("the forget labels", "forget_labels=True"),
         "retain_x": ("retain data", "retain=True"), "retain_y": ("retain labels", "retain=True"),
         "train_x": ("training-set inputs", "full_train_stats=True"),
         "train_y": ("training-set labels", "full_train_stats=True and forget_labels=True"),
         "train_forget": ("which training rows are the forget set", "full_train_stats=True"),
         "forget_class": ("the forget class", "class_level_only=True or forget_labels=True")}


@dataclass(frozen=True)
class UnlearnData:
    """The data views handed to a method. A view its DataAccess does not declare is not there: reading it raises
    :class:`UndeclaredDataError`, so "zero-shot" is enforced for every method, a plugin's too (``has`` asks)."""

    n_classes: int
    forget_x: np.ndarray | None = None
    forget_y: np.ndarray | None = None
    retain_x: np.ndarray | None = None
    retain_y: np.ndarray | None = None
    train_x: np.ndarray | None = None  # the full training set, for methods that use its statistics
    train_y: np.ndarray | None = None
    train_forget: np.ndarray | None = None  # with the training set: which of its rows are the forget set
    forget_class: int | None = None  # set when the forget set is exactly one whole class
    method: str = ""  # who is reading (for the refusal's message)
    access: DataAccess | None = None

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if value is HIDDEN:
            what, how = VIEWS[name]
            method = object.__getattribute__(self, "method") or "the method"
            access = object.__getattribute__(self, "access")
            raise UndeclaredDataError(f"{method} read {what} ({name}) without declaring it (it declares "
                                      f"{access.describe() if access else 'nothing'}); declare DataAccess({how})")
        return value

    def has(self, name: str) -> bool:
        """Whether the view ``name`` (``retain_x``, ...) was declared and handed over."""
        return object.__getattribute__(self, name) is not HIDDEN

    def __repr__(self) -> str:
        return f"UnlearnData({', '.join(n for n in VIEWS if self.has(n))})"

    @classmethod
    def restricted(cls, access: DataAccess, data: Dataset, forget_ids, method: str = "") -> "UnlearnData":
        ids = np.asarray(sorted(set(int(i) for i in forget_ids)), dtype=int)
        retain = np.ones(len(data.x_train), dtype=bool)
        retain[ids] = False
        classes = np.unique(data.y_train[ids])
        whole_class = (int(classes[0]) if len(classes) == 1
                       and (data.y_train[retain] != classes[0]).all() else None)
        return cls(
            n_classes=data.n_classes,
            forget_x=data.x_train[ids] if access.forget_inputs else HIDDEN,
            forget_y=data.y_train[ids] if access.forget_labels else HIDDEN,
            retain_x=data.x_train[retain] if access.retain else HIDDEN,
            retain_y=data.y_train[retain] if access.retain else HIDDEN,
            train_x=data.x_train if access.full_train_stats else HIDDEN,
            # Training-set labels only for label-based methods (SSD); label-free ones (LF-SSD) get inputs.
            train_y=data.y_train if access.full_train_stats and access.forget_labels else HIDDEN,
            train_forget=~retain if access.full_train_stats else HIDDEN,
            forget_class=whole_class if access.class_level_only or access.forget_labels else HIDDEN,
            method=method, access=access,
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
        # Bounded memory whatever the number of steps (limits.MAX_RECORDED_POINTS / _BYTES): the stride is chosen
        # up front so that the run's recorded points fit the cap, and the first record (its probabilities' size)
        # can lower the cap; should a run take more steps than it announced, the points are thinned to every
        # other one and the stride doubles.
        self.cap = MAX_RECORDED_POINTS
        self.stride = recording_stride(self.total, ctx.record_every, self.cap)
        self._record(0, 0, None)
        self.stride = max(self.stride, recording_stride(self.total, ctx.record_every, self.cap))

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

    def descend(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, step: int, epoch: int) -> bool:
        """One optimiser step on ``loss`` (backward, step), then :meth:`step`'s record and check."""
        loss.backward()
        optimizer.step()
        return self.step(step, epoch, float(loss.detach()))

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


BUILT_IN = "built-in"


class MethodError(ValueError):
    """A method failed or returned the wrong thing (one line); a compared method's failure keeps the rest."""


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else "no message"


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fn: MethodFn
    config_cls: type
    access: DataAccess
    summary: str
    presets: dict[str, Preset] = field(default_factory=dict)
    origin: str = BUILT_IN  # or the plugin (distribution) that registered it (explorer/unlearning/plugins.py)

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
        cfg = replace(base, **values)  # a Settings config checks its fields as it is built
        if not isinstance(cfg, Settings):
            check_fields(self.name, cfg)
        if hasattr(cfg, "validate"):
            cfg.validate()
        return cfg


METHODS: dict[str, MethodSpec] = {}
# Settings sections that are not methods (explorer/config/*.py): a method of that name would take their paths over.
NOT_METHOD_SECTIONS = ("dataset", "model", "train", "audit")
ORIGIN = {"now": BUILT_IN}  # who is registering: explorer/unlearning/plugins.py names each plugin while it loads


def register(name: str, *, config: type, access: DataAccess, summary: str, presets: dict[str, Preset] | None = None,
             work: WorkFn | None = None):
    """Decorator: one line registers a method under ``name`` (timm-style), built-in or from a plugin. Each config
    field is a setting: declared on the field (explorer.config.declare.setting) or, unless the field has its own,
    by the shared declaration of its name (explorer.config.declare.SHARED: ``lr``, ``epochs``, ``batch_size``, ...).
    A config deriving from ``Settings`` (``class MyConfig(Settings, section="my_method")``) is checked when it is
    built; any other dataclass is checked before each run. ``work`` is the method's estimate of its own work
    (explorer/config/limits.py ``WORK``), which the work budget prices before any run starts."""

    def wrap(fn: MethodFn) -> MethodFn:
        spec = MethodSpec(name, fn, config, access, summary, dict(presets or {}), ORIGIN["now"])
        check_registration(spec)
        METHODS[name] = spec
        if work is not None:
            WORK[name] = work
        return fn

    return wrap


def check_registration(spec: MethodSpec) -> None:
    """What every method must bring (a plugin is refused in one line otherwise): a new name, a callable, a
    dataclass config whose every field is declared and whose defaults and presets lie inside their ranges, a
    DataAccess, a summary."""
    name = spec.name
    if not (isinstance(name, str) and name.replace("_", "").isalnum() and name[:1].isalpha()):
        raise ValueError(f"a method name is a word of letters, digits and _, got {name!r}")
    if name in METHODS and METHODS[name].origin != spec.origin:
        raise ValueError(f"{spec.origin} registers {name!r}, a name {METHODS[name].origin} already uses")
    if not callable(spec.fn) or not isinstance(spec.access, DataAccess) or not isinstance(spec.summary, str):
        raise ValueError(f"{name}: register(...) needs a function, access=DataAccess(...) and a summary text")
    if not (isinstance(spec.config_cls, type) and is_dataclass(spec.config_cls)):
        raise ValueError(f"{name}: config must be a dataclass, got {spec.config_cls!r}")
    if name in NOT_METHOD_SECTIONS:
        raise ValueError(f"{name!r} already names the {name} settings (paths {name}.FIELD): choose another name")
    missing = undeclared(name, spec.config_cls)
    if missing:
        raise ValueError(f"{name}: setting(s) {', '.join(missing)} have no declared range; declare each with "
                         f"{missing[0]}: ... = explorer.config.declare.setting(default, lo=..., hi=...)")
    try:
        for f in fields(spec.config_cls):  # each setting has a widget on both pages and a form in a link
            value = getattr(spec.config_cls(), f.name)
            if not isinstance(value, (bool, int, float, str, tuple)):
                raise ValueError(f"setting {f.name} is a {type(value).__name__}: settings are numbers, true/false, "
                                 "text or tuples of numbers")
        check_fields(name, spec.config_cls())
        for preset, entry in spec.presets.items():
            if not isinstance(entry, Preset) or not isinstance(entry.config, spec.config_cls):
                raise ValueError(f"preset {preset!r} must be Preset({spec.config_cls.__name__}(...), source)")
            check_fields(name, entry.config)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: {_first_line(err)}") from None
    if name != "retrain":  # retrain's settings are the training's (train.*)
        SECTIONS[name] = spec.config_cls  # its settings' paths (name.field) resolve to this class's fields


def method_names(zero_shot_only: bool = False) -> list[str]:
    return [n for n, m in METHODS.items() if m.access.zero_shot or not zero_shot_only]


def get_method(name: str) -> MethodSpec:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[name]


def refusal(name: str, data: Dataset, forget_ids) -> str | None:
    """Why method ``name`` cannot run on this forget set (one line), or None when it can."""
    spec = get_method(name)
    if spec.access.class_level_only and UnlearnData.restricted(spec.access, data, forget_ids, name).forget_class is None:
        return f"{name} only forgets whole classes; choose a forget set that is exactly one class"
    return None


def run_method(name: str, model: nn.Module, data: Dataset, forget_ids, config=None,
               ctx: RunContext | None = None) -> UnlearnResult:
    """Run a registered method on a copy of ``model``: the caller's model is never changed."""
    spec = get_method(name)
    ctx = ctx or RunContext(device=next(model.parameters()).device)
    config = config if config is not None else spec.default_config()
    if not isinstance(config, Settings):  # a Settings config was checked when it was built
        check_fields(name, config)
    if hasattr(config, "validate"):
        config.validate()
    reason = refusal(name, data, forget_ids)
    if reason:
        raise ValueError(reason)
    views = UnlearnData.restricted(spec.access, data, forget_ids, name)
    start = time.perf_counter()
    work = copy.deepcopy(model).to(ctx.device)
    try:
        trajectory = spec.fn(work, views, config, ctx)
    except UndeclaredDataError:
        raise
    except Exception as err:  # noqa: BLE001 - a plugin's failure is one line; the run's other methods are kept
        if spec.origin == BUILT_IN:
            raise
        raise MethodError(f"{name} (from {spec.origin}) failed: {type(err).__name__}: {_first_line(err)}") from err
    if not (isinstance(trajectory, Trajectory) and trajectory.points):
        raise MethodError(f"{name} returned {type(trajectory).__name__}, not a recorded Trajectory; end the method "
                          "with `return recorder.finish(step, epoch)` (explorer.unlearning.Recorder)")
    work.eval()
    # Report the method's own time: measuring the trajectory is the explorer's cost, not the method's.
    return UnlearnResult(work, trajectory, time.perf_counter() - start - trajectory.eval_seconds)
