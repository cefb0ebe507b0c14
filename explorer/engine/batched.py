"""Many models of one architecture at once: K trainings, each from its own initial weights on its own mask of
the training set, as one vectorised loop.

The K models' weights are stacked along a leading axis (``torch.func.stack_module_state``) and the
network is run once for all of them with ``torch.func.vmap`` over ``torch.func.functional_call``. The
models never mix: the summed loss gives each model's weights its own gradient, and Adam, SGD and weight
decay act element by element, so every model follows the trajectory it would follow alone, up to the
order of floating-point sums.

:func:`train_many` keeps :func:`explorer.engine.training.fit`'s recipe and stopping rule per model (one
function, :func:`explorer.engine.training.converged`): its initial weights, full-batch Adam (or SGD with momentum 0.9) at the same learning rate and weight decay,
stopped at the same epoch (loss below ``target_loss``, or a relative fall of less than ``tolerance`` over
``patience`` epochs). A model that has converged leaves the stack (its optimiser state is sliced away),
so the loop gets cheaper as models finish. Minibatch training (its batch order depends on each model's
own training-set size) and dropout (its random masks) are trained one by one instead
(:func:`batchable`).

Unlearning methods run on stacks elsewhere: JiT in :mod:`explorer.unlearning.jit_stack`.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F

from explorer.engine.training import ProgressFn, TrainHistory, check_finite, converged, recipe_optimizer, train
from explorer.config.training import TrainConfig


@dataclass
class ModelStack:
    """K models of one architecture: ``params[name]`` has shape (K, *shape of that weight)."""

    template: nn.Module  # the architecture (its own weights are never used)
    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return next(iter(self.params.values())).shape[0]

    @classmethod
    def of(cls, models: list[nn.Module]) -> "ModelStack":
        # Only the weights are stacked; torch.func refuses models in different train/eval modes, so copies
        # in one mode go in (the callers' models keep theirs).
        models = [copy.deepcopy(m).eval() for m in models]
        params, buffers = stack_module_state(models)
        params = {k: v.detach() for k, v in params.items()}
        return cls(copy.deepcopy(models[0]), params, buffers)

    @classmethod
    def repeat(cls, model: nn.Module, k: int) -> "ModelStack":
        """``k`` copies of ``model``'s weights."""
        params = {n: p.detach().unsqueeze(0).repeat(k, *[1] * p.dim()) for n, p in model.named_parameters()}
        buffers = {n: b.unsqueeze(0).repeat(k, *[1] * b.dim()) for n, b in model.named_buffers()}
        return cls(copy.deepcopy(model), params, buffers)

    def forward(self, x: torch.Tensor, params: dict[str, torch.Tensor] | None = None, shared: bool = True,
                buffers: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Logits (K, n, C): ``x`` (n, d) goes through every model (``shared``) or ``x`` (K, n, d) row k
        through model k. ``params``/``buffers``: other stacked weights of this architecture."""
        params = self.params if params is None else params
        buffers = self.buffers if buffers is None else buffers

        def one(p, b, inputs):
            return functional_call(self.template, (p, b), (inputs,))

        return vmap(one, in_dims=(0, 0, None if shared else 0))(params, buffers, x)

    @torch.no_grad()
    def logits(self, x, batch: int = 4096, models: int = 64) -> torch.Tensor:
        """Eval-mode logits (K, n, C) on the CPU, in chunks of inputs and of models (memory stays small)."""
        device = next(iter(self.params.values())).device
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        was = self.template.training
        self.template.eval()
        try:
            rows = []
            for m in range(0, len(self), models):
                part = {k: v[m:m + models] for k, v in self.params.items()}
                bufs = {k: v[m:m + models] for k, v in self.buffers.items()}
                rows.append(torch.cat([self.forward(x[i:i + batch].to(device), part, buffers=bufs).float().cpu()
                                       for i in range(0, len(x), batch)], dim=1))
            return torch.cat(rows)
        finally:
            self.template.train(was)

    @torch.no_grad()
    def logits_each(self, xs, batch: int = 4096) -> torch.Tensor:
        """Eval-mode logits (K, n, C) on the CPU of model k on its own inputs ``xs[k]`` ((K, n, d)), in chunks of
        inputs."""
        device = next(iter(self.params.values())).device
        xs = torch.as_tensor(np.asarray(xs), dtype=torch.float32)
        was = self.template.training
        self.template.eval()
        try:
            return torch.cat([self.forward(xs[:, i:i + batch].to(device), shared=False).float().cpu()
                              for i in range(0, xs.shape[1], batch)], dim=1)
        finally:
            self.template.train(was)

    def labels(self, x) -> np.ndarray:
        """Predicted classes (K, n)."""
        return self.logits(x).argmax(-1).numpy()

    def model(self, k: int) -> nn.Module:
        """Model ``k`` as an ordinary module (eval mode)."""
        net = copy.deepcopy(self.template)
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.copy_(self.params[name][k])
            for name, b in net.named_buffers():
                b.copy_(self.buffers[name][k])
        return net.eval()

    def models(self) -> list[nn.Module]:
        return [self.model(k) for k in range(len(self))]

    def to(self, device) -> "ModelStack":
        return ModelStack(copy.deepcopy(self.template).to(device), {k: v.to(device) for k, v in self.params.items()},
                          {k: v.to(device) for k, v in self.buffers.items()})


def batchable(model: nn.Module, config: TrainConfig) -> str | None:
    """Why ``train_many`` trains these models one by one (None: it batches them)."""
    if config.batch_size:
        return "minibatch training: each model's batch order depends on its own training-set size"
    if any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules()):
        return "dropout: its random masks would differ from one-by-one training"
    return None


def train_many(initial: nn.Module | Sequence[nn.Module], x, y, masks, config: TrainConfig, device: torch.device,
               progress: ProgressFn | None = None, seeds: Sequence[int] | None = None
               ) -> tuple[ModelStack, list[TrainHistory]]:
    """Train K models, model k from ``initial`` (one model for all, or one per mask) on the training points
    where ``masks[k]`` is True, with :func:`explorer.engine.training.train`'s recipe and stopping rule; the
    callers' models are untouched. ``seeds``: each model's training seed (its batch order when minibatch
    training falls back to one by one; default ``config.seed`` for all).

    Returns the K trained models as a :class:`ModelStack` (in the order of ``masks``) and one history each.
    Models whose masks keep the same number of points train in one stack (each on its own points, gathered
    in order, so each model's loss and gradients are those of the ordinary trainer);
    ``progress(models done, K, mean final loss so far)``."""
    config.validate()
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 2 or masks.shape[1] != len(x):
        raise ValueError(f"masks must have shape (K, {len(x)}), got {masks.shape}")
    if (masks.sum(axis=1) == 0).any():
        raise ValueError("cannot train on an empty training set")
    k_total = len(masks)
    initials = list(initial) if isinstance(initial, (list, tuple)) else None
    if initials is not None and len(initials) != k_total:
        raise ValueError(f"{len(initials)} initial models for {k_total} masks")
    if batchable(initials[0] if initials else initial, config) is not None:  # one by one, the ordinary trainer
        models, histories = train_each(initial, x, y, masks, config, device, seeds, progress)
        return ModelStack.of(models), histories
    if initials is None:
        template = copy.deepcopy(initial).to(device).train()
        stack = ModelStack.repeat(template, k_total)
    else:
        stack = ModelStack.of(initials).to(device)
        template = stack.template.train()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
    final = {name: value.clone() for name, value in stack.params.items()}
    histories = [TrainHistory() for _ in range(k_total)]
    counts = masks.sum(axis=1)
    finished = 0
    for count in np.unique(counts):
        members = np.flatnonzero(counts == count)
        index = torch.as_tensor(np.stack([np.flatnonzero(masks[k]) for k in members]), device=device)
        start = time.perf_counter()

        def report(done: int, losses: list[float]) -> None:
            if progress:
                progress(finished + done, k_total, float(np.mean(losses)) if losses else float("nan"))

        params = _train_group(template, {n: v[members] for n, v in stack.params.items()},
                              {n: v[members] for n, v in stack.buffers.items()}, xt[index], yt[index], config,
                              [histories[k] for k in members], report)
        seconds = (time.perf_counter() - start) / len(members)
        for name, value in params.items():
            final[name][torch.as_tensor(members, device=device)] = value
        for k in members:
            histories[k].seconds = seconds  # the loop's time, shared out
        finished += len(members)
    stack = ModelStack(template.eval(), final, stack.buffers)
    with torch.no_grad():
        correct = (stack.forward(xt).argmax(-1) == yt.unsqueeze(0)).float().cpu().numpy()  # (K, n)
    for k, h in enumerate(histories):
        h.train_acc = float(correct[k][masks[k]].mean())
    return stack, histories


def _train_group(template: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor],
                 xs: torch.Tensor, ys: torch.Tensor, config: TrainConfig, histories: list[TrainHistory],
                 report) -> dict[str, torch.Tensor]:
    """Full-batch training of a stack whose model j sees ``xs[j]``, ``ys[j]`` (the same count for all)."""
    final = {name: value.clone() for name, value in params.items()}
    params = {name: value.clone().requires_grad_(True) for name, value in params.items()}

    def loss_of(p, b, inputs, labels):  # per model, as the ordinary trainer computes it
        return F.cross_entropy(functional_call(template, (p, b), (inputs,)), labels)

    per_model_loss = vmap(loss_of)
    opt = recipe_optimizer(config, list(params.values()))
    active = np.arange(len(histories))  # positions (in this group) of the models still training
    finished: list[float] = []
    for epoch in range(config.epochs):
        index = torch.as_tensor(active, device=xs.device)
        opt.zero_grad(set_to_none=True)
        per_model = per_model_loss(params, {n: v[index] for n, v in buffers.items()}, xs[index], ys[index])
        per_model.sum().backward()  # each model's weights get their own gradient
        opt.step()
        losses = per_model.detach().cpu().tolist()
        done = []
        for j, k in enumerate(active):
            h = histories[k]
            h.loss.append(losses[j])
            h.epochs_run = epoch + 1
            check_finite(losses[j], epoch + 1)
            if converged(h.loss, config):
                h.converged = True
                done.append(j)
        if done:
            for name, value in params.items():
                final[name][torch.as_tensor(active[done], device=xs.device)] = value.detach()[done]
            finished += [losses[j] for j in done]
            report(len(finished), finished)
            keep = np.setdiff1d(np.arange(len(active)), done)
            active = active[keep]
            if len(active) == 0:
                return final
            params, opt = _keep(params, opt, keep)
    for name, value in params.items():  # the models that ran out of epochs
        final[name][torch.as_tensor(active, device=xs.device)] = value.detach()
    report(len(histories), finished)
    return final


def _keep(params: dict[str, torch.Tensor], opt: torch.optim.Optimizer, keep: np.ndarray):
    """The stack without the models that finished: weights and optimiser state sliced to ``keep``."""
    index = torch.as_tensor(keep, device=next(iter(params.values())).device)
    new = {name: value.detach()[index].clone().requires_grad_(True) for name, value in params.items()}
    config = opt.defaults
    new_opt = type(opt)(list(new.values()), **config)
    for old_p, new_p in zip(params.values(), new.values()):
        state = opt.state.get(old_p)
        if state:
            new_opt.state[new_p] = {key: (value[index].clone() if torch.is_tensor(value) and value.dim() > 0
                                          else (value.clone() if torch.is_tensor(value) else value))
                                    for key, value in state.items()}
    return new, new_opt


def train_each(initial: nn.Module | Sequence[nn.Module], x, y, masks, config: TrainConfig, device: torch.device,
               seeds: Sequence[int] | None = None, progress: ProgressFn | None = None
               ) -> tuple[list[nn.Module], list[TrainHistory]]:
    """The same K models trained one by one with the ordinary trainer (the reference for the batched one, and
    its fallback); model k with training seed ``seeds[k]`` when given."""
    masks = np.asarray(masks, dtype=bool)
    initials = list(initial) if isinstance(initial, (list, tuple)) else [initial] * len(masks)
    models, histories = [], []
    for k, mask in enumerate(masks):
        recipe = config if seeds is None else replace(config, seed=int(seeds[k]))
        model, history = train(initials[k], np.asarray(x)[mask], np.asarray(y)[mask], recipe, device)
        models.append(model)
        histories.append(history)
        if progress:
            progress(k + 1, len(masks), history.loss[-1])
    return models, histories
