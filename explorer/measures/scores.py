"""The field's per-point forgetting scores over many training seeds: each compares, point by point, the
distribution of a quantity under K unlearned models with its distribution under K retrained models.

* **ε** (the NeurIPS 2023 Machine Unlearning challenge: Triantafillou et al., "Are we making progress in
  unlearning?", arXiv 2406.09073; definition: unlearning-challenge.github.io/assets/data/Machine_Unlearning_Metric.pdf;
  published code: google-deepmind/unlearning_evaluation ``metric.py``). For each forget point, the margins
  (logit-scaled confidences, :func:`explorer.measures.functions.margins`) under the unlearned and the retrained
  models are two samples; every decision rule of two families — one threshold, and an interval around the
  peakier sample (thresholds 100 per unit, the interval's width within 2 of the peakier sample's range) — gives
  false positive and negative rates, and ε_t = max(log(1 − δ − FPR) − log FNR, log(1 − δ − FNR) − log FPR),
  at least 0, δ = 1e-5; thresholds where exactly one rate is 0 are dropped, both 0 is ∞; ε is the largest,
  capped at 50, and 50 when one sample's range is below 1 % of the other's. With K models per side the largest
  finite ε is ln(K − 1): the estimate is coarse for small K (the challenge used 512). The challenge's forget
  quality scores each point by buckets of width 0.5 up to ⌈ln(K − 1)⌉, worth 1, ½, ¼, ….
* **KLoM** (Georgiev et al., "Attribute-to-Delete: Machine Unlearning via Datamodel Matching", arXiv
  2410.23232, Appendix E.1; published code: RoyRin/data-unlearning-bench ``eval.py``): for each point, the KL
  divergence KL(unlearned ‖ retrained) between the distributions of its margin under the two sets of models,
  summarised as the 95th percentile over the forget, retain and test points. The explorer's estimator
  (:func:`klom`) fits a normal distribution to each side's margins (mean and sample standard deviation, the
  deviation at least :data:`KLOM_MIN_SD`) and takes the two normals' KL divergence in closed form. The
  published estimator bins both samples into 20 equal bins over their joint range (margins clipped to ±100),
  sets retrained bins that are empty where the unlearned sample has mass to 1e-5 and normalises
  (:func:`klom_binned`, also reported); it is built for hundreds of models per side, and with the K ≤ 32 seeds
  of a run about one model falls in each bin, so an empty retrained bin (ln 1e5 = 11.5) dominates: on moons
  with 8 seeds its 95th percentile was about 10 for JiT, for the untouched original and for two halves of
  the retrained models alike. Unlike the published ``np.digitize`` binning, which leaves the largest value of
  the joint range out of every bin, :func:`klom_binned` counts every sample (``np.histogram`` closes the last
  bin).

A method that forgets as retraining does scores what two sets of retrained models score against each other:
:func:`halves` splits the seeds in two for those floors.
"""
from __future__ import annotations

import math

import numpy as np

DELTA = 1e-5
EPSILON_CAP = 50.0
THRESHOLDS_PER_UNIT = 100
BUFFER = 2.0  # the interval rule's slack around the peakier sample's range
KLOM_BINS = 20
KLOM_EPS = 1e-5
KLOM_CLIP = 100.0
KLOM_QUANTILE = 95
KLOM_MIN_SD = 1e-3  # margin units: two models agreeing to this are one value, not an infinitely sharp peak


def epsilon(unlearned: np.ndarray, retrained: np.ndarray) -> np.ndarray:
    """ε per point from margins of shape (models, points): one value per column."""
    unlearned, retrained = np.asarray(unlearned, dtype=np.float64), np.asarray(retrained, dtype=np.float64)
    out = np.empty(unlearned.shape[1])
    for i in range(unlearned.shape[1]):
        u, r = unlearned[:, i], retrained[:, i]
        # the positive sample, per point: whichever has the larger median (ties: the unlearned one)
        pos, neg = (r, u) if np.median(r) > np.median(u) else (u, r)
        out[i] = _point_epsilon(np.sort(pos), np.sort(neg))
    return out


