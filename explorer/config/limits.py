"""What is not a setting: the work budget a run must fit and the sizes of links, files and data.

Each setting's type, range, unit and words are declared on its config field (explorer/config/declare.py).
The work budget (:func:`run_work`) estimates a run's cost before any work starts: training the original and the
retrain reference, each method's own steps, and measuring every recorded step on the evaluation grid, counted
here and priced in CPU-seconds and bytes by explorer/config/cost.py. A request over :data:`WORK_BUDGET` is
refused with what dominates. This module imports nothing heavy, so every entrance can read it.
"""
from __future__ import annotations

from typing import Any, Callable

from explorer.config.cost import RUN_BUDGET, RUN_SECONDS, Cost, Model as CostModel, check as check_cost

# The work budget: one run's estimated CPU-seconds (original + retrain training, every method, and measuring
# every recorded step; explorer/config/cost.py prices them).
WORK_BUDGET = RUN_BUDGET
# Recorded frames a run may keep class probabilities for, and the memory they may take; the Recorder
# thins itself (every other point) whenever either would be passed, however many steps a run takes.
MAX_RECORDED_POINTS = 1024
MAX_RECORDED_BYTES = 256 * 2**20
MAX_SEED = 2**32 - 1  # a seed: NumPy's and torch's seeds take any 32-bit unsigned number
MAX_SEEDS = 32  # training seeds per run: enough for a 95 % interval and the per-point scores, bounded in work
MAX_SAMPLES = 20000  # a training set's points (and so every batch size)
MAX_FORGET = MAX_SAMPLES  # ids: a forget set is at most the largest training set
MAX_FILE_BYTES = 1 * 2**20  # a scenario file
MAX_URL_RANGES = 2000  # comma-separated parts of the URL's f= (ids or ranges)
# The user's own data: a data file (CSV of points, .npz of small images) and hand edits of a training set.
MAX_DATA_BYTES = {"csv": 2 * 2**20, "npz": 16 * 2**20}  # a data file, by kind (read no further)
MIN_DATA_ROWS = 10  # rows of a data file (at most MAX_SAMPLES)
MAX_CLASSES = 10  # classes of a dataset (dataset.classes); a data file's labels are whole numbers 0..MAX_CLASSES-1
MAX_IMAGE_SIDE = 32  # an uploaded image's height and width (pixels; 1 or 3 channels)
MAX_COORDINATE = 1e6  # |value| of a data file's number or an added point's coordinate
MAX_EMBEDDED_BYTES = 256 * 2**10  # a data file this small travels inside the scenario (its file and its jobs)
MAX_EDITS = 2000  # added + removed + relabelled points of one training set
MAX_EDIT_LINK_CHARS = 8000  # the edits' characters in a link; more: the page offers the scenario file instead


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


# Each method's own estimate of its work, registered with the method (explorer/unlearning/base.py ``register(...,
# work=...)``): (cfg, n_train, n_forget, n_classes) -> (sample forwards, optimiser steps), a backward pass counting as
# two forwards. A method that registers none is priced as training on the whole training set for its epochs.
WorkFn = Callable[[Any, int, int, int], tuple[float, int]]
WORK: dict[str, WorkFn] = {}


def passes(n: int, epochs: int, batch_size: int, per_sample: float = 3) -> tuple[float, int]:
    """(sample forwards, optimiser steps) of ``epochs`` passes over ``n`` samples in batches of ``batch_size``, each
    sample costing ``per_sample`` forwards (3: a forward and a backward)."""
    return epochs * n * per_sample, epochs * batches(int(n), batch_size)


def default_work(cfg, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """A method without its own estimate: ``epochs`` (or ``steps``) passes over the whole training set."""
    return passes(n_train, getattr(cfg, "epochs", getattr(cfg, "steps", 1)), getattr(cfg, "batch_size", 0))


def method_work(name: str, cfg, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """(sample forwards, optimiser steps) of one method, by its registered estimate."""
    return WORK.get(name, default_work)(cfg, n_train, n_forget, n_classes)


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
