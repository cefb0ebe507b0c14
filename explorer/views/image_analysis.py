"""Image analysis without figures: the 2D map of training images, the boundary plane through a
forgotten image, per-class accuracy, the confusion matrix and the paper's entropy test (arrays in,
arrays out)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from scipy.stats import wilcoxon
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from torch import nn

from explorer.measures import metrics as M


@torch.no_grad()
def penultimate_features(model: nn.Module, x: np.ndarray, device: torch.device | None = None) -> np.ndarray:
    """The CNN's penultimate features (``model.embed``); for an MLP, the input to its last layer."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=device)
    if hasattr(model, "embed"):
        out = model.embed(xt)
    else:  # MLP: everything but the final Linear
        out = model.net[:-1](xt)
    model.train(was_training)
    return out.float().cpu().numpy()


def embed_2d(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """(n, d) -> (n, 2) float32 by PCA or t-SNE (seeded, so the map does not jump between reruns)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) < 3:
        raise ValueError("a map needs at least 3 images")
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x).astype(np.float32)
    if method == "tsne":
        perplexity = float(min(30, max(2, (len(x) - 1) // 3)))
        return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed,
                    max_iter=500).fit_transform(x).astype(np.float32)
    raise ValueError(f"unknown projection {method!r}; choose pca or tsne")


def mosaic(images: np.ndarray, image_shape: tuple[int, ...], cols: int = 10, gap: int = 1) -> np.ndarray:
    """(k, d) rows -> one (rows*(h+gap), cols*(w+gap)) float array with NaN gaps (first channel)."""
    c, h, w = image_shape
    k = len(images)
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for i, img in enumerate(np.asarray(images, dtype=np.float32).reshape(k, c, h, w)[:, 0]):
        r, q = divmod(i, cols)
        out[r * (h + gap): r * (h + gap) + h, q * (w + gap): q * (w + gap) + w] = img
    return out


@dataclass(frozen=True)
class Plane:
    """The plane x0 + a·u + b·v (u, v orthonormal) through three training images."""

    anchor_ids: tuple[int, int, int]  # forgotten image, then the two other images
    origin: np.ndarray  # (d,)
    u: np.ndarray
    v: np.ndarray
    xs: np.ndarray  # (G,) a-coordinates
    ys: np.ndarray  # (G,) b-coordinates
    anchors_ab: np.ndarray  # (3, 2) plane coordinates of the three images

    @property
    def points(self) -> np.ndarray:
        """(G*G, d) row-major: row j*G + i is at (xs[i], ys[j])."""
        ga, gb = np.meshgrid(self.xs, self.ys)
        return (self.origin[None] + ga.reshape(-1, 1) * self.u[None] + gb.reshape(-1, 1) * self.v[None]
                ).astype(np.float32)


def other_class_neighbours(x: np.ndarray, y: np.ndarray, i: int, k: int = 2) -> list[int]:
    """The nearest training image of another class, then the nearest of yet another class
    (falls back to the second-nearest of another class when there are only two classes)."""
    d = ((x - x[i]) ** 2).sum(axis=1)
    order = [int(j) for j in np.argsort(d) if y[j] != y[i]]
    if not order:
        raise ValueError("the boundary view needs training images of another class")
    chosen = [order[0]]
    for j in order[1:]:
        if len(chosen) == k:
            break
        if y[j] not in {y[c] for c in chosen}:
            chosen.append(j)
    for j in order[1:]:  # two classes only: take the next nearest
        if len(chosen) == k:
            break
        if j not in chosen:
            chosen.append(j)
    return chosen


def boundary_plane(x: np.ndarray, y: np.ndarray, i: int, others: Sequence[int] | None = None,
                   resolution: int = 48, margin: float = 0.5) -> Plane:
    """The plane through training image ``i`` and two other images (default: nearest of other classes)."""
    others = list(others) if others is not None else other_class_neighbours(x, y, i)
    if len(others) != 2 or i in others or others[0] == others[1]:
        raise ValueError("the plane needs the forgotten image and two other, distinct images")
    x0, x1, x2 = (np.asarray(x[j], dtype=np.float64) for j in (i, *others))
    e1, e2 = x1 - x0, x2 - x0
    u = e1 / max(np.linalg.norm(e1), 1e-9)
    w = e2 - (e2 @ u) * u
    if np.linalg.norm(w) < 1e-9:
        raise ValueError("the three images lie on a line; pick another image")
    v = w / np.linalg.norm(w)
    ab = np.array([[0.0, 0.0], [e1 @ u, 0.0], [e2 @ u, e2 @ v]])
    lo, hi = ab.min(axis=0), ab.max(axis=0)
    pad = (hi - lo).max() * margin
    xs = np.linspace(lo[0] - pad, hi[0] + pad, resolution, dtype=np.float32)
    ys = np.linspace(lo[1] - pad, hi[1] + pad, resolution, dtype=np.float32)
    return Plane((int(i), int(others[0]), int(others[1])), x0.astype(np.float32), u.astype(np.float32),
                 v.astype(np.float32), xs, ys, ab.astype(np.float32))


def per_class_accuracy(probs: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    pred = np.asarray(probs).argmax(axis=1)
    return np.array([(pred[y == c] == c).mean() if (y == c).any() else np.nan for c in range(n_classes)])


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Paired Wilcoxon signed-rank p-value (scipy); NaN when it is undefined (too few pairs, or
    every pair equal)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) != len(b) or len(a) < 2 or np.allclose(a, b, rtol=0, atol=1e-12):
        return float("nan")
    try:
        return float(wilcoxon(a, b).pvalue)
    except ValueError:
        return float("nan")


def entropy_test(original: np.ndarray, unlearned: np.ndarray, retrain: np.ndarray) -> dict:
    """The paper's entropy test on forget-set predictions (probabilities, paired per image)."""
    h = {"original": M.entropy(original), "unlearned": M.entropy(unlearned), "retrain": M.entropy(retrain)}
    return {"entropy": h, "mean": {k: float(v.mean()) if len(v) else float("nan") for k, v in h.items()},
            "p_unlearned_vs_retrain": wilcoxon_p(h["unlearned"], h["retrain"]),
            "p_original_vs_retrain": wilcoxon_p(h["original"], h["retrain"])}