def _point_epsilon(pos: np.ndarray, neg: np.ndarray) -> float:
    largest, smallest = max(np.ptp(pos), np.ptp(neg)), min(np.ptp(pos), np.ptp(neg))
    if largest == 0:  # two constant samples: the same value cannot be told apart, two values always can
        return 0.0 if pos[0] == neg[0] else EPSILON_CAP
    if smallest / largest < 0.01:  # one sample far peakier than the other: the published code's cap
        return EPSILON_CAP
    rates = np.concatenate([_single_threshold(pos, neg), _interval(pos, neg)])  # (pairs, 2): FPR, FNR
    fpr, fnr = rates[:, 0], rates[:, 1]
    both, one = (fpr == 0) & (fnr == 0), (fpr == 0) ^ (fnr == 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # log of 0 or of a negative: that side gives nothing
        eps = np.fmax(np.log(1 - DELTA - fpr) - np.log(fnr), np.log(1 - DELTA - fnr) - np.log(fpr))
    eps = np.where(both, np.inf, np.where(one, np.nan, np.maximum(eps, 0.0)))
    if np.isnan(eps).all():  # no threshold with two informative rates: nothing tells the samples apart
        return 0.0
    return float(min(np.nanmax(eps), EPSILON_CAP))


def _at_or_above(sorted_values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How many values are >= each threshold."""
    return len(sorted_values) - np.searchsorted(sorted_values, thresholds, side="left")


def _single_threshold(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Predict positive at and above a threshold, thresholds over both samples' range: the (false positive,
    false negative) counts each threshold gives, once each."""
    lo, hi = min(pos[0], neg[0]), max(pos[-1], neg[-1])
    t = np.linspace(lo, hi, int(math.ceil((hi - lo) * THRESHOLDS_PER_UNIT)))
    return _pairs(_at_or_above(neg, t), len(pos) - _at_or_above(pos, t), len(neg), len(pos))


def _interval(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Predict the peakier sample inside an interval [left, right] (its width within BUFFER of that sample's
    range): the (false positive, false negative) counts, the peakier sample positive, once each."""
    if np.ptp(pos) >= np.ptp(neg):
        pos, neg = neg, pos
    width = np.ptp(pos)
    lo, hi = pos[0] + width - BUFFER, pos[-1] + BUFFER
    right = np.linspace(lo, hi, int(math.ceil((hi - lo) * THRESHOLDS_PER_UNIT)))
    steps = np.linspace(-width - BUFFER, -width + BUFFER, int(math.ceil(2 * BUFFER * THRESHOLDS_PER_UNIT)))
    left = (right[:, None] + steps[None, :]).ravel()

    def inside(values: np.ndarray) -> np.ndarray:  # values in [left, right], each (right, left) pair
        upto = np.repeat(np.searchsorted(values, right, side="right"), len(steps))
        return upto - np.searchsorted(values, left, side="left")

    return _pairs(inside(neg), len(pos) - inside(pos), len(neg), len(pos))


def _pairs(false_pos: np.ndarray, false_neg: np.ndarray, n_neg: int, n_pos: int) -> np.ndarray:
    """The distinct (FPR, FNR) of the thresholds' counts (a rule's ε depends on nothing else)."""
    seen = np.zeros((n_neg + 1, n_pos + 1), dtype=bool)
    seen[np.clip(false_pos, 0, n_neg), np.clip(false_neg, 0, n_pos)] = True
    fp, fn = np.nonzero(seen)
    return np.stack([fp / n_neg, fn / n_pos], axis=1)


def forget_quality(eps: np.ndarray, n_models: int) -> float:
    """The challenge's forget quality: each point scores by the bucket of its ε (width 0.5 from 0 up to
    ⌈ln(K − 1)⌉ for K models per side, worth 1, ½, ¼, …; nothing beyond), averaged over the points."""
    eps = np.asarray(eps, dtype=float)
    if n_models < 3 or len(eps) == 0:
        return float("nan")  # no bucket fits below ⌈ln(K − 1)⌉ = 0
    top = math.ceil(math.log(n_models - 1))
    buckets = int(top / 0.5)
    index = np.floor(eps / 0.5)
    points = np.where(index < buckets, 0.5 ** np.clip(index, 0, None), 0.0)
    return float(points.mean())


def klom(unlearned: np.ndarray, retrained: np.ndarray) -> np.ndarray:
    """KLoM per point from margins of shape (models, points): KL(N_u ‖ N_r) of the normals fitted to each
    column's two samples, ln(σ_r/σ_u) + (σ_u² + (μ_u − μ_r)²) / (2σ_r²) − ½."""
    unlearned = np.clip(np.asarray(unlearned, dtype=np.float64), -KLOM_CLIP, KLOM_CLIP)
    retrained = np.clip(np.asarray(retrained, dtype=np.float64), -KLOM_CLIP, KLOM_CLIP)
    mu_u, mu_r = unlearned.mean(axis=0), retrained.mean(axis=0)
    sd_u = np.maximum(unlearned.std(axis=0, ddof=1), KLOM_MIN_SD)
    sd_r = np.maximum(retrained.std(axis=0, ddof=1), KLOM_MIN_SD)
    return np.log(sd_r / sd_u) + (sd_u ** 2 + (mu_u - mu_r) ** 2) / (2 * sd_r ** 2) - 0.5


def klom_binned(unlearned: np.ndarray, retrained: np.ndarray) -> np.ndarray:
    """KLoM per point with the published binning estimator: KL(unlearned ‖ retrained) of each column's two
    samples binned into 20 equal bins over their joint range."""
    unlearned = np.clip(np.asarray(unlearned, dtype=np.float64), -KLOM_CLIP, KLOM_CLIP)
    retrained = np.clip(np.asarray(retrained, dtype=np.float64), -KLOM_CLIP, KLOM_CLIP)
    lo = np.minimum(unlearned.min(axis=0), retrained.min(axis=0))
    hi = np.maximum(unlearned.max(axis=0), retrained.max(axis=0))
    hi = np.where(hi > lo, hi, lo + 1.0)

    def histogram(values: np.ndarray) -> np.ndarray:  # (bins, points): shares; the last bin is closed
        index = np.clip(np.floor((values - lo) / (hi - lo) * KLOM_BINS), 0, KLOM_BINS - 1).astype(int)
        counts = np.zeros((KLOM_BINS, values.shape[1]))
        np.add.at(counts, (index, np.broadcast_to(np.arange(values.shape[1]), index.shape)), 1.0)
        return counts / len(values)

    p, q = histogram(unlearned), histogram(retrained)
    q = np.where(p > 0, np.maximum(q, KLOM_EPS), q)
    q = q / q.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(p / q), 0.0).sum(axis=0)


def p95(values: np.ndarray) -> float:
    """KLoM's summary over a set of points: the 95th percentile."""
    values = np.asarray(values, dtype=float)
    return float(np.percentile(values, KLOM_QUANTILE)) if len(values) else float("nan")


def halves(k: int) -> tuple[list[int], list[int]]:
    """The seeds split in two for the floors: the first ⌊K/2⌋ and the next ⌊K/2⌋ (an odd seed left out)."""
    half = k // 2
    return list(range(half)), list(range(half, 2 * half))
