"""An example plugin method: gradient steps that push the model's prediction on each forget input toward the
uniform distribution (cross-entropy to uniform), seeing nothing but the forget inputs, so it is zero-shot."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from explorer.unlearning import DataAccess, Preset, Recorder, register


@dataclass(frozen=True)
class UniformConfig:
    steps: int = 30  # "steps" and "lr" are settings every method shares: their ranges are declared already
    lr: float = 0.01


@register("uniform_forget", config=UniformConfig, access=DataAccess(forget_inputs=True),
          summary="Uniform: push the forget points' predictions toward uniform (the example plugin)",
          presets={"gentle": Preset(UniformConfig(steps=10, lr=0.005), "examples/uniform_forget: fewer, smaller steps")})
def uniform_forget(model, data, config: UniformConfig, ctx):
    x = torch.as_tensor(data.forget_x, dtype=torch.float32, device=ctx.device)
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr)
    recorder = Recorder(model, ctx, config.steps)  # records every step, rolls back a diverging one
    step, loss = 0, None
    for step in range(1, config.steps + 1):
        optimiser.zero_grad()
        loss = -torch.log_softmax(model(x), dim=1).mean()  # cross-entropy to the uniform distribution
        loss.backward()
        optimiser.step()
        if not recorder.step(step, step, loss.item()):
            break
    return recorder.finish(step, step, None if loss is None else loss.item())
