"""One honest sentence about an unlearning run, measured against the model retrained without the
forget set: did the method forget, did it damage the model, and did it move toward retraining?

Every threshold the explorer judges a run by lives here (the calibration study and the atlas use the same
ones), and so does the rule that judges the direction against training noise (:func:`judge_movement`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

# Accuracy (test or retain) more than this below the retrained model's = the method damaged the model
# (the calibration study calls it a collapse).
DAMAGE_MARGIN = 0.05
# Forget accuracy within this of the retrained model's = forgot as retraining does. For forget sets of
# fewer than 20 points this means exactly equal (accuracy moves in steps of 1/|forget set| > 0.05).
FORGET_MATCH = 0.05
# Agreement with retrain (share of evaluation points labelled as the retrained model labels them)
# changed by more than this against the untouched original's = the one-seed ``direction`` field's toward /
# away. One seed cannot tell such a change from training noise, and the sentence says so; with several seeds
# the direction is judged by the rule below instead.
DIRECTION_MARGIN = 0.002
# A run "moves the boundary" when at least this share of the evaluation points changes label at some
# step (0.2 % of the plane: 20 cells of the default 100 × 100 grid). Below it the change is invisible.
MOVED_AT = 0.002
# Which accuracy the damage test reads, by the kind of forget set (explorer.measures.evaluation.paper_split). A model
# retrained without a whole class (or sub-class) cannot predict it, so the whole test set would count forgetting
# as damage, and a method that forgot nothing would "keep" a test accuracy retraining lacks: there damage is judged,
# as the JiT paper's D_r column (arXiv 2402.01401, Tables 1-3), on the remaining test images.
DAMAGE_ON = {"class": ("paper_retain_acc", "accuracy on the other classes' test images"),
             "subclass": ("paper_retain_acc", "accuracy on the test images outside the sub-class"),
             "random": ("test_acc", "test accuracy")}


# ---- the direction against training noise ---------------------------------------------------------------
#
# The rule, over K >= 2 training seeds. Seed k's original, retrained model and unlearned model share the
# seed's initial weights, batch order and noise, so the comparison is paired: for each seed
#     d_k = agreement(method_k, retrain_k) - agreement(original_k, retrain_k).
# The method moved "toward" the retrained models when the two-sided 95 % Student-t confidence interval of the
# mean of d (scipy.stats.ttest_1samp(d).confidence_interval) lies entirely above 0, "away" when it lies
# entirely below 0, and otherwise it ended "within training noise" of the untouched model. If every d_k is the
# same the interval is that value (0: within noise). One seed gives no interval: the verdict cannot tell.
# Why a t-interval and not Wilcoxon's signed-rank test: the signed-rank test's exact two-sided p-value cannot
# fall below 0.05 with fewer than 6 seeds (its smallest value is 2 / 2^K: 0.0625 at K = 5), so small K could
# never give a direction; the t-interval works from K = 2 (wide: t = 12.7 at K = 2) and states the difference in
# agreement units. It assumes roughly normal differences; with few seeds its width is what guards against them.
DIRECTION_CONFIDENCE = 0.95


def thresholds() -> dict[str, float]:
    return {"damage_margin": DAMAGE_MARGIN, "forget_match": FORGET_MATCH, "direction_margin": DIRECTION_MARGIN,
            "moved_at": MOVED_AT, "direction_confidence": DIRECTION_CONFIDENCE}


@dataclass(frozen=True)
class Movement:
    """The direction judged against training noise: "toward", "away", "within_noise", or "cannot_tell" (fewer
    than two seeds), with the paired differences' mean, 95 % interval and t-test p-value."""

    judged: str
    seeds: int
    mean: float | None = None
    ci95: tuple[float, float] | None = None
    p: float | None = None
    differences: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        out = asdict(self)
        out["ci95"] = list(self.ci95) if self.ci95 is not None else None
        out["differences"] = list(self.differences)
        return out


def judge_movement(differences) -> Movement:
    """The rule above on paired differences d_k (one per seed; non-finite ones left out)."""
    d = np.array([v for v in differences if v is not None and np.isfinite(v)], dtype=float)
    if len(d) < 2:
        return Movement("cannot_tell", len(d), float(d.mean()) if len(d) else None, None, None, tuple(d.tolist()))
    mean = float(d.mean())
    if np.ptp(d) == 0:  # no spread: the interval is the value itself
        low = high = mean
        p = None
    else:
        test = stats.ttest_1samp(d, 0.0)
        interval = test.confidence_interval(DIRECTION_CONFIDENCE)
        low, high, p = float(interval.low), float(interval.high), float(test.pvalue)
    judged = "toward" if low > 0 else "away" if high < 0 else "within_noise"
    return Movement(judged, len(d), mean, (low, high), p, tuple(d.tolist()))


def _finite(*values) -> bool:
    return all(v is not None and np.isfinite(v) for v in values)


def damaged(accuracy: float | None, retrain_accuracy: float | None) -> bool:
    return _finite(accuracy, retrain_accuracy) and accuracy < retrain_accuracy - DAMAGE_MARGIN


def forget_matches(forget_acc: float | None, retrain_forget_acc: float | None) -> bool:
    return _finite(forget_acc, retrain_forget_acc) and abs(forget_acc - retrain_forget_acc) <= FORGET_MATCH + 1e-9


@dataclass(frozen=True)
class Verdict:
    forgetting: str  # "forgot", "kept" (both as retraining does), "did_not_forget", "forgot_more" or "unknown"
    damaged: bool
    # One seed: "toward", "away" or "same" by DIRECTION_MARGIN (as before seeds existed); several: the
    # movement's judgement in these words ("same" = within training noise); "unknown" without agreement.
    direction: str
    sentence: str
    movement: Movement | None = None  # the direction judged against training noise (:func:`judge_movement`)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["movement"] = self.movement.to_dict() if self.movement is not None else None
        return out


