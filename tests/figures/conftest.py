"""Probability fields with known boundaries on a small grid, shared by the figure tests."""
import numpy as np
import pytest

from explorer.measures.evaluation import Grid


@pytest.fixture(scope="module")
def grid():
    x = np.array([[-2, -2], [2, 2]], dtype=np.float32)
    return Grid.around(x, 40)


def _sector_probs(grid, n_classes, shift=0.0):
    """Softmax of sharp angular sectors: class k owns angle sector k (a C-class field with known boundaries)."""
    pts = grid.points
    ang = np.arctan2(pts[:, 1], pts[:, 0] - shift)
    centres = 2 * np.pi * np.arange(n_classes) / n_classes
    logits = 5 * np.cos(ang[:, None] - centres[None])
    e = np.exp(logits - logits.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


def _linear_probs(grid, offset=0.0):
    z = 4 * (grid.points[:, 0] - offset)
    p1 = 1 / (1 + np.exp(-z))
    return np.stack([1 - p1, p1], 1).astype(np.float32)


@pytest.fixture(scope="session")
def sector_probs():
    return _sector_probs


@pytest.fixture(scope="session")
def linear_probs():
    return _linear_probs
