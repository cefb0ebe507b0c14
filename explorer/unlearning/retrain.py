"""Retrain from scratch on the retain set: the gold standard every other method is measured against."""
from __future__ import annotations

from dataclasses import replace

from torch import nn

from explorer.engine.trajectory import Trajectory
from explorer.engine.training import fit
from explorer.config.training import TrainConfig
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register

MAX_RECORDS = 40  # retraining runs hundreds of epochs; a few dozen frames show the boundary forming


@register("retrain", config=TrainConfig, access=DataAccess(forget_inputs=False, retain=True),
          presets={"explorer": Preset(TrainConfig(), "the original model's training recipe")},
          summary="Retrain from the same initial weights on the retain set only (the reference)")
def retrain(model: nn.Module, data: UnlearnData, config: TrainConfig, ctx: RunContext) -> Trajectory:
    if ctx.initial_model is not None:  # same architecture, same initial weights
        model.load_state_dict(ctx.initial_model.state_dict())
    else:
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    thinned = replace(ctx, record_every=max(ctx.record_every, config.epochs // MAX_RECORDS))
    recorder = Recorder(model, thinned, total_steps=config.epochs)
    history = fit(model, data.retain_x, data.retain_y, config, ctx.device,
                  on_epoch=lambda m, epoch, loss: recorder.step(epoch, epoch, loss))
    return recorder.finish(history.epochs_run, history.epochs_run, history.loss[-1])