def method_label(name: str, config=None) -> str:
    """How a method is named to the user (the registry's names are lower case). A run with the explorer's own step
    guard (``max_step_change`` > 0, not in the paper or its code) is named with it: "JiT with step guard 0.05"."""
    label = {"jit": "JiT"}.get(name, name)
    guard = getattr(config, "max_step_change", 0) or 0
    return f"{label} with step guard {guard:g}" if guard > 0 else label


def guard_label(max_step_change: float) -> str:
    """JiT named by its step guard where a view offers both runs: "JiT with step guard 0.05" or "JiT without the
    step guard" (plain JiT steps, as the paper describes them)."""
    return f"JiT with step guard {max_step_change:g}" if max_step_change > 0 else "JiT without the step guard"


def _things(n_forget: int, forget_kind: str = "random") -> str:
    if forget_kind in ("class", "subclass"):
        return f"the {'whole class' if forget_kind == 'class' else 'sub-class'} ({n_forget} points)"
    return "the point" if n_forget == 1 else f"the {n_forget} points"


def _direction(movement: Movement, change: float, subject: str) -> tuple[str, str]:
    """The ``direction`` field and its words. One seed: the field by DIRECTION_MARGIN, the words plain."""
    if movement.judged == "cannot_tell":
        direction = "toward" if change > DIRECTION_MARGIN else "away" if change < -DIRECTION_MARGIN else "same"
        return direction, f"the agreement of its {subject} with the retrained one changed by {change:+.3f}"
    if movement.judged == "toward":
        return "toward", f"its {subject} moved toward the retrained ones, beyond training noise"
    if movement.judged == "away":
        return "away", f"its {subject} moved away from the retrained ones, beyond training noise"
    return "same", f"its {subject} ended within training noise of the untouched model's"


def judge(method: str, metrics: dict, original: dict, retrain: dict, n_forget: int, subject: str = "boundary",
          stopped: str | None = None, movement: Movement | None = None, forget_kind: str = "random") -> Verdict:
    """The verdict on ``metrics`` (the method's final metrics) against the untouched ``original`` and the
    ``retrain`` reference. ``subject``: what agreement is measured on ("boundary" for the 2D grid,
    "predictions" for a test set). ``movement``: the direction judged over several seeds
    (:func:`judge_movement`); without it the sentence says one seed cannot tell movement from noise. With
    several seeds the metrics are means over the seeds. ``forget_kind`` (paper_split's "class", "subclass" or
    "random") says where damage is judged (:data:`DAMAGE_ON`)."""
    things = _things(n_forget, forget_kind)
    f, fr, fo = metrics.get("forget_acc"), retrain.get("forget_acc"), original.get("forget_acc")
    if not _finite(f, fr):
        forgetting, forget_text = "unknown", f"{method} ran on {things}"
    elif forget_matches(f, fr):
        retrain_forgets = _finite(fo) and fr < fo - FORGET_MATCH
        forgetting = "forgot" if retrain_forgets else "kept"
        forget_text = (f"{method} {'forgot' if retrain_forgets else 'kept'} {things} as retraining does "
                       f"(forget accuracy {f:.2f} vs {fr:.2f} retrained)")
    elif f > fr:
        forgetting, forget_text = "did_not_forget", f"{method} did not forget {things} (forget accuracy {f:.2f} vs {fr:.2f} retrained)"
    else:
        forgetting, forget_text = "forgot_more", f"{method} forgot more than retraining does (forget accuracy {f:.2f} vs {fr:.2f} retrained)"

    key, words = DAMAGE_ON.get(forget_kind, DAMAGE_ON["random"])
    t, tr = metrics.get(key), retrain.get(key)
    r, rr = metrics.get("retain_acc"), retrain.get("retain_acc")
    hurt = [(name, a, b) for name, a, b in ((words, t, tr), ("retain accuracy", r, rr)) if damaged(a, b)]
    if hurt:
        damage_text = "damaged the model (" + ", ".join(f"{n} {a:.2f} vs {b:.2f} retrained" for n, a, b in hurt) + ")"
    elif _finite(t, tr):
        damage_text = f"kept {words} ({t:.2f} vs {tr:.2f} retrained)"
    else:
        damage_text = ""

    a, ao = metrics.get("agreement_with_retrain"), original.get("agreement_with_retrain")
    if not _finite(a, ao):
        direction, direction_text = "unknown", ""
    else:
        movement = movement or judge_movement([a - ao])
        direction, direction_text = _direction(movement, a - ao, subject)
        # "but" when the direction goes against what came before, "and" when it goes with it.
        good_so_far = forgetting in ("forgot", "kept") and not hurt
        joiner = "and" if movement.judged == "cannot_tell" or good_so_far == (direction != "away") else "but"
        direction_text = f"{joiner} {direction_text}"
        if movement.judged == "cannot_tell":
            direction_text += (f" (agreement {a:.3f} vs {ao:.3f} untouched), a difference one training seed cannot "
                               "tell from training noise; run several seeds to judge it")
        else:
            low, high = movement.ci95
            direction_text += (f" (agreement {a:.3f} vs {ao:.3f} untouched, mean of {movement.seeds} seeds; paired "
                               f"difference {movement.mean:+.4f}, 95 % interval {low:+.4f} to {high:+.4f})")
    sentence = ", ".join(part for part in (forget_text, damage_text, direction_text) if part) + "."
    if stopped:
        sentence += " It diverged and was rolled back to its last finite step."
    return Verdict(forgetting, bool(hurt), direction, sentence,
                   movement if _finite(a, ao) else None)
