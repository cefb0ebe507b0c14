"""2D toy generators: moons, circles, blobs, xor, spiral and the paper's Figure 2 layout."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs, make_circles, make_moons

from toy_data.base import Dataset, register_dataset, split
from explorer.config.dataset import DatasetSpec


def _names(k: int) -> list[str]:
    return [f"class {i}" for i in range(k)]


@register_dataset("moons")
def moons(spec: DatasetSpec) -> Dataset:
    x, y = make_moons(spec.samples, noise=spec.noise, random_state=spec.seed)
    return split("moons", x, y, spec, 2, class_names=_names(2))


@register_dataset("circles", noise=0.1)
def circles(spec: DatasetSpec) -> Dataset:
    x, y = make_circles(spec.samples, noise=spec.noise, factor=0.5, random_state=spec.seed)
    return split("circles", x * 2.0, y, spec, 2, class_names=_names(2))


@register_dataset("blobs", classes=3)
def blobs(spec: DatasetSpec) -> Dataset:
    # Centres on a circle so k classes never overlap by accident; noise is the cluster std.
    k = spec.classes
    angles = 2 * np.pi * np.arange(k) / k
    centres = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    x, y = make_blobs(spec.samples, centers=centres, cluster_std=max(spec.noise, 1e-3) * 3.0,
                      random_state=spec.seed)
    return split("blobs", x, y, spec, k, class_names=_names(k))


@register_dataset("xor", noise=0.1)
def xor(spec: DatasetSpec) -> Dataset:
    rng = np.random.default_rng(spec.seed)
    x = rng.uniform(-3, 3, size=(spec.samples, 2))
    # Keep a small margin off the axes (as TensorFlow Playground does) so the label is learnable.
    x += np.sign(x) * 0.3
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x += rng.normal(scale=spec.noise, size=x.shape)
    return split("xor", x, y, spec, 2, class_names=_names(2))


@register_dataset("spiral", classes=3, noise=0.1, samples=600)
def spiral(spec: DatasetSpec) -> Dataset:
    rng = np.random.default_rng(spec.seed)
    k = spec.classes
    per_arm = np.full(k, spec.samples // k)
    per_arm[: spec.samples % k] += 1
    xs, ys = [], []
    for arm, n in enumerate(per_arm):
        r = np.linspace(0.2, 4.0, n)
        theta = 1.75 * r + 2 * np.pi * arm / k
        pts = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
        xs.append(pts + rng.normal(scale=spec.noise, size=pts.shape))
        ys.append(np.full(n, arm))
    return split("spiral", np.concatenate(xs), np.concatenate(ys), spec, k, class_names=_names(k))


# The paper's Figure 2: two Gaussian clusters and two hand-placed forget targets.
TWO_BLOBS_CENTRES = ((-2.0, -1.7), (2.2, 2.0))
HIGH_INFO_TARGET = (-0.5, -0.5)  # class 1, on class 0's side of the gap: the boundary must bend to fit it
LOW_INFO_TARGET = (1.25, 2.2)  # class 1, deep inside its own cluster


@register_dataset("two_blobs", samples=260, noise=1.0)
def two_blobs(spec: DatasetSpec) -> Dataset:
    """spec.samples/2 points per cluster with std ``noise`` (the paper's spread is 1), plus both targets.

    The default 260 samples leave ~100 training points per cluster after the test split. The targets
    are appended to the training set after the split, so their ids are its last two rows.
    """
    rng = np.random.default_rng(spec.seed)
    n = spec.samples // 2
    x = np.concatenate([rng.normal(c, spec.noise, size=(n, 2)) for c in TWO_BLOBS_CENTRES])
    y = np.repeat([0, 1], n)
    data = split("two_blobs", x, y, spec, 2, class_names=_names(2))
    targets = np.array([HIGH_INFO_TARGET, LOW_INFO_TARGET], dtype=np.float32)
    first = len(data.x_train)
    data.x_train = np.concatenate([data.x_train, targets])
    data.y_train = np.concatenate([data.y_train, np.array([1, 1], dtype=np.int64)])
    data.named_points = {"high_information_target": first, "low_information_target": first + 1}
    return data
