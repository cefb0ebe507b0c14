"""Train a classifier to convergence, reporting progress through a callback."""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.config.declare import OPTIMIZERS
from explorer.config.training import TrainConfig

ProgressFn = Callable[[int, int, float], None]  # (epoch, max_epochs, loss)


@dataclass
class TrainHistory:
    loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    train_acc: float = float("nan")
    epochs_run: int = 0
    converged: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def make_optimizer(name: str, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
                   ) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def recipe_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    """The training recipe's optimiser (every trainer's): SGD trains with momentum 0.9, the published
    pre-training recipe (JiT repo, pretrain_model.py)."""
    momentum = 0.9 if config.optimizer == "sgd" else 0.0
    return make_optimizer(config.optimizer, params, config.lr, momentum, config.weight_decay)


def with_seed(config: TrainConfig, offset: int) -> TrainConfig:
    """The recipe for training seed ``config.seed + offset`` (seed k of a many-seed run): new initial weights
    and batch order, the rest unchanged."""
    return config if offset == 0 else replace(config, seed=config.seed + offset)


def train(model: nn.Module, x, y, config: TrainConfig, device: torch.device,
          progress: ProgressFn | None = None) -> tuple[nn.Module, TrainHistory]:
    """Train a copy of ``model`` on (x, y); the caller's model is untouched. Returns (copy, history)."""
    model = copy.deepcopy(model).to(device)
    return model, fit(model, x, y, config, device, progress)


def converged(losses: list[float], config: TrainConfig) -> bool:
    """The stopping rule, on one model's loss history (one mean loss per epoch so far): the last loss is below
    ``target_loss``, or it fell by less than ``tolerance`` (relative) over the last ``patience`` epochs. Both the
    ordinary trainer and the batched one (:mod:`explorer.engine.batched`) stop by it."""
    last = losses[-1]
    window_start = losses[-config.patience - 1] if len(losses) >= config.patience + 1 else None
    return last < config.target_loss or (window_start is not None and window_start - last < config.tolerance * window_start)


def check_finite(loss: float, epoch: int) -> None:
    """A training loss that stopped being finite ends training with one line (every trainer's rule)."""
    if not np.isfinite(loss):
        raise FloatingPointError(f"training diverged at epoch {epoch} (loss {loss}); lower the learning rate")


EpochHook = Callable[[nn.Module, int, float], bool]  # (model, epoch, loss) -> keep going?


def fit(model: nn.Module, x, y, config: TrainConfig, device: torch.device,
        progress: ProgressFn | None = None, on_epoch: EpochHook | None = None) -> TrainHistory:
    """Train ``model`` in place until converged (see TrainConfig) or ``epochs``.

    Same inputs and seed give the same weights. ``on_epoch`` may stop training by returning False.
    """
    if len(x) == 0:
        raise ValueError("cannot train on an empty training set")
    start = time.perf_counter()
    model.train()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
    opt = recipe_optimizer(config, model.parameters())
    order_rng = torch.Generator().manual_seed(config.seed)
    batch = config.batch_size or len(xt)
    history = TrainHistory()
    report_every = max(1, config.epochs // 50)
    for epoch in range(config.epochs):
        perm = torch.randperm(len(xt), generator=order_rng).to(device) if batch < len(xt) else None
        total = 0.0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch] if perm is not None else slice(None)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * (len(xt[idx]))
        epoch_loss = total / len(xt)
        history.loss.append(epoch_loss)
        history.epochs_run = epoch + 1
        if progress and (epoch % report_every == 0):
            progress(epoch + 1, config.epochs, epoch_loss)
        if on_epoch is not None and not on_epoch(model, epoch + 1, epoch_loss):
            break
        check_finite(epoch_loss, epoch + 1)
        if converged(history.loss, config):
            history.converged = True
            break
    model.eval()
    with torch.no_grad():
        history.train_acc = float((model(xt).argmax(1) == yt).float().mean())
    history.seconds = time.perf_counter() - start
    if progress:
        progress(history.epochs_run, history.epochs_run, history.loss[-1])
    return history
