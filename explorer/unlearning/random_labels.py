"""Random labels ("amnesiac" in the JiT/SSD repos): relabel each forget sample with a random *wrong*
label, mix it into the retain set and keep training.

Update: minimise CE over D_r ∪ {(x_f, ỹ_f)}, ỹ_f drawn uniformly from the classes other than y_f
(drawn once, seeded by the run's seed).
Sources: Graves et al., AAAI 2021 (Amnesiac Machine Learning); the recipe of
jwf40/Information-Theoretic-Unlearning src/forget_*_strategies.py ``amnesiac`` (3 epochs, Adam lr 1e-4,
batch 128). Known to push forget accuracy far below retrain's under random forgetting (arXiv 2402.01401
Table 4: D_f 51 % vs retrain 91 %).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from explorer.config.limits import passes
from explorer.config.declare import Settings
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, cpu_generator, random_wrong_labels, train_ce
from explorer.unlearning.base import DataAccess, Preset, RunContext, UnlearnData, register


@dataclass(frozen=True)
class RandomLabelsConfig(Settings, section="random_labels"):
    epochs: int = 3
    lr: float = 1e-3
    batch_size: int = 64
    optimizer: str = "adam"


PRESETS = {
    "explorer": Preset(RandomLabelsConfig(),
                       "this explorer: the JiT repo's 3 epochs of Adam with lr raised to 1e-3, because a 2D toy has "
                       "~5 batches per epoch where CIFAR has ~200"),
    "jit-repo": Preset(RandomLabelsConfig(epochs=3, lr=1e-4, batch_size=128),
                       "jwf40/Information-Theoretic-Unlearning src/forget_full_class_strategies.py lines 233-263 "
                       "(amnesiac: a random other label per forget sample, lines 246-252; DataLoader batch 128, "
                       "shuffled, lines 257-259; fit_one_unlearning_cycle(3, lr=0.0001), lines 261-263) and "
                       "src/forget_random_strategies.py lines 220-250 (the same with a label ≠ its own); "
                       "src/unlearn.py lines 57-81 (Adam, train mode)"),
}


def random_labels_work(cfg: RandomLabelsConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Forward and backward over the relabelled forget set, ``epochs`` times."""
    return passes(n_forget, cfg.epochs, cfg.batch_size)


@register("random_labels", config=RandomLabelsConfig,
          access=DataAccess(forget_inputs=True, forget_labels=True, retain=True), presets=PRESETS,
          summary="Amnesiac: give forget points random wrong labels and train on them with the retain set",
          work=random_labels_work)
def random_labels(model: nn.Module, data: UnlearnData, config: RandomLabelsConfig, ctx: RunContext) -> Trajectory:
    wrong = random_wrong_labels(data.forget_y, data.n_classes, cpu_generator(ctx.seed + 1))
    x = np.concatenate([data.retain_x, data.forget_x])
    y = np.concatenate([data.retain_y, wrong])
    return train_ce(model, as_x(x, ctx.device), as_y(y, ctx.device), ctx, epochs=config.epochs,
                    batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr)
