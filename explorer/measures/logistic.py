"""The entropy membership attack's classifier, fitted exactly and fast, for one model or many at once.

The published attack (jwf40/Information-Theoretic-Unlearning, src/metrics.py, as in the SSD and Bad-Teacher
code) fits scikit-learn's ``LogisticRegression(class_weight="balanced")`` — L2 penalty, C = 1, lbfgs — on one
feature, the prediction entropy. That model minimises

    C · Σᵢ sᵢ · log(1 + exp(−tᵢ (w·xᵢ + b))) + w²/2,   tᵢ = ±1,  sᵢ = n / (2 · n_{class of i})

(scikit-learn's documented objective, "Mathematical formulation" of logistic regression, with its "balanced"
class weights), a strictly convex problem in two numbers. Newton's method solves it to machine precision in a
handful of vectorised steps — for K models' features at once — where lbfgs stops at its tolerance (1e-4) after
~6 ms of overhead per fit; the explorer refits the attack at every recorded step of every run. Decisions are
scikit-learn's: "member" where w·x + b > 0.
"""
from __future__ import annotations

import numpy as np


def _objective(w, b, x, t, s, c: float) -> np.ndarray:
    """The objective of each row's fit: (K,) for ``x`` (K, n) and ``w``, ``b`` (K,)."""
    return c * (s * np.logaddexp(0.0, -t * (w[:, None] * x + b[:, None]))).sum(axis=1) + 0.5 * w * w


def balanced_logistic(x, members, c: float = 1.0, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(w, b), each (K,): for every row of ``x`` (K, n), the L2-penalised logistic regression of ``members`` (n,
    1/0, shared by the rows) on that row as the one feature, with balanced class weights — the optimum
    scikit-learn's ``LogisticRegression(class_weight="balanced", C=c)`` approximates. Both classes must be present."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.asarray(members).ravel().astype(bool)
    n, n_members = len(y), int(y.sum())
    if n_members in (0, n):
        raise ValueError("the attack needs members and non-members")
    t = np.where(y, 1.0, -1.0)
    s = np.where(y, n / (2.0 * n_members), n / (2.0 * (n - n_members)))
    w, b = np.zeros(len(x)), np.zeros(len(x))
    value = _objective(w, b, x, t, s, c)
    live = np.ones(len(x), dtype=bool)
    for _ in range(max_iter):
        margin = t * (w[:, None] * x + b[:, None])
        p = 0.5 * (1.0 - np.tanh(0.5 * margin))  # sigmoid(−margin), without overflow
        r = c * s * p * (1.0 - p)
        g_w, g_b = -c * (s * t * p * x).sum(axis=1) + w, -c * (s * t * p).sum(axis=1)
        h_ww, h_wb, h_bb = (r * x * x).sum(axis=1) + 1.0, (r * x).sum(axis=1), r.sum(axis=1)
        det = h_ww * h_bb - h_wb * h_wb
        live &= det > 0
        safe = np.where(live, det, 1.0)
        d_w = np.where(live, (h_bb * g_w - h_wb * g_b) / safe, 0.0)
        d_b = np.where(live, (h_ww * g_b - h_wb * g_w) / safe, 0.0)
        step = np.ones(len(x))
        new = _objective(w - d_w, b - d_b, x, t, s, c)
        worse = live & (new > value)
        while worse.any() and step.min() >= 1e-10:  # backtracking: far from the optimum a full step can overshoot
            step = np.where(worse, step / 2, step)
            new = _objective(w - step * d_w, b - step * d_b, x, t, s, c)
            worse = live & (new > value)
        live &= ~worse  # no step lowers the objective: at the optimum to rounding
        w = np.where(live, w - step * d_w, w)
        b = np.where(live, b - step * d_b, b)
        value = np.where(live, new, value)
        live &= ~((np.abs(step * d_w) <= 1e-12 * (1.0 + np.abs(w))) & (np.abs(step * d_b) <= 1e-12 * (1.0 + np.abs(b))))
        if not live.any():
            break
    return w, b


def balanced_logistic_1d(x, members, c: float = 1.0, max_iter: int = 100) -> tuple[float, float]:
    """:func:`balanced_logistic` of one feature vector ``x`` (n,): (w, b) as numbers."""
    w, b = balanced_logistic(np.asarray(x, dtype=np.float64).reshape(1, -1), members, c, max_iter)
    return float(w[0]), float(b[0])


def predict_members(w: float, b: float, x) -> np.ndarray:
    """1 where the attack calls a point a member (w·x + b > 0, scikit-learn's rule), else 0."""
    return (w * np.asarray(x, dtype=np.float64).ravel() + b > 0).astype(int)
