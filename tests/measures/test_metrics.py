"""Each metric on hand-made outputs."""
import numpy as np
import pytest

from explorer.measures import metrics as M


def onehot(labels, k=3, confidence=1.0):
    p = np.full((len(labels), k), (1 - confidence) / (k - 1))
    p[np.arange(len(labels)), labels] = confidence
    return p


def test_accuracy():
    assert M.accuracy(onehot([0, 1, 2, 1]), np.array([0, 1, 2, 0])) == 0.75
    assert np.isnan(M.accuracy(np.zeros((0, 3)), np.array([], int)))


def test_entropy_is_zero_for_certain_and_log_k_for_uniform():
    assert M.entropy(onehot([0, 1]))[0] == pytest.approx(0, abs=1e-9)
    assert M.entropy(np.full((1, 4), 0.25))[0] == pytest.approx(np.log(4))
    assert M.mean_entropy(np.full((3, 2), 0.5)) == pytest.approx(np.log(2))


def test_mia_calls_confident_forget_points_members_and_unsure_ones_not():
    rng = np.random.default_rng(0)
    members = onehot(rng.integers(0, 3, 200), confidence=0.99)  # retain: confident, low entropy
    non_members = onehot(rng.integers(0, 3, 100), confidence=0.5)  # test: unsure, high entropy
    still_remembered = onehot([0, 1, 2, 0], confidence=0.99)
    forgotten = onehot([0, 1, 2, 0], confidence=0.45)
    assert M.mia(members, non_members, still_remembered) == 1.0
    assert M.mia(members, non_members, forgotten) == 0.0
    mixed = np.concatenate([still_remembered[:2], forgotten[:2]])
    assert M.mia(members, non_members, mixed) == 0.5


def test_mia_with_indistinguishable_entropies_is_chance():
    p = onehot([0, 1, 2], confidence=0.9)
    assert M.mia(p, p, p) == 0.5


def test_label_agreement():
    assert M.label_agreement(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])) == 0.75


def test_js_divergence_bounds():
    p = onehot([0, 1])
    assert M.js_divergence(p, p) == pytest.approx([0, 0], abs=1e-9)
    assert M.js_divergence(onehot([0]), onehot([1]))[0] == pytest.approx(1.0, abs=1e-6)
    mid = M.js_divergence(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]]))[0]
    assert 0 < mid < 1
    assert mid == pytest.approx(M.js_divergence(np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]]))[0])


def test_lipschitz_ratios_of_a_linear_map_equal_its_gain():
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    xt = x[None] + np.random.default_rng(0).normal(size=(16, 2, 2))
    f = lambda z: 3.0 * z  # noqa: E731 — Lipschitz constant 3 in every direction
    np.testing.assert_allclose(M.lipschitz_ratios(f(x), f(xt), x, xt), [3.0, 3.0])
    const = M.lipschitz_ratios(np.ones((2, 2)), np.ones((16, 2, 2)), x, xt)
    np.testing.assert_allclose(const, [0.0, 0.0])


def test_information_score_is_high_inside_a_class_and_low_across_the_boundary():
    x = np.array([[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1], [0.05, 0.05]], dtype=float)
    y = np.array([0, 0, 0, 1, 1, 1, 1])  # the last point is a class-1 point inside class 0's cluster
    alpha = M.information_score(x, y, radius=0.5)
    assert alpha[3] == 1.0 and alpha[0] == pytest.approx(3 / 4)
    assert alpha[6] == pytest.approx(1 / 4)  # itself among three class-0 neighbours
    with pytest.raises(ValueError):
        M.information_score(x, y, radius=0)


def test_default_radius_is_positive_and_scales_with_the_data():
    x = np.random.default_rng(0).normal(size=(100, 2))
    assert 0 < M.default_radius(x) < M.default_radius(10 * x)


def test_every_metric_has_a_label_and_a_line_on_what_better_means():
    assert set(M.METRIC_NAMES) >= {"retain_acc", "forget_acc", "test_acc", "mia", "forget_entropy",
                                   "agreement_with_retrain", "boundary_change", "js_to_retrain", "forget_lipschitz"}
    assert all(info.label and info.better for info in M.METRICS.values())


