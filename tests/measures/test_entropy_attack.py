"""The membership attack of many models at once is the attack's fit at its exact optimum: the same decisions as
scikit-learn's fit run to a tight tolerance, and (in all but rare threshold ties) as the published default."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from explorer.measures import metrics as M
from explorer.measures.entropy_attack import entropy, mia, mia_many


def probs(rng, n, scale):
    z = rng.normal(size=(n, 3)) * scale
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def tight(retain, test, forget):
    x = np.concatenate([entropy(retain), entropy(test)]).reshape(-1, 1)
    y = np.concatenate([np.ones(len(retain)), np.zeros(len(test))])
    fit = LogisticRegression(class_weight="balanced", tol=1e-12, max_iter=10000).fit(x, y)
    return float(fit.predict(entropy(forget).reshape(-1, 1)).mean())


def test_many_models_at_once_give_the_exact_fit_s_decisions():
    rng = np.random.default_rng(0)
    agree_default = total = 0
    for _ in range(40):
        sets = [(probs(rng, 120, rng.uniform(1, 6)), probs(rng, 50, rng.uniform(0.5, 4)), probs(rng, 9, 3))
                for _ in range(5)]
        many = mia_many(*zip(*sets))
        for (retain, test, forget), value in zip(sets, many):
            assert value == tight(retain, test, forget)
            agree_default += value == mia(retain, test, forget)
            total += 1
    assert agree_default >= 0.97 * total


def test_the_special_cases_are_mia_s():
    rng = np.random.default_rng(1)
    p = probs(rng, 10, 2)
    flat = np.full((10, 3), 1 / 3)
    assert mia_many([flat, p], [flat, p[:4]], [p[:2], p[:2]])[0] == 0.5  # a constant feature: chance
    assert np.isnan(mia_many([p], [p], [p[:0]])[0])  # no forget points
    assert mia_many([p, p[:5]], [p, p], [p, p]) == [mia(p, p, p), mia(p[:5], p, p)]  # sizes differ: one by one


def test_compute_metrics_many_equals_one_by_one():
    rng = np.random.default_rng(2)
    outputs = []
    for _ in range(3):
        retain, test, forget = probs(rng, 40, 3), probs(rng, 20, 2), probs(rng, 4, 3)
        outputs.append(M.Outputs(retain=retain, retain_labels=retain.argmax(1), forget=forget,
                                 forget_labels=np.array([0, 1, 2, 0]), test=test, test_labels=rng.integers(0, 3, 20)))
    many = M.compute_metrics_many(outputs, ["retain_acc", "forget_acc", "test_acc", "forget_entropy", "mia"])
    for o, row in zip(outputs, many):
        one = M.compute_metrics(o, ["retain_acc", "forget_acc", "test_acc", "forget_entropy"])
        for name, value in one.items():
            assert row[name] == pytest.approx(value)
        assert row["mia"] == tight(o.retain, o.test, o.forget)
