"""Class-level noise methods: UNSIR (error-maximising noise, impair + repair) and EMMN (zero-shot
error-maximising/minimising noise). Both only forget whole classes; the registry refuses other
forget sets with a message.

UNSIR: learn a noise batch N maximising the error on the forget class c_f
       (minimise −CE(f(N), c_f) + reg·mean‖N‖², Adam), then *impair*: train on copies of N labelled c_f
       together with up to ``per_class`` retain samples of each other class; then *repair*: train on
       those retain samples alone.
EMMN:  no data at all — error-maximising noise for c_f and error-minimising noise for every other class
       (minimise CE(f(N_c), c) [+ min_reg·mean‖N_c‖²]), then train on the noise batches only.

Sources: Tarun et al., "Fast Yet Effective Machine Unlearning", arXiv 2111.08947 (UNSIR); Chundawat
et al., "Zero-Shot Machine Unlearning", arXiv 2201.05629 (EMMN). The recipes are those of
jwf40/Information-Theoretic-Unlearning, which copies UNSIR from vikram2000b/Fast-Machine-Unlearning
(src/unlearn.py: UNSIR_noise_train lines 134-154, emmn_noise_train 156-172, emmc_create_noisy_lodaer
175-194, UNSIR_create_noisy_loader 196-227; src/forget_full_class_strategies.py: UNSIR lines 573-642,
emmn 764-819; the training loop fit_one_unlearning_cycle: src/unlearn.py lines 57-81).

Three published quirks are named switches, on in the ``jit-repo`` presets:
* ``three_per_copy``: both noisy loaders add ``batch[0].size(0)`` samples per noise copy — the channel
  count of one 3×H×W noise image (3), not the batch size — so only the first 3 noise samples of each
  batch are ever trained on. The explorer's default uses every sample, as the papers describe.
* ``stale_noise_grads``: the noise optimisation back-propagates into the model's weights too, and
  nothing zeroes those gradients before training (``fit_one_unlearning_cycle`` zeroes only after each
  step), so the first training step adds the sum of every noise step's weight gradient. It is one step,
  but Adam's second-moment estimate keeps that huge gradient for hundreds of steps, shrinking them all:
  on digits class 3 it changes EMMN's result (seed 0: forget / retain accuracy 1.00 / 0.66 with it,
  0.93 / 0.69 without).
* ``noise_train_mode``: the published model is left in train mode while the noise is learnt (dropout on
  for its VGG; the explorer's CNNs have no dropout by default, so there it changes nothing).
* ``first_per_class``: the published UNSIR takes the first ``per_class`` retain samples of each class in
  dataset order; off, the explorer draws a seeded random ``per_class`` of each class.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.config.declare import Settings
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import (as_x, as_y, batch_indices, cpu_generator, make_optimizer,
                                         n_batches)
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register

PUBLISHED_PER_COPY = 3  # batch[0].size(0) of a published (B, 3, H, W) noise batch: its channel count


def input_size(model: nn.Module) -> int:
    """Flat input width, read off the model (EMMN sees no data, so nothing else can tell it)."""
    shape = getattr(model, "image_shape", None)
    if shape is not None:
        return int(math.prod(shape))
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    return first.in_features


def learn_noise(model: nn.Module, label: int, n: int, d: int, *, maximise: bool, steps: int, lr: float, reg: float,
                generator: torch.Generator, device: torch.device,
                weight_grads: list[torch.Tensor] | None = None, train_mode: bool = False) -> torch.Tensor:
    """A batch of ``n`` inputs that maximise (or minimise) the model's error on ``label``:
    Adam on loss = ∓CE(f(N), label) + reg·mean_i ‖N_i‖² (reg 0: no norm penalty). With
    ``weight_grads`` (one tensor per parameter), the loss's gradient with respect to the model's
    weights is added to it at every step, as the published code leaves it in ``.grad``. The model is
    in eval mode unless ``train_mode`` (dropout active, as published)."""
    noise = torch.randn((n, d), generator=generator).to(device).requires_grad_(True)
    opt = torch.optim.Adam([noise], lr=lr)
    labels = torch.full((n,), label, dtype=torch.long, device=device)
    params = list(model.parameters())
    was = model.training
    model.train(train_mode)
    if weight_grads is None:
        for p in params:
            p.requires_grad_(False)
    try:
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            ce = F.cross_entropy(model(noise), labels)
            loss = -ce if maximise else ce
            if reg:
                loss = loss + reg * noise.pow(2).sum(dim=1).mean()
            if weight_grads is None:
                (noise.grad,) = torch.autograd.grad(loss, [noise])
            else:
                noise.grad, *grads = torch.autograd.grad(loss, [noise, *params], allow_unused=True)
                for acc, g in zip(weight_grads, grads):
                    if g is not None:
                        acc += g
            opt.step()
    finally:
        for p in params:
            p.requires_grad_(True)
        model.train(was)
    return noise.detach()


def zero_grads(model: nn.Module) -> list[torch.Tensor]:
    return [torch.zeros_like(p) for p in model.parameters()]


def noise_copies(noise: torch.Tensor, copies: int, three_per_copy: bool) -> torch.Tensor:
    """``copies`` copies of a noise batch; with ``three_per_copy`` only its first 3 rows per copy (published)."""
    rows = noise[:PUBLISHED_PER_COPY] if three_per_copy else noise
    return rows.repeat(copies, 1)


def _train_phases(model, phases, ctx, stale: list[torch.Tensor] | None = None) -> Trajectory:
    """Train on each (x, y, epochs, lr, batch size) phase with a fresh Adam optimiser (as each published
    ``fit_one_unlearning_cycle`` call builds one), recording every step. ``stale`` gradients, if given,
    are added to the very first step's (the published noise steps' leftovers)."""
    gen = cpu_generator(ctx.seed + 11)
    total = sum(epochs * n_batches(len(x), size) for x, _, epochs, _, size in phases)
    recorder = Recorder(model, ctx, total_steps=total)
    step = epoch_no = 0
    for x, y, epochs, lr, size in phases:
        opt = make_optimizer("adam", model.parameters(), lr)
        for _ in range(epochs):
            epoch_no += 1
            model.train()
            for idx in batch_indices(len(x), size, gen, x.device):
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                if step == 0 and stale is not None:
                    for p, g in zip(model.parameters(), stale):
                        p.grad = g.clone() if p.grad is None else g + p.grad
                opt.step()
                step += 1
                if not recorder.step(step, epoch_no, float(loss.detach())):
                    return recorder.trajectory
    return recorder.finish(step, epoch_no)


@dataclass(frozen=True)
class UnsirConfig(Settings, section="unsir"):
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
    batch_size: int = 64  # impair batches
    repair_batch_size: int = 64
    three_per_copy: bool = False  # published: each noise copy adds only 3 of the noise_batch samples
    stale_noise_grads: bool = False  # published: the noise steps' weight gradients join the first impair step
    noise_train_mode: bool = False  # published: the noise is learnt with the model in train mode
    first_per_class: bool = False  # published: the first per_class retain samples of each class (else seeded random)


_JIT = "jwf40/Information-Theoretic-Unlearning"
_UNSIR_SRC = (f"{_JIT} src/forget_full_class_strategies.py lines 589-631 (UNSIR) with src/unlearn.py lines 134-154 "
              "and 196-227")
UNSIR_PRESETS = {
    "explorer": Preset(UnsirConfig(),
                       f"this explorer: the recipe of {_UNSIR_SRC} (noise 32×25 Adam steps at 0.1, reg 0.1, 80 "
                       "copies, 500 per class, 1 impair + 1 repair epoch) with every noise sample in each copy, impair Adam "
                       "0.02 and repair 0.01 at batch 64 so the small retain sets get enough steps"),
    "fast-machine-unlearning": Preset(
        UnsirConfig(noise_batch=256, noise_steps=40, noise_lr=0.1, noise_reg=0.1, noise_copies=20, per_class=1000,
                    lr=0.02, repair_lr=0.01, batch_size=256, repair_batch_size=256, three_per_copy=True,
                    first_per_class=True),
        "vikram2000b/Fast-Machine-Unlearning Machine Unlearning.ipynb code cells 20 (the first 1,000 retain samples "
        "of each class), 24 (noise batch 256, 5 × 8 = 40 Adam steps at 0.1, reg 0.1), 26 (20 copies of batch[0].size(0) "
        "= 3 samples; impair 1 epoch, Adam 0.02, batch 256, shuffled; zero_grad before every step, so no stale noise "
        "gradients) and 30 (repair 1 epoch, Adam 0.01, batch 256, shuffled). Not reproduced: the notebook labels every "
        "forgotten class's noise 0 (class_num never advances), which is right only when class 0 is forgotten"),
    "jit-repo": Preset(UnsirConfig(lr=1e-4, repair_lr=1e-4, batch_size=32, repair_batch_size=128, three_per_copy=True,
                                   stale_noise_grads=True, noise_train_mode=True, first_per_class=True),
                       f"{_UNSIR_SRC}: noise batch 32, 25 steps Adam 0.1, reg 0.1 (unlearn.py 137-146); 80 copies "
                       "of 3 samples each (batch[0].size(0), unlearn.py 205-214) + the first 500 retain samples of "
                       "each class in dataset order (strategies 586-596); impair 1 epoch Adam 1e-4 batch 32, "
                       "shuffled (604-614; unlearn.py 92), repair 1 epoch Adam 1e-4 batch 128, shuffled (626-631); the noise steps' weight gradients are not zeroed before the "
                       "first impair step (unlearn.py 144-148 and 66-72), and the noise is learnt in train mode "
                       "(nothing calls model.eval()). The sub-class script's 250 noise steps have no preset (the "
                       "explorer forgets whole classes only)"),
}


@register("unsir", config=UnsirConfig, presets=UNSIR_PRESETS,
          access=DataAccess(forget_inputs=False, retain=True, class_level_only=True),
          summary="UNSIR: impair with error-maximising noise for the forget class, then repair on retain data")
def unsir(model: nn.Module, data: UnlearnData, config: UnsirConfig, ctx: RunContext) -> Trajectory:
    dev, gen = ctx.device, cpu_generator(ctx.seed)
    stale = zero_grads(model) if config.stale_noise_grads else None
    noise = learn_noise(model, data.forget_class, config.noise_batch, data.retain_x.shape[1], maximise=True,
                        steps=config.noise_steps, lr=config.noise_lr, reg=config.noise_reg, generator=gen, device=dev,
                        weight_grads=stale, train_mode=config.noise_train_mode)
    rng = np.random.default_rng(ctx.seed)
    pick = (lambda ids: ids) if config.first_per_class else rng.permutation
    keep = np.concatenate([pick(np.flatnonzero(data.retain_y == c))[: config.per_class]
                           for c in np.unique(data.retain_y)])
    rx, ry = as_x(data.retain_x[keep], dev), as_y(data.retain_y[keep], dev)
    nx = noise_copies(noise, config.noise_copies, config.three_per_copy)
    ny = torch.full((len(nx),), data.forget_class, dtype=torch.long, device=dev)
    impair = (torch.cat([nx, rx]), torch.cat([ny, ry]), config.impair_epochs, config.lr, config.batch_size)
    repair = (rx, ry, config.repair_epochs, config.repair_lr, config.repair_batch_size)
    return _train_phases(model, [impair, repair], ctx, stale)


@dataclass(frozen=True)
class EmmnConfig(Settings, section="emmn"):
    noise_batch: int = 4
    max_noise_steps: int = 25  # error-maximising noise for the forget class
    min_noise_steps: int = 30  # error-minimising noise for each retained class
    noise_lr: float = 0.1
    noise_reg: float = 0.1  # norm penalty on the error-maximising noise (as published)
    # Norm penalty on the error-minimising noise. Published emmn_noise_train: none (0); the explorer
    # keeps its noise as small as the forget class's by default.
    min_noise_reg: float = 0.1
    noise_copies: int = 80  # copies of each noise batch in the training set
    epochs: int = 2
    lr: float = 1e-3
    batch_size: int = 64
    three_per_copy: bool = False  # published: each noise copy adds only 3 of the noise_batch samples
    stale_noise_grads: bool = False  # published: the noise steps' weight gradients join the first training step
    noise_train_mode: bool = False  # published: the noise is learnt with the model in train mode


_EMMN_SRC = f"{_JIT} src/forget_full_class_strategies.py lines 764-807 (emmn) with src/unlearn.py lines 134-194"
EMMN_PRESETS = {
    "explorer": Preset(EmmnConfig(),
                       f"this explorer: the noise of {_EMMN_SRC} (batch 4, 25 max / 30 min Adam steps at 0.1), every "
                       "noise sample in each of the 80 copies, a norm penalty on both noises, then 2 epochs at Adam "
                       "1e-3, batch 64"),
    "jit-repo": Preset(EmmnConfig(min_noise_reg=0.0, noise_copies=80, epochs=2, lr=1e-4, batch_size=4,
                                  three_per_copy=True, stale_noise_grads=True, noise_train_mode=True),
                       f"{_EMMN_SRC}: noise batch 4 (strategies 775-785); forget-class noise 25 steps with reg 0.1 "
                       "(unlearn.py 134-154), retained-class noise 30 steps without reg (unlearn.py 156-172); 80 "
                       "copies of 3 samples per class (batch[0].size(0), unlearn.py 175-194) at batch 4; 2 epochs "
                       "Adam 1e-4 (strategies 805-807), whose first step also carries every noise step's weight "
                       "gradient (unlearn.py 144-148, 164-166 and 66-72: never zeroed); the noise is learnt in "
                       "train mode. On 10 classes: 2,400 noise samples, 1,200 steps"),
}


@register("emmn", config=EmmnConfig, presets=EMMN_PRESETS,
          access=DataAccess(forget_inputs=False, class_level_only=True),
          summary="EMMN: train on error-maximising noise for the forget class and error-minimising noise for the rest "
                  "(zero-shot, whole classes only)")
def emmn(model: nn.Module, data: UnlearnData, config: EmmnConfig, ctx: RunContext) -> Trajectory:
    dev, gen = ctx.device, cpu_generator(ctx.seed)
    d = input_size(model)
    stale = zero_grads(model) if config.stale_noise_grads else None
    xs, ys = [], []
    for c in range(data.n_classes):
        forget = c == data.forget_class
        noise = learn_noise(model, c, config.noise_batch, d, maximise=forget,
                            steps=config.max_noise_steps if forget else config.min_noise_steps, lr=config.noise_lr,
                            reg=config.noise_reg if forget else config.min_noise_reg, generator=gen, device=dev,
                            weight_grads=stale, train_mode=config.noise_train_mode)
        xs.append(noise_copies(noise, config.noise_copies, config.three_per_copy))
        ys.append(torch.full((len(xs[-1]),), c, dtype=torch.long, device=dev))
    return _train_phases(model, [(torch.cat(xs), torch.cat(ys), config.epochs, config.lr, config.batch_size)], ctx,
                         stale)
