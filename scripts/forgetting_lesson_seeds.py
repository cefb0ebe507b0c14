"""The forgetting lesson's reveals over training seeds: retraining without the deep point A and without the boundary
point B (the lesson's small moons; A and B picked on training seed 0, as the lesson does), each seed's change of
the grid against its own original, the paired difference B − A judged by the verdict's rule
(explorer/measures/verdict.py), beside the disagreement of two retrained models of different seeds; and the
lesson's third step (JiT forgets B) judged over the same seeds.

    python scripts/forgetting_lesson_seeds.py [--seeds 8]
"""
import argparse
from dataclasses import replace

import torch

from explorer import pipeline
from explorer.lessons import steps
from explorer.measures.verdict import judge_movement


WORDS = {"toward": "B changes more, beyond noise", "away": "A changes more, beyond noise",
         "within_noise": "within training noise", "cannot_tell": "one seed cannot tell"}


def interval(movement) -> str:
    """The verdict's rule on the paired differences, in this comparison's words."""
    low, high = movement.ci95 if movement.ci95 else (float("nan"), float("nan"))
    return f"mean {movement.mean:+.4f}, 95 % interval {low:+.4f} to {high:+.4f}: {WORDS[movement.judged]}"


def main(seeds: int) -> None:
    torch.set_num_threads(1)
    base = steps.scenario("moons")
    trained = pipeline.train_original(base)
    ids = {word: steps.FORGET_SETS[word](trained) for word in ("deep", "boundary")}
    outcomes = {word: pipeline.run(replace(base, seeds=seeds), forget_ids=i) for word, i in ids.items()}
    changes = {}
    for word, outcome in outcomes.items():
        report = outcome.report()
        values = report["models"]["retrain"]["spread"]["boundary_change"]["values"]
        changes[word] = values
        floor = report["noise_floor"]["retrain_agreement"]
        print(f"without {word} point {ids[word]}: grid change per seed " + ", ".join(f"{100 * v:.1f} %" for v in values)
              + f" (mean {100 * sum(values) / len(values):.1f} %); retrained models of two seeds agree on "
              f"{floor['mean']:.3f} ({floor['min']:.3f}-{floor['max']:.3f}, {floor['pairs']} pairs)")
    print("B's change minus A's, paired by seed: " + interval(judge_movement(
        [b - a for a, b in zip(changes["deep"], changes["boundary"])])))
    verdict = outcomes["boundary"].report()["verdict"]
    print("JiT forgetting B: " + verdict)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    main(parser.parse_args().seeds)
