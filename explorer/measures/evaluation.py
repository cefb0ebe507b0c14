"""Turn a model into the metric dictionary: one batched forward, then every registered metric."""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.config.scenario import SUBCLASS_CLUSTERS, ScenarioError, subclass_ids
from explorer.engine.models import logits as model_logits
from explorer.measures import metrics as M
from toy_data import Dataset


@dataclass(frozen=True)
class Grid:
    """A fixed square grid over the data's bounding box (2D datasets)."""

    xs: np.ndarray  # (G,)
    ys: np.ndarray  # (G,)

    @classmethod
    def around(cls, x: np.ndarray, resolution: int = 100, margin: float = 0.15) -> "Grid":
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = (hi - lo) * margin + 1e-3
        return cls(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution, dtype=np.float32),
                   np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution, dtype=np.float32))

    @property
    def points(self) -> np.ndarray:
        """(G*G, 2) row-major: row j*G + i is (xs[i], ys[j]), so reshape(G, G) gives z[y, x]."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ys), len(self.xs)


@dataclass(frozen=True)
class Line:
    """Evenly spaced points over the data's range (1-D datasets): the evaluation inputs of a line."""

    xs: np.ndarray  # (G,)

    @classmethod
    def around(cls, x: np.ndarray, resolution: int = 100, margin: float = 0.0) -> "Line":
        lo, hi = float(x.min()), float(x.max())
        pad = (hi - lo) * margin + 1e-3
        return cls(np.linspace(lo - pad, hi + pad, resolution, dtype=np.float32))

    @property
    def points(self) -> np.ndarray:
        """(G, 1): one row per x."""
        return self.xs.reshape(-1, 1).astype(np.float32)

    @property
    def shape(self) -> tuple[int]:
        return (len(self.xs),)


PAPER_SETTINGS = {
    "class": "full class: D_f = the forgotten class's test images, D_r = the other classes' test images",
    "subclass": "sub-class: D_f = the test images of the forgotten sub-class (nearest k-means centre of its class), "
                "D_r = every other test image",
    "random": "random: D_f = the forgotten training points themselves, D_r = the whole test set",
}


@dataclass(frozen=True)
class PaperSplit:
    """Where the JiT paper measures its D_f and D_r columns for this forget set (arXiv 2402.01401
    Tables 1-4, as computed by jwf40/Information-Theoretic-Unlearning get_metric_scores:
    src/forget_full_class_strategies.py lines 69-83 with the loaders of src/forget_*_main.py).

    ``forget_test`` is a mask over the test set (None: D_f is the forget set itself, the random
    setting); ``retain_test`` is always a mask over the test set. The explorer's accuracies are over
    samples; the published ``evaluate`` averages per-batch accuracies (src/utils.py lines 33-57), which
    differs only through a smaller last batch."""

    kind: str  # "class" | "subclass" | "random"
    forget_test: np.ndarray | None
    retain_test: np.ndarray

    def describe(self) -> str:
        return PAPER_SETTINGS[self.kind]


def paper_split(data: Dataset, forget_ids, seed: int = 0) -> PaperSplit:
    """Which of the paper's settings a forget set is: a whole class; a sub-class (exactly one of
    :func:`explorer.config.scenario.subclass_ids`'s k-means clusters of one class, for this seed); otherwise
    random forgetting. A test image belongs to a sub-class when its nearest cluster centre (the mean of
    the cluster's training images) is that sub-class's, as k-means assigns points."""
    ids = np.asarray(sorted(set(int(i) for i in forget_ids)), dtype=int)
    everything = np.ones(len(data.y_test), dtype=bool)
    classes = np.unique(data.y_train[ids])
    if len(ids) == 0 or len(classes) != 1:
        return PaperSplit("random", None, everything)
    cls = int(classes[0])
    members = np.flatnonzero(data.y_train == cls)
    of_class = data.y_test == cls
    if len(members) == len(ids):
        return PaperSplit("class", of_class, ~of_class)

    try:
        clusters = [np.asarray(subclass_ids(data, cls, k, seed=seed)) for k in range(SUBCLASS_CLUSTERS)]
    except ScenarioError:
        return PaperSplit("random", None, everything)
    match = [k for k, c in enumerate(clusters) if np.array_equal(c, ids)]
    if not match:
        return PaperSplit("random", None, everything)
    centres = np.stack([data.x_train[c].mean(axis=0) for c in clusters])
    nearest = np.linalg.norm(data.x_test[:, None, :] - centres[None], axis=-1).argmin(axis=1)
    forget_test = of_class & (nearest == match[0])
    return PaperSplit("subclass", forget_test, ~forget_test)


