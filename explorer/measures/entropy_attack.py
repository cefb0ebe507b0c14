"""The membership attack of the JiT, SSD and Bad Teacher papers' code (jwf40/Information-Theoretic-Unlearning,
src/metrics.py): a logistic regression on prediction entropy that tells training members from test points,
and the share of forget points it calls members. :func:`mia` fits it as the published code does (scikit-learn);
:func:`mia_many` fits it for many models at once (a stack of models measured together).
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

EPS = 1e-12


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


def mia_many(retain: list[np.ndarray], test: list[np.ndarray], forget: list[np.ndarray],
             iterations: int = 100) -> list[float]:
    """:func:`mia` for many models: the same attack — a logistic regression on prediction entropy, balanced
    class weights, the L2 penalty of C = 1 on its weight and none on its intercept (scikit-learn's objective) —
    fitted to every model together by Newton's method to its exact optimum, where :func:`mia`'s lbfgs stops
    within scikit-learn's tolerance of it; the two call the same forget points members unless one lies within
    that tolerance of the decision threshold. Models whose sets differ in size, have no forget points or a
    constant feature go through :func:`mia`."""
    shapes = {(len(r), len(t), len(f)) for r, t, f in zip(retain, test, forget)}
    if len(shapes) != 1 or 0 in next(iter(shapes))[1:] or len(retain[0]) == 0:
        return [mia(r, t, f) for r, t, f in zip(retain, test, forget)]
    x = np.stack([np.concatenate([entropy(r), entropy(t)]) for r, t in zip(retain, test)])  # (K, n)
    n_r, n_t = len(retain[0]), len(test[0])
    y = np.concatenate([np.ones(n_r), np.zeros(n_t)])
    weight = np.where(y == 1, (n_r + n_t) / (2 * n_r), (n_r + n_t) / (2 * n_t))  # class_weight="balanced"
    w, b = np.zeros(len(x)), np.zeros(len(x))

    def objective(w, b):
        z = w[:, None] * x + b[:, None]
        return (weight * (np.logaddexp(0.0, z) - y * z)).sum(axis=1) + 0.5 * w ** 2

    for _ in range(iterations):
        z = w[:, None] * x + b[:, None]
        p = 1.0 / (1.0 + np.exp(-z))
        residual, curvature = weight * (p - y), weight * p * (1 - p)
        gw, gb = (residual * x).sum(axis=1) + w, residual.sum(axis=1)
        hww, hwb, hbb = (curvature * x * x).sum(axis=1) + 1.0, (curvature * x).sum(axis=1), curvature.sum(axis=1)
        det = hww * hbb - hwb ** 2
        dw, db = (hbb * gw - hwb * gb) / det, (hww * gb - hwb * gw) / det
        step, before = np.ones(len(x)), objective(w, b)
        for _ in range(30):  # backtrack where the full Newton step does not lower the objective
            worse = objective(w - step * dw, b - step * db) > before + 1e-12
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        w, b = w - step * dw, b - step * db
        if max(np.abs(step * dw).max(), np.abs(step * db).max()) < 1e-12:
            break
    out = []
    for k, f in enumerate(forget):
        if np.ptp(x[k]) < 1e-12:
            out.append(mia(retain[k], test[k], f))  # a constant feature: chance, as mia() says
        else:
            out.append(float((w[k] * entropy(f) + b[k] > 0).mean()))
    return out
