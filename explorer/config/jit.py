"""JiT's settings (explorer/unlearning/jit.py runs the method), declared apart from the method, which imports torch:
the command line offers and checks a flag for each of them (``--sigma``, ``--passes``, ...) before the engine loads.

Foster et al., "An Information Theoretic Approach to Machine Unlearning", arXiv 2402.01401; published code:
github.com/jwf40/Information-Theoretic-Unlearning, src/lipschitz.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from explorer.config.declare import Settings, setting
from explorer.config.limits import MAX_SAMPLES

@dataclass(frozen=True)
class JiTConfig(Settings, section="jit"):
    # The defaults are the setting the calibration study picks (explorer/studies/calibration.py; README, "How the
    # defaults were chosen"): σ 0.2, η 0.002, 30 passes, step guard 0.05, in probability space.
    sigma: float = setting(0.2, lo=0.0, hi=10.0, lo_open=True, step=0.01, label="σ (noise std)",
                           help="σ: standard deviation of the Gaussian input perturbations around each forget point.")
    eta: float = setting(0.002, lo=0.0, hi=10.0, lo_open=True, label="η (learning rate)",
                         help="η: SGD learning rate of each JiT step.")
    perturbations: int = setting(25, lo=1, hi=1000, unit="perturbations per sample", label="N (perturbations)",
                                 help="N: perturbed copies of each forget point per step.")
    # full passes over the forget set, fresh noise each time (the paper does 1)
    passes: int = setting(30, lo=1, hi=10000, unit="passes", label="passes",
                          help="Full passes over the forget set (fresh noise each time). The paper does one; more "
                               "animate better.")
    # forget samples per SGD step (the published scripts use 128 or 64)
    batch_size: int = setting(128, lo=1, hi=MAX_SAMPLES, unit="forget samples per step", flag="jit-batch-size",
                              label="batch size", help="Forget points per SGD step.")
    # Default: softmax probabilities, where "flat inside a class, steep at the boundary" holds, so interior points
    # barely move anything. In raw logits (published) a ReLU net is steep everywhere, and JiT also reshapes the
    # function around interior points (see README, "What the explorer shows").
    output_space: str = setting("probs", choices=("logits", "probs"), label="output space",
                                help="Measure output change on raw logits (published code) or on softmax "
                                     "probabilities.")
    # Published-code behaviours, each a switch (the "published" preset turns them all on):
    detach_perturbed: bool = setting(True, label="detach perturbed",
                                     help="Published code: treat f(x̃) as a constant target (no gradient through "
                                          "the perturbed branch).")
    clamp_to_batch_range: bool = setting(False, label="clamp to batch range",
                                         help="Published code: clamp perturbed inputs to the batch's min/max values.")
    accumulate_grads: bool = setting(False, label="accumulate grads",
                                     help="Published code: never zero gradients between batches of a pass.")
    # Over the batch. Published: sum. Default mean, so one η fits forget sets of 1 or 300 points.
    reduction: str = setting("mean", choices=("sum", "mean"), label="reduction",
                             help="Sum (published) or mean of the per-sample loss over the batch.")
    train_mode: bool = setting(False, label="train mode",
                               help="Published code: run the model in train mode (dropout active) while unlearning.")
    # The explorer's own guard, not in the paper or its code (0 = off): the largest change of the model's outputs
    # (in output_space: class probabilities, or raw logits), at the forget inputs and their perturbations, that one
    # step may make; a longer step is shortened to fit. Zero-shot: it looks only at the forget inputs. On a steep
    # boundary JiT's first gradient is large and one plain SGD step flattens (or wrecks) the function at once;
    # bounded steps make the change gradual and stop short of the damage. In logit space it watches logits: a
    # saturated softmax would hide logits (and weights) growing without bound.
    max_step_change: float = setting(0.05, lo=0.0, hi=100.0, label="max step change",
                                     help="The explorer's own step guard (not in the paper; 0 = off): the most any "
                                          "output at the forget points and their perturbations may change in one step "
                                          "(probabilities, or logits in logit space); a longer step is shortened.")


# The preset each dataset starts from, on the pages and in the CLI alike; every other dataset starts from "explorer"
# (the calibrated 2D default, also JiTConfig's defaults).
DATASET_PRESETS = {"digits": "digits-class"}


def default_preset(dataset: str) -> str:
    return DATASET_PRESETS.get(dataset, "explorer")
