"""The one-sentence verdict on hand-made metric sets: every branch of forgetting, damage and direction."""
import math

import numpy as np
import pytest

from explorer.measures import verdict as V
from explorer.measures.verdict import judge

ORIGINAL = {"forget_acc": 1.0, "test_acc": 0.98, "retain_acc": 0.99, "agreement_with_retrain": 0.977}
RETRAIN_FORGETS = {"forget_acc": 0.0, "test_acc": 0.97, "retain_acc": 0.99, "agreement_with_retrain": 1.0}
RETRAIN_KEEPS = {**RETRAIN_FORGETS, "forget_acc": 1.0}


def run(**changes):
    return {"forget_acc": 0.0, "test_acc": 0.96, "retain_acc": 0.99, "agreement_with_retrain": 0.99, **changes}


def test_the_example_sentence_with_one_seed_cannot_tell_movement_from_noise():
    v = judge("JiT", run(agreement_with_retrain=0.91), ORIGINAL, RETRAIN_FORGETS, 1)
    assert (v.forgetting, v.damaged, v.direction) == ("forgot", False, "away")  # the one-seed field, as before
    assert v.movement.judged == "cannot_tell" and v.movement.seeds == 1
    assert v.sentence == ("JiT forgot the point as retraining does (forget accuracy 0.00 vs 0.00 retrained), kept test "
                          "accuracy (0.96 vs 0.97 retrained), and the agreement of its boundary with the retrained one "
                          "changed by -0.067 (agreement 0.910 vs 0.977 untouched), a difference one training seed "
                          "cannot tell from training noise; run several seeds to judge it.")


@pytest.mark.parametrize("metrics, retrain, expected, words", [
    (run(), RETRAIN_FORGETS, "forgot", "forgot the point as retraining does"),
    (run(forget_acc=1.0), RETRAIN_KEEPS, "kept", "kept the point as retraining does"),
    (run(forget_acc=1.0), RETRAIN_FORGETS, "did_not_forget", "did not forget the point"),
    (run(forget_acc=0.0), RETRAIN_KEEPS, "forgot_more", "forgot more than retraining does"),
    (run(forget_acc=math.nan), RETRAIN_KEEPS, "unknown", "ran on the point"),
])
def test_forgetting_branches(metrics, retrain, expected, words):
    v = judge("JiT", metrics, ORIGINAL, retrain, 1)
    assert v.forgetting == expected
    assert words in v.sentence


def test_damage_names_each_accuracy_that_fell_below_retrain():
    v = judge("JiT", run(test_acc=0.70), ORIGINAL, RETRAIN_FORGETS, 1)
    assert v.damaged and "damaged the model (test accuracy 0.70 vs 0.97 retrained)" in v.sentence
    v = judge("JiT", run(test_acc=0.70, retain_acc=0.70), ORIGINAL, RETRAIN_FORGETS, 1)
    assert "test accuracy 0.70 vs 0.97 retrained, retain accuracy 0.70 vs 0.99 retrained" in v.sentence
    # exactly at the margin is not damage; just below it is
    edge = RETRAIN_FORGETS["test_acc"] - V.DAMAGE_MARGIN
    assert not judge("JiT", run(test_acc=edge), ORIGINAL, RETRAIN_FORGETS, 1).damaged
    assert judge("JiT", run(test_acc=edge - 0.01), ORIGINAL, RETRAIN_FORGETS, 1).damaged


@pytest.mark.parametrize("agreement, direction", [(0.99, "toward"), (0.977, "same"), (0.90, "away"),
                                                  (math.nan, "unknown")])
def test_the_one_seed_direction_field_keeps_its_margin(agreement, direction):
    v = judge("JiT", run(agreement_with_retrain=agreement), ORIGINAL, RETRAIN_FORGETS, 1)
    assert v.direction == direction
    assert ("cannot tell from training noise" in v.sentence) == (direction != "unknown")


# The rule over seeds, on constructed paired differences d_k = agreement(method_k) - agreement(original_k)
INSIDE = [0.004, -0.003, 0.002, -0.001, 0.003, -0.004, 0.001, -0.002]  # mean 0: within training noise
TOWARD = [0.010, 0.012, 0.009, 0.011, 0.013, 0.010, 0.008, 0.012]  # every seed gained about 0.011
AWAY = [-d for d in TOWARD]


@pytest.mark.parametrize("differences, judged", [(INSIDE, "within_noise"), (TOWARD, "toward"), (AWAY, "away"),
                                                 ([0.02, 0.02, 0.02], "toward"), ([0.0] * 4, "within_noise"),
                                                 ([0.05], "cannot_tell"), ([0.05, math.nan], "cannot_tell")])
def test_the_movement_rule_on_constructed_differences(differences, judged):
    m = V.judge_movement(differences)
    assert m.judged == judged
    if judged != "cannot_tell":
        low, high = m.ci95
        assert low <= m.mean <= high
        assert (low > 0) == (judged == "toward") and (high < 0) == (judged == "away")


