"""Bad Teacher ("blindspot"): distil from a competent and an incompetent teacher.

The student starts at θ0. For forget samples the target is the softmax of an *incompetent*
teacher (a randomly initialised copy of the architecture); for a random subset of the retain set
it is the competent teacher's (θ0). Loss: KL(target ‖ softmax(student/T)), minimised with Adam.
Sources: Chundawat et al., AAAI 2023, arXiv 2205.08096, vikram2000b/bad-teaching-unlearning unlearn.py;
the JiT repo's wrapper ``blindspot`` (jwf40/Information-Theoretic-Unlearning
src/forget_full_class_strategies.py lines 183-229, src/unlearn.py lines 11-122): 30 % of D_r, Adam lr 1e-4,
1 epoch, batch 256 (128 for ViT), T = 1. Its loss is ``F.kl_div`` with the default element-wise mean
(the batch-mean KL divided by the number of classes): the switch ``elementwise_kl``, on in the
``jit-repo`` presets (Adam's steps barely depend on that constant factor, but they do through its ε).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.config.limits import passes
from explorer.config.declare import Settings
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import (as_x, batch_indices, cpu_generator, frozen_copy,
                                         make_optimizer, n_batches, random_copy)
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@dataclass(frozen=True)
class BadTeacherConfig(Settings, section="bad_teacher"):
    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 64
    retain_fraction: float = 0.3  # share of D_r distilled from the competent teacher
    temperature: float = 1.0
    elementwise_kl: bool = False  # published: F.kl_div's default "mean" over batch × classes, not the batch mean


_WRAP = "jwf40/Information-Theoretic-Unlearning src/forget_full_class_strategies.py blindspot"
PRESETS = {
    "explorer": Preset(BadTeacherConfig(),
                       f"this explorer: {_WRAP}'s 30 % retain subset and T = 1, with more steps (a 2D toy has one "
                       "batch where CIFAR has ~60) and lr 1e-3"),
    "jit-repo": Preset(BadTeacherConfig(epochs=1, lr=1e-4, batch_size=256, elementwise_kl=True),
                       f"{_WRAP} lines 183-218 (T 1 line 195, Adam 1e-4 line 196, 30 % of D_r lines 197-199, batch "
                       "256 line 204, 1 epoch line 212) with src/unlearn.py lines 84-122 (the loss: F.kl_div with "
                       "its default element-wise mean, lines 11-23)"),
    "jit-repo-vit": Preset(BadTeacherConfig(epochs=1, lr=1e-4, batch_size=128, elementwise_kl=True),
                           f"{_WRAP} lines 201-202 (ViT: batch 128), otherwise as jit-repo"),
}


def bad_teacher_work(cfg: BadTeacherConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Two teachers' forwards and the student's forward and backward over the forget set and a share of the retain
    set, ``epochs`` times."""
    return passes(n_forget + cfg.retain_fraction * max(n_train - n_forget, 0), cfg.epochs, cfg.batch_size, per_sample=5)


@register("bad_teacher", config=BadTeacherConfig, presets=PRESETS,
          access=DataAccess(forget_inputs=True, forget_labels=False, retain=True),
          summary="Bad Teacher: distil the forget set from a random network and the rest from the original",
          work=bad_teacher_work)
def bad_teacher(model: nn.Module, data: UnlearnData, config: BadTeacherConfig, ctx: RunContext) -> Trajectory:
    dev = ctx.device
    gen = cpu_generator(ctx.seed)
    keep = torch.randperm(len(data.retain_x), generator=gen)[: int(config.retain_fraction * len(data.retain_x))]
    x = np.concatenate([data.forget_x, data.retain_x[keep.numpy()]])
    is_forget = torch.zeros(len(x), dtype=torch.bool)
    is_forget[: len(data.forget_x)] = True
    x, is_forget = as_x(x, dev), is_forget.to(dev)
    competent, incompetent = frozen_copy(model), random_copy(model, ctx.seed + 7, dev)
    with torch.no_grad():  # both teachers are fixed: their targets are computed once
        t = config.temperature
        target = torch.where(is_forget[:, None], F.softmax(incompetent(x) / t, 1), F.softmax(competent(x) / t, 1))
    opt = make_optimizer("adam", model.parameters(), config.lr)
    recorder = Recorder(model, ctx, total_steps=config.epochs * n_batches(len(x), config.batch_size))
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        for idx in batch_indices(len(x), config.batch_size, gen, dev):
            opt.zero_grad(set_to_none=True)
            log_p = F.log_softmax(model(x[idx]) / config.temperature, 1)
            if config.elementwise_kl:  # what reduction="mean" computes (torch warns it will change it to batchmean)
                loss = F.kl_div(log_p, target[idx], reduction="none").mean()
            else:
                loss = F.kl_div(log_p, target[idx], reduction="batchmean")
            step += 1
            if not recorder.descend(loss, opt, step, epoch):
                return recorder.trajectory
    return recorder.finish(step, config.epochs)
