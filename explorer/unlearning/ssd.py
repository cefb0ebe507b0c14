"""Selective Synaptic Dampening (SSD) and its label-free variant (LF-SSD): a one-shot weight edit.

Importances: ℐ_D = mean over minibatches of D (the full training set) of (∂L/∂θ)²; ℐ_Df the same
over the forget set. Parameter i is selected when ℐ_Df,i > α·ℐ_D,i, and then dampened:
θ_i ← β_i·θ_i with β_i = min((λ·ℐ_D,i / ℐ_Df,i)^exponent, lower_bound). SSD only ever shrinks weights.
SSD uses L = CE(f(x), y) and squared gradients; LF-SSD uses L = mean_batch ‖f(x)‖²₂ and |gradients|,
so it needs no labels.

Because each importance is the square of a *batch-mean* gradient, the minibatch size and the order of
the training set (which samples share a batch) change which weights are selected, so every preset carries
the batch size and the data order of the script it reproduces (``data_order``).
Sources: Foster, Schoepf, Brintrup, AAAI 2024, arXiv 2308.07707; if-loops/selective-synaptic-dampening
src/ssd.py (ParameterPerturber.calc_importance / modify_weight) and its src/forget_*_main.py for
(α, λ, batch); LF-SSD: arXiv 2402.19308 and the SSD README; the JiT paper's settings from
jwf40/Information-Theoretic-Unlearning src/forget_*_main.py (ssd_tuning in src/forget_*_strategies.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.config.declare import Settings, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, batch_indices, cpu_generator
from explorer.unlearning.base import DataAccess, Preset, Recorder, RunContext, UnlearnData, register

DATA_ORDERS = ("training", "shuffled", "retain_then_forget", "class_then_forget")


@dataclass(frozen=True)
class SSDConfig(Settings, section="ssd"):
    alpha: float = setting(10.0, lo=0.0, hi=1000.0, lo_open=True)  # selection weighting: select where ℐ_Df > α·ℐ_D
    lam: float = 1.0  # dampening constant λ
    exponent: float = 1.0
    lower_bound: float = 1.0  # β is capped here, so weights are never scaled up
    batch_size: int = 64  # minibatch size of the importance passes (0 = full batch)
    # The order of the training set in its importance pass (the forget set's pass keeps its own order):
    # "training"; "shuffled" with the run's seed (a DataLoader with shuffle=True); "retain_then_forget" (a
    # ConcatDataset((retain, forget)): the forget samples last); "class_then_forget" (the retain set grouped by
    # class, classes ascending, each in training order, then the forget set: a retain set built class by class)
    data_order: str = setting("training", choices=DATA_ORDERS)


@dataclass(frozen=True)
class LFSSDConfig(SSDConfig, section="lf_ssd"):
    def validate(self) -> None:
        super().validate()
        if self.data_order == "class_then_forget":
            raise ValueError("lf_ssd: the class_then_forget data order needs labels, which label-free SSD does not see")


_SSD = "if-loops/selective-synaptic-dampening"
_JIT = "jwf40/Information-Theoretic-Unlearning"
_FULL = f"{_JIT} src/forget_full_class_main.py"
_SUB = f"{_JIT} src/forget_subclass_main.py"
_RAND = f"{_JIT} src/forget_random_main.py"
# What each script's importance pass over D reads (importances: src/ssd.py calc_importance, one mean over the
# loader's batches).
_SSD_CLASSWISE = (f"importances over ConcatDataset((retain, forget)) with the retain set built class by class "
                  f"(lines 137-157; src/forget_full_class_strategies.py lines 24-63): data order class_then_forget")
_CONCAT = "importances over ConcatDataset((retain, forget)), the forget samples last: data order retain_then_forget"
_RANDOM_SPLIT = ("; the retain set's order there is random_split's, here the training order (itself a random "
                 "order of the data)")
_SUB_ORDER = (f"lines 133-154 ({_CONCAT}; the script builds its retain set fine class by fine class, "
              "src/forget_subclass_strategies.py lines 26-66, which data without fine classes cannot do: the "
              "explorer groups the retain set by class label, class_then_forget, so each batch is of one class "
              "as there)")


def _jit_repo(alpha: float, lam: float, batch: int, order: str, where: str, lines: str, net: str) -> Preset:
    """A JiT-repository script's SSD preset: ``where`` its batch and data order, ``lines`` those setting α and λ."""
    return Preset(SSDConfig(alpha=alpha, lam=lam, batch_size=batch, data_order=order),
                  f"{where}, {lines} ({net}: α {alpha:g}, λ {lam:g})")


