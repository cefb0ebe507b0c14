"""The measures the metrics are made of, as pure functions over model outputs (numpy arrays): accuracies,
margins, divergences, the Lipschitz ratio, SalUn's MIA-Efficacy and the paper's information score α(x).
The registry that names each metric (explorer/measures/metrics.py) composes these."""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import SVC

from explorer.measures.entropy_attack import EPS, entropy


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows whose argmax equals the label (NaN for no rows)."""
    if len(labels) == 0:
        return float("nan")
    return float((np.asarray(outputs).argmax(axis=1) == np.asarray(labels)).mean())


def margins(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row margin of the true class, z_y − log Σ_{c≠y} exp z_c from the logits z: the logit-scaled confidence
    log(p_y / (1 − p_y)) of the NeurIPS 2023 unlearning challenge's ε score (Triantafillou et al., arXiv
    2406.09073; google-deepmind/unlearning_evaluation metric.py) and the margin of KLoM (Georgiev et al.,
    arXiv 2410.23232, Appendix E.1), computed without forming the probabilities."""
    z = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)
    rows = np.arange(len(z))
    others = z.copy()
    others[rows, labels] = -np.inf
    return z[rows, labels] - logsumexp(others, axis=1)


def true_class_confidence(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.asarray(probs)[np.arange(len(labels)), np.asarray(labels, dtype=int)]


def mia_efficacy(retain_probs: np.ndarray, retain_labels: np.ndarray, test_probs: np.ndarray,
                 test_labels: np.ndarray, forget_probs: np.ndarray, forget_labels: np.ndarray) -> float:
    """SalUn's MIA-Efficacy, as OPTML-Group/Unlearn-Saliency Classification/evaluation/SVC_MIA.py computes it
    (its "confidence" attack, the one SalUn and l1-sparse report): an ``SVC(C=3, gamma="auto", kernel="rbf")``
    fitted on the true-class confidence of the first |test| retain samples (member) and of the test set
    (non-member); the result is the share of forget samples it predicts *non*-member. Higher = more forgotten;
    the target is the retrained model's value."""
    if len(forget_probs) == 0:
        return float("nan")
    shadow = min(len(retain_probs), len(test_probs))  # main_forget.py: Subset(retain, range(len(test)))
    features = np.concatenate([true_class_confidence(retain_probs[:shadow], retain_labels[:shadow]),
                               true_class_confidence(test_probs, test_labels)]).reshape(-1, 1)
    members = np.concatenate([np.ones(shadow), np.zeros(len(test_probs))])
    if len(np.unique(members)) < 2 or np.ptp(features) < 1e-12:
        return 0.5  # nothing to learn: chance, as for the entropy attack
    attacker = SVC(C=3, gamma="auto", kernel="rbf").fit(features, members)
    return float(1.0 - attacker.predict(true_class_confidence(forget_probs, forget_labels).reshape(-1, 1)).mean())


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
