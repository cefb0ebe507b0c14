"""SCRUB: a student that moves away from the original (teacher) on the forget set and stays close
to it on the retain set.

Teacher = frozen θ0, student starts at θ0. DistillKL(T) = KL(p_t^T ‖ p_s^T)·T² (batch mean).
Each epoch e = 1..E: if e ≤ msteps, one *max* pass over D_f minimising −DistillKL; then one *min*
pass over D_r minimising γ·CE(student, y) + α·DistillKL. Optionally the gradient norm is clipped
before each step (the JiT repo's full-class copy clips at 1; SCRUB's own code does not clip).
Sources: Kurmanji et al., NeurIPS 2023, arXiv 2302.09880; meghdadk/SCRUB
thirdparty/repdistiller/helper/loops.py lines 137-290 (train_distill), small_scale_unlearning.ipynb and
large_scale_unlearning.ipynb; the JiT paper's copies in jwf40/Information-Theoretic-Unlearning
src/forget_{full_class,random,subclass}_strategies.py (train_distill and scrub).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from explorer.config.declare import Settings
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import (as_x, as_y, batch_indices, cpu_generator, frozen_copy,
                                         make_optimizer, n_batches)
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@dataclass(frozen=True)
class ScrubConfig(Settings, section="scrub"):
    epochs: int = 10
    msteps: int = 3  # epochs that start with a max pass over the forget set
    lr: float = 5e-4
    optimizer: str = "adam"
    momentum: float = 0.0
    weight_decay: float = 0.1
    lr_decay_epochs: tuple[int, ...] = (5, 8, 9)  # lr × lr_decay_rate after each of these epochs
    lr_decay_rate: float = 0.1
    temperature: float = 2.0
    alpha: float = 0.5  # weight of the KL term in the min pass
    gamma: float = 1.0  # weight of the CE term in the min pass
    batch_size: int = 64  # retain batches (batch sizes: this explorer's choice for its small sets)
    forget_batch_size: int = 16
    max_grad_norm: float = 0.0  # clip each step's gradient norm at this value; 0 = no clipping
    shuffle_forget: bool = True  # reshuffle the forget set for each max pass (off: in order, as the JiT repo's copies)

    def validate(self) -> None:
        """What one field's range cannot say: the max passes happen within the epochs."""
        if self.msteps > self.epochs:
            raise ValueError(f"scrub: msteps must be between 0 and epochs ({self.epochs}), got {self.msteps}")


