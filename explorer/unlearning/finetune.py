"""Fine-tune on the retain set only (FT): rely on catastrophic forgetting of the forget set.

Update: minimise CE(f_θ(x), y) over D_r, starting from the original weights θ0.
Sources: ../shared/notes/unlearning.md §1.3; JiT/SSD repos' ``finetune`` (5 epochs, one-cycle lr 0.02),
the NeurIPS 2023 starting kit, SalUn / l1-sparse and the SCRUB notebook.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from explorer.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, check_common, train_ce
from explorer.unlearning.base import DataAccess, Preset, RunContext, UnlearnData, register


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 5
    lr: float = 0.02
    batch_size: int = 64  # 0 = full batch (this explorer's choice; the sources use 64-256 on CIFAR)
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "one_cycle"  # constant | cosine | one_cycle

    def validate(self) -> None:
        check_common("finetune", lr=self.lr, epochs=self.epochs, batch_size=self.batch_size,
                     optimizer=self.optimizer, momentum=self.momentum, weight_decay=self.weight_decay,
                     schedule=self.schedule)


_JIT = "jwf40/Information-Theoretic-Unlearning src/forget_*_strategies.py finetune"
PRESETS = {
    "jit-repo": Preset(FinetuneConfig(), f"{_JIT}: 5 epochs, fit_one_cycle lr 0.02"),
    "starting-kit": Preset(FinetuneConfig(epochs=5, lr=0.1, momentum=0.9, weight_decay=5e-4, schedule="cosine"),
                           "unlearning-challenge/starting-kit notebook: 5 epochs SGD 0.1, momentum 0.9, "
                           "wd 5e-4, cosine"),
    "salun": Preset(FinetuneConfig(epochs=10, lr=0.01, momentum=0.9, weight_decay=5e-4, schedule="constant"),
                    "OPTML-Group/Unlearn-Saliency / Unlearn-Sparse README: FT 10 epochs lr 0.01"),
    "scrub-notebook": Preset(FinetuneConfig(epochs=10, lr=0.01, momentum=0.0, schedule="constant"),
                             "meghdadk/SCRUB small_scale_unlearning.ipynb: finetune 10 epochs SGD lr 0.01"),
}


@register("finetune", config=FinetuneConfig, access=DataAccess(forget_inputs=False, retain=True), presets=PRESETS,
          summary="Fine-tune on the retain set only and rely on catastrophic forgetting")
def finetune(model: nn.Module, data: UnlearnData, config: FinetuneConfig, ctx: RunContext) -> Trajectory:
    return train_ce(model, as_x(data.retain_x, ctx.device), as_y(data.retain_y, ctx.device), ctx,
                    epochs=config.epochs, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr,
                    momentum=config.momentum, weight_decay=config.weight_decay, schedule=config.schedule)
