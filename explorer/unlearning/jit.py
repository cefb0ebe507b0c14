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

import numpy as np
import torch
from torch import nn

from explorer.config.jit import JiTConfig
from explorer.config.limits import batches
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
                                    "6 kinds of forget set, with the explorer's step guard"),
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


# The preset each dataset starts from, on the pages and in the CLI alike; every other dataset starts from
# "explorer" (the calibrated 2D default, also JiTConfig's defaults).
def _space(z: torch.Tensor, output_space: str) -> torch.Tensor:
    return torch.softmax(z, dim=-1) if output_space == "probs" else z


def perturb(x: torch.Tensor, noise: torch.Tensor, config: JiTConfig) -> torch.Tensor:
    """x̃ = x + σ·ε for noise ε of shape (N, B, d); optionally clamped to the batch's min/max."""
    x_tilde = x.unsqueeze(0) + config.sigma * noise
    if config.clamp_to_batch_range:
        x_tilde = x_tilde.clamp(x.min(), x.max())
    return x_tilde


def jit_loss(model: nn.Module, x: torch.Tensor, noise: torch.Tensor, config: JiTConfig) -> torch.Tensor:
    """The JiT objective for one forget batch ``x`` (B, d) and standard-normal ``noise`` (N, B, d)."""
    n, b, d = noise.shape
    x_tilde = perturb(x, noise, config)
    flat = x_tilde.reshape(n * b, d)
    if config.detach_perturbed:
        clean = _space(model(x), config.output_space)
        with torch.no_grad():  # the perturbed outputs are constant targets, as published
            noisy = _space(model(flat), config.output_space)
    else:  # gradient through both branches: one forward of the (N+1)·B inputs
        both = _space(model(torch.cat([x, flat])), config.output_space)
        clean, noisy = both[:b], both[b:]
    out_change = (clean.unsqueeze(0) - noisy.reshape(n, b, -1)).norm(dim=-1)
    if config.clamp_to_batch_range:
        in_change = (x.unsqueeze(0) - x_tilde).norm(dim=-1)  # the actual post-clamp distance, as published
        # Clamping can map x̃ back onto x (e.g. a single 2D point: the batch range is that point), where
        # the published code divides 0 by 0. Such a perturbation carries no information: it adds 0.
        tiny = torch.finfo(in_change.dtype).tiny
        ratio = torch.where(in_change > 0, out_change / in_change.clamp_min(tiny), 0.0)
    else:
        ratio = out_change / (config.sigma * noise.norm(dim=-1))  # ‖x − x̃‖ = σ‖ε‖ without the clamp
    per_sample = ratio.mean(dim=0)  # (B,): mean over the N perturbations
    return per_sample.sum() if config.reduction == "sum" else per_sample.mean()


@torch.no_grad()
def outputs(model: nn.Module, x: torch.Tensor, output_space: str = "probs") -> torch.Tensor:
    """The model's outputs in ``output_space``, in eval mode (the guard measures the model, not its dropout)."""
    was_training = model.training
    model.eval()
    out = _space(model(x), output_space)
    model.train(was_training)
    return out


@torch.no_grad()
def bound_step(model: nn.Module, before: list[torch.Tensor], probe: torch.Tensor, outputs_before: torch.Tensor,
               limit: float, output_space: str = "probs", tries: int = 6) -> float:
    """Shorten the step just taken (weights ``before`` → current) until no output at the ``probe`` inputs
    changed by more than ``limit`` (at most ``tries`` shortenings). Returns the share of the step kept."""
    params = list(model.parameters())
    steps = [p - b for p, b in zip(params, before)]
    kept = 1.0
    for _ in range(tries):
        change = float((outputs(model, probe, output_space) - outputs_before).abs().max())
        if change <= limit:
            return kept
        # near-linear for a short step: aim a little inside the limit; overflowing outputs: shrink hard
        kept *= 0.9 * limit / change if np.isfinite(change) else 1e-3
        for p, b, d in zip(params, before, steps):
            p.copy_(b + kept * d)
    change = float((outputs(model, probe, output_space) - outputs_before).abs().max())
    if not change <= limit:  # no usable step (NaN compares False too): undo it
        for p, b in zip(params, before):
            p.copy_(b)
        return 0.0
    return kept


def noise_generator(device: torch.device, seed: int) -> torch.Generator:
    gen = torch.Generator(device=device if device.type in ("cuda", "mps") else "cpu")
    return gen.manual_seed(seed)


def _cost(c: JiTConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """N + 1 forwards per forget point and a backward; the step guard measures the outputs again."""
    guard = 2 if c.max_step_change > 0 else 0
    return c.passes * n_forget * (c.perturbations + 1) * (3 + guard), c.passes * batches(n_forget, c.batch_size)


@register("jit", config=JiTConfig, access=DataAccess(forget_inputs=True), presets=PRESETS, cost=_cost,
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
                probe = torch.cat([x, perturb(x, noise, config).reshape(-1, x.shape[1])])
                before = [p.detach().clone() for p in model.parameters()]
                outputs_before = outputs(model, probe, config.output_space)
                optimizer.step()
                if bound_step(model, before, probe, outputs_before, config.max_step_change, config.output_space) == 0:
                    recorder.trajectory.stopped = (
                        f"diverged at step {step + 1} (the outputs overflow: the step guard found no step within "
                        f"{config.max_step_change:g}); kept the weights of step {step}. Try a smaller learning rate.")
                    return recorder.trajectory
            else:
                optimizer.step()
            step += 1
            if not recorder.step(step, epoch, float(loss.detach())):
                return recorder.trajectory
    return recorder.finish(step, config.passes)
