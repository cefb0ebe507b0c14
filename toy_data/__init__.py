"""Seeded datasets behind one interface: 2D toys, 1-D lines and small real image subsets.

Every loader returns a :class:`Dataset`. Inputs are flat float32 rows (images are
flattened; ``image_shape`` says how to fold them back), labels are int64, and a
training sample's id is its row in ``x_train``. The registry imports the generator modules (and so
scikit-learn) when it is first read, not when this package is imported.
"""
from toy_data.base import (DATASETS, INFO, Dataset, DatasetSpec, dataset_names, default_spec, image_dataset_names,
                           load_dataset, toy_dataset_names)

__all__ = ["Dataset", "DatasetSpec", "DATASETS", "INFO", "load_dataset", "dataset_names", "default_spec",
           "image_dataset_names", "toy_dataset_names"]
