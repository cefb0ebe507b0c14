"""Small helpers shared by the baseline methods: tensors on the run's device, seeded minibatch
orders, optimisers, schedules and a frozen copy of a model. No method logic lives here."""
from __future__ import annotations

import copy
from typing import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.engine.training import make_optimizer  # noqa: F401  (re-exported for the methods)
from explorer.engine.trajectory import Trajectory
from explorer.unlearning.base import Recorder, RunContext

PER_EPOCH = ("cosine_epochs",)  # schedules stepped once per epoch (the others once per optimiser step)


def as_x(x: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)


def as_y(y: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)


def cpu_generator(seed: int) -> torch.Generator:
    """Minibatch orders and random labels are drawn on the CPU so every device gives the same run."""
    return torch.Generator().manual_seed(int(seed))


def batch_indices(n: int, batch_size: int, generator: torch.Generator | None, device: torch.device
                  ) -> Iterator[torch.Tensor]:
    """One epoch of minibatch index tensors (shuffled when a generator is given; 0 = full batch)."""
    size = batch_size if batch_size > 0 else n
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    order = order.to(device)
    for start in range(0, n, size):
        yield order[start:start + size]


def n_batches(n: int, batch_size: int) -> int:
    size = batch_size if batch_size > 0 else n
    return max(1, -(-n // size))


def make_schedule(name: str, optimizer: torch.optim.Optimizer, lr: float, total_steps: int,
                  milestones: tuple[int, ...] = (), gamma: float = 0.1, epochs: int = 1):
    """A learning-rate schedule: per optimiser step (``step`` decays by ``gamma`` at the given step milestones),
    except those of :data:`PER_EPOCH`: ``cosine_epochs`` is ``CosineAnnealingLR(T_max=epochs)`` stepped after
    each epoch, as the NeurIPS 2023 unlearning-challenge starting kit does."""
    total_steps = max(total_steps, 1)
    if name == "cosine_epochs":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if name == "one_cycle":
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=total_steps)
    if name == "step":
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=list(milestones), gamma=gamma)
    return None


def frozen_copy(model: nn.Module) -> nn.Module:
    """A copy that takes no gradient, in eval mode (a teacher or the original weights θ0)."""
    teacher = copy.deepcopy(model)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


def random_copy(model: nn.Module, seed: int, device: torch.device) -> nn.Module:
    """The same architecture with fresh random weights (seeded; built on the CPU so any device matches)."""
    fresh = copy.deepcopy(model).cpu()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        for module in fresh.modules():
            if module is not fresh and hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return frozen_copy(fresh.to(device))


def random_wrong_labels(y: np.ndarray, n_classes: int, generator: torch.Generator) -> np.ndarray:
    """For each label, a uniformly drawn *different* label (as the JiT/SSD repos' ``amnesiac`` does)."""
    y = np.asarray(y, dtype=np.int64)
    if n_classes < 2:
        raise ValueError("random wrong labels need at least two classes")
    shift = torch.randint(1, n_classes, (len(y),), generator=generator).numpy()
    return (y + shift) % n_classes


def drift(model: nn.Module, theta0: list[torch.Tensor]) -> torch.Tensor:
    """‖θ − θ0‖² over all parameters (the SCRUB notebook's ``l2_penalty`` before its wd/2 factor)."""
    return sum(((p - p0) ** 2).sum() for p, p0 in zip(model.parameters(), theta0))


def train_ce(model: nn.Module, x: torch.Tensor, y: torch.Tensor, ctx: RunContext, *, epochs: int, batch_size: int,
             optimizer: str, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
             schedule: str = "constant", ascent: bool = False, train_mode: bool = True,
             anchor_weight: float = 0.0) -> Trajectory:
    """Minimise (or, with ``ascent``, maximise) cross-entropy on (x, y) with seeded shuffled
    minibatches, recording every optimiser step. ``anchor_weight`` w adds (w/2)‖θ − θ0‖² to the
    minimised loss, pulling towards the starting weights θ0. Returns the trajectory."""
    per_epoch = n_batches(len(x), batch_size)
    total = epochs * per_epoch
    opt = make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    sched = make_schedule(schedule, opt, lr, total, epochs=epochs)
    per_epoch = schedule in PER_EPOCH
    gen = cpu_generator(ctx.seed)
    theta0 = [p.detach().clone() for p in model.parameters()] if anchor_weight else None
    recorder = Recorder(model, ctx, total_steps=total)
    step = 0
    for epoch in range(1, epochs + 1):
        model.train(train_mode)
        for idx in batch_indices(len(x), batch_size, gen, x.device):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            objective = -loss if ascent else loss
            if theta0 is not None:
                objective = objective + 0.5 * anchor_weight * drift(model, theta0)
            objective.backward()
            opt.step()
            if sched is not None and not per_epoch:
                sched.step()
            step += 1
            if not recorder.step(step, epoch, float(loss.detach())):
                return recorder.trajectory
        if sched is not None and per_epoch:
            sched.step()
    return recorder.finish(step, epochs)
