"""Seeded datasets behind one interface: 2D toys, 1-D lines and small real image subsets.

Every loader returns a :class:`Dataset`. Inputs are flat float32 rows (images are
flattened; ``image_shape`` says how to fold them back), labels are int64, and a
training sample's id is its row in ``x_train``.
"""
from toy_data.base import (DATASETS, INFO, Dataset, dataset_names, default_spec, image_dataset_names,
                           load_dataset, max_train_size, toy_dataset_names)
from toy_data import two_d as _two_d  # noqa: F401  (registers the 2D generators)
from toy_data import one_d as _one_d  # noqa: F401  (registers the 1-D line family)
from toy_data import images as _images  # noqa: F401  (registers the image subsets)
from toy_data import files as _files  # noqa: F401  (registers the user's data file, "file")

__all__ = ["Dataset", "DATASETS", "INFO", "load_dataset", "dataset_names", "default_spec",
           "image_dataset_names", "toy_dataset_names", "max_train_size"]
