"""Settings that several configs share by name, declared once each: a seed, a learning rate, epochs, a batch
size, an optimiser, momentum, a temperature, train mode. A config's field calls the helper with its own
default (and, where the meaning differs, its own help), so the range and unit are written here only."""
from __future__ import annotations

from typing import Any

from explorer.config.fields import setting

MAX_SEED = 2**32 - 1
MAX_SAMPLES = 20000  # the largest training set a dataset may have; a batch or a forget set is at most this
OPTIMIZERS = ("adam", "sgd")
BACKENDS = ("auto", "serial", "processes", "ray")  # where a study's independent jobs run (explorer/studies/runner.py)


def seed(default: int = 0, help: str = "", flag: str = "") -> Any:
    return setting(default, lo=0, hi=MAX_SEED, step=1, label="seed", help=help, flag=flag)


def lr(default: float, help: str = "learning rate of the method's optimiser", label: str = "learning rate") -> Any:
    return setting(default, lo=0.0, lo_open=True, hi=10.0, step=0.001, label=label, help=help)


def epochs(default: int, help: str = "passes over the method's training data", hi: int = 1000) -> Any:
    return setting(default, lo=1, hi=hi, unit="epochs", help=help)


def batch_size(default: int, help: str = "samples per step (0 = full batch)") -> Any:
    return setting(default, lo=0, hi=MAX_SAMPLES, unit="samples (0 = full batch)", step=1, help=help)


def optimizer(default: str, help: str = "the method's optimiser") -> Any:
    return setting(default, choices=OPTIMIZERS, help=help)


def momentum(default: float) -> Any:
    return setting(default, lo=0.0, hi=0.999, help="SGD momentum")


def weight_decay(default: float, help: str = "L2 penalty of the method's optimiser") -> Any:
    return setting(default, lo=0.0, hi=10.0, help=help)


def temperature(default: float, help: str = "softmax temperature of the distillation") -> Any:
    return setting(default, lo=0.0, lo_open=True, hi=100.0, help=help)


def train_mode(default: bool, help: str = "run the model in train mode (dropout active) while unlearning") -> Any:
    return setting(default, help=help)
