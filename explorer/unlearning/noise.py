"""Class-level noise methods: UNSIR (error-maximising noise, impair + repair) and EMMN (zero-shot
error-maximising/minimising noise). Both only forget whole classes; the registry refuses other
forget sets with a message.

UNSIR: learn a noise batch N maximising the error on the forget class c_f
       (minimise −CE(f(N), c_f) + reg·mean‖N‖², Adam), then *impair*: train on copies of N labelled c_f
       together with up to ``per_class`` retain samples of each other class; then *repair*: train on
       those retain samples alone.
EMMN:  no data at all — error-maximising noise for c_f and error-minimising noise for every other class
       (minimise CE(f(N_c), c) + reg·mean‖N_c‖²), then train on the noise batches only.
Sources: ../shared/notes/unlearning.md §1.9 and ../shared/notes/paper.md §4.4 — Tarun et al.,
arXiv 2111.08947, vikram2000b/Fast-Machine-Unlearning (UNSIR_noise_train); Chundawat et al.,
"Zero-Shot Machine Unlearning", arXiv 2201.05629, ayushkumartarun/zero-shot-unlearning and the
JiT repo's EMMN settings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.trajectory import Trajectory
from explorer.unlearning._common import (as_x, as_y, batch_indices, check_common, cpu_generator, make_optimizer,
                                         n_batches)
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


def input_size(model: nn.Module) -> int:
    """Flat input width, read off the model (EMMN sees no data, so nothing else can tell it)."""
    shape = getattr(model, "image_shape", None)
    if shape is not None:
        return int(math.prod(shape))
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    return first.in_features


def learn_noise(model: nn.Module, label: int, n: int, d: int, *, maximise: bool, steps: int, lr: float, reg: float,
                generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """A batch of ``n`` inputs that maximise (or minimise) the model's error on ``label``."""
    noise = torch.randn((n, d), generator=generator).to(device).requires_grad_(True)
    opt = torch.optim.Adam([noise], lr=lr)
    labels = torch.full((n,), label, dtype=torch.long, device=device)
    was = model.training
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            ce = F.cross_entropy(model(noise), labels)
            loss = (-ce if maximise else ce) + reg * noise.pow(2).sum(dim=1).mean()
            loss.backward()
            opt.step()
    finally:
        for p in model.parameters():
            p.requires_grad_(True)
        model.train(was)
    return noise.detach()


def _train_phases(model, phases, batch_size, ctx) -> Trajectory:
    """Train on each (x, y, epochs, lr) phase with a fresh Adam optimiser, recording every step."""
    gen = cpu_generator(ctx.seed + 11)
    total = sum(epochs * n_batches(len(x), batch_size) for x, _, epochs, _ in phases)
    recorder = Recorder(model, ctx, total_steps=total)
    step = epoch_no = 0
    for x, y, epochs, lr in phases:
        opt = make_optimizer("adam", model.parameters(), lr)
        for _ in range(epochs):
            epoch_no += 1
            model.train()
            for idx in batch_indices(len(x), batch_size, gen, x.device):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
                step += 1
                if not recorder.step(step, epoch_no, float(loss.detach())):
                    return recorder.trajectory
    return recorder.finish(step, epoch_no)