def test_the_interval_is_the_paired_t_interval():
    m = V.judge_movement(TOWARD)
    mean, sd, k = sum(TOWARD) / 8, float(np.std(TOWARD, ddof=1)), 8
    half = 2.3646242510102993 * sd / math.sqrt(k)  # t(0.975, 7)
    assert m.ci95 == pytest.approx((mean - half, mean + half))
    # a mean as large as INSIDE's spread, from only two seeds, stays within noise: t(0.975, 1) = 12.7
    assert V.judge_movement([0.001, 0.009]).judged == "within_noise"


@pytest.mark.parametrize("differences, direction, phrase", [
    (TOWARD, "toward", "and its boundary moved toward the retrained ones, beyond training noise"),
    (INSIDE, "same", "and its boundary ended within training noise of the untouched model's"),
    (AWAY, "away", "but its boundary moved away from the retrained ones, beyond training noise"),
])
def test_the_verdict_over_seeds_states_the_rule_s_numbers(differences, direction, phrase):
    movement = V.judge_movement(differences)
    v = judge("JiT", run(agreement_with_retrain=0.98), ORIGINAL, RETRAIN_FORGETS, 1, movement=movement)
    assert v.direction == direction and v.movement is movement
    assert phrase in v.sentence
    assert "mean of 8 seeds; paired difference" in v.sentence and "95 % interval" in v.sentence
    assert v.to_dict()["movement"]["judged"] == movement.judged


def test_the_joiner_follows_what_came_before():
    damaged_away = judge("JiT", run(test_acc=0.5), ORIGINAL, RETRAIN_FORGETS, 1, movement=V.judge_movement(AWAY))
    assert ", and its boundary moved away" in damaged_away.sentence
    damaged_toward = judge("JiT", run(test_acc=0.5), ORIGINAL, RETRAIN_FORGETS, 1, movement=V.judge_movement(TOWARD))
    assert ", but its boundary moved toward" in damaged_toward.sentence


def test_sets_and_subjects_and_rollbacks_are_named():
    v = judge("SCRUB", run(), ORIGINAL, RETRAIN_FORGETS, 5, subject="predictions", stopped="diverged at step 3")
    assert v.sentence.startswith("SCRUB forgot the 5 points")
    assert "the agreement of its predictions with the retrained one changed by +0.013" in v.sentence
    assert v.sentence.endswith("rolled back to its last finite step.")


def test_forget_match_is_exact_for_small_sets_and_within_the_tolerance_for_large_ones():
    assert V.forget_matches(0.8, 0.8) and not V.forget_matches(0.8, 0.6)  # 5 points: steps of 0.2
    assert V.forget_matches(0.50, 0.54) and not V.forget_matches(0.50, 0.56)
    assert not V.forget_matches(math.nan, 0.5)


def test_class_forgetting_judges_damage_on_the_other_classes_and_a_method_that_forgot_nothing_is_told_so():
    """A model retrained without a whole class cannot predict it: its whole-test accuracy (0.50 on two classes) is
    no yardstick. Damage is judged on the remaining classes' test images (the paper's D_r), and the sentence says so."""
    original = {"forget_acc": 1.0, "test_acc": 1.0, "paper_retain_acc": 1.0, "retain_acc": 1.0,
                "agreement_with_retrain": 0.5}
    retrain = {"forget_acc": 0.0, "test_acc": 0.5, "paper_retain_acc": 0.99, "retain_acc": 1.0,
               "agreement_with_retrain": 1.0}
    nothing = judge("finetune", dict(original), original, retrain, 150, forget_kind="class")
    assert nothing.forgetting == "did_not_forget" and not nothing.damaged
    assert nothing.sentence.startswith("finetune did not forget the whole class (150 points) (forget accuracy 1.00 "
                                       "vs 0.00 retrained), kept accuracy on the other classes' test images (1.00 vs "
                                       "0.99 retrained)")
    assert "kept test accuracy" not in nothing.sentence
    wrecked = judge("ssd", {**retrain, "test_acc": 0.45, "paper_retain_acc": 0.40}, original, retrain, 150,
                    forget_kind="class")
    assert wrecked.forgetting == "forgot" and wrecked.damaged
    assert "damaged the model (accuracy on the other classes' test images 0.40 vs 0.99 retrained)" in wrecked.sentence
    # the whole test set would have called that "no damage" (0.45 vs 0.50 is within the margin)
    assert not judge("ssd", {**retrain, "test_acc": 0.45}, original, retrain, 150).damaged
    sub = judge("jit", dict(original), original, {**retrain, "paper_retain_acc": 0.98}, 40, forget_kind="subclass")
    assert "the sub-class (40 points)" in sub.sentence and "outside the sub-class" in sub.sentence
