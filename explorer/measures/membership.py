"""Per-example membership inference from reference models, as pure functions over arrays, and the ROC figures
the field reports for it.

* **LiRA** (Carlini et al., "Membership Inference Attacks From First Principles", arXiv 2112.03570, §IV and its
  Algorithm 1): the statistic is the logit-scaled confidence in the true class, φ = log p_y − log(1 − p_y)
  (§IV's "logit scaling"; computed from logits as z_y − logsumexp_{c≠y} z_c, exact and stable). For every
  point, one Gaussian is fitted to φ under the reference models that trained on it ("in") and one to those
  that did not ("out"); the score is the log likelihood ratio log N(φ; μ_in, σ_in) − log N(φ; μ_out, σ_out).
  The **offline** variant (same section) uses only the "out" models: a one-sided test of how far φ lies above
  the "out" Gaussian, scored here as −ln Pr[Z ≥ φ], Z ~ N(μ_out, σ_out²). With few reference models the paper
  fits one variance for all points instead of one per point (its published code's ``fix_variance``,
  tensorflow/privacy research/mi_lira_2021/plot.py); :func:`gaussian_fits` offers both.
* **U-LiRA** (Hayes et al., "Inexact unlearning needs more careful evaluations to avoid a false sense of
  privacy", arXiv 2403.01218): the same test, but the "in" reference models were trained on the point *and
  then had it unlearned* with the method under audit; so the caller passes those models' φ. Nothing else
  changes, so it is :func:`lira_scores` on other reference outputs.
* **RMIA** (Zarifzadeh et al., "Low-Cost High-Power Membership Inference Attacks", arXiv 2312.03262, §3): the
  pairwise likelihood ratio LR(x, z) = [Pr(x|θ)/Pr(x)] / [Pr(z|θ)/Pr(z)], with Pr(x) the mean of Pr(x|θ') over
  the reference models and Pr(x|θ) the target's probability of the true class; the score is the share of
  population points z that x dominates, Pr_z[LR(x, z) ≥ γ].

Shapes: M reference models, P points. ``ref_phi`` (M, P) is each reference model's φ at each point, ``ref_in``
(M, P) whether the point was in that model's training set, ``target_phi`` (P,) the audited model's φ. A higher
score always means "more likely a member". Statistics come from scipy.stats and sklearn.metrics.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats
from scipy.special import expit, logsumexp
from sklearn.metrics import roc_auc_score, roc_curve

MIN_STD = 1e-6  # a Gaussian fit's smallest standard deviation (identical φ over the models would divide by 0)
FPRS = (0.01, 0.001)  # the low false-positive rates reported (LiRA §III argues for TPR at FPR ≤ 0.1 %)
VARIANCES = ("per_point", "global")


def logit_confidence(logits, labels) -> np.ndarray:
    """φ = log p_y − log(1 − p_y) of softmax(logits) at the true class ``labels``, in float64: ``logits``
    (..., C), ``labels`` (...,). Equals z_y − logsumexp over the other classes, so it stays finite where p_y
    rounds to 1."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    true = np.take_along_axis(z, y[..., None], axis=-1)[..., 0]
    others = np.where(np.arange(z.shape[-1]) == y[..., None], -np.inf, z)
    return true - logsumexp(others, axis=-1)


def confidence(phi) -> np.ndarray:
    """p_y back from φ: the logistic function (the inverse of the logit scaling)."""
    return expit(np.asarray(phi, dtype=np.float64))


@dataclass(frozen=True)
class GaussianFits:
    """Per point (P,): the mean and standard deviation of φ over the "in" and over the "out" reference models."""

    mu_in: np.ndarray
    sd_in: np.ndarray
    mu_out: np.ndarray
    sd_out: np.ndarray


