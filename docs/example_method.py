"""Shrink: multiply every weight by a factor. A toy method, not a real one: the whole of what adding a method
takes (README, "Adding a method"); copied into explorer/unlearning/, it appears in ``python -m explorer methods``,
``--method``/``--compare``/``--set``, both pages' pickers and settings, the comparison table and the work budget."""
from __future__ import annotations

import torch
from torch import nn

from explorer.config.fields import config, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@config("shrink")  # a frozen dataclass whose every field is a declared setting, checked whenever one is built
class ShrinkConfig:
    factor: float = setting(0.9, lo=0.0, hi=1.0, help="every weight is multiplied by this")
    steps: int = setting(3, lo=1, hi=100, unit="steps", help="how many times")


@register("shrink", config=ShrinkConfig, access=DataAccess(forget_inputs=False),
          presets={"explorer": Preset(ShrinkConfig(), "a toy: the README's example of adding a method")},
          cost=lambda cfg, n_train, n_forget, n_classes: (0.0, cfg.steps),  # no forward pass, one step each
          summary="Shrink: multiply every weight by a factor (a toy example)")
def shrink(model: nn.Module, data: UnlearnData, config: ShrinkConfig, ctx: RunContext) -> Trajectory:
    recorder = Recorder(model, ctx, total_steps=config.steps)
    for step in range(1, config.steps + 1):
        with torch.no_grad():
            for weight in model.parameters():
                weight.mul_(config.factor)
        if not recorder.step(step, step, None):
            break
    return recorder.finish(config.steps, config.steps)
