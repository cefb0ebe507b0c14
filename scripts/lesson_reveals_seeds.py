"""The `jit`, `privacy` and `oddpoint` lessons' reveals over training seeds: each step's numbers recomputed by the
lessons' own views (explorer/lessons/steps.py, odd_point.py) with the lessons' scenario at training seed
``train.seed + k`` and method seed ``seed + k`` (JiT's perturbations), on the same data and forget sets (B picked
on seed 0, as the lesson does; the random 10 % and the odd point are the same points on every seed). Prints each
seed's value, the mean and range, and for a comparison (guarded vs plain JiT, JiT vs retrained) the paired
difference with its 95 % t-interval, judged by the verdict's rule (explorer/measures/verdict.py).

    python scripts/lesson_reveals_seeds.py [--seeds 5]
"""
import argparse
import time
from dataclasses import replace

import torch

from explorer import lessons
from explorer.lessons import steps
from explorer.measures.verdict import judge_movement

# (lesson, view) -> the step's numbers to report, each with its words (percent or a plain number)
REPORTED = {
    ("jit", "jit_run"): {"first_step_change": "guarded JiT: grid change after the first step",
                         "last_step_change": "guarded JiT: grid change after the last step",
                         "first_step_change_plain": "plain JiT: grid change after the first step",
                         "last_step_change_plain": "plain JiT: grid change after the last step",
                         "test_acc": "guarded JiT: test accuracy", "test_acc_plain": "plain JiT: test accuracy"},
    ("jit", "sweep"): {"original": "original: test accuracy",
                       "test_large_eta_guarded": "guarded JiT: worst test accuracy over sigma at eta 0.2",
                       "test_large_eta": "plain JiT: worst test accuracy over sigma at eta 0.2"},
    ("privacy", "forget_acc"): {"retrain_forget": "retrained: accuracy on the random 10 %",
                                "retrain_test": "retrained: test accuracy"},
    ("privacy", "mia"): {"original": "original: share of forgotten points called members",
                         "retrained": "retrained: share called members", "JiT": "guarded JiT: share called members"},
    ("privacy", "audit"): {"jit_mean": "U-LiRA mean over forgotten points, JiT",
                           "retrain_mean": "U-LiRA mean over forgotten points, retrained", "p": "Wilcoxon p (JiT > retrained)"},
    ("oddpoint", "train_with"): {"bend": "bend: grid share the odd point changes", "bend_near": "bent cells within 1.0",
                                 "p_own_label": "trained with it: probability of its label"},
    ("oddpoint", "forget_jit"): {"given_back": "JiT gives back (share of the bend)", "test_acc": "JiT: test accuracy",
                                 "retrain_test_acc": "retrained: test accuracy"},
}
# the comparisons: (label, first number, second number); the paired difference is first − second
PAIRED = [
    ("plain − guarded, first-step change", ("jit", "jit_run", "first_step_change_plain"), ("jit", "jit_run", "first_step_change")),
    ("plain − guarded, last-step change", ("jit", "jit_run", "last_step_change_plain"), ("jit", "jit_run", "last_step_change")),
    ("plain − guarded, test accuracy", ("jit", "jit_run", "test_acc_plain"), ("jit", "jit_run", "test_acc")),
    ("plain − guarded, worst cell at eta 0.2", ("jit", "sweep", "test_large_eta"), ("jit", "sweep", "test_large_eta_guarded")),
    ("JiT − retrained, members called", ("privacy", "mia", "JiT"), ("privacy", "mia", "retrained")),
    ("JiT − retrained, U-LiRA mean", ("privacy", "audit", "jit_mean"), ("privacy", "audit", "retrain_mean")),
    ("JiT − retrained, odd point's test accuracy", ("oddpoint", "forget_jit", "test_acc"),
     ("oddpoint", "forget_jit", "retrain_test_acc")),
]
NOT_PERCENT = {"p", "jit_mean", "retrain_mean", "p_own_label"}
WORDS = {"toward": "first larger, beyond noise", "away": "first smaller, beyond noise",
         "within_noise": "within training noise", "cannot_tell": "one seed cannot tell"}


def seeded(make, k: int):
    """The lessons' scenario with training seed + k and method seed + k, the data untouched."""
    def scenario():
        sc = make()
        return replace(sc, train=replace(sc.train, seed=sc.train.seed + k), seed=sc.seed + k)
    return scenario


def step_of(lesson: str, view: str):
    return next(s for s in lessons.LESSONS[lesson].steps if s.view == view)


def summary(values: list[float], percent: bool = True) -> str:
    """Each seed's value, the mean and the range."""
    scale, unit, form = (100, " %", "{:.1f}") if percent else (1, "", "{:.3g}")
    show = [form.format(scale * v) + unit for v in values]
    mean, low, high = (form.format(scale * v) + unit for v in (sum(values) / len(values), min(values), max(values)))
    return f"{', '.join(show)}; mean {mean} (range {low} to {high})"


def paired(first: list[float], second: list[float]) -> str:
    """The verdict's rule on the per-seed differences first − second."""
    movement = judge_movement([a - b for a, b in zip(first, second)])
    low, high = movement.ci95 if movement.ci95 else (float("nan"), float("nan"))
    return (f"per seed {', '.join(f'{d:+.3f}' for d in movement.differences)}; mean {movement.mean:+.3f}, "
            f"95 % interval {low:+.3f} to {high:+.3f}: {WORDS[movement.judged]}")


def run_seed(k: int, boundary: list[int]) -> dict:
    """Every reported number of seed k, from the lessons' views on a fresh engine."""
    originals = {key: steps.SCENARIOS[key] for key in ("moons", "moons_random")}
    saved_boundary = steps.FORGET_SETS["boundary"]
    try:
        steps.SCENARIOS.update({key: seeded(make, k) for key, make in originals.items()})
        steps.FORGET_SETS["boundary"] = lambda trained: list(boundary)
        engine = steps.local_engine()
        return {(lesson, view, name): steps.compute(step_of(lesson, view), engine).numbers[name]
                for (lesson, view), names in REPORTED.items() for name in names}
    finally:
        steps.SCENARIOS.update(originals)
        steps.FORGET_SETS["boundary"] = saved_boundary


def main(seeds: int) -> None:
    torch.set_num_threads(1)
    start = time.process_time()
    boundary = steps.FORGET_SETS["boundary"](steps.local_engine().trained(steps.scenario("moons")))
    runs = []
    for k in range(seeds):
        runs.append(run_seed(k, boundary))
        print(f"seed {k} done, {time.process_time() - start:.0f} CPU-s", flush=True)
    print(f"{seeds} training seeds, B = training point {boundary} (seed 0's)")
    for (lesson, view), names in REPORTED.items():
        for name, words in names.items():
            print(f"{lesson}/{view} {words}: " + summary([r[lesson, view, name] for r in runs], name not in NOT_PERCENT))
    for label, first, second in PAIRED:
        print(f"{label}: " + paired([r[first] for r in runs], [r[second] for r in runs]))
    print(f"{time.process_time() - start:.0f} CPU-s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    main(parser.parse_args().seeds)
