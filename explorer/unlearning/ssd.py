"""Selective Synaptic Dampening (SSD) and its label-free variant (LF-SSD): a one-shot weight edit.

Importances: ℐ_D = mean over minibatches of D (the full training set) of (∂L/∂θ)²; ℐ_Df the same
over the forget set. Parameter i is selected when ℐ_Df,i > α·ℐ_D,i, and then dampened:
θ_i ← β_i·θ_i with β_i = min((λ·ℐ_D,i / ℐ_Df,i)^exponent, lower_bound). SSD only ever shrinks weights.
SSD uses L = CE(f(x), y) and squared gradients; LF-SSD uses L = mean_batch ‖f(x)‖²₂ and |gradients|,
so it needs no labels.

Because each importance is the square of a *batch-mean* gradient, the minibatch size changes which
weights are selected (a larger batch averages more per-sample gradients before squaring), so every
preset carries the batch size of the script it reproduces.
Sources: Foster, Schoepf, Brintrup, AAAI 2024, arXiv 2308.07707; if-loops/selective-synaptic-dampening
src/ssd.py (ParameterPerturber.calc_importance / modify_weight) and its src/forget_*_main.py for
(α, λ, batch); LF-SSD: arXiv 2402.19308 and the SSD README; the JiT paper's settings from
jwf40/Information-Theoretic-Unlearning src/forget_*_main.py (ssd_tuning in src/forget_*_strategies.py).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from explorer.config import shared
from explorer.config.fields import config, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, batch_indices
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register


@config("ssd")
class SSDConfig:
    alpha: float = setting(10.0, lo=0.0, lo_open=True, hi=1000.0, help="selection weighting: select where ℐ_Df > α·ℐ_D")
    lam: float = setting(1.0, lo=0.0, lo_open=True, hi=1000.0, help="dampening constant λ")
    exponent: float = setting(1.0, lo=0.0, lo_open=True, hi=100.0, help="exponent of the dampening factor")
    lower_bound: float = setting(1.0, lo=0.0, lo_open=True, hi=1.0, help="β is capped here, so weights are never "
                                                                         "scaled up")
    batch_size: int = shared.batch_size(64, help="minibatch size of the importance passes (0 = full batch)")



def _cost(n_train: int, n_forget: int) -> tuple[float, int]:
    """One importance pass over the training set and one over the forget set, forward and backward; one edit."""
    return (n_train + n_forget) * 3, 1


_SSD = "if-loops/selective-synaptic-dampening"
_JIT = "jwf40/Information-Theoretic-Unlearning"
_FULL = f"{_JIT} src/forget_full_class_main.py"
_SUB = f"{_JIT} src/forget_subclass_main.py"
_RAND = f"{_JIT} src/forget_random_main.py"
PRESETS = {
    "resnet18": Preset(SSDConfig(alpha=10, lam=1, batch_size=64),
                       f"{_SSD} src/forget_full_class_main.py lines 58 (batch 64), 161-177 (α 10, λ 1); "
                       "arXiv 2308.07707 (ResNet-18, full class)"),
    "vit": Preset(SSDConfig(alpha=5, lam=1, batch_size=64),
                  f"{_SSD} src/forget_full_class_main.py lines 58, 161-177: α 10 × model_size_scaler 0.5 for ViT, "
                  "λ 1, batch 64"),
    "pins": Preset(SSDConfig(alpha=50, lam=0.1, batch_size=64),
                   f"{_SSD} src/forget_full_class_main.py line 160 (comment: PinsFaceRecognition α 50, λ 0.1), "
                   "batch 64 (line 58)"),
    "ssd-repo-random": Preset(SSDConfig(alpha=10, lam=1, batch_size=128),
                              f"{_SSD} src/forget_random_main.py lines 57, 120, 133-136 (batch 128), 126-148 "
                              "(α 10, λ 1)"),
    "jit-repo-full-class": Preset(SSDConfig(alpha=1, lam=1, batch_size=128),
                                  f"{_FULL} lines 42 (batch 128), 111 and 133 (loaders), 157-159 and 179-180 "
                                  "(α 1, λ 1 passed for every network; its damp_val/select_val are unused)"),
    "jit-repo-vgg-sub-class": Preset(SSDConfig(alpha=5, lam=6, batch_size=64),
                                     f"{_SUB} lines 60 (batch 64), 148-154 (loaders), 179-181 (VGG: α 5, λ 6)"),
    "jit-repo-vit-sub-class": Preset(SSDConfig(alpha=10, lam=1, batch_size=64),
                                     f"{_SUB} lines 60 (batch 64), 148-154 (loaders), 171-173 (ViT: α 10, λ 1)"),
    "jit-repo-vgg-random": Preset(SSDConfig(alpha=10, lam=4, batch_size=128),
                                  f"{_RAND} lines 57 and 125 (batch 128), 131-134 (loaders), 153-155 "
                                  "(VGG: α 10, λ 4)"),
    "jit-repo-vit-random": Preset(SSDConfig(alpha=3.5, lam=1, batch_size=128),
                                  f"{_RAND} lines 57 and 125 (batch 128), 131-134 (loaders), 144-146 "
                                  "(ViT: α 3.5, λ 1)"),
}
LF_PRESETS = {
    "resnet18": Preset(SSDConfig(alpha=10, lam=1, batch_size=64),
                       f"{_SSD} README (LF-SSD, arXiv 2402.19308): SSD's ResNet-18 α 10, λ 1, batch 64 "
                       "(src/forget_full_class_main.py lines 58, 161-177)"),
    "vit": Preset(SSDConfig(alpha=5, lam=1, batch_size=64),
                  f"{_SSD} README (LF-SSD): SSD's ViT α 5, λ 1, batch 64 (src/forget_full_class_main.py lines 58, "
                  "161-177)"),
}


def importances(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, batch_size: int,
                label_free: bool) -> list[torch.Tensor]:
    """Mean over minibatches of grad² (SSD, CE loss) or |grad| (LF-SSD, ‖f(x)‖² loss), per parameter."""
    params = [p for p in model.parameters()]
    total = [torch.zeros_like(p) for p in params]
    batches = 0
    for idx in batch_indices(len(x), batch_size, None, x.device):
        model.zero_grad(set_to_none=True)
        out = model(x[idx])
        loss = out.pow(2).sum(dim=1).mean() if label_free else F.cross_entropy(out, y[idx])
        loss.backward()
        for acc, p in zip(total, params):
            if p.grad is not None:
                acc += p.grad.detach().abs() if label_free else p.grad.detach().pow(2)
        batches += 1
    model.zero_grad(set_to_none=True)
    return [acc / max(batches, 1) for acc in total]


@torch.no_grad()
def dampen(model: nn.Module, imp_full: list[torch.Tensor], imp_forget: list[torch.Tensor], config: SSDConfig) -> int:
    """θ ← β·θ on the selected parameters; returns how many scalars were dampened."""
    changed = 0
    for p, full, forget in zip(model.parameters(), imp_full, imp_forget):
        selected = forget > config.alpha * full
        beta = ((config.lam * full) / forget.clamp_min(1e-30)).pow(config.exponent).clamp(max=config.lower_bound)
        p[selected] = p[selected] * beta[selected]
        changed += int(selected.sum())
    return changed


def _run(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext, label_free: bool) -> Trajectory:
    dev = ctx.device
    recorder = Recorder(model, ctx, total_steps=1)
    model.eval()  # importances are gradients of the trained function, not of a dropout sample
    fy = None if label_free else as_y(data.forget_y, dev)
    ty = None if label_free else as_y(data.train_y, dev)
    imp_full = importances(model, as_x(data.train_x, dev), ty, config.batch_size, label_free)
    imp_forget = importances(model, as_x(data.forget_x, dev), fy, config.batch_size, label_free)
    changed = dampen(model, imp_full, imp_forget, config)
    recorder.step(1, 1, float(changed))  # the "loss" of this one-shot edit: the number of dampened weights
    return recorder.finish(1, 1)


@register("ssd", config=SSDConfig, presets=PRESETS, cost=lambda c, n, nf, k: _cost(n, nf),
          access=DataAccess(forget_inputs=True, forget_labels=True, full_train_stats=True),
          summary="SSD: shrink the weights far more important to the forget set than to the training set")
def ssd(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext) -> Trajectory:
    return _run(model, data, config, ctx, label_free=False)


@register("lf_ssd", config=SSDConfig, presets=LF_PRESETS, cost=lambda c, n, nf, k: _cost(n, nf),
          access=DataAccess(forget_inputs=True, forget_labels=False, full_train_stats=True),
          summary="LF-SSD: label-free SSD (importances from ‖f(x)‖² and |gradient|)")
def lf_ssd(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext) -> Trajectory:
    return _run(model, data, config, ctx, label_free=True)
