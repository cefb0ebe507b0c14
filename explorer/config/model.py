"""The model's settings, each a declared field (the network itself: explorer/engine/models.py)."""
from __future__ import annotations

from explorer.config.fields import config, setting

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "elu")


@config("model")
class ModelConfig:
    kind: str = setting("mlp", choices=("mlp", "cnn"), label="model", flag="model",
                        help="an MLP (2D, 1-D and flat inputs) or a small CNN (images)")
    depth: int = setting(2, lo=0, hi=8, unit="hidden layers", step=1, label="hidden layers",
                         help="Hidden layers of the MLP.")
    width: int = setting(64, lo=1, hi=1024, unit="units", step=8,
                         help="Units per hidden layer (the MLP's), or of the CNN's dense layer.")
    activation: str = setting("relu", choices=ACTIVATIONS, help="Non-linearity between layers.")
    channels: int = setting(16, lo=1, hi=128, unit="channels", step=4, label="conv channels",
                            help="The CNN's first convolution's channels; the second has twice as many.")
    dropout: float = setting(0.0, lo=0.0, hi=0.9, step=0.05,
                             help="dropout after each hidden layer (makes JiT's train/eval-mode switch observable)")

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
