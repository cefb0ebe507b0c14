"""Many models of one architecture at once: K trainings, each on its own mask of the training set, and
K single-point JiT runs, each as one vectorised loop.

The K models' weights are stacked along a leading axis (``torch.func.stack_module_state``) and the
network is run once for all of them with ``torch.func.vmap`` over ``torch.func.functional_call``. The
models never mix: the summed loss gives each model's weights its own gradient, and Adam, SGD and weight
decay act element by element, so every model follows the trajectory it would follow alone, up to the
order of floating-point sums.

:func:`train_many` keeps :func:`explorer.engine.training.fit`'s recipe and stopping rule per model: the same
initial weights, full-batch Adam (or SGD with momentum 0.9) at the same learning rate and weight decay,
stopped at the same epoch (loss below ``target_loss``, or a relative fall of less than ``tolerance`` over
``patience`` epochs). A model that has converged leaves the stack (its optimiser state is sliced away),
so the loop gets cheaper as models finish. Minibatch training (its batch order depends on each model's
own training-set size) and dropout (its random masks) are trained one by one instead
(:func:`batchable`).

:func:`jit_many` runs JiT (:mod:`explorer.unlearning.jit`) from one model on K forget sets of one point
each: with the run seed shared, every single run draws the same noise, so one draw serves all K; the
step guard shortens each model's step on its own, and a run whose loss or weights stop being finite
keeps its last good weights and stops, as the single run's recorder does.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import functional as F

from explorer.config.training import TrainConfig

from explorer.engine.training import ProgressFn, TrainHistory, train
from explorer.config.jit import JiTConfig
from explorer.unlearning.jit import noise_generator


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


def _converged(losses: list[float], config: TrainConfig) -> bool:
    """:func:`explorer.engine.training.fit`'s stopping rule on one model's loss history."""
    epoch_loss = losses[-1]
    window_start = losses[-config.patience - 1] if len(losses) >= config.patience + 1 else None
    return epoch_loss < config.target_loss or (
        window_start is not None and window_start - epoch_loss < config.tolerance * window_start)


def train_many(initial: nn.Module, x, y, masks, config: TrainConfig, device: torch.device,
               progress: ProgressFn | None = None) -> tuple[ModelStack, list[TrainHistory]]:
    """Train K copies of ``initial``, copy k on the training points where ``masks[k]`` is True, with
    :func:`explorer.engine.training.train`'s recipe and stopping rule; the caller's model is untouched.

    Returns the K trained models as a :class:`ModelStack` (in the order of ``masks``) and one history each.
    Models whose masks keep the same number of points train in one stack (each on its own points, gathered
    in order, so each model's loss and gradients are those of the ordinary trainer);
    ``progress(models done, K, mean final loss so far)``."""
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 2 or masks.shape[1] != len(x):
        raise ValueError(f"masks must have shape (K, {len(x)}), got {masks.shape}")
    if (masks.sum(axis=1) == 0).any():
        raise ValueError("cannot train on an empty training set")
    k_total = len(masks)
    why = batchable(initial, config)
    if why is not None:  # one by one, with the ordinary trainer
        models, histories = [], []
        for k in range(k_total):
            model, history = train(initial, np.asarray(x)[masks[k]], np.asarray(y)[masks[k]], config, device)
            models.append(model)
            histories.append(history)
            if progress:
                progress(k + 1, k_total, history.loss[-1])
        return ModelStack.of(models), histories
    template = copy.deepcopy(initial).to(device).train()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
    stack = ModelStack.repeat(template, k_total)
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
    momentum = 0.9 if config.optimizer == "sgd" else 0.0
    opt = _optimizer(config, list(params.values()), momentum)
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
            if not np.isfinite(losses[j]):
                raise FloatingPointError(f"training diverged at epoch {epoch + 1} (loss {losses[j]}); "
                                         "lower the learning rate")
            if _converged(h.loss, config):
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


def _optimizer(config: TrainConfig, params: list[torch.Tensor], momentum: float) -> torch.optim.Optimizer:
    # foreach=False: the per-tensor loop, as the one-by-one trainer's small models take
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=momentum, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


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


def train_each(initial: nn.Module, x, y, masks, config: TrainConfig, device: torch.device
               ) -> tuple[list[nn.Module], list[TrainHistory]]:
    """The same K models trained one by one with the ordinary trainer (the reference for the batched one)."""
    models, histories = [], []
    for mask in np.asarray(masks, dtype=bool):
        model, history = train(initial, np.asarray(x)[mask], np.asarray(y)[mask], config, device)
        models.append(model)
        histories.append(history)
    return models, histories


# ---- JiT on K single points at once -----------------------------------------------------------------

def _space(z: torch.Tensor, output_space: str) -> torch.Tensor:
    return torch.softmax(z, dim=-1) if output_space == "probs" else z


@dataclass
class ManyJiT:
    stack: ModelStack  # model k forgot point k
    stopped: list[str | None]  # why run k stopped early (None: it ran every pass)
    seconds: float


def jit_many(model: nn.Module, points, config: JiTConfig, device: torch.device, seed: int = 0,
             progress=None) -> ManyJiT:
    """JiT from ``model`` on each row of ``points`` alone: the same models as K runs of
    ``run_method("jit", model, data, [id], config, RunContext(device, seed))``, in one loop.

    ``progress(step, total steps)``. Only ``train_mode`` with dropout and ``clamp_to_batch_range`` are the
    same as the single run only in distribution (one point's batch range is the point itself: every
    perturbation is clamped back onto it, and the single run adds 0 for each; so does this)."""
    start = time.perf_counter()
    x = torch.as_tensor(np.asarray(points), dtype=torch.float32, device=device)  # (K, d)
    k_total, d = x.shape
    template = copy.deepcopy(model).to(device)
    template.train(config.train_mode)
    stack = ModelStack.repeat(template, k_total)
    params = {name: value.clone().requires_grad_(True) for name, value in stack.params.items()}
    good = {name: value.detach().clone() for name, value in params.items()}
    alive = torch.ones(k_total, dtype=torch.bool, device=device)
    stopped: list[str | None] = [None] * k_total
    generator = noise_generator(device, seed)
    xk = x.unsqueeze(1)  # (K, 1, d): model k sees its own point
    total = config.passes
    for step in range(1, total + 1):
        # one batch per pass (a single point), the same noise for every run: each single run draws it so
        noise = torch.randn((config.perturbations, 1, d), generator=generator, device=device)  # (N, 1, d)
        x_tilde = xk + config.sigma * noise.reshape(1, -1, d)  # (K, N, d)
        if config.clamp_to_batch_range:
            x_tilde = torch.minimum(torch.maximum(x_tilde, xk.amin(-1, keepdim=True)), xk.amax(-1, keepdim=True))
        for p in params.values():
            p.grad = None
        template.train(config.train_mode)
        if config.detach_perturbed:
            clean = _space(stack.forward(xk, params, shared=False), config.output_space)  # (K, 1, C)
            with torch.no_grad():
                noisy = _space(stack.forward(x_tilde, params, shared=False), config.output_space)  # (K, N, C)
        else:
            both = _space(stack.forward(torch.cat([xk, x_tilde], 1), params, shared=False), config.output_space)
            clean, noisy = both[:, :1], both[:, 1:]
        out_change = (clean - noisy).norm(dim=-1)  # (K, N)
        if config.clamp_to_batch_range:
            in_change = (xk - x_tilde).norm(dim=-1)
            tiny = torch.finfo(in_change.dtype).tiny
            ratio = torch.where(in_change > 0, out_change / in_change.clamp_min(tiny), 0.0)
        else:
            ratio = out_change / (config.sigma * noise.reshape(1, -1, d).norm(dim=-1))
        loss = ratio.mean(dim=1)  # (K,): one sample per run, so sum and mean reductions agree
        (loss * alive).sum().backward()
        with torch.no_grad():
            if config.max_step_change > 0:
                probe = torch.cat([xk, x_tilde], 1)  # (K, N+1, d)
                before = {name: p.detach().clone() for name, p in params.items()}
                out_before = _eval_outputs(stack, template, probe, params, config)
            for name, p in params.items():
                p.copy_(torch.where(_expand(alive, p).bool(), p - config.eta * p.grad, p))
            if config.max_step_change > 0:
                kept = _bound_steps(stack, template, params, before, probe, out_before, config.max_step_change,
                                    config)
                for k in torch.nonzero(alive & (kept == 0)).flatten().tolist():
                    alive[k] = False
                    stopped[k] = (f"diverged at step {step} (the outputs overflow: the step guard found no step within "
                                  f"{config.max_step_change:g}); kept the weights of step {step - 1}. "
                                  "Try a smaller learning rate.")
            finite = torch.isfinite(loss.detach())
            for p in params.values():
                finite &= torch.isfinite(p.detach().reshape(k_total, -1)).all(dim=1)
            for k in torch.nonzero(alive & ~finite).flatten().tolist():
                alive[k] = False
                for name, p in params.items():
                    p[k] = good[name][k]
                stopped[k] = (f"diverged at step {step} (loss {float(loss[k])}); kept the weights of step "
                              f"{step - 1}. Try a smaller learning rate.")
            for name, p in params.items():
                good[name][alive] = p.detach()[alive]
        if progress:
            progress(step, total)
        if not bool(alive.any()):
            break
    template.eval()
    result = ModelStack(template, {name: value.detach() for name, value in params.items()}, stack.buffers)
    return ManyJiT(result, stopped, time.perf_counter() - start)


def _expand(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.to(like.dtype).reshape(-1, *[1] * (like.dim() - 1))


def _eval_outputs(stack: ModelStack, template: nn.Module, probe, params, config: JiTConfig) -> torch.Tensor:
    """Each model's outputs at its own probe inputs, in eval mode (the guard measures the model)."""
    was = template.training
    template.eval()
    out = _space(stack.forward(probe, params, shared=False), config.output_space)
    template.train(was)
    return out


def _bound_steps(stack, template, params, before, probe, out_before, limit: float, config: JiTConfig,
                 tries: int = 6) -> torch.Tensor:
    """:func:`explorer.unlearning.jit.bound_step` for every model at once: each model's step is shortened
    on its own until none of its outputs moved by more than ``limit``. Returns the share kept per model."""
    k_total = len(stack)
    steps = {name: p - before[name] for name, p in params.items()}
    kept = torch.ones(k_total, dtype=torch.float64, device=probe.device)

    def change() -> torch.Tensor:
        diff = (_eval_outputs(stack, template, probe, params, config) - out_before).abs()
        return diff.reshape(k_total, -1).amax(dim=1).double()

    for _ in range(tries):
        c = change()
        over = ~(c <= limit)
        if not bool(over.any()):
            return kept
        factor = torch.where(torch.isfinite(c), 0.9 * limit / c, torch.full_like(c, 1e-3))
        kept = torch.where(over, kept * factor, kept)
        for name, p in params.items():
            shortened = before[name] + kept.to(p.dtype).reshape(-1, *[1] * (p.dim() - 1)) * steps[name]
            p.copy_(torch.where(_expand(over, p).bool(), shortened, p))
    c = change()
    bad = ~(c <= limit)
    for name, p in params.items():
        p.copy_(torch.where(_expand(bad, p).bool(), before[name], p))
    return torch.where(bad, torch.zeros_like(kept), kept)
