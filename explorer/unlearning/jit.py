"""JiT ("Just in Time") zero-shot unlearning: smooth the model around each forget sample.

Foster et al., "An Information Theoretic Approach to Machine Unlearning", arXiv 2402.01401;
published code: github.com/jwf40/Information-Theoretic-Unlearning, src/lipschitz.py.

For a forget batch x (B samples) and N Gaussian perturbations x̃ = x + σε the loss is

    (1/N) Σₙ Σᵢ ‖f(xᵢ) − f(x̃ᵢₙ)‖₂ / ‖xᵢ − x̃ᵢₙ‖₂

and one plain SGD step at rate η is taken per forget batch. All N·B perturbed inputs go through
the network in one forward pass. Each behaviour of the published code is a named switch.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import torch
from torch import nn

from explorer.config.jit import JiTConfig
from explorer.engine.trajectory import Trajectory
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


PUBLISHED_SWITCHES = dict(detach_perturbed=True, clamp_to_batch_range=True, accumulate_grads=True,
                          reduction="sum", train_mode=True, max_step_change=0.0)
_CODE = "jwf40/Information-Theoretic-Unlearning"


def _published(**values) -> JiTConfig:
    return JiTConfig(passes=1, perturbations=25, output_space="logits", **PUBLISHED_SWITCHES, **values)


PRESETS: dict[str, Preset] = {
    "explorer": Preset(JiTConfig(), "this explorer's calibration study (`python -m explorer calibrate`, README "
                                    "\"How the defaults were chosen\"): the setting its rule picks over 6 toys × 5 seeds × "
                                    "6 kinds of forget set, with the explorer's step guard (over the informative runs "
                                    "alone the rule picks σ 0.4, η 0.02, guard 0.1, 2 of 68 runs better: within noise)"),
    "explorer-logits": Preset(JiTConfig(output_space="logits", eta=0.001),
                              "this explorer: the default in raw-logit space with η 0.001, picked by hand (the "
                              "calibration study ran in probability space only)"),
    "published": Preset(replace(JiTConfig(output_space="logits", eta=0.001), **PUBLISHED_SWITCHES),
                        f"{_CODE} src/lipschitz.py: every quirk of the released code on (logits, sum, "
                        "clamp, accumulated gradients, train mode), explorer σ/η/passes"),
    "digits-class": Preset(JiTConfig(sigma=0.7, eta=0.2, perturbations=25, passes=10, batch_size=256,
                                     output_space="probs", reduction="mean", detach_perturbed=True,
                                     clamp_to_batch_range=False, accumulate_grads=False, train_mode=False,
                                     max_step_change=0.0),
                           "this explorer, digits CNN, full-class forgetting: the probability-space window of a "
                           "σ×η sweep on class 3 (whole class in one batch, 10 steps); logit space had no window. "
                           "The window moves with the class: re-check with the sweep for other classes"),
    "paper-vgg-full-class": Preset(_published(sigma=0.5, eta=3e-4, batch_size=128),
                                   f"{_CODE} src/forget_full_class_main.py (VGG11)"),
    "paper-vgg-sub-class": Preset(_published(sigma=0.01, eta=3e-4, batch_size=64),
                                  f"{_CODE} src/forget_subclass_main.py (VGG11)"),
    "paper-vgg-random": Preset(_published(sigma=0.01, eta=3e-4, batch_size=128),
                               f"{_CODE} src/forget_random_main.py (VGG11)"),
    "paper-vit-full-class": Preset(_published(sigma=0.8, eta=1.5, batch_size=128),
                                   f"{_CODE} src/forget_full_class_main.py (ViT-B/16)"),
    "paper-vit-sub-class": Preset(_published(sigma=1.5, eta=0.5, batch_size=64),
                                  f"{_CODE} src/forget_subclass_main.py (ViT-B/16)"),
    "paper-vit-random": Preset(_published(sigma=0.5, eta=0.1, batch_size=128),
                               f"{_CODE} src/forget_random_main.py (ViT-B/16)"),
    "notebook-simplecnn": Preset(JiTConfig(sigma=0.8, eta=2e-5, perturbations=100, passes=1, batch_size=64,
                                           output_space="logits", reduction="sum", clamp_to_batch_range=True,
                                           train_mode=True, max_step_change=0.0),
                                 f"{_CODE} src/Bonus Experiments.ipynb (zero_grad every step)"),
}


def _space(z: torch.Tensor, output_space: str) -> torch.Tensor:
    return torch.softmax(z, dim=-1) if output_space == "probs" else z


def perturb(x: torch.Tensor, noise: torch.Tensor, config: JiTConfig) -> torch.Tensor:
    """x̃ = x + σ·ε for a forget batch x (…, B, d) and noise ε (…, N, B, d); optionally clamped to the batch's
    min/max. A leading model axis (…) holds one batch per model: each is clamped to its own range."""
    x_tilde = x.unsqueeze(-3) + config.sigma * noise
    if config.clamp_to_batch_range:
        lo = x.amin(dim=(-2, -1), keepdim=True).unsqueeze(-3)
        hi = x.amax(dim=(-2, -1), keepdim=True).unsqueeze(-3)
        x_tilde = torch.minimum(torch.maximum(x_tilde, lo), hi)
    return x_tilde


def jit_loss(forward: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, noise: torch.Tensor,
             config: JiTConfig) -> torch.Tensor:
    """The JiT objective for a forget batch ``x`` (B, d) and standard-normal ``noise`` (N, B, d), ``forward``
    giving the model's logits: a scalar. With a leading model axis — ``x`` (K, B, d), ``noise`` (K, N, B, d) and
    ``forward`` mapping (K, m, d) to each model's logits (K, m, C) — one loss per model (K,): the single run and
    the batched one (:mod:`explorer.unlearning.jit_stack`) are this one function."""
    *lead, n, b, d = noise.shape
    x_tilde = perturb(x, noise, config)
    flat = x_tilde.reshape(*lead, n * b, d)
    if config.detach_perturbed:
        clean = _space(forward(x), config.output_space)
        with torch.no_grad():  # the perturbed outputs are constant targets, as published
            noisy = _space(forward(flat), config.output_space)
    else:  # gradient through both branches: one forward of the (N+1)·B inputs
        both = _space(forward(torch.cat([x, flat], dim=-2)), config.output_space)
        clean, noisy = both[..., :b, :], both[..., b:, :]
    out_change = (clean.unsqueeze(-3) - noisy.reshape(*lead, n, b, -1)).norm(dim=-1)
    if config.clamp_to_batch_range:
        in_change = (x.unsqueeze(-3) - x_tilde).norm(dim=-1)  # the actual post-clamp distance, as published
        # Clamping can map x̃ back onto x (e.g. a single 2D point: the batch range is that point), where
        # the published code divides 0 by 0. Such a perturbation carries no information: it adds 0.
        tiny = torch.finfo(in_change.dtype).tiny
        ratio = torch.where(in_change > 0, out_change / in_change.clamp_min(tiny), 0.0)
    else:
        ratio = out_change / (config.sigma * noise.norm(dim=-1))  # ‖x − x̃‖ = σ‖ε‖ without the clamp
    per_sample = ratio.mean(dim=-2)  # (…, B): mean over the N perturbations
    return per_sample.sum(dim=-1) if config.reduction == "sum" else per_sample.mean(dim=-1)


def guard_probe(x: torch.Tensor, noise: torch.Tensor, config: JiTConfig) -> torch.Tensor:
    """The inputs the step guard watches: the forget batch and its N perturbations (…, (N+1)·B, d)."""
    *lead, n, b, d = noise.shape
    return torch.cat([x, perturb(x, noise, config).reshape(*lead, n * b, d)], dim=-2)


@torch.no_grad()
def outputs(model: nn.Module, x: torch.Tensor, output_space: str = "probs") -> torch.Tensor:
    """The model's outputs in ``output_space``, in eval mode (the guard measures the model, not its dropout)."""
    was_training = model.training
    model.eval()
    out = _space(model(x), output_space)
    model.train(was_training)
    return out


