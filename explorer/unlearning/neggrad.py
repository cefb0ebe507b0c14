"""Gradient ascent on the forget set (NegGrad / GA) and NegGrad+ (ascent on D_f, descent on D_r).

NegGrad:  minimise −CE(f_θ(x_f), y_f) over D_f. Unbounded: run long enough it destroys the model
          (the Recorder rolls back if it diverges).
NegGrad+: loss = α·(CE(retain batch) + (wd/2)‖θ − θ0‖²) − (1 − α)·CE(forget batch), one step per
          retain batch; each epoch reshuffles the forget set and cycles its batches alongside (as
          ``zip(retain_loader, cycle(forget_loader))`` does in the SCRUB notebook).
Sources: OPTML-Group/Unlearn-Sparse README.md (GA lr 1e-4, 5 epochs), the SalUn authors' advice in OPTML-Group/Unlearn-Saliency's tracker, thread 8
(raise GA lr to 5e-4–1e-3); NegGrad+: Kurmanji et al. arXiv 2302.09880 and meghdadk/SCRUB
small_scale_unlearning.ipynb (run_neggrad_epoch / negative_grad).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from torch import nn
from torch.nn import functional as F

from explorer.config.limits import passes
from explorer.config.declare import Settings, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import (as_x, as_y, batch_indices, cpu_generator, drift,
                                         make_optimizer, n_batches, train_ce)
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@dataclass(frozen=True)
class NegGradConfig(Settings, section="neggrad"):
    epochs: int = 30  # passes over the forget set (one step per forget batch)
    lr: float = 1e-3
    batch_size: int = 128
    optimizer: str = "sgd"
    momentum: float = 0.0
    weight_decay: float = 0.0  # the optimiser's (decays toward 0, as torch's SGD weight_decay does)


NEGGRAD_PRESETS = {
    "explorer": Preset(NegGradConfig(),
                       "this explorer: JiT's budget (30 passes over the forget set) at the top of the lr range the "
                       "SalUn authors recommend for GA (OPTML-Group/Unlearn-Saliency, thread 8: 5e-4 to 1e-3)"),
    "unlearn-sparse": Preset(NegGradConfig(epochs=5, lr=1e-4, batch_size=256, momentum=0.9, weight_decay=5e-4),
                             "OPTML-Group/Unlearn-Sparse README: GA lr 1e-4, 5 epochs; arg_parser.py lines 67-70 "
                             "(batch 256, momentum 0.9, wd 5e-4), unlearn/impl.py lines 72-100 (SGD; MultiStepLR at "
                             "epochs 91 and 136, never reached), unlearn/GA.py (train mode) and main_forget.py lines "
                             "41-64 (the forget loader, shuffled)"),
    "salun-ga-lr": Preset(NegGradConfig(epochs=5, lr=1e-3, batch_size=256, momentum=0.9, weight_decay=5e-4),
                          "OPTML-Group/Unlearn-Saliency, thread 8 (the SalUn authors): raise GA lr to 5e-4–1e-3 if "
                          "forget accuracy does not drop; the rest as its code: Classification/arg_parser.py lines "
                          "69-72 (batch 256, momentum 0.9, wd 5e-4), unlearn/impl.py lines 68-97 (SGD; MultiStepLR "
                          "never reached), unlearn/GA.py (train mode) and main_forget.py lines 38-61 (the forget "
                          "loader, shuffled)"),
}


def neggrad_work(cfg: NegGradConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Forward and backward over the forget set, ``epochs`` times."""
    return passes(n_forget, cfg.epochs, cfg.batch_size)


@register("neggrad", config=NegGradConfig, access=DataAccess(forget_inputs=True, forget_labels=True),
          presets=NEGGRAD_PRESETS,
          summary="Gradient ascent on the forget set's cross-entropy (needs forget labels, no retain data)",
          work=neggrad_work)
def neggrad(model: nn.Module, data: UnlearnData, config: NegGradConfig, ctx: RunContext) -> Trajectory:
    return train_ce(model, as_x(data.forget_x, ctx.device), as_y(data.forget_y, ctx.device), ctx,
                    epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                    momentum=config.momentum, weight_decay=config.weight_decay, ascent=True)


