"""Small real image subsets that ship inside installed packages (no download at run time)."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from toy_data.base import Dataset, DatasetSpec, register_dataset, split


@register_dataset("digits", samples=1797, noise=0.0, classes=10)
def digits(spec: DatasetSpec) -> Dataset:
    """sklearn's 8x8 digits (UCI optdigits, 1,797 images, 10 classes), pixels scaled to [0, 1].

    ``samples`` caps the number of images used (a stratified, seeded subset); ``noise`` and
    ``classes`` do not apply.
    """
    bunch = load_digits()
    x = bunch.data.astype(np.float32) / 16.0
    y = bunch.target.astype(np.int64)
    if spec.samples < len(x):
        rng = np.random.default_rng(spec.seed)
        keep = np.sort(rng.permutation(len(x))[: spec.samples])
        x, y = x[keep], y[keep]
    return split("digits", x, y, spec, 10, image_shape=(1, 8, 8),
                 class_names=[str(i) for i in range(10)])