@torch.no_grad()
def guarded_step(step: Callable[[], None], params: list[torch.Tensor], measure: Callable[[], torch.Tensor],
                 limit: float, model_dims: int = 0, tries: int = 6) -> torch.Tensor:
    """The explorer's step guard around one optimiser ``step``: after it, shorten the step (weights before →
    after) until no output ``measure()`` gives (the outputs at the guard's probe inputs) changed by more than
    ``limit``, at most ``tries`` shortenings; a step that cannot be made short enough is undone.

    Returns the share of the step kept, 0 where it was undone: a 0-dim tensor, or one value per model
    (``model_dims=1``: every tensor has a leading model axis and each model's step is shortened on its own)."""
    before = [p.detach().clone() for p in params]
    outputs_before = measure()
    step()
    steps = [p - b for p, b in zip(params, before)]

    def change() -> torch.Tensor:
        diff = (measure() - outputs_before).abs()
        return diff.reshape(*diff.shape[:model_dims], -1).amax(dim=-1).double()

    def per_model(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return values.reshape(*values.shape, *[1] * (like.dim() - values.dim()))

    kept = torch.ones(before[0].shape[:model_dims], dtype=torch.float64, device=before[0].device)
    for _ in range(tries):
        c = change()
        over = ~(c <= limit)  # NaN compares False: shortened too
        if not bool(over.any()):
            return kept
        # near-linear for a short step: aim a little inside the limit; overflowing outputs: shrink hard
        kept = torch.where(over, kept * torch.where(torch.isfinite(c), 0.9 * limit / c, 1e-3), kept)
        for p, b, d in zip(params, before, steps):
            p.copy_(torch.where(per_model(over, p), b + per_model(kept.to(p.dtype), p) * d, p))
    bad = ~(change() <= limit)  # no usable step: undo it
    for p, b in zip(params, before):
        p.copy_(torch.where(per_model(bad, p), b, p))
    return torch.where(bad, torch.zeros_like(kept), kept)


def guard_stopped(step: int, limit: float) -> str:
    """Why a run stopped when the step guard found no usable step."""
    return (f"diverged at step {step} (the outputs overflow: the step guard found no step within {limit:g}); "
            f"kept the weights of step {step - 1}. Try a smaller learning rate.")


def noise_generator(device: torch.device, seed: int) -> torch.Generator:
    gen = torch.Generator(device=device if device.type in ("cuda", "mps") else "cpu")
    return gen.manual_seed(seed)


@register("jit", config=JiTConfig, access=DataAccess(forget_inputs=True), presets=PRESETS,
          summary="JiT: flatten the function around each forget sample (zero-shot, label-free)")
def jit(model: nn.Module, data: UnlearnData, config: JiTConfig, ctx: RunContext) -> Trajectory:
    x_all = torch.as_tensor(data.forget_x, dtype=torch.float32, device=ctx.device)
    n_batches = -(-len(x_all) // config.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.eta)
    generator = noise_generator(ctx.device, ctx.seed)
    recorder = Recorder(model, ctx, total_steps=config.passes * n_batches)
    step = 0
    for epoch in range(1, config.passes + 1):
        model.train(config.train_mode)
        optimizer.zero_grad(set_to_none=True)  # the published pass zeroes once, before its loop
        for start in range(0, len(x_all), config.batch_size):
            x = x_all[start:start + config.batch_size]
            noise = torch.randn((config.perturbations, *x.shape), generator=generator, device=ctx.device)
            if not config.accumulate_grads:
                optimizer.zero_grad(set_to_none=True)
            loss = jit_loss(model, x, noise, config)
            loss.backward()
            if config.max_step_change > 0:
                probe = guard_probe(x, noise, config)
                kept = guarded_step(optimizer.step, list(model.parameters()),
                                    lambda: outputs(model, probe, config.output_space), config.max_step_change)
                if bool(kept == 0):
                    recorder.trajectory.stopped = guard_stopped(step + 1, config.max_step_change)
                    return recorder.trajectory
            else:
                optimizer.step()
            step += 1
            if not recorder.step(step, epoch, float(loss.detach())):
                return recorder.trajectory
    return recorder.finish(step, config.passes)
