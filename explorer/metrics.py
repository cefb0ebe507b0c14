"""Metrics as pure functions over model outputs (numpy arrays). Accuracies are in [0, 1].

Definitions follow the JiT paper (Foster et al., arXiv 2402.01401) and its code
(jwf40/Information-Theoretic-Unlearning) where they have one: the entropy membership attack
(src/metrics.py) and the D_f / D_r columns of its tables (``paper_forget_acc`` / ``paper_retain_acc``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

EPS = 1e-12


@dataclass(frozen=True)
class MetricInfo:
    label: str
    better: str  # one line: what "better" means
    ideal: str  # "retrain", "high", "low"


METRICS: dict[str, MetricInfo] = {
    "retain_acc": MetricInfo("Retain accuracy", "higher is better: the rest of the training set must stay learnt", "high"),
    "forget_acc": MetricInfo("Forget accuracy", "closer to retrain is better (not simply lower: a retrained model may still get them right)", "retrain"),
    "test_acc": MetricInfo("Test accuracy", "higher is better: unlearning should not cost generalisation", "high"),
    "paper_forget_acc": MetricInfo("D_f accuracy (paper's tables)", "closer to retrain is better. The paper's D_f column: for a whole forgotten class (or sub-class) the accuracy on its *test* images; for any other forget set the accuracy on the forgotten training points (as forget_acc)", "retrain"),
    "paper_retain_acc": MetricInfo("D_r accuracy (paper's tables)", "higher is better. The paper's D_r column: test accuracy without the forgotten class (or sub-class); for any other forget set the whole test set (as test_acc)", "high"),
    "mia": MetricInfo("MIA (share of forget set called member)", "closer to retrain is better; lower means fewer forgotten points still look like training data. When every retain and test entropy is the same the attack has nothing to learn and the explorer reports 0.5 (chance); the published code's logistic regression then calls every point a non-member (0.0), which would read as perfect forgetting", "retrain"),
    "forget_entropy": MetricInfo("Forget-set entropy", "closer to retrain is better: a retrained model is less sure about points it never saw", "retrain"),
    "agreement_with_retrain": MetricInfo("Agreement with retrain", "higher is better: share of evaluation points labelled as the retrained model labels them", "high"),
    "boundary_change": MetricInfo("Boundary change vs original", "closer to retrain is better: share of evaluation points whose label changed", "retrain"),
    "js_to_retrain": MetricInfo("JS divergence to retrain (forget set)", "lower is better: 0 means the same predictions as retraining", "low"),
    "forget_lipschitz": MetricInfo("Local Lipschitz at forget points", "closer to retrain is better; JiT lowers it by design", "retrain"),
}
METRIC_NAMES = list(METRICS)


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows whose argmax equals the label (NaN for no rows)."""
    if len(labels) == 0:
        return float("nan")
    return float((np.asarray(outputs).argmax(axis=1) == np.asarray(labels)).mean())


def entropy(probs: np.ndarray) -> np.ndarray:
    """Per-row prediction entropy in nats, H(p) = -sum p log p."""
    p = np.clip(np.asarray(probs, dtype=np.float64), EPS, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def mia(retain_probs: np.ndarray, test_probs: np.ndarray, forget_probs: np.ndarray) -> float:
    """The JiT/SSD/Bad-Teacher entropy attack, as their code does it.

    A logistic regression with balanced class weights is fitted on prediction entropy, retain
    samples labelled 1 (member) and test samples 0 (non-member); the result is the share of forget
    samples it predicts "member". Lower = more forgotten; the target is the retrained model's value.
    """
    if len(forget_probs) == 0:
        return float("nan")
    features = np.concatenate([entropy(retain_probs), entropy(test_probs)]).reshape(-1, 1)
    members = np.concatenate([np.ones(len(retain_probs)), np.zeros(len(test_probs))])
    if len(np.unique(members)) < 2 or np.ptp(features) < 1e-12:
        # A constant feature cannot separate anything: the attack is a coin flip, so report chance.
        # (The published code fits anyway; its regression then has weight 0 and bias 0, a tie that
        # sklearn breaks towards "non-member" for every point: 0.0, i.e. "all forgotten".)
        return 0.5
    attacker = LogisticRegression(class_weight="balanced", solver="lbfgs")
    attacker.fit(features, members)
    return float(attacker.predict(entropy(forget_probs).reshape(-1, 1)).mean())


def mean_entropy(probs: np.ndarray) -> float:
    return float(entropy(probs).mean()) if len(probs) else float("nan")


def label_agreement(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """Share of positions where two label vectors agree."""
    if len(labels_a) == 0:
        return float("nan")
    return float((np.asarray(labels_a) == np.asarray(labels_b)).mean())


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-row Jensen-Shannon divergence in bits (textbook: ½KL(p‖m) + ½KL(q‖m), m = ½(p+q)); in [0, 1]."""
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0)
    q = np.clip(np.asarray(q, dtype=np.float64), EPS, 1.0)
    m = 0.5 * (p + q)
    kl = lambda a, b: (a * (np.log2(a) - np.log2(b))).sum(axis=1)  # noqa: E731
    return np.clip(0.5 * kl(p, m) + 0.5 * kl(q, m), 0.0, 1.0)


def lipschitz_ratios(clean_out: np.ndarray, perturbed_out: np.ndarray, clean_in: np.ndarray,
                     perturbed_in: np.ndarray) -> np.ndarray:
    """Per-point mean of ‖f(x) − f(x̃)‖₂ / ‖x − x̃‖₂ over perturbations.

    Shapes: clean (B, ·), perturbed (M, B, ·). Returns (B,).
    """
    out_diff = np.linalg.norm(perturbed_out - clean_out[None], axis=-1)
    in_diff = np.linalg.norm(perturbed_in - clean_in[None], axis=-1)
    return (out_diff / np.maximum(in_diff, EPS)).mean(axis=0)


def default_radius(x: np.ndarray, k: int = 10) -> float:
    """A neighbourhood radius for α(x): the median distance to the k-th nearest neighbour."""
    k = min(k, len(x) - 1)
    if k < 1:
        return 1.0
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    return float(np.median(dist[:, -1]))


def information_score(x: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """α(x) of the paper's Definition 4.2: share of points within ``radius`` of x (x included)
    that share x's label. 1 = deep inside its class (low information); low = carries information
    the rest of the data does not (near or across the boundary)."""
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius}")
    neighbours = NearestNeighbors(radius=radius).fit(x).radius_neighbors(x, return_distance=False)
    return np.array([(y[idx] == y[i]).mean() for i, idx in enumerate(neighbours)], dtype=float)
