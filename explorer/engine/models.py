"""Small classifiers: an MLP for 2D and flat inputs, a small CNN for images."""
from __future__ import annotations

import torch
from torch import nn

from explorer.config.model import ModelConfig

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "elu": nn.ELU}


class MLP(nn.Module):
    def __init__(self, n_inputs: int, n_classes: int, depth: int, width: int, activation: str, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        size = n_inputs
        for _ in range(depth):
            layers += [nn.Linear(size, width), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            size = width
        layers.append(nn.Linear(size, n_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SmallCNN(nn.Module):
    """conv-pool-act, conv-pool-act, dense-act, dense. Takes flat rows and folds them into images.

    Pooling before the activation gives the same function for monotone activations (max and ReLU
    commute) with a quarter of the activation work, which matters for JiT's N·B-image forward."""

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int, channels: int, width: int,
                 activation: str, dropout: float):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c, h, w = self.image_shape
        act = ACTIVATIONS[activation]
        self.features = nn.Sequential(
            nn.Conv2d(c, channels, 3, padding=1), nn.MaxPool2d(2), act(),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.MaxPool2d(2), act(),
            nn.Flatten(),
        )
        flat = 2 * channels * (h // 4) * (w // 4)
        head: list[nn.Module] = [nn.Linear(flat, width), act()]
        if dropout:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(width, n_classes))
        self.head = nn.Sequential(*head)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (used by the image views)."""
        return self.head[:-1](self.features(x.reshape(-1, *self.image_shape)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.reshape(-1, *self.image_shape)))


def build_model(config: ModelConfig, n_inputs: int, n_classes: int, image_shape=None, seed: int = 0) -> nn.Module:
    """Same config and seed give the same initial weights, on any device (built on the CPU)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if config.kind == "cnn":
            if image_shape is None:
                raise ValueError("the CNN needs an image dataset (e.g. digits); use --model mlp for 2D data")
            return SmallCNN(image_shape, n_classes, config.channels, config.width, config.activation, config.dropout)
        return MLP(n_inputs, n_classes, config.depth, config.width, config.activation, config.dropout)


@torch.no_grad()
def predict_proba(model: nn.Module, x, device: torch.device | None = None, batch: int = 8192):
    """Softmax outputs as a float32 numpy array, in eval mode, without touching the model's mode after."""
    return torch.softmax(logits(model, x, device, batch), dim=1).numpy()


@torch.no_grad()
def logits(model: nn.Module, x, device: torch.device | None = None, batch: int = 8192) -> torch.Tensor:
    """Raw outputs (CPU float32 tensor) in eval mode; restores the model's previous mode."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    x = torch.as_tensor(x, dtype=torch.float32)
    out = torch.cat([model(x[i:i + batch].to(device)).float().cpu() for i in range(0, len(x), batch)]) \
        if len(x) else torch.empty(0, 0)
    model.train(was_training)
    return out
