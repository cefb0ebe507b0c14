"""``run``'s setting flags, generated from the settings' declarations (explorer/config/limits.py): one flag per
declared setting of the data, model and training configs and of the scenario itself, and one per JiT setting.
A flag's help ends with the declared range and unit; its value is read by the declared type and checked by the
one checker (:func:`explorer.config.declare.check`) while the command line is parsed, so an out-of-range value
stops with the same line a scenario file or ``--set`` gets, before the engine loads (this module and
limits.py import neither torch nor scikit-learn)."""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from explorer.cli.common import UsageError
from explorer.config import declare

# Today's flag names where the field's own name would read differently on the command line.
RENAMED = {"model.kind": "model", "jit.batch_size": "jit-batch-size", "dataset.seed": "data-seed",
           "train.seed": "train-seed"}
# Words a flag's help says before its range; a setting not listed here is named by its path.
HELP = {
    "dataset.samples": "points generated (training and test together)",
    "dataset.noise": "the generator's noise",
    "dataset.classes": "classes for blobs / arms for spiral",
    "dataset.seed": "the data's seed (default: --seed)",
    "dataset.test_fraction": "share of the points held out for testing",
    "model.kind": "the network",
    "model.depth": "MLP hidden layers",
    "model.width": "units per hidden layer (MLP) / hidden units of the CNN's dense layer",
    "model.activation": "the hidden layers' activation",
    "model.channels": "the CNN's first conv layer's channels",
    "model.dropout": "dropout probability",
    "train.epochs": "upper bound; training stops once converged",
    "train.lr": "training learning rate",
    "train.weight_decay": "training L2 penalty",
    "train.batch_size": "training batch size",
    "train.optimizer": "training optimiser",
    "train.target_loss": "training stops once the loss is below this",
    "train.patience": "or once the loss has not improved for this long",
    "train.tolerance": "relative improvement that counts for the patience",
    "train.seed": "weight init and minibatch order (default: --seed)",
    "seed": "data, initial weights, random forget set and noise (default 0)",
    "seeds": "training seeds K: the original, the retrain reference and every method run once per seed k (training "
             "seed + k, method seed + k; same data and forget set); the report gives means, 95 % intervals, the "
             "noise floor and per-point ε and KLoM",
    "grid_resolution": "2D evaluation grid size (default 100)",
    "record_every": "record metrics every k-th step (default 1)",
    "lipschitz_sigma": "σ of the forget_lipschitz metric's probe, the same for every method (default 0.1)",
    "lipschitz_space": "where the forget_lipschitz probe measures output change (default probs)",
    "device": "auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps",
    "method": "the method to run (default jit)",
    "jit.sigma": "perturbation std σ",
    "jit.eta": "SGD learning rate η",
    "jit.perturbations": "perturbations per sample N",
    "jit.passes": "passes over the forget set",
    "jit.batch_size": "forget samples per step",
    "jit.output_space": "where ‖f(x) − f(x̃)‖ is measured",
    "jit.reduction": "over the batch",
    "jit.detach_perturbed": "treat f(x̃) as a constant target (published)",
    "jit.clamp_to_batch_range": "clamp x̃ to the batch's min/max (published)",
    "jit.accumulate_grads": "never zero gradients between batches (published)",
    "jit.train_mode": "run the model in train mode (published)",
    "jit.max_step_change": "the explorer's step guard: largest output change one step may make (0 = off)",
}
# JiT settings that are declared by the name they share with other methods (declare.SHARED).
JIT_SHARED = ("train_mode",)
SECTIONS = ("dataset.", "model.", "train.")
NOT_RUN = ("audit.",)  # the audit command's own settings (--references, --variance)


@dataclass(frozen=True)
class Flag:
    """A generated flag: its name (without dashes), the setting's scenario path and its declaration."""

    name: str
    path: str
    declared: declare.Limit

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def read(self, text: str):
        """The flag's value as its declared type reads it, checked by the one checker; UsageError, one line."""
        kind = self.declared.kind
        try:
            value = kind(text) if kind in (int, float) else text
        except ValueError:
            value = text  # the checker names the type it wanted
        try:
            return declare.check(self.path, value)
        except ValueError as err:
            raise UsageError(str(err)) from None

    def help(self, lead: str = "") -> str:
        free = self.declared.kind is bool or (self.declared.kind is str and not self.declared.choices)
        limit = "" if free else f" ({self.declared.describe()})"
        return f"{lead}{HELP.get(self.path, self.path)}{limit}".replace("%", "%%")


def _flag(path: str) -> Flag:
    name = RENAMED.get(path, path.rpartition(".")[2].replace("_", "-"))
    return Flag(name, path, declare.limit(path))


SCENARIO_FLAGS = [_flag(p) for p in declare.SCENARIO if not p.startswith(NOT_RUN)]
JIT_FLAGS = [_flag(p) for p in [*(p for p in declare.METHOD if p.startswith("jit.")), *(f"jit.{n}" for n in JIT_SHARED)]]


def section(head: str) -> list[Flag]:
    """The scenario flags under ``head`` ("dataset.", "model.", "train.", or "" for the scenario's own)."""
    if head:
        return [f for f in SCENARIO_FLAGS if f.path.startswith(head)]
    return [f for f in SCENARIO_FLAGS if not f.path.startswith(SECTIONS)]


def add(parser, flags: list[Flag], lead: str = "") -> None:
    """Each flag on ``parser`` (a parser or an argument group): a switch for a true/false setting, else a value
    read and checked as it is parsed."""
    for flag in flags:
        if flag.declared.kind is bool:
            parser.add_argument(f"--{flag.name}", dest=flag.dest, action=argparse.BooleanOptionalAction,
                                default=None, help=flag.help(lead))
        else:
            metavar = "{" + ",".join(flag.declared.choices) + "}" if flag.declared.choices else flag.dest.upper()
            parser.add_argument(f"--{flag.name}", dest=flag.dest, type=flag.read, metavar=metavar,
                                help=flag.help(lead))


def given(args: argparse.Namespace, flags: list[Flag]) -> dict[str, object]:
    """{field name: value} of ``flags`` given on the command line (-0.0 read as 0.0)."""
    return {flag.path.rpartition(".")[2]: (value + 0.0 if isinstance(value, float) else value)
            for flag in flags if (value := getattr(args, flag.dest, None)) is not None}
