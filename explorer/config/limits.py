"""What is not a setting: the work budget a run must fit and its cost model, and the sizes of the memory a
run may keep, of links and of files. (Every setting's type, range and unit is declared on its config field:
explorer/config/fields.py.)

The work budget (:func:`run_work`) estimates a run's multiply-adds before any work starts: training the
original and the retrain reference, each method's own steps (each method registers its cost estimate with
itself: ``register(..., cost=...)``), and measuring every recorded step on the evaluation grid. A request
over :data:`WORK_BUDGET` is refused with what dominates. This module imports nothing heavy, so every
entrance can read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from explorer.config.shared import MAX_SAMPLES

# The work budget: one run's estimated multiply-adds (original + retrain training, every method, and
# measuring every recorded step), about half a minute of CPU on a 2-core machine.
WORK_BUDGET = 2e11
# Recorded frames a run may keep class probabilities for, and the memory they may take; the Recorder
# thins itself (every other point) whenever either would be passed, however many steps a run takes.
MAX_RECORDED_POINTS = 1024
MAX_RECORDED_BYTES = 256 * 2**20
MAX_FORGET = MAX_SAMPLES  # ids: a forget set is at most the largest training set
MAX_FILE_BYTES = 1 * 2**20  # a scenario file
MAX_URL_RANGES = 2000  # comma-separated parts of the URL's f= (ids or ranges)


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
    """Optimiser steps of one pass over ``n`` samples in batches of ``batch`` (0 = one full batch)."""
    return max(1, -(-n // batch)) if batch > 0 else 1


# A method's cost estimate: (config, n_train, n_forget, n_classes) -> (sample forwards, optimiser steps); a
# backward pass counts as two forwards. Each method registers its own with itself.
Cost = Callable[[Any, int, int, int], "tuple[float, int]"]


def passes_cost(passes: int, n: int, batch: int, per_sample: float = 3) -> tuple[float, int]:
    """``passes`` passes over ``n`` samples in batches of ``batch``: (sample forwards, optimiser steps)."""
    return passes * n * per_sample, passes * batches(n, batch)


def default_cost(cfg, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """A method that declares no cost: its epochs (or steps) over the whole training set, forward and backward."""
    return passes_cost(getattr(cfg, "epochs", getattr(cfg, "steps", 1)), n_train, getattr(cfg, "batch_size", 0))


def recorded_evaluations(steps: int, every: int = 1, cap: int = MAX_RECORDED_POINTS) -> int:
    """How many times the Recorder measures a run of ``steps`` steps: every ``every``-th step until ``cap``
    points are kept, then (thinned to half) every second such step, and so on; plus the first and last."""
    every, done, kept, stride, step = max(1, every), 1, 1, 1, 0
    while True:
        gap = every * stride
        room = cap + 1 - kept  # records until the next thinning
        if step + room * gap >= steps:
            return done + (steps - step) // gap + 1
        done, step = done + room, step + room * gap
        kept, stride = (cap + 2) // 2, stride * 2


@dataclass(frozen=True)
class Work:
    """A run's estimated multiply-adds, by part (``training``, ``<method>``, ``recording <method>``)."""

    parts: dict
    macs_per_sample: int

    @property
    def total(self) -> float:
        return float(sum(self.parts.values()))

    def check(self, budget: float = WORK_BUDGET) -> None:
        if self.total <= budget:
            return
        part, cost = max(self.parts.items(), key=lambda kv: kv[1])
        raise ValueError(f"this run needs about {self.total:.2g} multiply-adds, over the work budget of {budget:.2g} "
                         f"(most of it: {part}, {cost:.2g}); {_advice(part)}")


def _advice(part: str) -> str:
    if part.startswith("recording"):
        return "record fewer steps (raise record_every, or fewer passes/epochs) or use a coarser grid"
    if part == "training":
        return "use fewer samples, epochs or a smaller model"
    return f"lower {part}'s passes, epochs, steps or perturbations, or forget fewer points"


def run_work(scenario, configs: dict, costs: dict[str, Cost], n_train: int, n_test: int, n_forget: int,
             n_features: int, n_classes: int, image_shape=None, two_d: bool = True) -> Work:
    """The estimated work of ``scenario`` with its resolved method ``configs`` ({name: config}) and their registered
    ``costs`` on a training set of ``n_train`` points and a forget set of ``n_forget``."""
    macs = max(1, model_macs(scenario.model, n_features, n_classes, image_shape))
    parts = {"training": 2.0 * scenario.train.epochs * n_train * 3 * macs}  # the original and the retrain
    eval_points = (scenario.grid_resolution ** 2 if two_d else 0) + n_train + n_test
    for name, cfg in configs.items():
        if name == "retrain":
            continue
        forwards, steps = costs.get(name, default_cost)(cfg, n_train, n_forget, n_classes)
        parts[name] = float(forwards) * macs
        frames = recorded_evaluations(steps, scenario.record_every)
        parts[f"recording {name}"] = float(frames) * eval_points * macs
    return Work(parts, macs)
