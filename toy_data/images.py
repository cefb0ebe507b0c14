"""Small real image subsets that ship inside installed packages (no download at run time).

* ``digits`` — sklearn's 8x8 handwritten digits: the UCI "Optical Recognition of Handwritten Digits"
  test set (Alpaydin & Kaynak, 1998), 1,797 images, 10 classes, shipped inside scikit-learn
  (BSD-3-Clause) as ``sklearn/datasets/data/digits.csv.gz``. Source: UCI Machine Learning Repository.
* ``faces`` — scikit-image's ``lfw_subset``: 200 grey 25x25 crops, the first 100 faces from
  Labeled Faces in the Wild (Huang et al., 2007, http://vis-www.cs.umass.edu/lfw/), the last 100
  non-face patches; two classes (non-face, face). Shipped inside the scikit-image wheel
  (BSD-3-Clause) as ``skimage/data/lfw_subset.npy``; the LFW images carry no separate licence
  statement. It is read straight from the installed package with ``np.load(allow_pickle=False)``:
  no download, no pooch cache, no unpickling.
"""
from __future__ import annotations

import importlib.resources

import numpy as np
from sklearn.datasets import load_digits

from toy_data.base import Dataset, image_dataset_names, register_dataset, split
from explorer.config.dataset import DatasetSpec


def __getattr__(name):  # IMAGE_DATASETS reads the registry, so a new image set is one decorated function
    if name == "IMAGE_DATASETS":
        return tuple(image_dataset_names())
    raise AttributeError(name)


def _subsample(x, y, spec: DatasetSpec):
    if spec.samples < len(x):
        rng = np.random.default_rng(spec.seed)
        keep = np.sort(rng.permutation(len(x))[: spec.samples])
        x, y = x[keep], y[keep]
    return x, y


@register_dataset("digits", title="digits (8×8, 10 classes)", images=True, samples=1797, noise=0.0, classes=10,
                  about="sklearn's 8×8 handwritten digits (UCI optdigits, 1,797 images, 10 classes), shipped inside "
                        "scikit-learn.")
def digits(spec: DatasetSpec) -> Dataset:
    """sklearn's 8x8 digits (UCI optdigits, 1,797 images, 10 classes), pixels scaled to [0, 1].

    ``samples`` caps the number of images used (a seeded random subset); ``noise`` and
    ``classes`` do not apply.
    """
    bunch = load_digits()
    x = bunch.data.astype(np.float32) / 16.0
    y = bunch.target.astype(np.int64)
    x, y = _subsample(x, y, spec)
    return split("digits", x, y, spec, 10, image_shape=(1, 8, 8),
                 class_names=[str(i) for i in range(10)])


def lfw_subset_array() -> np.ndarray:
    """The (200, 25, 25) float array in [0, 1] from inside the installed scikit-image package."""
    try:
        path = importlib.resources.files("skimage") / "data" / "lfw_subset.npy"
    except ModuleNotFoundError:
        raise ValueError("the faces dataset needs scikit-image; install it with `pip install scikit-image`") from None
    if not path.is_file():
        raise ValueError(f"scikit-image is installed but {path} is missing; reinstall scikit-image")
    with path.open("rb") as fh:
        return np.load(fh, allow_pickle=False)


@register_dataset("faces", title="faces vs non-faces (25×25)", images=True, samples=200, noise=0.0, classes=2,
                  about="scikit-image's lfw_subset: 100 faces from Labeled Faces in the Wild + 100 non-faces, 25×25, "
                        "shipped inside scikit-image.")
def faces(spec: DatasetSpec) -> Dataset:
    """scikit-image's lfw_subset: 100 LFW faces + 100 non-faces, 25x25 grey, pixels in [0, 1].

    Class 0 = non-face, class 1 = face. ``samples`` caps the number of images (seeded subset);
    ``noise`` and ``classes`` do not apply.
    """
    images = lfw_subset_array()
    x = images.reshape(len(images), -1).astype(np.float32)
    y = np.concatenate([np.ones(100), np.zeros(len(images) - 100)]).astype(np.int64)
    x, y = _subsample(x, y, spec)
    return split("faces", x, y, spec, 2, image_shape=(1, 25, 25), class_names=["non-face", "face"])