def test_constant_entropies_give_chance_not_the_published_all_non_member():
    """The metric's description explains the choice: the published attack (a balanced logistic
    regression on entropy) fits weight 0 and bias 0 on a constant feature, and the tie predicts
    "non-member" for every forget point (0.0), which would read as perfect forgetting."""
    from sklearn.linear_model import LogisticRegression

    p = onehot([0, 1, 2, 0, 1], confidence=0.9)
    assert M.mia(p, p[:3], p) == 0.5
    features = M.entropy(np.concatenate([p, p[:3]])).reshape(-1, 1)
    published = LogisticRegression(class_weight="balanced", solver="lbfgs")
    published.fit(features, np.r_[np.ones(5), np.zeros(3)])
    assert published.predict(M.entropy(p).reshape(-1, 1)).mean() == 0.0
    assert "0.5" in M.METRICS["mia"].better and "0.0" in M.METRICS["mia"].better


def test_the_papers_columns_are_metrics_beside_the_explorers():
    names = M.METRIC_NAMES
    assert names.index("paper_forget_acc") == names.index("test_acc") + 1
    assert names.index("paper_retain_acc") == names.index("paper_forget_acc") + 1
    assert "*test* images" in M.METRICS["paper_forget_acc"].better and "D_f" in M.METRICS["paper_forget_acc"].label


def test_salun_mia_efficacy_is_the_share_of_forget_points_its_confidence_svc_calls_non_member():
    """OPTML-Group/Unlearn-Saliency evaluation/SVC_MIA.py, "confidence": members are confident in their true
    class, non-members less so; a forget point as confident as the members is called a member (efficacy 0),
    one as unsure as the test points a non-member (efficacy 1)."""
    rng = np.random.default_rng(0)
    members = np.clip(rng.normal(0.99, 0.005, 200), 0, 1)
    unseen = np.clip(rng.normal(0.6, 0.1, 100), 0, 1)

    def probs(conf):  # two classes, label 0: p[0] is the true-class confidence
        return np.stack([conf, 1 - conf], axis=1)

    zeros = lambda n: np.zeros(n, dtype=int)  # noqa: E731
    args = (probs(members), zeros(200), probs(unseen), zeros(100))
    assert M.mia_efficacy(*args, probs(np.full(10, 0.99)), zeros(10)) == 0.0
    assert M.mia_efficacy(*args, probs(np.full(10, 0.6)), zeros(10)) == 1.0
    # only the first |test| retain samples are shadow members, as main_forget.py's Subset(retain, range(len(test)))
    mixed = np.r_[members[:100], np.full(100, 0.6)]
    assert M.mia_efficacy(probs(mixed), zeros(200), *args[2:], probs(np.full(10, 0.99)), zeros(10)) == 0.0
    assert M.mia_efficacy(probs(np.full(50, 0.9)), zeros(50), probs(np.full(50, 0.9)), zeros(50),
                          probs(np.full(5, 0.9)), zeros(5)) == 0.5  # nothing to learn: chance
    assert not M.METRICS["mia_efficacy"].per_step and M.METRICS["mia_efficacy"].ideal == "retrain"


def test_each_metric_is_declared_once_with_its_direction_data_and_places():
    ideals = {name: m.ideal for name, m in M.METRICS.items()}
    assert ideals == {"retain_acc": "high", "forget_acc": "retrain", "test_acc": "high", "paper_forget_acc": "retrain",
                      "paper_retain_acc": "high", "mia": "retrain", "mia_efficacy": "retrain", "forget_entropy": "retrain",
                      "agreement_with_retrain": "high", "boundary_change": "retrain", "js_to_retrain": "low",
                      "forget_lipschitz": "retrain"}
    for name, m in M.METRICS.items():
        assert m.name == name and m.needs and m.needs <= set(M.NEEDS) and m.shown <= set(M.PLACES)
        assert "csv" in m.shown  # the CSV has every metric
    assert M.METRICS["agreement_with_retrain"].needs == {"eval", "retrain"}
    assert M.METRICS["boundary_change"].needs == {"eval", "original"}
    assert M.METRICS["forget_lipschitz"].needs == {"noisy_forget"}
    assert "paper_split" in M.METRICS["paper_forget_acc"].needs


def test_metrics_compute_from_an_outputs_record():
    forget = onehot([0, 1, 2], confidence=0.8)
    o = M.Outputs(forget=forget, forget_labels=np.array([0, 1, 1]), retrain_forget=forget,
                  retrain_eval_labels=np.array([0, 0]), eval=onehot([0, 1]))
    assert M.METRICS["forget_acc"](o) == pytest.approx(2 / 3)
    assert M.METRICS["forget_entropy"](o) == pytest.approx(M.mean_entropy(forget))
    assert M.METRICS["js_to_retrain"](o) == pytest.approx(0, abs=1e-9)
    assert M.METRICS["agreement_with_retrain"](o) == 0.5
    values = M.compute_metrics(o)
    assert list(values) == M.METRIC_NAMES and np.isnan(values["retain_acc"]) and np.isnan(values["boundary_change"])
