"""The per-example attacks on constructed reference outputs with known answers, and the ROC figures with the
resolution a number of non-members allows."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from explorer.measures.membership import (ATTACKS, MIN_STD, confidence, gaussian_fits, lira_offline_scores,
                                          lira_scores, logit_confidence, resolution, rmia_scores, roc_summary)


def test_logit_confidence_is_the_logit_of_the_true_class_probability():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 4))
    y = rng.integers(0, 4, size=50)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    py = p[np.arange(50), y]
    assert np.allclose(logit_confidence(z, y), np.log(py) - np.log1p(-py))
    assert np.allclose(confidence(logit_confidence(z, y)), py)
    # where p_y rounds to 1 in float64 the logits still give the margin
    assert logit_confidence(np.array([[80.0, 0.0]]), np.array([0]))[0] == pytest.approx(80.0)
    stacked = rng.normal(size=(3, 50, 4))  # (M, P, C) with one label per point
    assert logit_confidence(stacked, np.broadcast_to(y, (3, 50))).shape == (3, 50)


def _references(m=64, p=40, mu_in=3.0, mu_out=0.0, sd=0.5, seed=0):
    """Reference φ drawn from known Gaussians: in-models around ``mu_in``, out-models around ``mu_out``."""
    rng = np.random.default_rng(seed)
    ref_in = np.zeros((m, p), dtype=bool)
    for j in range(p):
        ref_in[rng.permutation(m)[: m // 2], j] = True
    ref_phi = np.where(ref_in, rng.normal(mu_in, sd, (m, p)), rng.normal(mu_out, sd, (m, p)))
    return ref_phi, ref_in


def test_gaussian_fits_are_the_maximum_likelihood_fits_per_point():
    ref_phi, ref_in = _references()
    fits = gaussian_fits(ref_phi, ref_in)
    for j in (0, 7, 39):
        mu, sd = stats.norm.fit(ref_phi[ref_in[:, j], j])
        assert fits.mu_in[j] == pytest.approx(mu) and fits.sd_in[j] == pytest.approx(sd)
        mu, sd = stats.norm.fit(ref_phi[~ref_in[:, j], j])
        assert fits.mu_out[j] == pytest.approx(mu) and fits.sd_out[j] == pytest.approx(sd)
    pooled = gaussian_fits(ref_phi, ref_in, "global")
    assert np.allclose(pooled.sd_in, np.sqrt((fits.sd_in ** 2).mean()))
    assert np.allclose(pooled.mu_out, fits.mu_out)  # one variance, still a mean per point
    flat = gaussian_fits(np.ones((4, 2)), np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=bool))
    assert (flat.sd_in == MIN_STD).all()  # identical φ: the floor, not a division by zero
    with pytest.raises(ValueError, match="no reference model"):
        gaussian_fits(ref_phi[:, :2], np.ones((64, 2), dtype=bool))
    with pytest.raises(ValueError, match="variance"):
        gaussian_fits(ref_phi, ref_in, "median")


def test_lira_separates_members_from_non_members_and_is_the_log_likelihood_ratio():
    ref_phi, ref_in = _references()
    rng = np.random.default_rng(1)
    member = rng.random(40) < 0.5
    target = np.where(member, rng.normal(3.0, 0.5, 40), rng.normal(0.0, 0.5, 40))
    scores = lira_scores(target, ref_phi, ref_in)
    assert roc_summary(scores, member, ~member)["auc"] > 0.99
    fits = gaussian_fits(ref_phi, ref_in)
    j = 3
    by_hand = (-0.5 * ((target[j] - fits.mu_in[j]) / fits.sd_in[j]) ** 2 - math.log(fits.sd_in[j])
               + 0.5 * ((target[j] - fits.mu_out[j]) / fits.sd_out[j]) ** 2 + math.log(fits.sd_out[j]))
    assert scores[j] == pytest.approx(by_hand)
    assert ((scores > ATTACKS["lira"].threshold) == member).mean() > 0.95


def test_offline_lira_uses_only_the_out_models():
    ref_phi, ref_in = _references()
    target = np.linspace(-1, 4, 40)
    scores = lira_offline_scores(target, ref_phi, ref_in)
    fits = gaussian_fits(ref_phi, ref_in)
    assert np.allclose(scores, -np.log(stats.norm.sf(target, fits.mu_out, fits.sd_out)))
    changed_in = np.where(ref_in, ref_phi + 100.0, ref_phi)  # the in-models do not matter
    assert np.allclose(lira_offline_scores(target, changed_in, ref_in), scores)
    assert (lira_offline_scores(target + 1.0, ref_phi, ref_in) > scores).all()  # more confident: more exposed
    # a point far above its out-models is a member at p < 0.01; one at their mean is not
    assert lira_offline_scores(fits.mu_out + 5 * fits.sd_out, ref_phi, ref_in).min() > ATTACKS["lira_offline"].threshold
    assert lira_offline_scores(fits.mu_out, ref_phi, ref_in).max() == pytest.approx(math.log(2))


def test_rmia_scores_the_share_of_population_points_dominated():
    # three points whose references agree (p = 0.5 each); the target is more confident on point 0 only
    ref_phi = np.zeros((4, 3))
    target = np.array([2.0, 0.0, -1.0])  # p_y: 0.88, 0.5, 0.27 over the prior 0.5
    scores = rmia_scores(target, ref_phi, population=[0, 1, 2])
    assert scores.tolist() == [1.0, 0.5, 0.0]  # each against the other two (z = x is not a comparison)
    assert rmia_scores(target, ref_phi, population=[1, 2])[0] == 1.0
    # a point the references find hard (low prior) gains from the same target confidence
    hard = np.array([[-2.0, 0.0, 0.0]] * 4)
    assert rmia_scores(np.array([0.0, 0.0, 0.0]), hard, population=[0, 1, 2])[0] == 1.0
    with pytest.raises(ValueError, match="population"):
        rmia_scores(target, ref_phi, population=[])


def test_roc_summary_reports_tpr_at_low_fpr_only_where_the_negatives_resolve_it():
    rng = np.random.default_rng(2)
    neg = rng.normal(0, 1, 100)
    pos = np.r_[np.full(10, 10.0), rng.normal(0, 1, 90)]  # 10 % of members exposed far beyond any non-member
    scores = np.r_[pos, neg]
    is_pos = np.r_[np.ones(100, bool), np.zeros(100, bool)]
    out = roc_summary(scores, is_pos, ~is_pos)
    assert out["n_negatives"] == 100 and out["n_positives"] == 100
    assert out["tpr_at_fpr"]["0.01"] >= 0.10  # the exposed tenth, at one false positive in 100 at most
    assert out["tpr_at_fpr"]["0.001"] is None and "not resolvable" in out["resolution"]["0.001"]
    assert out["resolution"]["0.01"] is None
    assert 0.5 < out["auc"] < 0.7
    assert resolution(1000, 0.001) is None and "needs at least 1000" in resolution(150, 0.001)
    empty = roc_summary(scores, np.zeros(200, bool), ~is_pos)
    assert empty["auc"] is None and empty["tpr_at_fpr"]["0.01"] is None