PRESETS = {
    "resnet18": Preset(SSDConfig(alpha=10, lam=1, batch_size=64, data_order="class_then_forget"),
                       f"{_SSD} src/forget_full_class_main.py lines 58 (batch 64), {_SSD_CLASSWISE}, 161-177 "
                       "(α 10, λ 1); arXiv 2308.07707 (ResNet-18, full class)"),
    "vit": Preset(SSDConfig(alpha=5, lam=1, batch_size=64, data_order="class_then_forget"),
                  f"{_SSD} src/forget_full_class_main.py lines 58, 161-177: α 10 × model_size_scaler 0.5 for ViT, "
                  f"λ 1, batch 64; {_SSD_CLASSWISE}"),
    "pins": Preset(SSDConfig(alpha=50, lam=0.1, batch_size=64, data_order="class_then_forget"),
                   f"{_SSD} src/forget_full_class_main.py line 160 (comment: PinsFaceRecognition α 50, λ 0.1), "
                   f"batch 64 (line 58); {_SSD_CLASSWISE}"),
    "ssd-repo-random": Preset(SSDConfig(alpha=10, lam=1, batch_size=128, data_order="retain_then_forget"),
                              f"{_SSD} src/forget_random_main.py lines 57, 120, 133-136 (batch 128; {_CONCAT}"
                              f"{_RANDOM_SPLIT}), 126-148 (α 10, λ 1)"),
    "jit-repo-full-class": Preset(SSDConfig(alpha=1, lam=1, batch_size=128, data_order="shuffled"),
                                  f"{_FULL} lines 42 (batch 128), 111 (importances over DataLoader(trainset, "
                                  "shuffle=True): data order shuffled, with the run's seed), 133 (the forget loader, "
                                  "in order), 157-159 and 179-180 (α 1, λ 1 passed for every network; its "
                                  "damp_val/select_val are unused)"),
    **{f"jit-repo-{net.lower()}-sub-class": _jit_repo(alpha, lam, 64, "class_then_forget",
                                                      f"{_SUB} lines 60 (batch 64), {_SUB_ORDER}", lines, net)
       for net, alpha, lam, lines in (("VGG", 5, 6, "179-181"), ("ViT", 10, 1, "171-173"))},
    **{f"jit-repo-{net.lower()}-random": _jit_repo(alpha, lam, 128, "retain_then_forget",
                                                   f"{_RAND} lines 57 and 125 (batch 128), 122-134 (random_split; "
                                                   f"{_CONCAT}{_RANDOM_SPLIT})", lines, net)
       for net, alpha, lam, lines in (("VGG", 10, 4, "153-155"), ("ViT", 3.5, 1, "144-146"))},
}
_LF_ORDER = ("; not reproduced: the SSD script's class-by-class order needs labels, which label-free SSD does not "
             "see, so its importances run in training order")
LF_PRESETS = {
    "resnet18": Preset(LFSSDConfig(alpha=10, lam=1, batch_size=64),
                       f"{_SSD} README (LF-SSD, arXiv 2402.19308): SSD's ResNet-18 α 10, λ 1, batch 64 "
                       f"(src/forget_full_class_main.py lines 58, 161-177){_LF_ORDER}"),
    "vit": Preset(LFSSDConfig(alpha=5, lam=1, batch_size=64),
                  f"{_SSD} README (LF-SSD): SSD's ViT α 5, λ 1, batch 64 (src/forget_full_class_main.py lines 58, "
                  f"161-177){_LF_ORDER}"),
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


def training_order(data: UnlearnData, data_order: str, seed: int) -> np.ndarray:
    """The order of the training set's rows in the importance pass (see ``SSDConfig.data_order``)."""
    n = len(data.train_x)
    if data_order == "shuffled":  # the order of DataLoader(..., shuffle=True, generator=cpu_generator(seed))
        generator = cpu_generator(seed)
        torch.empty((), dtype=torch.int64).random_(generator=generator)  # the loader's iterator draws a base seed first
        return torch.randperm(n, generator=generator).numpy()
    if data_order == "training":
        return np.arange(n)
    retain, forget = np.flatnonzero(~data.train_forget), np.flatnonzero(data.train_forget)
    if data_order == "class_then_forget":
        retain = retain[np.argsort(data.train_y[retain], kind="stable")]
    return np.concatenate([retain, forget])


def _run(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext, label_free: bool) -> Trajectory:
    dev = ctx.device
    recorder = Recorder(model, ctx, total_steps=1)
    model.eval()  # importances are gradients of the trained function, not of a dropout sample
    order = training_order(data, config.data_order, ctx.seed)
    fy = None if label_free else as_y(data.forget_y, dev)
    ty = None if label_free else as_y(data.train_y[order], dev)
    imp_full = importances(model, as_x(data.train_x[order], dev), ty, config.batch_size, label_free)
    imp_forget = importances(model, as_x(data.forget_x, dev), fy, config.batch_size, label_free)
    changed = dampen(model, imp_full, imp_forget, config)
    recorder.step(1, 1, float(changed))  # the "loss" of this one-shot edit: the number of dampened weights
    return recorder.finish(1, 1)


@register("ssd", config=SSDConfig, presets=PRESETS,
          access=DataAccess(forget_inputs=True, forget_labels=True, full_train_stats=True),
          summary="SSD: shrink the weights far more important to the forget set than to the training set")
def ssd(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext) -> Trajectory:
    return _run(model, data, config, ctx, label_free=False)


@register("lf_ssd", config=LFSSDConfig, presets=LF_PRESETS,
          access=DataAccess(forget_inputs=True, forget_labels=False, full_train_stats=True),
          summary="LF-SSD: label-free SSD (importances from ‖f(x)‖² and |gradient|)")
def lf_ssd(model: nn.Module, data: UnlearnData, config: SSDConfig, ctx: RunContext) -> Trajectory:
    return _run(model, data, config, ctx, label_free=True)
