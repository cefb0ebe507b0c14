"""The membership attack of the JiT, SSD and Bad Teacher papers' code (jwf40/Information-Theoretic-Unlearning,
src/metrics.py): a logistic regression on prediction entropy that tells training members from test points,
and the share of forget points it calls members. :func:`mia` fits it for one model, :func:`mia_many` for many at
once (a stack of models measured together); both solve scikit-learn's model to its optimum
(:mod:`explorer.measures.logistic`): the decisions of scikit-learn run to convergence.
"""
from __future__ import annotations

import numpy as np

from explorer.measures.logistic import balanced_logistic, balanced_logistic_1d, predict_members

EPS = 1e-12


def entropy(probs: np.ndarray) -> np.ndarray:
    """Per-row prediction entropy in nats, H(p) = -sum p log p."""
    p = np.clip(np.asarray(probs, dtype=np.float64), EPS, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def mia(retain_probs: np.ndarray, test_probs: np.ndarray, forget_probs: np.ndarray) -> float:
    """The JiT/SSD/Bad-Teacher entropy attack.

    A logistic regression with balanced class weights is fitted on prediction entropy, retain samples labelled 1
    (member) and test samples 0 (non-member); the result is the share of forget samples it predicts "member".
    Lower = more forgotten; the target is the retrained model's value.
    """
    if len(forget_probs) == 0:
        return float("nan")
    features = np.concatenate([entropy(retain_probs), entropy(test_probs)])
    members = np.concatenate([np.ones(len(retain_probs)), np.zeros(len(test_probs))])
    if len(np.unique(members)) < 2 or np.ptp(features) < 1e-12:
        # A constant feature cannot separate anything: the attack is a coin flip, so report chance.
        # (The published code fits anyway; its regression then has weight 0 and bias 0, a tie that
        # sklearn breaks towards "non-member" for every point: 0.0, i.e. "all forgotten".)
        return 0.5
    w, b = balanced_logistic_1d(features, members)
    return float(predict_members(w, b, entropy(forget_probs)).mean())


def mia_many(retain: list[np.ndarray], test: list[np.ndarray], forget: list[np.ndarray]) -> list[float]:
    """:func:`mia` for many models, the fits solved together. Models whose sets differ in size, have no forget
    points or a constant feature go through :func:`mia`."""
    shapes = {(len(r), len(t), len(f)) for r, t, f in zip(retain, test, forget)}
    if len(shapes) != 1 or 0 in next(iter(shapes))[1:] or len(retain[0]) == 0:
        return [mia(r, t, f) for r, t, f in zip(retain, test, forget)]
    x = np.stack([np.concatenate([entropy(r), entropy(t)]) for r, t in zip(retain, test)])  # (K, n)
    members = np.concatenate([np.ones(len(retain[0])), np.zeros(len(test[0]))])
    constant = np.ptp(x, axis=1) < 1e-12
    w, b = balanced_logistic(np.where(constant[:, None], 0.0, x), members)
    return [0.5 if constant[k] else float(predict_members(w[k], b[k], entropy(f)).mean())
            for k, f in enumerate(forget)]
