"""Fine-tune on the retain set only (FT): rely on catastrophic forgetting of the forget set.

Update: minimise CE(f_θ(x), y) [+ (w/2)‖θ − θ0‖²] over D_r, starting from the original weights θ0.
Sources: jwf40/Information-Theoretic-Unlearning src/forget_*_strategies.py ``finetune`` with src/utils.py
``fit_one_cycle``; the NeurIPS 2023 unlearning-challenge starting kit; OPTML-Group's SalUn / l1-sparse
READMEs; meghdadk/SCRUB small_scale_unlearning.ipynb ``finetune``.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from explorer.config.limits import passes
from explorer.config.declare import Settings
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, train_ce
from explorer.unlearning.base import DataAccess, Preset, RunContext, UnlearnData, register


@dataclass(frozen=True)
class FinetuneConfig(Settings, section="finetune"):
    epochs: int = 5
    lr: float = 0.02
    batch_size: int = 64  # 0 = full batch (this explorer's choice; the sources use 64-256 on CIFAR)
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "one_cycle"  # constant | cosine | one_cycle (per step) | cosine_epochs (per epoch)
    anchor_weight: float = 0.0  # w in (w/2)‖θ − θ0‖² added to the loss (the SCRUB notebook's l2_penalty)
    train_mode: bool = True  # False: fine-tune in eval mode (dropout/batch-norm frozen), as the SCRUB notebook


_JIT = "jwf40/Information-Theoretic-Unlearning"
# fit_one_cycle builds SGD(lr, momentum 0.9, weight decay 5e-4) and, without milestones (finetune passes
# none), no scheduler: the learning rate is constant despite the name.
_FIT = f"{_JIT} src/utils.py lines 65-104 (fit_one_cycle: SGD momentum 0.9, wd 5e-4 at line 71; no scheduler " \
       "without milestones, lines 72-76)"
_SCRUB_NB = "meghdadk/SCRUB small_scale_unlearning.ipynb"
PRESETS = {
    "explorer": Preset(FinetuneConfig(),
                       "this explorer: the JiT repo's 5 epochs at lr 0.02 and momentum 0.9 with a one-cycle schedule "
                       "and no weight decay, batch 64"),
    "jit-repo": Preset(FinetuneConfig(epochs=5, lr=0.02, momentum=0.9, weight_decay=5e-4, batch_size=128,
                                      schedule="constant"),
                       f"{_JIT} src/forget_full_class_strategies.py lines 155-168 (fit_one_cycle(5, …, lr=0.02)); "
                       f"{_FIT}; retain batch 128: src/forget_full_class_main.py lines 42, 134 and "
                       "src/forget_random_main.py line 126"),
    "jit-repo-sub-class": Preset(FinetuneConfig(epochs=5, lr=0.02, momentum=0.9, weight_decay=5e-4, batch_size=64,
                                                schedule="constant"),
                                 f"{_JIT} src/forget_subclass_strategies.py lines 186-200; {_FIT}; retain batch 64: "
                                 "src/forget_subclass_main.py lines 60, 149"),
    "starting-kit": Preset(FinetuneConfig(epochs=5, lr=0.1, momentum=0.9, weight_decay=5e-4, batch_size=128,
                                          schedule="cosine_epochs"),
                           "unlearning-challenge/starting-kit unlearning-CIFAR10.ipynb code cells 3 (retain loader: "
                           "batch 128, shuffled) and 11 (unlearning: 5 epochs of SGD 0.1, momentum 0.9, wd 5e-4, "
                           "train mode, CosineAnnealingLR(T_max=epochs) stepped once per epoch)"),
    "salun": Preset(FinetuneConfig(epochs=10, lr=0.01, momentum=0.9, weight_decay=5e-4, batch_size=256,
                                   schedule="constant"),
                    "OPTML-Group/Unlearn-Saliency Classification/README.md and OPTML-Group/Unlearn-Sparse README.MD: "
                    "FT 10 epochs lr 0.01; Unlearn-Saliency Classification/arg_parser.py lines 69-72 (batch 256, "
                    "momentum 0.9, wd 5e-4), unlearn/impl.py lines 68-97 (SGD; MultiStepLR at epochs 91 and 136, "
                    "never reached in 10), unlearn/FT.py (train mode) and main_forget.py lines 38-72 (the retain "
                    "loader, shuffled)"),
    "scrub-notebook": Preset(FinetuneConfig(epochs=10, lr=0.01, momentum=0.0, weight_decay=0.0, schedule="constant",
                                            batch_size=128, anchor_weight=0.1, train_mode=False),
                             f"{_SCRUB_NB} code cells 70 (run_train_epoch: model.eval(), loss CE + l2_penalty = "
                             "(wd/2)‖θ − θ0‖² with wd = args.weight_decay), 71 (finetune: SGD lr 0.01, no weight "
                             "decay), 83 (10 epochs, retain batch args.batch_size) and 8 (--weight-decay 0.1 "
                             "--batch-size 128)"),
}


def finetune_work(cfg: FinetuneConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Forward and backward over the retain set, ``epochs`` times."""
    return passes(max(n_train - n_forget, 0), cfg.epochs, cfg.batch_size)


@register("finetune", config=FinetuneConfig, access=DataAccess(forget_inputs=False, retain=True), presets=PRESETS,
          summary="Fine-tune on the retain set only and rely on catastrophic forgetting", work=finetune_work)
def finetune(model: nn.Module, data: UnlearnData, config: FinetuneConfig, ctx: RunContext) -> Trajectory:
    return train_ce(model, as_x(data.retain_x, ctx.device), as_y(data.retain_y, ctx.device), ctx,
                    epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                    momentum=config.momentum, weight_decay=config.weight_decay, schedule=config.schedule,
                    train_mode=config.train_mode, anchor_weight=config.anchor_weight)
