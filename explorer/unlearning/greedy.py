"""Greedy unlearning: train the forget points toward a wrong label until the model believes it.

This is the naive baseline of the JiT paper's Figure 2 ("Greedy Unlearning": naively training to
mislabel the forget sample), which swings the decision boundary far past the retrained one and
wrecks the classifier. Update: minimise CE(f_θ(x_f), ỹ_f) over D_f only, where ỹ_f is the most
likely wrong class under the original model ("runner_up") or (y_f + 1) mod C ("next").
Source: arXiv 2402.01401, Figure 2 and its caption. The paper gives no recipe:
the optimiser and learning rate are this explorer's training recipe (Adam, lr 0.01, full batch).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from explorer.config.limits import passes
from explorer.config.declare import Settings, setting
from explorer.engine.trajectory import Trajectory
from explorer.unlearning._common import as_x, as_y, train_ce
from explorer.unlearning.base import DataAccess, Preset, RunContext, UnlearnData, register


@dataclass(frozen=True)
class GreedyConfig(Settings, section="greedy"):
    steps: int = 100  # full passes over the forget set
    lr: float = 0.01
    batch_size: int = 0  # 0 = the whole forget set in one batch
    optimizer: str = "adam"
    target: str = setting("runner_up", choices=("runner_up", "next"))


PRESETS = {
    "figure-2": Preset(GreedyConfig(),
                       "arXiv 2402.01401 Figure 2 (train the forget sample to a wrong label); recipe = this "
                       "explorer's training optimiser (Adam lr 0.01), 100 steps"),
}


def wrong_targets(model: nn.Module, x: torch.Tensor, y: torch.Tensor, n_classes: int, target: str) -> torch.Tensor:
    if target == "next":
        return (y + 1) % n_classes
    with torch.no_grad():
        was = model.training
        model.eval()
        logits = model(x)
        model.train(was)
    logits[torch.arange(len(y), device=y.device), y] = -float("inf")
    return logits.argmax(1)


def greedy_work(cfg: GreedyConfig, n_train: int, n_forget: int, n_classes: int) -> tuple[float, int]:
    """Forward and backward over the forget set, ``steps`` times."""
    return passes(n_forget, cfg.steps, cfg.batch_size)


@register("greedy", config=GreedyConfig, access=DataAccess(forget_inputs=True, forget_labels=True), presets=PRESETS,
          summary="Naive: train the forget points to a wrong label (the paper's Figure 2 'greedy' baseline)",
          work=greedy_work)
def greedy(model: nn.Module, data: UnlearnData, config: GreedyConfig, ctx: RunContext) -> Trajectory:
    x, y = as_x(data.forget_x, ctx.device), as_y(data.forget_y, ctx.device)
    return train_ce(model, x, wrong_targets(model, x, y, data.n_classes, config.target), ctx,
                    epochs=config.steps, batch_size=config.batch_size, optimizer=config.optimizer, lr=config.lr)
