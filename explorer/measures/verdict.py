"""One honest sentence about an unlearning run, measured against the model retrained without the
forget set: did the method forget, did it damage the model, and did it move toward retraining?

Every threshold the explorer judges a run by lives here (the calibration study uses the same ones).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

# Accuracy (test or retain) more than this below the retrained model's = the method damaged the model
# (the calibration study calls it a collapse).
DAMAGE_MARGIN = 0.05
# Forget accuracy within this of the retrained model's = forgot as retraining does. For forget sets of
# fewer than 20 points this means exactly equal (accuracy moves in steps of 1/|forget set| > 0.05).
FORGET_MATCH = 0.05
# Agreement with retrain (share of evaluation points labelled as the retrained model labels them)
# changed by more than this against the untouched original's = moved toward / away from retraining.
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


def thresholds() -> dict[str, float]:
    return {"damage_margin": DAMAGE_MARGIN, "forget_match": FORGET_MATCH, "direction_margin": DIRECTION_MARGIN,
            "moved_at": MOVED_AT}


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
    direction: str  # "toward", "away", "same" or "unknown"
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


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


def judge(method: str, metrics: dict, original: dict, retrain: dict, n_forget: int, subject: str = "boundary",
          stopped: str | None = None, forget_kind: str = "random") -> Verdict:
    """The verdict on ``metrics`` (the method's final metrics) against the untouched ``original`` and the
    ``retrain`` reference. ``subject``: what agreement is measured on ("boundary" for the 2D grid,
    "predictions" for a test set). ``forget_kind`` (paper_split's "class", "subclass" or "random") says where
    damage is judged (:data:`DAMAGE_ON`)."""
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
        if a - ao > DIRECTION_MARGIN:
            direction, direction_text = "toward", f"its {subject} moved toward the retrained one"
        elif a - ao < -DIRECTION_MARGIN:
            direction, direction_text = "away", f"its {subject} moved away from the retrained one"
        else:
            direction, direction_text = "same", f"its {subject} ended as close to the retrained one as the untouched model's"
        # "but" when the direction goes against what came before, "and" when it goes with it.
        good_so_far = forgetting in ("forgot", "kept") and not hurt
        joiner = "and" if good_so_far == (direction != "away") else "but"
        direction_text = f"{joiner} {direction_text} (agreement {a:.3f} vs {ao:.3f} untouched)"

    sentence = ", ".join(part for part in (forget_text, damage_text, direction_text) if part) + "."
    if stopped:
        sentence += " It diverged and was rolled back to its last finite step."
    return Verdict(forgetting, bool(hurt), direction, sentence)