@dataclass(frozen=True)
class UnsirConfig:
    noise_batch: int = 32
    noise_steps: int = 25
    noise_lr: float = 0.1
    noise_reg: float = 0.1
    noise_copies: int = 80  # copies of the noise batch in the impair set
    per_class: int = 500  # retain samples per other class
    impair_epochs: int = 1
    repair_epochs: int = 1
    lr: float = 0.02  # impair step (Adam)
    repair_lr: float = 0.01
    batch_size: int = 64

    def validate(self) -> None:
        check_common("unsir", lr=self.lr, batch_size=self.batch_size)
        check_common("unsir", lr=self.repair_lr)
        check_common("unsir", lr=self.noise_lr)
        for name in ("noise_batch", "noise_steps", "noise_copies", "per_class", "impair_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"unsir: {name.replace('_', ' ')} must be >= 1, got {getattr(self, name)}")
        if self.repair_epochs < 0 or self.noise_reg < 0:
            raise ValueError("unsir: repair epochs and noise regularisation must be >= 0")


_FMU = "vikram2000b/Fast-Machine-Unlearning (copied as UNSIR_noise_train in the JiT repo)"
UNSIR_PRESETS = {
    "explorer": Preset(UnsirConfig(), f"{_FMU}'s recipe (below) with batch 64: the explorer's retain sets are "
                                      "small, and 256 leaves too few repair steps (digits retain acc 0.48 vs 0.86)"),
    "fast-machine-unlearning": Preset(UnsirConfig(batch_size=256),
                                      f"{_FMU} notebook: noise 32×25 steps Adam 0.1, 80 copies, 500 per class, 1 impair "
                                      "epoch at Adam 0.02 and 1 repair epoch at 0.01, batch 256 (lrs from memory: verify)"),
    "jit-repo": Preset(UnsirConfig(lr=1e-4, repair_lr=1e-4),
                       "../shared/notes/unlearning.md §1.9: 1 impair + 1 repair epoch at Adam lr 1e-4"),
}


@register("unsir", config=UnsirConfig, presets=UNSIR_PRESETS,
          access=DataAccess(forget_inputs=False, retain=True, class_level_only=True),
          summary="UNSIR: impair with error-maximising noise for the forget class, then repair on retain data")
def unsir(model: nn.Module, data: UnlearnData, config: UnsirConfig, ctx: RunContext) -> Trajectory:
    dev, gen = ctx.device, cpu_generator(ctx.seed)
    noise = learn_noise(model, data.forget_class, config.noise_batch, data.retain_x.shape[1], maximise=True,
                        steps=config.noise_steps, lr=config.noise_lr, reg=config.noise_reg, generator=gen, device=dev)
    rng = np.random.default_rng(ctx.seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(data.retain_y == c))[: config.per_class]
                           for c in np.unique(data.retain_y)])
    rx, ry = as_x(data.retain_x[keep], dev), as_y(data.retain_y[keep], dev)
    nx = noise.repeat(config.noise_copies, 1)
    ny = torch.full((len(nx),), data.forget_class, dtype=torch.long, device=dev)
    impair = (torch.cat([nx, rx]), torch.cat([ny, ry]), config.impair_epochs, config.lr)
    repair = (rx, ry, config.repair_epochs, config.repair_lr)
    return _train_phases(model, [impair, repair], config.batch_size, ctx)


@dataclass(frozen=True)
class EmmnConfig:
    noise_batch: int = 4
    max_noise_steps: int = 25  # error-maximising noise for the forget class
    min_noise_steps: int = 30  # error-minimising noise for each retained class
    noise_lr: float = 0.1
    noise_reg: float = 0.1
    noise_copies: int = 80  # copies of each noise batch in the training set
    epochs: int = 2
    lr: float = 1e-3
    batch_size: int = 64

    def validate(self) -> None:
        check_common("emmn", lr=self.lr, epochs=self.epochs, batch_size=self.batch_size)
        check_common("emmn", lr=self.noise_lr)
        for name in ("noise_batch", "max_noise_steps", "min_noise_steps", "noise_copies"):
            if getattr(self, name) < 1:
                raise ValueError(f"emmn: {name.replace('_', ' ')} must be >= 1, got {getattr(self, name)}")
        if self.noise_reg < 0:
            raise ValueError(f"emmn: noise regularisation must be >= 0, got {self.noise_reg}")


_ZS = "ayushkumartarun/zero-shot-unlearning / JiT repo EMMN"
EMMN_PRESETS = {
    "explorer": Preset(EmmnConfig(), f"{_ZS}: noise batch 4, 25 max / 30 min steps, 2 epochs on noise only; lr raised "
                                     "from 1e-4 to 1e-3 and 80 copies of each batch (this explorer) to give it steps"),
    "jit-repo": Preset(EmmnConfig(lr=1e-4, noise_copies=1),
                       f"{_ZS} (full class): noise batch 4, 25/30 steps, 2 impair epochs, Adam lr 1e-4"),
}


@register("emmn", config=EmmnConfig, presets=EMMN_PRESETS,
          access=DataAccess(forget_inputs=False, class_level_only=True),
          summary="EMMN: train on error-maximising noise for the forget class and error-minimising noise for the rest "
                  "(zero-shot, whole classes only)")
def emmn(model: nn.Module, data: UnlearnData, config: EmmnConfig, ctx: RunContext) -> Trajectory:
    dev, gen = ctx.device, cpu_generator(ctx.seed)
    d = input_size(model)
    xs, ys = [], []
    for c in range(data.n_classes):
        forget = c == data.forget_class
        steps = config.max_noise_steps if forget else config.min_noise_steps
        noise = learn_noise(model, c, config.noise_batch, d, maximise=forget, steps=steps, lr=config.noise_lr,
                            reg=config.noise_reg, generator=gen, device=dev)
        xs.append(noise.repeat(config.noise_copies, 1))
        ys.append(torch.full((len(xs[-1]),), c, dtype=torch.long, device=dev))
    return _train_phases(model, [(torch.cat(xs), torch.cat(ys), config.epochs, config.lr)], config.batch_size, ctx)
