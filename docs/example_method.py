"""Shrink: multiply every weight by a factor, a few times. A toy, not a real method: the whole of what adding a method
takes (README, "Adding a method"). Copied into explorer/unlearning/ it is found there and appears in
``python -m explorer methods``, ``--method``/``--compare``/``--set``, both pages' pickers and settings, the
comparison table, the sweep (both pages' sweep panels and ``python -m explorer sweep --method shrink``, over
``factor`` × ``steps``) and the work budget, with nothing else edited."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from explorer.config.declare import Settings, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@dataclass(frozen=True)
class ShrinkConfig(Settings, section="shrink"):  # checked when built, as every config
    # every weight is multiplied by this at each step: a setting no other method has, so declared here
    factor: float = setting(0.9, lo=0.0, hi=1.0, label="factor", help="every weight times this at each step")
    steps: int = 3  # "steps" is a setting many methods share: its range is declared already


@register("shrink", config=ShrinkConfig, access=DataAccess(forget_inputs=False),
          presets={"gentle": Preset(ShrinkConfig(factor=0.99), "docs/example_method.py: a smaller shrink")},
          summary="Shrink: multiply every weight by a factor (a toy example)")
def shrink(model: nn.Module, data: UnlearnData, config: ShrinkConfig, ctx: RunContext) -> Trajectory:
    recorder = Recorder(model, ctx, config.steps)  # records every step, rolls back a diverging one
    step = 0
    for step in range(1, config.steps + 1):
        with torch.no_grad():
            for weight in model.parameters():
                weight.mul_(config.factor)
        if not recorder.step(step, step, None):
            break
    return recorder.finish(step, step, None)
