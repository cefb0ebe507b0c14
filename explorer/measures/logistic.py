"""The entropy membership attack's classifier, fitted exactly and fast.

The published attack (jwf40/Information-Theoretic-Unlearning, src/metrics.py, as in the SSD and Bad-Teacher
code) fits scikit-learn's ``LogisticRegression(class_weight="balanced")`` — L2 penalty, C = 1, lbfgs — on one
feature, the prediction entropy. That model minimises

    C · Σᵢ sᵢ · log(1 + exp(−tᵢ (w·xᵢ + b))) + w²/2,   tᵢ = ±1,  sᵢ = n / (2 · n_{class of i})

(scikit-learn's documented objective, "Mathematical formulation" of logistic regression, with its "balanced"
class weights), a strictly convex problem in two numbers. Newton's method solves it to machine precision in a
handful of vectorised steps, where lbfgs stops at its tolerance (1e-4) after ~6 ms of overhead per fit; the
explorer refits the attack at every recorded step of every run. Decisions are scikit-learn's: "member" where
w·x + b > 0.
"""
from __future__ import annotations

import numpy as np


def _objective(w: float, b: float, x, t, s, c: float) -> float:
    return float(c * (s * np.logaddexp(0.0, -t * (w * x + b))).sum() + 0.5 * w * w)


def balanced_logistic_1d(x, members, c: float = 1.0, max_iter: int = 100) -> tuple[float, float]:
    """(w, b) of the L2-penalised logistic regression of ``members`` (1/0) on the 1-D feature ``x`` with balanced
    class weights: the optimum scikit-learn's ``LogisticRegression(class_weight="balanced", C=c)`` approximates.
    Both classes must be present."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(members).ravel().astype(bool)
    n, n_members = len(y), int(y.sum())
    if n_members in (0, n):
        raise ValueError("the attack needs members and non-members")
    t = np.where(y, 1.0, -1.0)
    s = np.where(y, n / (2.0 * n_members), n / (2.0 * (n - n_members)))
    w = b = 0.0
    value = _objective(w, b, x, t, s, c)
    for _ in range(max_iter):
        margin = t * (w * x + b)
        p = 0.5 * (1.0 - np.tanh(0.5 * margin))  # sigmoid(−margin), without overflow
        r = c * s * p * (1.0 - p)
        g_w, g_b = -c * (s * t * p * x).sum() + w, -c * (s * t * p).sum()
        h_ww, h_wb, h_bb = (r * x * x).sum() + 1.0, (r * x).sum(), r.sum()
        det = h_ww * h_bb - h_wb * h_wb
        if not det > 0:
            break
        d_w, d_b = (h_bb * g_w - h_wb * g_b) / det, (h_ww * g_b - h_wb * g_w) / det
        step = 1.0
        while True:  # backtracking: far from the optimum Newton's full step can overshoot
            new = _objective(w - step * d_w, b - step * d_b, x, t, s, c)
            if new <= value or step < 1e-10:
                break
            step *= 0.5
        if new > value:  # no step lowers the objective: at the optimum to rounding
            break
        w, b, value = w - step * d_w, b - step * d_b, new
        if abs(step * d_w) <= 1e-12 * (1.0 + abs(w)) and abs(step * d_b) <= 1e-12 * (1.0 + abs(b)):
            break
    return w, b


def predict_members(w: float, b: float, x) -> np.ndarray:
    """1 where the attack calls a point a member (w·x + b > 0, scikit-learn's rule), else 0."""
    return (w * np.asarray(x, dtype=np.float64).ravel() + b > 0).astype(int)
