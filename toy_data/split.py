"""The stratified, seeded train/test split every generator shares."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from toy_data.base import Dataset, DatasetSpec


def split(name, x, y, spec: DatasetSpec, n_classes: int, **extra) -> Dataset:
    """Stratified, seeded train/test split shared by every generator."""
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=spec.test_fraction, random_state=spec.seed, stratify=y
    )
    return Dataset(
        name=name,
        x_train=np.ascontiguousarray(x_tr, dtype=np.float32),
        y_train=np.asarray(y_tr, dtype=np.int64),
        x_test=np.ascontiguousarray(x_te, dtype=np.float32),
        y_test=np.asarray(y_te, dtype=np.int64),
        n_classes=n_classes,
        **extra,
    )