_REPO = "meghdadk/SCRUB"
_LOOP = f"{_REPO} thirdparty/repdistiller/helper/loops.py lines 137-290 (train_distill, no clipping)"
_JIT = "jwf40/Information-Theoretic-Unlearning"
# The JiT repo's scrub: SGD 5e-4, momentum 0.9, wd 5e-4, T 4, msteps 2, 3 epochs, lr decay after epochs 5, 8, 9
# (never reached in 3 epochs); α, γ and the batch sizes come from each main script.
_JIT_SCRUB = dict(epochs=3, msteps=2, lr=5e-4, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                  lr_decay_epochs=(5, 8, 9), temperature=4.0)
PRESETS = {
    "small-scale": Preset(ScrubConfig(batch_size=32, forget_batch_size=64),
                          f"{_REPO} small_scale_unlearning.ipynb code cells 26-27 (retain batch 32, forget batch 64, both "
                          "shuffled), "
                          "30 (Adam 5e-4, wd 0.1, T 2, α 0.5, γ 1, msteps 3, 10 epochs, lr ×0.1 after epochs 5, 8, 9) "
                          f"and 34 (the loop); {_LOOP}"),
    "large-scale": Preset(ScrubConfig(epochs=3, msteps=2, lr=5e-4, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                                      lr_decay_epochs=(3, 5, 9), temperature=4.0, alpha=0.001, gamma=0.99,
                                      batch_size=256, forget_batch_size=512),
                          f"{_REPO} large_scale_unlearning.ipynb code cells 28 (forget batch 512, retain batch 256, both "
                          "shuffled), "
                          "32 (SGD 5e-4, momentum 0.9, wd 5e-4, T 4, α 0.001, γ 0.99, msteps 2, 3 epochs, decay "
                          f"after epochs 3, 5, 9: never reached) and 36 (the loop); {_LOOP}"),
    "jit-repo-full-class": Preset(ScrubConfig(**_JIT_SCRUB, alpha=0.001, gamma=0.99, batch_size=128,
                                              forget_batch_size=128, max_grad_norm=1.0, shuffle_forget=False),
                                  f"{_JIT} src/forget_full_class_strategies.py lines 986-1049 (train_distill: "
                                  "gradient norm clipped at 1, line 1045) and 1051-1155 (scrub: α 0.001, γ 0.99 "
                                  "defaults, as the full-class script passes none; settings 1063-1088); batch 128 for "
                                  "both loaders: src/forget_full_class_main.py lines 42, 133-134 (the retain loader "
                                  "shuffled, the forget loader in order)"),
    "jit-repo-random": Preset(ScrubConfig(**_JIT_SCRUB, alpha=1.0, gamma=5.0, batch_size=128, forget_batch_size=128,
                                          shuffle_forget=False),
                              f"{_JIT} src/forget_random_strategies.py lines 641-703 (train_distill, no clipping) "
                              "and 705-817 (scrub); α 1, γ 5 and batch 128: src/forget_random_main.py lines 125-126 "
                              "(the retain loader shuffled, the forget loader in order), 151-159, 177-178"),
    "jit-repo-sub-class": Preset(ScrubConfig(**_JIT_SCRUB, alpha=1.0, gamma=5.0, batch_size=64, forget_batch_size=64,
                                             shuffle_forget=False),
                                 f"{_JIT} src/forget_subclass_strategies.py lines 603-665 (train_distill, no "
                                 "clipping) and 667-779 (scrub); α 1, γ 5 and batch 64: src/forget_subclass_main.py "
                                 "lines 60, 148-149 (the retain loader shuffled, the forget loader in order), "
                                 "179-185, 207-208"),
}


def distill_kl(student_logits: torch.Tensor, teacher_logits: torch.Tensor, t: float) -> torch.Tensor:
    log_p_s = F.log_softmax(student_logits / t, dim=1)
    p_t = F.softmax(teacher_logits / t, dim=1)
    return F.kl_div(log_p_s, p_t, reduction="sum") * t * t / len(student_logits)


@register("scrub", config=ScrubConfig, presets=PRESETS,
          access=DataAccess(forget_inputs=True, forget_labels=False, retain=True),
          summary="SCRUB: push the student from the original on the forget set, keep it close on the retain set")
def scrub(model: nn.Module, data: UnlearnData, config: ScrubConfig, ctx: RunContext) -> Trajectory:
    dev = ctx.device
    rx, ry, fx = as_x(data.retain_x, dev), as_y(data.retain_y, dev), as_x(data.forget_x, dev)
    teacher = frozen_copy(model)
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum, config.weight_decay)
    gen = cpu_generator(ctx.seed)
    per_min, per_max = n_batches(len(rx), config.batch_size), n_batches(len(fx), config.forget_batch_size)
    total = config.epochs * per_min + config.msteps * per_max
    recorder = Recorder(model, ctx, total_steps=total)
    t = config.temperature
    step = 0
    for epoch in range(1, config.epochs + 1):
        lr = config.lr * config.lr_decay_rate ** sum(epoch > e for e in config.lr_decay_epochs)
        for group in opt.param_groups:
            group["lr"] = lr
        model.train()
        passes = [("max", fx, None, config.forget_batch_size, gen if config.shuffle_forget else None)
                  ] if epoch <= config.msteps else []
        passes.append(("min", rx, ry, config.batch_size, gen))
        for kind, x, y, size, order in passes:
            for idx in batch_indices(len(x), size, order, dev):
                opt.zero_grad(set_to_none=True)
                out = model(x[idx])
                with torch.no_grad():
                    target = teacher(x[idx])
                kl = distill_kl(out, target, t)
                loss = -kl if kind == "max" else config.gamma * F.cross_entropy(out, y[idx]) + config.alpha * kl
                loss.backward()
                if config.max_grad_norm > 0:
                    nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                opt.step()
                step += 1
                if not recorder.step(step, epoch, float(loss.detach())):
                    return recorder.trajectory
    return recorder.finish(step, config.epochs)