def perturbation_noise(n_points: int, n_features: int, samples: int, seed: int) -> np.ndarray:
    """Fixed standard-normal directions so a Lipschitz estimate is comparable across steps and models."""
    return np.random.default_rng(seed).standard_normal((samples, n_points, n_features)).astype(np.float32)


def local_lipschitz(model: nn.Module, x: np.ndarray, sigma: float, output_space: str = "probs",
                    samples: int = 32, seed: int = 0, device: torch.device | None = None) -> np.ndarray:
    """Per-point local Lipschitz estimate ‖f(x) − f(x+ξ)‖/‖ξ‖, ξ ~ N(0, σ²I), in logits or probs."""
    noise = perturbation_noise(len(x), x.shape[1], samples, seed)
    xs = np.concatenate([x, (x[None] + sigma * noise).reshape(-1, x.shape[1])])
    out = _outputs(model, xs, output_space, device)
    return M.lipschitz_ratios(out[: len(x)], out[len(x):].reshape(samples, len(x), -1),
                              x, x[None] + sigma * noise)


def _outputs(model, x, output_space, device):
    z = model_logits(model, x, device)
    return (torch.softmax(z, 1) if output_space == "probs" else z).numpy()


class NonFiniteOutputs(FloatingPointError):
    """Raised by the Evaluator when a model's outputs overflow; no metric is meaningful then."""


