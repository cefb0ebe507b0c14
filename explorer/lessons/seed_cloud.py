"""The "two retrainings" step (registered into :mod:`explorer.lessons.steps`' tables): do two models retrained on
the same data without the same point, differing only in their training seed (initial weights, batch order), draw
the same boundary?

The view runs the lessons' moons with :data:`SEEDS` training seeds (explorer/seeds.py) forgetting point B, and
answers from the engine's numbers: the share of the grid on which seed 0's and seed 1's retrained models disagree
(the answer), every pair's disagreement (the noise floor), and how much forgetting B changed seed 0's model, to
compare with. The reveal shows the cloud: every seed's retrained boundary, JiT's, and the originals.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from explorer.lessons import steps
from explorer.lessons.model import Outcome, Step
from explorer.measures.spread import pairwise_agreement
from explorer.views import two_d as V2

SEEDS = 8
SAME = 0.002  # under 0.2 % of the grid (the verdict's "moved" threshold) the two boundaries are the same
FAR = 0.10  # from a tenth of the grid on, the two retrained models are far apart


def moons_seeds():
    return replace(steps.scenario("moons"), seeds=SEEDS)


def view_two_retrainings(step: Step, engine) -> Outcome:
    base = steps.scenario("moons")  # seed 0's original and retrain reference: shared with the lesson's other steps
    trained = engine.trained(base)
    ids = next(iter(steps.forget_ids(step, trained).values()))
    out = V2.run(replace(base, seeds=SEEDS), trained, ids, retrain=engine.retrain(base, trained, ids),
                 progress=engine.progress)
    labels = np.stack([run.evaluator.retrain_labels for run in out.seed_runs])
    pair = float((labels[0] != labels[1]).mean())
    floor = pairwise_agreement(labels)
    moved = 1.0 - float(out.references["original"]["agreement_with_retrain"])  # forgetting B, seed 0
    pct = steps._pct
    facts = [f"The two retrained models (training seeds {base.train.seed} and {base.train.seed + 1}, the same data "
             f"without B) label {pct(pair)} of the grid differently.",
             f"Over all {floor['pairs']} pairs of the {SEEDS} retrained models: {pct(1 - floor['mean'])} on average, "
             f"{pct(1 - floor['max'])} to {pct(1 - floor['min'])}.",
             f"Forgetting B by retraining changed the label of {pct(moved)} of the grid (seed {base.train.seed}): a "
             f"change is only a finding where it is larger than the retrained models' own disagreement."]
    answer = "same" if pair < SAME else "close" if pair < FAR else "far"
    why = f"the two retrained models disagree on {pct(pair)} of the grid (all {floor['pairs']} pairs: " \
          f"{pct(1 - floor['mean'])} on average)"
    caption = (f"The cloud: each of the {SEEDS} seeds' retrained boundary (dashed), {out.label()}'s (solid, press "
               "Play), the originals (faint); points coloured by KLoM")
    return Outcome([(caption, V2.animation(out, height=int(620 * engine.scale)))], facts, answer, why,
                   {"pair_disagreement": pair, "mean_disagreement": 1 - floor["mean"], "forget_change": moved})


steps.SCENARIOS["moons_seeds"] = moons_seeds
steps.VIEWS["two_retrainings"] = view_two_retrainings