def _group(ref_phi: np.ndarray, mask: np.ndarray, variance: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (ddof 0, the maximum-likelihood fit of ``scipy.stats.norm.fit``) of each
    column's values where ``mask``; "global": one pooled within-point variance for every column."""
    count = mask.sum(axis=0)
    if (count == 0).any():
        raise ValueError(f"point {int(np.flatnonzero(count == 0)[0])} has no reference model in this group; "
                         "every point needs reference models with and without it (use the offline attack)")
    mu = np.where(mask, ref_phi, 0.0).sum(axis=0) / count
    var = np.where(mask, (ref_phi - mu) ** 2, 0.0).sum(axis=0) / count
    if variance == "global":
        var = np.full_like(var, var.mean())
    return mu, np.maximum(np.sqrt(var), MIN_STD)


def gaussian_fits(ref_phi, ref_in, variance: str = "per_point", need_in: bool = True) -> GaussianFits:
    """The Gaussians LiRA fits per point (``need_in`` False: the "out" group only, the in-fit left NaN)."""
    if variance not in VARIANCES:
        raise ValueError(f"variance must be one of {', '.join(VARIANCES)}, got {variance!r}")
    ref_phi = np.asarray(ref_phi, dtype=np.float64)
    ref_in = np.asarray(ref_in, dtype=bool)
    if ref_phi.shape != ref_in.shape or ref_phi.ndim != 2:
        raise ValueError(f"reference outputs {ref_phi.shape} and memberships {ref_in.shape} must both be (M, P)")
    mu_out, sd_out = _group(ref_phi, ~ref_in, variance)
    if need_in:
        mu_in, sd_in = _group(ref_phi, ref_in, variance)
    else:
        mu_in = sd_in = np.full_like(mu_out, np.nan)
    return GaussianFits(mu_in, sd_in, mu_out, sd_out)


def lira_scores(target_phi, ref_phi, ref_in, variance: str = "per_point") -> np.ndarray:
    """Online LiRA (Carlini et al. §IV, Algorithm 1): log N(φ; μ_in, σ_in) − log N(φ; μ_out, σ_out) per point.
    U-LiRA is this with the unlearned reference models' φ (Hayes et al.)."""
    fits = gaussian_fits(ref_phi, ref_in, variance)
    phi = np.asarray(target_phi, dtype=np.float64)
    return stats.norm.logpdf(phi, fits.mu_in, fits.sd_in) - stats.norm.logpdf(phi, fits.mu_out, fits.sd_out)


def lira_offline_scores(target_phi, ref_phi, ref_in, variance: str = "per_point") -> np.ndarray:
    """Offline LiRA (Carlini et al. §IV): only the "out" models; −ln Pr[Z ≥ φ] for Z ~ N(μ_out, σ_out²), the
    one-sided p-value's surprise (0 for a φ far below the "out" models, large far above them)."""
    fits = gaussian_fits(ref_phi, ref_in, variance, need_in=False)
    return -stats.norm.logsf(np.asarray(target_phi, dtype=np.float64), fits.mu_out, fits.sd_out)


def rmia_scores(target_phi, ref_phi, ref_in=None, population=None, gamma: float = 1.0) -> np.ndarray:
    """RMIA (Zarifzadeh et al. §3), online: Pr(x) is the mean of the reference models' p_y(x) (about half of
    them trained on x); score(x) = share of the population points z ≠ x with LR(x, z) ≥ ``gamma``.
    ``population``: the indices of the points z (default: every point). ``ref_in`` is not used (the online
    average takes every reference model)."""
    target = confidence(target_phi)
    prior = confidence(ref_phi).mean(axis=0)
    ratio = target / prior  # Pr(x|θ) / Pr(x)
    z = np.arange(len(ratio)) if population is None else np.asarray(population, dtype=int)
    if len(z) == 0:
        raise ValueError("RMIA needs population points z to compare with")
    dominated = ratio[:, None] >= gamma * ratio[None, z]  # LR(x, z) ≥ γ  <=>  ratio_x ≥ γ·ratio_z
    other = np.arange(len(ratio))[:, None] != z[None, :]  # z = x is not a comparison
    return (dominated & other).sum(axis=1) / np.maximum(other.sum(axis=1), 1)


# ---- the attacks the audit runs, each with the decision rule it reports -----------------------------------

@dataclass(frozen=True)
class Attack:
    name: str
    label: str
    references: str  # "trained" or "unlearned": which reference models' φ it reads
    score: Callable[..., np.ndarray]  # (target_phi, ref_phi, ref_in, **options) -> (P,)
    threshold: float = 0.0  # "member" when score > threshold (the attack's own decision rule)
    rule: str = ""  # that rule in words
    source: str = ""


ATTACKS: dict[str, Attack] = {a.name: a for a in (
    Attack("lira", "LiRA", "trained", lira_scores, 0.0,
           "member when the likelihood ratio is above 1 (log Λ > 0): more likely trained on than not",
           "Carlini et al., arXiv 2112.03570, §IV, Algorithm 1 (online)"),
    Attack("lira_offline", "LiRA (offline)", "trained", lira_offline_scores, float(np.log(100.0)),
           "member when φ lies above the 'out' Gaussian at one-sided p < 0.01 (score > ln 100): 1 % false "
           "positives per point if the Gaussian fits",
           "Carlini et al., arXiv 2112.03570, §IV (offline: 'out' models only)"),
    Attack("rmia", "RMIA", "trained", rmia_scores, 0.99,
           "member when x dominates more than 99 % of the population points (score > 0.99): a non-member "
           "exchangeable with them passes about 1 % of the time",
           "Zarifzadeh et al., arXiv 2312.03262, §3 (online, γ = 1)"),
    Attack("ulira", "U-LiRA", "unlearned", lira_scores, 0.0,
           "member when the point looks more like 'trained on it, then unlearned' than 'never trained on it' "
           "(log Λ > 0)",
           "Hayes et al., arXiv 2403.01218 (U-LiRA: LiRA whose 'in' models were unlearned)"),
)}


# ---- ROC figures ---------------------------------------------------------------------------------------

def resolution(n_negatives: int, fpr: float) -> str | None:
    """Why a TPR at ``fpr`` cannot be read with ``n_negatives`` non-members (None when it can)."""
    if n_negatives * fpr >= 1 - 1e-9:
        return None
    need = int(np.ceil(1 / fpr - 1e-9))
    return (f"not resolvable: {n_negatives} non-members resolve false-positive rates down to "
            f"{1 / max(n_negatives, 1):.2%} only (FPR {fpr:.1%} needs at least {need})")


def tpr_at(fpr: np.ndarray, tpr: np.ndarray, target: float) -> float:
    """The highest TPR of the ROC among thresholds with FPR ≤ ``target``."""
    ok = fpr <= target + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def roc_summary(scores, positives, negatives, fprs=FPRS) -> dict:
    """AUC and TPR at each FPR of ``fprs`` for ``scores`` of the ``positives`` (members) against the
    ``negatives`` (non-members), both boolean masks or index arrays, with how far the counts resolve it;
    and the curve (``fpr``, ``tpr``) for a figure. None where undefined (no positives or negatives, NaN)."""
    scores = np.asarray(scores, dtype=np.float64)
    pos, neg = scores[positives], scores[negatives]
    n_pos, n_neg = int(len(pos)), int(len(neg))
    out = {"n_positives": n_pos, "n_negatives": n_neg, "auc": None,
           "tpr_at_fpr": {f"{f:g}": None for f in fprs},
           "resolution": {f"{f:g}": resolution(n_neg, f) for f in fprs}, "fpr": [], "tpr": []}
    if n_pos == 0 or n_neg == 0 or not (np.isfinite(pos).all() and np.isfinite(neg).all()):
        return out
    truth = np.r_[np.ones(n_pos, dtype=bool), np.zeros(n_neg, dtype=bool)]
    values = np.r_[pos, neg]
    fpr, tpr, _ = roc_curve(truth, values, drop_intermediate=False)
    out.update(auc=float(roc_auc_score(truth, values)), fpr=fpr.tolist(), tpr=tpr.tolist())
    out["tpr_at_fpr"] = {f"{f:g}": (None if out["resolution"][f"{f:g}"] else tpr_at(fpr, tpr, f)) for f in fprs}
    return out
