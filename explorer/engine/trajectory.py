"""What an unlearning run leaves behind for the animation: one record per recorded step."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class TrajectoryPoint:
    step: int  # optimiser steps taken so far (0 = the model before unlearning)
    epoch: int  # full passes over the forget set completed (or the method's own epoch count)
    loss: float | None  # the method's objective at this step, if it has one
    metrics: dict[str, float]
    probs: np.ndarray | None = None  # class probabilities on the evaluation inputs, float32 (n, C)

    def to_dict(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "loss": self.loss, "metrics": dict(self.metrics)}


@dataclass
class Trajectory:
    points: list[TrajectoryPoint] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (divergence), else None
    eval_seconds: float = 0.0  # time spent measuring, so a method's own time can be reported apart

    def __len__(self) -> int:
        return len(self.points)

    @property
    def steps(self) -> list[int]:
        return [p.step for p in self.points]

    def metric(self, name: str) -> np.ndarray:
        return np.array([p.metrics.get(name, np.nan) for p in self.points], dtype=float)

    @property
    def final(self) -> TrajectoryPoint:
        return self.points[-1]

    def thinned(self, max_points: int) -> "Trajectory":
        """At most ``max_points`` points, evenly spread, always keeping the first and the last."""
        if len(self.points) <= max_points:
            return self
        keep = np.unique(np.linspace(0, len(self.points) - 1, max_points).round().astype(int))
        return Trajectory([self.points[i] for i in keep], self.stopped)

    def to_list(self) -> list[dict]:
        return [p.to_dict() for p in self.points]
