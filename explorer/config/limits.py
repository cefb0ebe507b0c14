"""Every setting's type, range and unit, declared once, and the work budget a run must fit.

Each entrance reads this table: the sidebar widgets take their min/max from it, the URL clamps to it
(with a notice naming the value and the limit), scenario files and CLI flags are checked against it
(one line, exit 2), and every config's validation calls :func:`check_fields`. A setting is named by its
scenario path: ``dataset.samples``, ``model.width``, ``train.epochs``, ``seed``, ``grid_resolution``,
and ``<method>.<field>`` for a method's settings (``jit.passes``, ``unsir.noise_steps``). A method field
without its own entry takes the shared entry of its name (``lr``, ``epochs``, ``batch_size``, ...), so a
new method inherits the bounds of the settings it shares with the others; a test checks that every field
of every registered config resolves to a declaration.

The work budget (:func:`run_work`) estimates a run's cost before any work starts: training the original and the
retrain reference, each method's own steps, and measuring every recorded step on the evaluation grid, counted
here and priced in CPU-seconds and bytes by explorer/config/cost.py. A request over :data:`WORK_BUDGET` is
refused with what dominates. This module imports nothing heavy, so every entrance can read it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

from explorer.config.cost import RUN_BUDGET, RUN_SECONDS, Cost, Model as CostModel, check as check_cost
from explorer.config.echo import number, shown


@dataclass(frozen=True)
class Limit:
    """One setting: its type (``int``, ``float``, ``bool``, ``str`` or ``tuple`` of ints), its range
    ``[lo, hi]`` (``lo_open``: lo itself excluded), its unit, and its choices for a string."""

    kind: type
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    lo_open: bool = False
    choices: tuple = ()
    step: float | None = None  # a widget's step (the sidebar's number inputs)

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind is bool:
            return "0 or 1"
        lo = "" if self.lo is None else (f"> {_num(self.lo)}" if self.lo_open else f">= {_num(self.lo)}")
        if self.lo is not None and self.hi is not None and not self.lo_open:
            text = f"between {_num(self.lo)} and {_num(self.hi)}"
        elif self.hi is not None:
            text = f"{lo} and <= {_num(self.hi)}" if lo else f"<= {_num(self.hi)}"
        else:
            text = lo or "any value"
        return text + (f" {self.unit}" if self.unit else "")


def _num(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 1e15:
        return number(value)  # 1e308 as 1e+308, never as a 309-digit whole number
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int) and value >= 10**6:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------------------------
# the declarations

MAX_SEED = 2**32 - 1
MAX_SEEDS = 32  # training seeds per run: enough for a 95 % interval and the per-point scores, bounded in work
MAX_SAMPLES = 20000
I, F, B, S, T = int, float, bool, str, tuple

SCENARIO: dict[str, Limit] = {
    # data
    "dataset.samples": Limit(I, 20, MAX_SAMPLES, "points", step=20),
    "dataset.noise": Limit(F, 0.0, 5.0, step=0.05),
    "dataset.classes": Limit(I, 2, 10, "classes", step=1),
    "dataset.seed": Limit(I, 0, MAX_SEED, step=1),
    "dataset.test_fraction": Limit(F, 0.05, 0.9, step=0.05),
    # model
    "model.kind": Limit(S, choices=("mlp", "cnn")),
    "model.depth": Limit(I, 0, 8, "hidden layers", step=1),
    "model.width": Limit(I, 1, 1024, "units", step=8),
    "model.activation": Limit(S, choices=("relu", "tanh", "sigmoid", "gelu", "elu")),
    "model.channels": Limit(I, 1, 128, "channels", step=4),
    "model.dropout": Limit(F, 0.0, 0.9, step=0.05),
    # training (the original and the retrain reference)
    "train.epochs": Limit(I, 1, 20000, "epochs", step=100),
    "train.lr": Limit(F, 0.0, 10.0, lo_open=True, step=0.001),
    "train.weight_decay": Limit(F, 0.0, 1.0, step=1e-4),
    "train.batch_size": Limit(I, 0, MAX_SAMPLES, "samples (0 = full batch)", step=1),
    "train.optimizer": Limit(S, choices=("adam", "sgd")),
    "train.target_loss": Limit(F, 0.0, 10.0),
    "train.patience": Limit(I, 1, 20000, "epochs"),
    "train.tolerance": Limit(F, 0.0, 1.0),
    "train.seed": Limit(I, 0, MAX_SEED),
    # the run
    "seed": Limit(I, 0, MAX_SEED),
    "seeds": Limit(I, 1, MAX_SEEDS, "training seeds", step=1),
    "grid_resolution": Limit(I, 10, 400, "cells per side"),
    "record_every": Limit(I, 1, 100000, "steps"),
    "lipschitz_sigma": Limit(F, 0.0, 10.0, lo_open=True),
    "lipschitz_space": Limit(S, choices=("probs", "logits")),
    "device": Limit(S),
    "method": Limit(S),
    # the privacy audit (explorer/studies/audit.py): reference models come in complementary pairs
    "audit.references": Limit(I, 2, 256, "reference models", step=2),
    "audit.variance": Limit(S, choices=("per_point", "global")),
}

# Method settings shared by name (a method's own entry below wins).
SHARED: dict[str, Limit] = {
    "lr": Limit(F, 0.0, 10.0, lo_open=True),
    "noise_lr": Limit(F, 0.0, 10.0, lo_open=True),
    "repair_lr": Limit(F, 0.0, 10.0, lo_open=True),
    "epochs": Limit(I, 1, 1000, "epochs"),
    "steps": Limit(I, 1, 10000, "steps"),
    "batch_size": Limit(I, 0, MAX_SAMPLES, "samples (0 = full batch)"),
    "forget_batch_size": Limit(I, 0, MAX_SAMPLES, "samples (0 = full batch)"),
    "repair_batch_size": Limit(I, 0, MAX_SAMPLES, "samples (0 = full batch)"),
    "optimizer": Limit(S, choices=("adam", "sgd")),
    "momentum": Limit(F, 0.0, 0.999),
    "weight_decay": Limit(F, 0.0, 10.0),
    "anchor_weight": Limit(F, 0.0, 1000.0),
    "schedule": Limit(S, choices=("constant", "cosine", "one_cycle", "step", "cosine_epochs")),
    "alpha": Limit(F, 0.0, 1000.0),
    "gamma": Limit(F, 0.0, 1000.0),
    "temperature": Limit(F, 0.0, 100.0, lo_open=True),
    "train_mode": Limit(B),
    "three_per_copy": Limit(B),
    "stale_noise_grads": Limit(B),
    "noise_train_mode": Limit(B),
    "elementwise_kl": Limit(B),
    "first_per_class": Limit(B),
    "shuffle_forget": Limit(B),
    "noise_batch": Limit(I, 1, 1024, "samples"),
    "noise_steps": Limit(I, 1, 1000, "steps"),
    "max_noise_steps": Limit(I, 1, 1000, "steps"),
    "min_noise_steps": Limit(I, 1, 1000, "steps"),
    "noise_reg": Limit(F, 0.0, 1000.0),
    "min_noise_reg": Limit(F, 0.0, 1000.0),
    "noise_copies": Limit(I, 1, 1000, "copies"),
    "per_class": Limit(I, 1, MAX_SAMPLES, "samples"),
    "impair_epochs": Limit(I, 1, 100, "epochs"),
    "repair_epochs": Limit(I, 0, 100, "epochs"),
    "retain_fraction": Limit(F, 0.0, 1.0),
    "msteps": Limit(I, 0, 1000, "epochs"),
    "lr_decay_epochs": Limit(T, 0, 1000, "epochs"),
    "lr_decay_rate": Limit(F, 0.0, 1.0),
    "max_grad_norm": Limit(F, 0.0, 1e6),
    "lam": Limit(F, 0.0, 1000.0, lo_open=True),
    "exponent": Limit(F, 0.0, 100.0, lo_open=True),
    "lower_bound": Limit(F, 0.0, 1.0, lo_open=True),
    "target": Limit(S, choices=("runner_up", "next")),
    "data_order": Limit(S, choices=("training", "shuffled", "retain_then_forget", "class_then_forget")),
}

METHOD: dict[str, Limit] = {
    "jit.sigma": Limit(F, 0.0, 10.0, lo_open=True, step=0.01),
    "jit.eta": Limit(F, 0.0, 10.0, lo_open=True),
    "jit.perturbations": Limit(I, 1, 1000, "perturbations per sample"),
    "jit.passes": Limit(I, 1, 10000, "passes"),
    "jit.batch_size": Limit(I, 1, MAX_SAMPLES, "forget samples per step"),
    "jit.output_space": Limit(S, choices=("logits", "probs")),
    "jit.reduction": Limit(S, choices=("sum", "mean")),
    "jit.detach_perturbed": Limit(B),
    "jit.clamp_to_batch_range": Limit(B),
    "jit.accumulate_grads": Limit(B),
    "jit.max_step_change": Limit(F, 0.0, 100.0),
    "neggrad_plus.alpha": Limit(F, 0.0, 1.0),
    "ssd.alpha": Limit(F, 0.0, 1000.0, lo_open=True),
    "lf_ssd.alpha": Limit(F, 0.0, 1000.0, lo_open=True),
}

# The work budget: one run's estimated CPU-seconds (original + retrain training, every method, and measuring
# every recorded step; explorer/config/cost.py prices them).
WORK_BUDGET = RUN_BUDGET
# Recorded frames a run may keep class probabilities for, and the memory they may take; the Recorder
# thins itself (every other point) whenever either would be passed, however many steps a run takes.
MAX_RECORDED_POINTS = 1024
MAX_RECORDED_BYTES = 256 * 2**20
MAX_FORGET = MAX_SAMPLES  # ids: a forget set is at most the largest training set
MAX_COORDINATE = 1e6  # a forget point's coordinates (the toys lie within about ±10)
MAX_FILE_BYTES = 1 * 2**20  # a scenario file
MAX_URL_RANGES = 2000  # comma-separated parts of the URL's f= (ids or ranges)
# The user's own data: a data file (CSV of points, .npz of small images) and hand edits of a training set.
MAX_DATA_BYTES = {"csv": 2 * 2**20, "npz": 16 * 2**20}  # a data file, by kind (read no further)
MIN_DATA_ROWS = 10  # rows of a data file (at most MAX_SAMPLES)
MAX_CLASSES = 10  # labels of a data file are whole numbers 0..MAX_CLASSES-1 (as dataset.classes)
MAX_IMAGE_SIDE = 32  # an uploaded image's height and width (pixels; 1 or 3 channels)
MAX_COORDINATE = 1e6  # |value| of a data file's number or an added point's coordinate
MAX_EMBEDDED_BYTES = 256 * 2**10  # a data file this small travels inside the scenario (its file and its jobs)
MAX_EDITS = 2000  # added + removed + relabelled points of one training set
MAX_EDIT_LINK_CHARS = 8000  # the edits' characters in a link; more: the page offers the scenario file instead


def limit(path: str) -> Limit | None:
    """The declaration of ``path`` (``dataset.samples``, ``jit.passes``, ``scrub.lr``), or None."""
    if path in SCENARIO:
        return SCENARIO[path]
    if path in METHOD:
        return METHOD[path]
    head, dot, name = path.partition(".")
    if dot and head not in ("dataset", "model", "train"):
        if head == "retrain":
            return SCENARIO.get(f"train.{name}")
        return SHARED.get(name)
    return None


# ----------------------------------------------------------------------------------------------
# checking and clamping

def check(path: str, value: Any) -> Any:
    """``value`` if it has the declared type and lies in range; ValueError (one line naming the setting,
    the value and the limit) otherwise. An undeclared path passes unchanged."""
    lim = limit(path)
    if lim is None:
        return value
    why = _problem(lim, value)
    if why:
        raise ValueError(f"{path} {why}")
    return value


def _problem(lim: Limit, value: Any) -> str | None:
    if lim.kind is B:
        return None if isinstance(value, bool) else f"must be true or false, got {_short(value)}"
    if lim.kind is S:
        if not isinstance(value, str):
            return f"must be text, got {_short(value)}"
        if lim.choices and value not in lim.choices:
            return f"must be {lim.describe()}, got {_short(value)}"
        return None
    if lim.kind is T:
        if not isinstance(value, (tuple, list)) or len(value) > 100:
            return f"must be a list of at most 100 whole numbers, got {_short(value)}"
        for v in value:
            why = _problem(Limit(I, lim.lo, lim.hi, lim.unit), v)
            if why:
                return why
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a {'whole ' if lim.kind is I else ''}number, got {_short(value)}"
    if lim.kind is I and not isinstance(value, int):
        return f"must be a whole number, got {_short(value)}"
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if (lim.lo is not None and (value < lim.lo or (lim.lo_open and value == lim.lo))) or (
            lim.hi is not None and value > lim.hi):
        return f"must be {lim.describe()}, got {_num(value)}"
    return None


def _short(value: Any) -> str:
    return shown(value, 40)


def clamp(path: str, value: Any, name: str | None = None) -> tuple[Any, str | None]:
    """(value inside the declared range, a notice naming the value and the limit, or None when unchanged).
    Only numbers are clamped; a wrong type or a non-finite number is a ValueError, as in :func:`check`.
    ``name`` is how the notice names the setting (a URL key), ``path`` by default."""
    name = name or path
    lim = limit(path)
    if lim is None or lim.kind not in (I, F):
        return check(path, value), None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return check(path, value), None
    if lim.kind is I and not isinstance(value, int):
        check(path, value)
    if lim.hi is not None and value > lim.hi:
        hi = lim.kind(lim.hi)
        return hi, f"{name}={_num(value)} is above the limit {_num(hi)}{_unit(lim)}; using {_num(hi)}."
    if lim.lo is not None and (value < lim.lo or (lim.lo_open and value == lim.lo)):
        if lim.lo_open:  # nothing to clamp to: the bound itself is not allowed
            check(path, value)
        lo = lim.kind(lim.lo)
        return lo, f"{name}={_num(value)} is below the limit {_num(lo)}{_unit(lim)}; using {_num(lo)}."
    return value, None


def _unit(lim: Limit) -> str:
    return f" {lim.unit.split(' (')[0]}" if lim.unit else ""


def check_fields(prefix: str, obj) -> None:
    """Check every declared field of the dataclass ``obj`` under ``prefix`` (``dataset``, ``jit``, ...)."""
    for f in fields(obj):
        check(f"{prefix}.{f.name}", getattr(obj, f.name))


def undeclared(prefix: str, config_cls) -> list[str]:
    """Fields of ``config_cls`` without a declaration (a test keeps this empty for every config)."""
    return [f.name for f in fields(config_cls) if limit(f"{prefix}.{f.name}") is None]


def bounds(path: str) -> tuple[float | None, float | None]:
    """(min, max) for a widget: an open lower bound becomes the smallest useful positive value."""
    lim = limit(path)
    if lim is None or lim.kind not in (I, F):
        return None, None
    lo = lim.lo
    if lo is not None and lim.lo_open:
        lo = 1e-6 if lim.kind is F else lo + 1
    cast = lim.kind
    return (None if lo is None else cast(lo)), (None if lim.hi is None else cast(lim.hi))


# ----------------------------------------------------------------------------------------------
# the work budget

def model_macs(model, n_features: int, n_classes: int, image_shape=None) -> int:
    """Multiply-adds of one forward pass of one sample through the model ``model`` (a ModelConfig)."""
    if model.kind == "cnn" and image_shape:
        c, h, w = image_shape
        ch = model.channels
        conv = c * ch * 9 * h * w + ch * 2 * ch * 9 * (h // 2) * (w // 2)
        return int(conv + 2 * ch * (h // 4) * (w // 4) * model.width + model.width * n_classes)
    size, total = n_features, 0
    for _ in range(model.depth):
        total += size * model.width
        size = model.width
    return int(total + size * n_classes)


def batches(n: int, batch: int) -> int:
    """Minibatches per epoch (a batch size of 0: the full batch)."""
    return max(1, -(-n // batch)) if batch > 0 else 1


def method_work(name: str, cfg, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """(sample forwards, optimiser steps) of one method; a backward pass counts as two forwards."""
    nf, nr = n_forget, max(n_train - n_forget, 0)
    g = lambda f, default=0: getattr(cfg, f, default)  # noqa: E731
    if name == "jit":  # the clean inputs forward and backward, the perturbed ones forward (and backward too when
        n = cfg.perturbations  # not detached), the step guard's two forwards of all of them
        per_sample = (n + 3 if cfg.detach_perturbed else 3 * (n + 1)) + (2 * (n + 1) if cfg.max_step_change > 0 else 0)
        return cfg.passes * nf * per_sample, cfg.passes * batches(nf, cfg.batch_size)
    if name in ("neggrad", "random_labels"):
        return g("epochs") * nf * 3, g("epochs") * batches(nf, g("batch_size"))
    if name == "greedy":
        return cfg.steps * nf * 3, cfg.steps * batches(nf, cfg.batch_size)
    if name == "finetune":
        return cfg.epochs * nr * 3, cfg.epochs * batches(nr, cfg.batch_size)
    if name == "neggrad_plus":
        return cfg.epochs * nr * 6, cfg.epochs * batches(nr, cfg.batch_size)
    if name == "scrub":
        return cfg.epochs * (nr + nf) * 4, cfg.epochs * (batches(nr, cfg.batch_size) + batches(nf, cfg.forget_batch_size))
    if name == "bad_teacher":
        n = nf + cfg.retain_fraction * nr
        return cfg.epochs * n * 5, cfg.epochs * batches(int(n), cfg.batch_size)
    if name in ("ssd", "lf_ssd"):
        return (n_train + nf) * 3, 1
    if name == "unsir":
        noise = cfg.noise_steps * cfg.noise_batch * n_classes * 3
        impair = cfg.impair_epochs * (cfg.noise_copies * cfg.noise_batch + cfg.per_class * n_classes) * 3
        repair = cfg.repair_epochs * cfg.per_class * n_classes * 3
        steps = (cfg.impair_epochs + cfg.repair_epochs) * batches(cfg.noise_copies * cfg.noise_batch
                                                                  + cfg.per_class * n_classes, cfg.batch_size)
        return noise + impair + repair, steps
    if name == "emmn":
        noise = (cfg.max_noise_steps + cfg.min_noise_steps * n_classes) * cfg.noise_batch * 3
        train = cfg.epochs * cfg.noise_copies * cfg.noise_batch * n_classes * 3
        return noise + train, cfg.epochs * batches(cfg.noise_copies * cfg.noise_batch * n_classes, cfg.batch_size)
    epochs = g("epochs", g("steps", 1))
    return epochs * n_train * 3, epochs * batches(n_train, g("batch_size"))


def recording_stride(steps: int, every: int = 1, cap: int = MAX_RECORDED_POINTS) -> int:
    """The smallest power-of-two stride at which a run of ``steps`` steps, recorded every ``every``-th step, keeps
    at most ``cap`` points (step 0, every ``every·stride``-th step and the last). The Recorder starts at this
    stride, so it never measures a step it would later thin away: its trajectory is the one thinning would
    leave, measured once per kept point."""
    every, stride = max(1, every), 1
    while steps // (every * stride) + 2 > cap:
        stride *= 2
    return stride


def recorded_evaluations(steps: int, every: int = 1, cap: int = MAX_RECORDED_POINTS) -> int:
    """How many times the Recorder measures a run of ``steps`` steps (at most): step 0, every recorded step at
    :func:`recording_stride`, and the last."""
    return steps // (max(1, every) * recording_stride(steps, every, cap)) + 2


class Work(Cost):
    """A run's estimate (explorer/config/cost.py): CPU-seconds by part (``training``, ``<method>``, ``recording
    <method>``) and the bytes it keeps."""

    @property
    def total(self) -> float:
        return self.seconds

    def check(self, budget: float = WORK_BUDGET) -> None:
        check_cost(self, budget)


def model_cost(model, n_features: int, n_classes: int, image_shape=None) -> CostModel:
    """Per-sample multiply-adds, elementwise units and parameters of ``model`` (a ModelConfig)."""
    macs = max(1, model_macs(model, n_features, n_classes, image_shape))
    if model.kind == "cnn" and image_shape:
        c, h, w = image_shape
        ch = model.channels
        units = ch * h * w + 2 * ch * (h // 2) * (w // 2) + model.width + n_classes
        params = c * ch * 9 + ch * 2 * ch * 9 + 2 * ch * (h // 4) * (w // 4) * model.width + model.width * n_classes
        return CostModel(macs, units, params, cnn=True)
    return CostModel(macs, model.depth * model.width + n_classes, macs + model.depth * model.width + n_classes)


def run_work(scenario, configs: dict, n_train: int, n_test: int, n_forget: int, n_features: int, n_classes: int,
             image_shape=None, two_d: bool = True, probe_points: int = 0, max_frames: int | None = None,
             grid_points: int | None = None) -> Work:
    """The estimated cost of ``scenario`` with its resolved method ``configs`` ({name: config}) on a training
    set of ``n_train`` points and a forget set of ``n_forget``; ``probe_points`` inputs whose class
    probabilities are kept at every recorded step (the pages'), thinned to ``max_frames`` after the run."""
    m = model_cost(scenario.model, n_features, n_classes, image_shape)
    runs = getattr(scenario, "seeds", 1)  # every part runs once per training seed
    epochs, batch = scenario.train.epochs, scenario.train.batch_size
    grid = (scenario.grid_resolution ** 2 if two_d else 0) if grid_points is None else grid_points
    evaluation = m.evaluation_seconds(grid + n_train + n_test, n_classes, n_train + n_test)
    parts = {"training": 2.0 * epochs * m.work_seconds(n_train * 3, batches(n_train, batch)),  # original, retrain
             "set-up": RUN_SECONDS + 2 * evaluation}  # data, models, the original's and the retrain's measures
    frame_bytes = probe_points * n_classes * 4
    kept = transient = 0.0
    for name, cfg in configs.items():
        if name == "retrain":
            continue
        forwards, steps = method_work(name, cfg, n_train, n_forget, n_classes)
        parts[name] = m.work_seconds(forwards, steps, method=True)
        frames = recorded_evaluations(steps, scenario.record_every)
        parts[f"recording {name}"] = float(frames) * evaluation
        if frame_bytes:  # the Recorder keeps at most MAX_RECORDED_POINTS frames and MAX_RECORDED_BYTES
            during = min(frames, MAX_RECORDED_POINTS, max(4, MAX_RECORDED_BYTES // frame_bytes)) * frame_bytes
            after = min(during, max_frames * frame_bytes) if max_frames else during  # thinned after the run
            kept, transient = kept + after, max(transient, during - after)
    models = (3 + len(configs)) * m.params * 4 * 3  # each model with its gradients and optimiser state
    return Work({part: runs * seconds for part, seconds in parts.items()},
                runs * (kept + transient + models + 3 * frame_bytes))
