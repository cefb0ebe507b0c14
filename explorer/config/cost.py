"""The one budget: what a request would cost in CPU-seconds and memory, estimated before any work, and the one
check every entrance calls (:func:`check`).

The time model prices the work explorer/config/limits.py counts (optimiser steps, sample forwards, recorded
evaluations) in CPU-seconds on one core. Its constants were fitted to CPU time (``time.process_time``, one
torch thread) measured on this project's 2-core x86-64 machine: training steps of MLPs from 0 to 8 × 1,024
units on 300 to 20,000 samples (every step within 0.76-1.26× of the fit) and the Evaluator on moons, blobs,
digits and the line (0.54-1.31×). ``python -m explorer bench --budget`` compares the estimate with measured CPU
time for a set of whole runs (README, "The budget in time"). A model's forward costs its multiply-adds and its
elementwise work (one unit per hidden activation); a convolution runs :data:`CNN_FACTOR` slower per
multiply-add than a dense layer here.

Budgets: :data:`RUN_BUDGET` for one run (``run``, a page's Unlearn, a lesson step), :data:`PAGE_STUDY_BUDGET`
for the many runs one click on a page starts (the σ×η sweep, the atlas page), :data:`STUDY_BUDGET` for the
studies a terminal starts on purpose (``calibrate``, ``atlas``), :data:`AUDIT_BUDGET` for a privacy audit,
:data:`MEMORY_BUDGET` for what one run keeps.
Pure: no torch, so every entrance can afford it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from explorer.config.echo import number

# The time model (CPU-seconds on one core; fitted as the module docstring says).
STEP_SECONDS = 2.4e-4  # one optimiser step's fixed cost (Python, autograd, the optimiser's loop)
PARAM_STEP_SECONDS = 9.1e-9  # the optimiser's update, per parameter and step
MAC_SECONDS = 1.45e-11  # one multiply-add of a dense layer (forward; a backward counts as two forwards)
UNIT_SECONDS = 1.25e-9  # elementwise work per sample and unit (activations, biases, the loss)
UNIT_OVERHEAD = 12  # units every sample costs besides the hidden ones (input, loss)
CNN_FACTOR = 2.0  # a convolution's multiply-add against a dense layer's, on this CPU
METHOD_STEP_SECONDS = 5e-4  # a method's step besides the optimiser's: the Recorder's snapshot and checks, JiT's noise
EVAL_SECONDS = 8.9e-3  # one recorded evaluation's fixed cost (the membership attack's fit, the metrics)
EVAL_FORWARD = 1.34  # an evaluation's forward per point, in training forwards (softmax, copies, labels)
EVAL_POINT_CLASS_SECONDS = 4.3e-8  # per evaluated point and class (probabilities, entropy, agreement)
EVAL_TRAIN_POINT_SECONDS = 2.3e-6  # per training and test point (the membership attack's fit grows with them)
RUN_SECONDS = 0.6  # a run's set-up: data, models, the evaluator and its probes

RUN_BUDGET = 120.0  # CPU-seconds: one run (about a minute on two cores)
PAGE_STUDY_BUDGET = 300.0  # CPU-seconds: a sweep or an atlas from a page (the moons atlas: about 130)
STUDY_BUDGET = 3600.0  # CPU-seconds: a study started from a terminal (the default calibration: about 0.4 h)
AUDIT_BUDGET = 600.0  # CPU-seconds: a privacy audit, the run and its reference models (from a page or a terminal)
MEMORY_BUDGET = 512 * 2**20  # bytes one run may keep (recorded class probabilities, models)


@dataclass(frozen=True)
class Model:
    """What a model costs per sample: multiply-adds, elementwise units, parameters, and whether it convolves."""

    macs: int
    units: int
    params: int
    cnn: bool = False

    @property
    def forward_seconds(self) -> float:
        """One sample's forward pass."""
        return (self.macs * MAC_SECONDS * (CNN_FACTOR if self.cnn else 1.0)
                + (self.units + UNIT_OVERHEAD) * UNIT_SECONDS)

    @property
    def step_seconds(self) -> float:
        """One optimiser step's fixed cost."""
        return STEP_SECONDS + self.params * PARAM_STEP_SECONDS

    def work_seconds(self, forwards: float, steps: float, method: bool = False) -> float:
        """``forwards`` sample forwards (a backward counts as two) and ``steps`` optimiser steps (of an
        unlearning method: with its per-step bookkeeping)."""
        return forwards * self.forward_seconds + steps * (self.step_seconds + (METHOD_STEP_SECONDS if method else 0))

    def evaluation_seconds(self, points: int, classes: int, train_and_test: int) -> float:
        """One recorded evaluation: the forward of every evaluation point and every metric."""
        return (EVAL_SECONDS + points * (EVAL_FORWARD * self.forward_seconds + classes * EVAL_POINT_CLASS_SECONDS)
                + train_and_test * EVAL_TRAIN_POINT_SECONDS)


@dataclass(frozen=True)
class Cost:
    """An estimate: CPU-seconds by part (``training``, ``jit``, ``recording jit``, ...) and the bytes kept."""

    parts: dict = field(default_factory=dict)
    bytes: float = 0.0

    @property
    def seconds(self) -> float:
        return float(sum(self.parts.values()))

    def __add__(self, other: "Cost") -> "Cost":
        parts = dict(self.parts)
        for name, value in other.parts.items():
            parts[name] = parts.get(name, 0.0) + value
        return Cost(parts, self.bytes + other.bytes)

    def times(self, k: float) -> "Cost":
        return Cost({name: k * value for name, value in self.parts.items()}, self.bytes)


def check(cost: Cost, budget: float = RUN_BUDGET, what: str = "this run", memory: float = MEMORY_BUDGET) -> None:
    """The one budget check of every entrance: ValueError (one line naming the part that dominates and what to
    lower) when ``cost`` is over ``budget`` CPU-seconds or ``memory`` bytes."""
    if cost.seconds > budget:
        part, seconds = max(cost.parts.items(), key=lambda kv: kv[1])
        raise ValueError(f"{what} needs about {_seconds(cost.seconds)} of CPU (estimated), over the work budget of "
                         f"{_seconds(budget)} (most of it: {part}, {_seconds(seconds)}); {advice(part)}")
    if cost.bytes > memory:
        raise ValueError(f"{what} would keep about {cost.bytes / 2**20:,.0f} MB, over the memory budget of "
                         f"{memory / 2**20:,.0f} MB (most of it recorded class probabilities); use a coarser grid, "
                         f"compare fewer methods or record fewer steps")


def advice(part: str) -> str:
    if part.startswith("recording"):
        return "record fewer steps (raise record_every, or fewer passes/epochs) or use a coarser grid"
    if part.startswith("reference"):
        return "use fewer reference models, samples or epochs"
    if part in ("training", "retraining"):
        return "use fewer samples, epochs or a smaller model"
    if part in ("cells", "points", "runs", "repeats"):
        return f"ask for fewer {part} or a smaller scenario"
    return f"lower {part}'s passes, epochs, steps or perturbations, or forget fewer points"


def _seconds(value: float) -> str:
    if value < 120:
        return f"{value:.3g} s"
    if value < 2 * 3600:
        return f"{value / 60:.3g} min"
    hours = value / 3600
    return f"{hours:.3g} h" if hours < 1000 else f"{number(hours)} h" if hours > 1e15 else f"{hours:,.0f} h"