class Evaluator:
    """Computes every registered metric (:data:`explorer.measures.metrics.METRICS`) for any model of a scenario.

    ``eval_inputs`` are the points on which agreement and boundary change are measured (the grid
    for 2D data, the test set for images). The original model's and the retrained model's
    predictions there are computed once. Measuring is split from the forward pass: :attr:`inputs` are
    every input one model is run on, and :meth:`evaluate_logits` measures a model from its logits there,
    so many models can be run in one batched forward (:mod:`explorer.measures.many`).
    """

    def __init__(self, data: Dataset, forget_ids, eval_inputs: np.ndarray, original: nn.Module | None,
                 retrain: nn.Module | None, device: torch.device, lipschitz_sigma: float = 0.1,
                 lipschitz_space: str = "probs", lipschitz_samples: int = 16, seed: int = 0):
        forget_ids = np.asarray(sorted(set(int(i) for i in forget_ids)), dtype=int)
        retain_mask = np.ones(len(data.x_train), dtype=bool)
        retain_mask[forget_ids] = False
        self.device = device
        self.sets = {
            "retain": (data.x_train[retain_mask], data.y_train[retain_mask]),
            "forget": (data.x_train[forget_ids], data.y_train[forget_ids]),
            "test": (data.x_test, data.y_test),
        }
        self.paper = paper_split(data, forget_ids, seed)
        self.eval_inputs = np.asarray(eval_inputs, dtype=np.float32)
        self.lipschitz_space = lipschitz_space
        fx = self.sets["forget"][0]
        self._noise_in = fx[None] + lipschitz_sigma * perturbation_noise(len(fx), fx.shape[1], lipschitz_samples, seed)
        # One stacked input: retain | forget | test | eval inputs | perturbed forget points.
        self.inputs = np.concatenate([self.sets["retain"][0], fx, self.sets["test"][0], self.eval_inputs,
                                      self._noise_in.reshape(-1, fx.shape[1])])
        sizes = [len(self.sets["retain"][0]), len(fx), len(self.sets["test"][0]), len(self.eval_inputs)]
        self._cuts = np.cumsum(sizes)
        self.original_labels = self.retrain_labels = self.retrain_forget_probs = None
        if original is not None:
            self.set_references(self.logits(original), self.logits(retrain) if retrain is not None else None)

    def rebased(self, original: nn.Module, retrain: nn.Module | None) -> "Evaluator":
        """This evaluator (the same inputs, probe noise and paper split) against another original and retrain
        reference: another training seed's models on the same data and forget set."""
        other = copy.copy(self)
        other.set_references(self.logits(original), self.logits(retrain) if retrain is not None else None)
        return other

    def logits(self, model: nn.Module) -> torch.Tensor:
        """``model``'s logits on :attr:`inputs`: the one forward every measurement of it reads."""
        return model_logits(model, self.inputs, self.device)

    def set_references(self, original_logits: torch.Tensor, retrain_logits: torch.Tensor | None) -> None:
        """The original's labels and the retrain reference's labels and forget-set probabilities, from their
        logits on :attr:`inputs`."""
        self.original_labels = self._split(original_logits)["eval"].argmax(1)
        if retrain_logits is not None:
            out = self._split(retrain_logits)
            self.retrain_labels = out["eval"].argmax(1)
            self.retrain_forget_probs = out["forget"]

    def _split(self, z: torch.Tensor) -> dict[str, np.ndarray]:
        if not torch.isfinite(z).all():
            # Huge but finite weights can still overflow the outputs; the Recorder treats this as divergence.
            raise NonFiniteOutputs("the model's outputs are not finite")
        p = torch.softmax(z, 1).numpy()
        z = z.numpy()
        r, f, t, e = self._cuts
        space = p if self.lipschitz_space == "probs" else z
        return {"retain": p[:r], "forget": p[r:f], "test": p[f:t], "eval": p[t:e],
                "forget_space": space[r:f], "noisy_space": space[e:].reshape(-1, f - r, space.shape[1])}

    def margins(self, z: torch.Tensor) -> dict[str, np.ndarray]:
        """Each retain, forget and test point's margin (:func:`explorer.measures.functions.margins`) from a model's
        logits on :attr:`inputs`: what the per-point forgetting scores compare across models."""
        r, f, t, _ = self._cuts
        z = z.numpy().astype(np.float64)
        return {name: M.margins(z[a:b], self.sets[name][1])
                for name, a, b in (("retain", 0, r), ("forget", r, f), ("test", f, t))}

    def evaluate(self, model: nn.Module, with_probs: bool = False, names=None, per_step_only: bool = False
                 ) -> tuple[dict[str, float], np.ndarray | None]:
        """Every registered metric (:data:`explorer.measures.metrics.METRICS`, read at each call, so one
        registered after this Evaluator was built is computed too), or those of ``names``, for ``model`` — with
        ``per_step_only`` those measured at every recorded step — and, if asked, its class probabilities on the
        evaluation inputs."""
        return self.evaluate_logits(self.logits(model), with_probs, names, per_step_only)

    def evaluate_logits(self, z: torch.Tensor, with_probs: bool = False, names=None, per_step_only: bool = False
                        ) -> tuple[dict[str, float], np.ndarray | None]:
        """:meth:`evaluate` of the model whose logits on :attr:`inputs` are ``z``."""
        o = self.outputs_from(z)
        return (M.compute_metrics(o, names, per_step_only=per_step_only),
                o.eval.astype(np.float32) if with_probs else None)

    def final_only(self, model: nn.Module) -> dict[str, float]:
        """The metrics measured on finished models only (``Metric.per_step`` False)."""
        names = [n for n, m in M.METRICS.items() if not m.per_step]
        return M.compute_metrics(self.outputs(model), names) if names else {}

    def outputs(self, model: nn.Module) -> M.Outputs:
        """What the metrics read for ``model`` (:class:`explorer.measures.metrics.Outputs`), from one forward."""
        return self.outputs_from(self.logits(model))

    def outputs_from(self, z: torch.Tensor) -> M.Outputs:
        out = self._split(z)
        (_, retain_y), (forget_x, forget_y), (_, test_y) = self.sets["retain"], self.sets["forget"], self.sets["test"]
        return M.Outputs(
            retain=out["retain"], retain_labels=retain_y, forget=out["forget"], forget_labels=forget_y,
            test=out["test"], test_labels=test_y, eval=out["eval"],
            original_eval_labels=self.original_labels,
            retrain_eval_labels=self.retrain_labels, retrain_forget=self.retrain_forget_probs,
            forget_space=out["forget_space"], noisy_space=out["noisy_space"],
            forget_inputs=forget_x, noisy_inputs=self._noise_in, paper=self.paper)

    def __call__(self, model: nn.Module, with_probs: bool = False):
        """One recorded step of a run (the Recorder's call): the metrics measured at every step."""
        return self.evaluate(model, with_probs, per_step_only=True)
