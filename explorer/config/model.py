"""The network's settings (explorer/engine/models.py builds it): declared here, apart from the engine, so the
command line and the link parser read and check them without loading torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from explorer.config.declare import Settings, setting


@dataclass(frozen=True)
class ModelConfig(Settings, section="model"):
    kind: str = setting("mlp", choices=("mlp", "cnn"), flag="model", label="model", help="the network")
    depth: int = setting(2, lo=0, hi=8, unit="hidden layers", step=1, label="hidden layers",
                         help="Hidden layers of the MLP.")
    width: int = setting(64, lo=1, hi=1024, unit="units", step=8, label="width",
                         help="Units per hidden layer (MLP) / hidden units of the CNN's dense layer.")
    activation: str = setting("relu", choices=("relu", "tanh", "sigmoid", "gelu", "elu"), label="activation",
                              help="Non-linearity between layers.")
    channels: int = setting(16, lo=1, hi=128, unit="channels", step=4, label="conv channels",
                            help="Channels of the CNN's first conv layer (the second has twice as many). Ignored by "
                                 "the MLP.")
    dropout: float = setting(0.0, lo=0.0, hi=0.9, step=0.05, label="dropout",  # makes JiT's train/eval switch visible
                             help="dropout probability")

    def to_dict(self) -> dict:
        return asdict(self)
