"""The per-point forgetting scores on hand-made distributions with known values: the challenge's ε, its forget
quality, KLoM; the margins they read; the summaries over seeds and the noise floor."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import entropy

from explorer.measures import scores as S
from explorer.measures import spread
from explorer.measures.functions import margins


def column(*values):
    return np.array(values, dtype=float).reshape(-1, 1)


def test_margins_are_the_logit_scaled_confidence():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 3.0, 3.0]])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    got = margins(logits, np.array([0, 1]))
    want = np.log(p[[0, 1], [0, 1]]) - np.log(1 - p[[0, 1], [0, 1]])
    assert got == pytest.approx(want)
    assert margins(np.array([[1.0, 4.0]]), np.array([1]))[0] == pytest.approx(3.0)  # two classes: z_y - z_other


def test_epsilon_of_one_distribution_against_itself_is_zero():
    rng = np.random.default_rng(0)
    same = rng.normal(size=(8, 5))
    assert S.epsilon(same, same) == pytest.approx(np.zeros(5))


def test_epsilon_of_separated_distributions_is_the_cap():
    retrained = column(0, 1, 2, 3, 4, 5, 6, 7)
    assert S.epsilon(retrained + 20, retrained)[0] == S.EPSILON_CAP  # a threshold separates them: FPR = FNR = 0


def test_epsilon_with_one_overlapping_model_is_ln_of_k_minus_one():
    """Retrained margins 0..7, unlearned 6.5 and 10..16: the best threshold (between 6.5 and 7) has FPR = FNR =
    1/8, so ε = log(1 − δ − 1/8) − log(1/8) ≈ ln 7, the largest finite ε of 8 models per side."""
    retrained = column(0, 1, 2, 3, 4, 5, 6, 7)
    unlearned = column(6.5, 10, 11, 12, 13, 14, 15, 16)
    expected = math.log(1 - S.DELTA - 1 / 8) - math.log(1 / 8)
    assert S.epsilon(unlearned, retrained)[0] == pytest.approx(expected, abs=1e-9)
    assert S.epsilon(retrained, unlearned)[0] == pytest.approx(expected, abs=1e-9)  # symmetric in the two sides


def test_a_far_peakier_sample_gets_the_cap_and_constant_samples_are_handled():
    assert S.epsilon(column(0, 0.001, 0.002, 0.003), column(0, 1, 2, 3))[0] == S.EPSILON_CAP
    assert S.epsilon(column(2, 2, 2), column(2, 2, 2))[0] == 0.0
    assert S.epsilon(column(2, 2, 2), column(3, 3, 3))[0] == S.EPSILON_CAP


def test_forget_quality_buckets():
    # 8 models: buckets of 0.5 up to ceil(ln 7) = 2, worth 1, 1/2, 1/4, 1/8; 2 and beyond worth nothing
    assert S.forget_quality([0.0, 0.49, 0.5, 1.2, 1.7, 2.0, 50.0], 8) == pytest.approx(
        (1 + 1 + 0.5 + 0.25 + 0.125 + 0 + 0) / 7)
    assert math.isnan(S.forget_quality([0.0], 2))  # ceil(ln 1) = 0: no bucket


def test_klom_is_the_kl_divergence_of_the_fitted_normals():
    assert S.klom(column(0, 1, 2, 3), column(0, 1, 2, 3))[0] == pytest.approx(0.0)
    # the same spread, means one standard deviation apart: KL = ½ (Δμ / σ)² = ½
    sd = np.std([0, 1, 2, 3], ddof=1)
    assert S.klom(column(0, 1, 2, 3) + sd, column(0, 1, 2, 3))[0] == pytest.approx(0.5)
    # twice the spread, the same mean: ln(σ_r/σ_u) + σ_u²/(2σ_r²) − ½ with σ_u = 2σ_r
    assert S.klom(column(0, 2, 4, 6) - 1.5, column(0, 1, 2, 3))[0] == pytest.approx(math.log(0.5) + 2 - 0.5)
    # constant samples: the deviation floor keeps it finite and large
    assert 1e5 < S.klom(column(1, 1, 1), column(0, 0, 0))[0] < 1e7


def test_the_published_binned_klom_on_known_histograms():
    assert S.klom_binned(column(0, 0, 1, 1), column(0, 0, 1, 1))[0] == pytest.approx(0.0)
    # all unlearned mass in one bin, the retrained half there and half in another: KL = ln 2
    assert S.klom_binned(column(0, 0, 0, 0), column(0, 0, 1, 1))[0] == pytest.approx(math.log(2))
    # disjoint: the empty retrained bin becomes 1e-5, then both are normalised
    assert S.klom_binned(column(0, 0), column(1, 1))[0] == pytest.approx(math.log((1 + S.KLOM_EPS) / S.KLOM_EPS))
    # margins beyond ±100 are clipped: the two samples then coincide
    assert S.klom_binned(column(500, 900), column(300, 200))[0] == pytest.approx(0.0)


def test_p95_and_the_halves():
    assert S.p95(np.arange(101)) == pytest.approx(95.0)
    assert S.halves(8) == ([0, 1, 2, 3], [4, 5, 6, 7])
    assert S.halves(5) == ([0, 1], [2, 3])


def test_summary_over_seeds_is_mean_sd_and_t_interval():
    out = spread.summary([0.9, 0.92, 0.94, 0.96])
    assert out["mean"] == pytest.approx(0.93)
    assert out["std"] == pytest.approx(np.std([0.9, 0.92, 0.94, 0.96], ddof=1))
    half = 3.182446305284263 * out["std"] / 2  # t(0.975, 3)
    assert out["ci95"] == pytest.approx([0.93 - half, 0.93 + half])
    assert out["values"] == [0.9, 0.92, 0.94, 0.96]
    one = spread.summary([0.5])
    assert one["std"] is None and one["ci95"] is None and one["mean"] == 0.5
    assert spread.summary([0.5, math.nan])["values"] == [0.5, None]


def test_the_noise_floor_is_pairwise_agreement_of_retrained_models():
    labels = np.array([[0, 0, 1, 1], [0, 0, 1, 0], [0, 1, 1, 1]])
    floor = spread.noise_floor(labels, [0.0, 1.0, 0.0])
    agreement = floor["retrain_agreement"]
    assert agreement["pairs"] == 3
    assert agreement["mean"] == pytest.approx((0.75 + 0.75 + 0.5) / 3)
    assert (agreement["min"], agreement["max"]) == (0.5, 0.75)
    assert floor["retrain_forget_acc"]["range"] == [0.0, 1.0]


def test_the_binned_klom_equals_histograms_point_by_point():
    rng = np.random.default_rng(1)
    u, r = rng.normal(size=(8, 30)) * 3, rng.normal(size=(8, 30)) * 2 + 1
    for i in range(30):
        edges = np.linspace(min(u[:, i].min(), r[:, i].min()), max(u[:, i].max(), r[:, i].max()), S.KLOM_BINS + 1)
        p, q = np.histogram(u[:, i], edges)[0] / 8, np.histogram(r[:, i], edges)[0] / 8
        want = entropy(p, np.where(p > 0, np.maximum(q, S.KLOM_EPS), q))
        assert S.klom_binned(u[:, [i]], r[:, [i]])[0] == pytest.approx(want)
        assert S.klom_binned(u, r)[i] == pytest.approx(want)
