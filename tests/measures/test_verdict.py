"""The one-sentence verdict on hand-made metric sets: every branch of forgetting, damage and direction."""
import math

import pytest

from explorer.measures import verdict as V
from explorer.measures.verdict import judge

ORIGINAL = {"forget_acc": 1.0, "test_acc": 0.98, "retain_acc": 0.99, "agreement_with_retrain": 0.977}
RETRAIN_FORGETS = {"forget_acc": 0.0, "test_acc": 0.97, "retain_acc": 0.99, "agreement_with_retrain": 1.0}
RETRAIN_KEEPS = {**RETRAIN_FORGETS, "forget_acc": 1.0}


def run(**changes):
    return {"forget_acc": 0.0, "test_acc": 0.96, "retain_acc": 0.99, "agreement_with_retrain": 0.99, **changes}


def test_the_example_sentence():
    v = judge("JiT", run(agreement_with_retrain=0.91), ORIGINAL, RETRAIN_FORGETS, 1)
    assert (v.forgetting, v.damaged, v.direction) == ("forgot", False, "away")
    assert v.sentence == ("JiT forgot the point as retraining does (forget accuracy 0.00 vs 0.00 retrained), kept test "
                          "accuracy (0.96 vs 0.97 retrained), but its boundary moved away from the retrained one "
                          "(agreement 0.910 vs 0.977 untouched).")


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


@pytest.mark.parametrize("agreement, direction, phrase", [
    (0.99, "toward", "and its boundary moved toward the retrained one"),
    (0.977, "same", "and its boundary ended as close to the retrained one as the untouched model's"),
    (0.90, "away", "but its boundary moved away from the retrained one"),
    (math.nan, "unknown", ""),
])
def test_direction_branches(agreement, direction, phrase):
    v = judge("JiT", run(agreement_with_retrain=agreement), ORIGINAL, RETRAIN_FORGETS, 1)
    assert v.direction == direction
    assert phrase in v.sentence


def test_the_joiner_follows_what_came_before():
    damaged_away = judge("JiT", run(test_acc=0.5, agreement_with_retrain=0.9), ORIGINAL, RETRAIN_FORGETS, 1)
    assert ", and its boundary moved away" in damaged_away.sentence
    damaged_toward = judge("JiT", run(test_acc=0.5, agreement_with_retrain=0.999), ORIGINAL, RETRAIN_FORGETS, 1)
    assert ", but its boundary moved toward" in damaged_toward.sentence


def test_sets_and_subjects_and_rollbacks_are_named():
    v = judge("SCRUB", run(), ORIGINAL, RETRAIN_FORGETS, 5, subject="predictions", stopped="diverged at step 3")
    assert v.sentence.startswith("SCRUB forgot the 5 points")
    assert "its predictions moved toward" in v.sentence
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
