"""The attack's exact 1-D balanced logistic regression against scikit-learn's on many cases."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from explorer.measures import metrics as M
from explorer.measures.logistic import balanced_logistic_1d, predict_members


def entropies(rng, kind: int, n: int) -> np.ndarray:
    """Entropy-like features of the shapes the attack meets: spread, uniform, near zero (confident models)."""
    if kind == 0:
        return rng.gamma(rng.uniform(0.2, 3), rng.uniform(0.01, 0.3), n)
    if kind == 1:
        return rng.uniform(0, np.log(2), n)
    return np.abs(rng.normal(0, rng.choice([1e-4, 1e-2, 0.2]), n))


def cases(count: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    for k in range(count):
        members = entropies(rng, k % 3, int(rng.integers(2, 300)))
        non_members = entropies(rng, (k // 3) % 3, int(rng.integers(2, 150))) + rng.choice([0.0, 0.05])
        x = np.concatenate([members, non_members])
        y = np.concatenate([np.ones(len(members)), np.zeros(len(non_members))])
        forget = np.concatenate([entropies(rng, k % 3, 10), members[:3], non_members[:3]])
        yield x, y, forget


def sklearn_fit(x, y, **kw):
    return LogisticRegression(class_weight="balanced", solver="lbfgs", **kw).fit(x.reshape(-1, 1), y)


def test_the_exact_fit_is_scikit_learns_optimum_with_the_same_decisions():
    """scikit-learn run to convergence (tight tolerance) finds the same weights and calls the same points members."""
    for x, y, forget in cases(240):
        w, b = balanced_logistic_1d(x, y)
        ref = sklearn_fit(x, y, tol=1e-12, max_iter=10_000)
        assert w == pytest.approx(ref.coef_[0, 0], rel=1e-5, abs=1e-7)
        assert b == pytest.approx(ref.intercept_[0], rel=1e-5, abs=1e-7)
        np.testing.assert_array_equal(predict_members(w, b, forget), ref.predict(forget.reshape(-1, 1)))


def test_default_scikit_learn_makes_the_same_decisions_but_where_it_stopped_short_of_the_optimum():
    """At its default tolerance (1e-4) lbfgs stops near the optimum (weights within ~0.5 %), so the decisions
    agree on nearly every case; where one differs, the point is within the gap between their decision functions."""
    same = 0
    for x, y, forget in cases(240, seed=1):
        default = sklearn_fit(x, y)
        w, b = balanced_logistic_1d(x, y)
        mine, theirs = predict_members(w, b, forget), default.predict(forget.reshape(-1, 1))
        same += np.array_equal(mine, theirs)
        dw, db = w - default.coef_[0, 0], b - default.intercept_[0]
        flipped = forget[mine != theirs]
        assert np.all(np.abs(w * flipped + b) <= np.abs(dw * flipped + db))
    assert same >= 0.98 * 240


def test_on_saturated_entropies_default_scikit_learn_stops_after_one_step_and_the_exact_fit_does_not(
        two_blobs_trained):
    """two_blobs' model is so sure of most points that their entropy is the floor (~2.8e-11): lbfgs's first step
    already meets its tolerance with a bias of ~1e-14, which calls every floor point a member; the optimum's bias
    (-2.4e-4, found by scikit-learn too at any tolerance from 1e-6) calls them non-members."""
    from explorer import pipeline

    scenario, trained = two_blobs_trained
    ids = list(range(0, len(trained.data.x_train), 7))
    o = pipeline.make_evaluator(scenario, trained, ids, None).outputs(trained.model)
    x = np.r_[M.entropy(o.retain), M.entropy(o.test)]
    y = np.r_[np.ones(len(o.retain)), np.zeros(len(o.test))]
    forget = M.entropy(o.forget)
    default, tight = sklearn_fit(x, y), sklearn_fit(x, y, tol=1e-6)
    assert default.n_iter_[0] == 1 and default.predict(forget.reshape(-1, 1)).mean() == 1.0
    assert M.mia(o.retain, o.test, o.forget) == tight.predict(forget.reshape(-1, 1)).mean() == pytest.approx(1 / 29)


def test_the_fit_refuses_a_single_class_and_mia_keeps_its_chance_rule():
    with pytest.raises(ValueError):
        balanced_logistic_1d(np.arange(4.0), np.ones(4))
    p = np.full((4, 2), 0.5)
    assert M.mia(p, p, p) == 0.5
