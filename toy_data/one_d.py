"""1-D toys: two classes on a line, the setting of the JiT paper's Figure 3 (a sigmoid over x in [-5, 5]).

Every 1-D dataset carries the paper's Figure 3 forget positions as named training points
(``x=-4`` ... ``x=4``), appended after the train/test split so their ids are the training set's last rows.
"""
from __future__ import annotations

import numpy as np

from toy_data.base import Dataset, register_dataset, split
from explorer.config.dataset import DatasetSpec

# The forget positions of Figure 3 in Foster et al. (arXiv 2402.01401): the flat tails, the steep middle.
FIGURE3_X = (-4.0, -2.0, -1.5, -1.25, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 4.0)
X_RANGE = (-5.0, 5.0)


def figure3_name(x: float) -> str:
    """The named-point name of Figure 3's forget position ``x`` (``x=-1.5``)."""
    return f"x={x:g}"


def _with_figure3_points(data: Dataset, label) -> Dataset:
    xs = np.array(FIGURE3_X, dtype=np.float32).reshape(-1, 1)
    first = len(data.x_train)
    data.x_train = np.concatenate([data.x_train, xs])
    data.y_train = np.concatenate([data.y_train, np.array([label(v) for v in FIGURE3_X], dtype=np.int64)])
    data.named_points = {figure3_name(v): first + k for k, v in enumerate(FIGURE3_X)}
    return data


def _names() -> list[str]:
    return ["class 0", "class 1"]


@register_dataset("line", title="line (1-D, noisy sigmoid)", dims=1, extra_points=len(FIGURE3_X), samples=300,
                  noise=1.0)
def line(spec: DatasetSpec) -> Dataset:
    """x uniform on [-5, 5], label 1 with probability sigmoid(x / noise): the best model is a sigmoid.

    noise is the sigmoid's width (the paper's Figure 3 looks like width 1); noise 0 gives a clean step at 0.
    The 17 Figure 3 points are labelled by the side of 0 they lie on (x = 0: class 1).
    """
    rng = np.random.default_rng(spec.seed)
    x = rng.uniform(*X_RANGE, size=(spec.samples, 1))
    z = x[:, 0] / max(spec.noise, 1e-3)
    y = (rng.uniform(size=spec.samples) < 1 / (1 + np.exp(-z))).astype(np.int64)
    data = split("line", x, y, spec, 2, class_names=_names())
    return _with_figure3_points(data, lambda v: int(v >= 0))


@register_dataset("line_gap", title="line with a gap (1-D, separable)", dims=1, extra_points=len(FIGURE3_X),
                  samples=200, noise=0.5)
def line_gap(spec: DatasetSpec) -> Dataset:
    """Two separable clusters on a line, class 0 left of -1 and class 1 right of 1 (plus ``noise`` jitter):
    nothing in the data fixes the boundary inside the gap, so a model can be as steep as it likes there."""
    rng = np.random.default_rng(spec.seed)
    n = spec.samples // 2
    x = np.concatenate([rng.uniform(-5, -1, n), rng.uniform(1, 5, spec.samples - n)])
    y = np.repeat([0, 1], [n, spec.samples - n])
    x = (x + rng.normal(scale=spec.noise * 0.2, size=x.shape)).reshape(-1, 1)
    data = split("line_gap", x, y, spec, 2, class_names=_names())
    return _with_figure3_points(data, lambda v: int(v >= 0))


@register_dataset("line_interval", title="interval on a line (1-D, class 1 in the middle)",
                  dims=1, extra_points=len(FIGURE3_X), samples=300, noise=0.3)
def line_interval(spec: DatasetSpec) -> Dataset:
    """Class 1 on [-1.5, 1.5], class 0 outside it, on [-5, 5], ``noise`` jitter on x: two boundaries, so a
    model needs a hidden layer (the default MLP) to fit it."""
    rng = np.random.default_rng(spec.seed)
    x = rng.uniform(*X_RANGE, size=spec.samples)
    y = (np.abs(x) <= 1.5).astype(np.int64)
    x = (x + rng.normal(scale=spec.noise * 0.3, size=x.shape)).reshape(-1, 1)
    data = split("line_interval", x, y, spec, 2, class_names=_names())
    return _with_figure3_points(data, lambda v: int(abs(v) <= 1.5))
