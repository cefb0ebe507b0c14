"""JiT on a stack of K different models, model k forgetting its own B points, as one vectorised loop: the same
models as K runs of ``run_method("jit", model_k, data, ids_k, config, RunContext(device, seed))``.

:func:`explorer.engine.batched.jit_many` runs K single points from one model; the privacy audit needs the
other way round: K reference models, each forgetting the forget points it was trained on. With the run seed
shared, every single run whose forget set has the same size draws the same noise, pass after pass and batch
after batch, so one draw serves the whole stack (callers group their models by forget-set size). Every
published-code switch acts per model as in the single run: batches of ``batch_size`` in order, accumulated
gradients within a pass, the batch-range clamp over each model's own batch, the batch sum or mean; the step
guard (:func:`explorer.engine.batched.step_stack`) shortens each model's step on its own, and a model whose
loss or weights stop being finite keeps its last good weights and stops, as the single run's recorder does.
Only ``train_mode`` with dropout is the same in distribution only (random masks).
"""
from __future__ import annotations

import time

import numpy as np
import torch

from explorer.engine.batched import ManyJiT, ModelStack, _space, step_stack
from explorer.unlearning.jit import JiTConfig, noise_generator


def _stack_loss(stack: ModelStack, params, x: torch.Tensor, noise: torch.Tensor, config: JiTConfig):
    """Each model's JiT loss (K,) on its batch ``x`` (K, b, d) with the shared noise (N, b, d), and the
    perturbed inputs (K, N·b, d) (:func:`explorer.unlearning.jit.jit_loss`, per model)."""
    k, b, d = x.shape
    n = noise.shape[0]
    x_tilde = x.unsqueeze(1) + config.sigma * noise.unsqueeze(0)  # (K, N, b, d)
    if config.clamp_to_batch_range:  # each model's own batch tensor sets its range
        lo, hi = x.amin(dim=(1, 2)).reshape(k, 1, 1, 1), x.amax(dim=(1, 2)).reshape(k, 1, 1, 1)
        x_tilde = torch.minimum(torch.maximum(x_tilde, lo), hi)
    flat = x_tilde.reshape(k, n * b, d)
    if config.detach_perturbed:
        clean = _space(stack.forward(x, params, shared=False), config.output_space)  # (K, b, C)
        with torch.no_grad():
            noisy = _space(stack.forward(flat, params, shared=False), config.output_space)
    else:
        both = _space(stack.forward(torch.cat([x, flat], 1), params, shared=False), config.output_space)
        clean, noisy = both[:, :b], both[:, b:]
    out_change = (clean.unsqueeze(1) - noisy.reshape(k, n, b, -1)).norm(dim=-1)  # (K, N, b)
    if config.clamp_to_batch_range:
        in_change = (x.unsqueeze(1) - x_tilde).norm(dim=-1)
        tiny = torch.finfo(in_change.dtype).tiny
        ratio = torch.where(in_change > 0, out_change / in_change.clamp_min(tiny), 0.0)
    else:
        ratio = out_change / (config.sigma * noise.norm(dim=-1)).unsqueeze(0)
    per_sample = ratio.mean(dim=1)  # (K, b)
    loss = per_sample.sum(dim=1) if config.reduction == "sum" else per_sample.mean(dim=1)
    return loss, flat


def jit_stack(start: ModelStack, points, config: JiTConfig, device: torch.device, seed: int = 0) -> ManyJiT:
    """JiT from stacked model k on its forget points ``points[k]`` (an array (K, B, d), in the order the single
    run takes them: sorted by training id). ``start`` is not changed."""
    config.validate()
    begin = time.perf_counter()
    x_all = torch.as_tensor(np.asarray(points), dtype=torch.float32, device=device)
    if x_all.dim() != 3 or len(x_all) != len(start):
        raise ValueError(f"points must be (K={len(start)}, B, d), got {tuple(x_all.shape)}")
    k_total = len(start)
    stack = start.to(device)
    template = stack.template
    params = {name: value.clone().requires_grad_(True) for name, value in stack.params.items()}
    good = {name: value.detach().clone() for name, value in params.items()}
    alive = torch.ones(k_total, dtype=torch.bool, device=device)
    stopped: list[str | None] = [None] * k_total
    generator = noise_generator(device, seed)
    step = 0
    for _ in range(config.passes):
        for p in params.values():  # the published pass zeroes once, before its loop
            p.grad = None
        for first in range(0, x_all.shape[1], config.batch_size):
            x = x_all[:, first:first + config.batch_size]
            noise = torch.randn((config.perturbations, *x.shape[1:]), generator=generator, device=device)
            if not config.accumulate_grads:
                for p in params.values():
                    p.grad = None
            template.train(config.train_mode)
            loss, flat = _stack_loss(stack, params, x, noise, config)
            (loss * alive).sum().backward()
            step += 1
            step_stack(stack, template, params, good, alive, stopped, loss, torch.cat([x, flat], 1), step,
                       config)
            if not bool(alive.any()):
                break
        if not bool(alive.any()):
            break
    template.eval()
    result = ModelStack(template, {name: value.detach() for name, value in params.items()}, stack.buffers)
    return ManyJiT(result, stopped, time.perf_counter() - begin)

