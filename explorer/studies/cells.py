"""The study primitive's types: a :class:`Cell` (one run), :class:`Measures` (what a study keeps of each) and
:class:`CellResult` (what comes back); :func:`explorer.studies.study.run_cells` runs them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from torch import nn

from explorer.config.scenario import Scenario
from explorer.engine.training import TrainHistory
from explorer.engine.trajectory import Trajectory
from explorer.stages import Trained


@dataclass(frozen=True)
class Cell:
    """One run: ``scenario`` gives the data, model, training recipe and measurement settings and, unless
    ``config`` is given, the method's settings; ``offset`` k is the training seed (``train.seed + k``: initial
    weights, batch order) and the method seed (``seed + k``). ``method`` None: the references only (the
    original and the retrain reference, e.g. a leave-one-out model). ``key``: the caller's label."""

    scenario: Scenario
    forget_ids: tuple[int, ...]
    method: str | None = "jit"
    config: Any = None
    offset: int = 0
    key: Any = None

    @property
    def family(self) -> str:
        """What the cells sharing one trained original per seed have in common."""
        d = self.scenario.to_dict()
        for name in ("method", "compare", "configs", "presets", "forget", "seeds"):
            d.pop(name, None)
        d["train"].pop("seed")
        return json.dumps(d, sort_keys=True)

    @property
    def train_seed(self) -> int:
        return self.scenario.train.seed + self.offset

    @property
    def original_key(self) -> tuple:
        return self.family, self.train_seed

    @property
    def retrain_key(self) -> tuple:
        return self.family, self.train_seed, tuple(sorted(self.forget_ids))


@dataclass(frozen=True)
class Measures:
    """What a study keeps of each cell. ``final``: the metrics measured on the final models (None: every
    registered one); ``steps``: those recorded at every step (None: every one, () none: the final model only);
    ``probes``: inputs whose class probabilities are recorded at every step (:data:`explorer.stages.EVAL_INPUTS`
    for the evaluation inputs); ``margins``: each retain, forget and test point's margin under the final models
    (the per-point scores read them); ``models``: the trained original, the retrain reference and the method's
    model come back; ``max_frames``: each trajectory thinned for animation."""

    final: tuple[str, ...] | None = None
    steps: tuple[str, ...] | None = ()
    probes: dict = field(default_factory=dict)
    margins: bool = False
    models: bool = False
    max_frames: int | None = None


@dataclass
class CellResult:
    """One cell's run: the original's, the retrain reference's and the method's metrics, the method's trajectory
    (its steps and losses at least), seconds, and what :class:`Measures` asked for; ``error``: why the method did
    not run or failed (its metrics are then empty)."""

    cell: Cell
    original: dict[str, float]
    retrain: dict[str, float]
    metrics: dict[str, float] = field(default_factory=dict)
    trajectory: Trajectory | None = None
    seconds: float = 0.0
    retrain_seconds: float = 0.0
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)  # what ``error`` says, to re-raise
    history: TrainHistory | None = None  # the original's training
    reference_probes: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    slices: dict[str, slice] = field(default_factory=dict)
    margins: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # model -> set -> (n,)
    trained: Trained | None = None
    retrain_model: nn.Module | None = None
    model: nn.Module | None = None
    evaluator: Any = None

    @property
    def stopped(self) -> str | None:
        return self.trajectory.stopped if self.trajectory is not None else None