@dataclass(frozen=True)
class NegGradPlusConfig(Settings, section="neggrad_plus"):
    alpha: float = setting(0.95, lo=0.0, hi=1.0)  # weight of the retain term; 1 − α weighs the ascent on the forget set
    epochs: int = 10  # passes over the retain set
    lr: float = 0.01
    batch_size: int = 64  # retain batch size (batch sizes: this explorer's choice)
    forget_batch_size: int = 64  # forget batches, cycled alongside the retain batches
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4  # wd in (wd/2)‖θ − θ0‖², pulling towards the original weights
    train_mode: bool = True  # False: eval mode (dropout/batch-norm frozen), as the SCRUB notebook


_SCRUB_NB = "meghdadk/SCRUB small_scale_unlearning.ipynb"
NEGGRAD_PLUS_PRESETS = {
    "explorer": Preset(NegGradPlusConfig(),
                       f"this explorer: the α 0.95, 10 epochs and SGD lr 0.01 of {_SCRUB_NB}, with momentum 0.9, a "
                       "(5e-4/2)‖θ − θ0‖² pull, train mode and batch 64 for both sets"),
    "scrub-notebook": Preset(NegGradPlusConfig(alpha=0.95, epochs=10, lr=0.01, batch_size=128, forget_batch_size=64,
                                               optimizer="sgd", momentum=0.0, weight_decay=0.1, train_mode=False),
                             f"{_SCRUB_NB} code cells 70 (run_neggrad_epoch: model.eval(); loss α·(CE_r + (wd/2)"
                             "‖θ − θ0‖²) − (1 − α)·CE_f over zip(retain, cycle(forget)), wd = args.weight_decay), 71 "
                             "(negative_grad: SGD, no momentum, no weight decay), 85 (α 0.95, 10 epochs, lr 0.01), 83 "
                             "(retain batch args.batch_size), 26 (forget batch 64) and 8 (--weight-decay 0.1 "
                             "--batch-size 128)"),
}


def neggrad_plus_work(cfg: NegGradPlusConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Forward and backward over the retain set and a forget batch beside each retain batch, ``epochs`` times."""
    return passes(max(n_train - n_forget, 0), cfg.epochs, cfg.batch_size, per_sample=6)


@register("neggrad_plus", config=NegGradPlusConfig,
          access=DataAccess(forget_inputs=True, forget_labels=True, retain=True), presets=NEGGRAD_PLUS_PRESETS,
          summary="NegGrad+: descend on the retain set while ascending on the forget set (α-weighted)",
          work=neggrad_plus_work)
def neggrad_plus(model: nn.Module, data: UnlearnData, config: NegGradPlusConfig, ctx: RunContext) -> Trajectory:
    dev = ctx.device
    rx, ry = as_x(data.retain_x, dev), as_y(data.retain_y, dev)
    fx, fy = as_x(data.forget_x, dev), as_y(data.forget_y, dev)
    theta0 = [p.detach().clone() for p in model.parameters()]
    opt = make_optimizer(config.optimizer, model.parameters(), config.lr, config.momentum)
    gen, forget_gen = cpu_generator(ctx.seed), cpu_generator(ctx.seed + 1)
    recorder = Recorder(model, ctx, total_steps=config.epochs * n_batches(len(rx), config.batch_size))
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train(config.train_mode)
        forget_batches = itertools.cycle(list(batch_indices(len(fx), config.forget_batch_size, forget_gen, dev)))
        for idx in batch_indices(len(rx), config.batch_size, gen, dev):
            fidx = next(forget_batches)
            opt.zero_grad(set_to_none=True)
            retain_loss = F.cross_entropy(model(rx[idx]), ry[idx]) + 0.5 * config.weight_decay * drift(model, theta0)
            forget_loss = F.cross_entropy(model(fx[fidx]), fy[fidx])
            loss = config.alpha * retain_loss - (1 - config.alpha) * forget_loss
            step += 1
            if not recorder.descend(loss, opt, step, epoch):
                return recorder.trajectory
    return recorder.finish(step, config.epochs)
