"""The "one odd point" lesson's scenario and views (registered into :mod:`explorer.lessons.steps`' tables).

The scenario is the lessons' small moons with one hand edit (explorer/config/edits.py): a point of class 0 added deep
inside class 1 by the "add an outlier" preset. Its id is the training set's last. The views compare the model
trained with it against the model retrained without it (same initial weights and recipe: the retrain reference),
count the grid cells the odd point bent (the *bend*: cells whose label the two models disagree on), and measure how
many of them JiT gives back. Every reveal states the numbers computed; nothing is chosen to make a claim true.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from explorer.engine.models import predict_proba
from explorer.figures import two_d as figures
from explorer.lessons import steps
from explorer.lessons.model import Outcome, Step
from explorer.views import two_d as V2
from toy_data import load_dataset
from explorer.config.edits import DataEdits
from explorer.config import edits as ops

ODD_LABEL, INSIDE = 0, 1  # a class-0 point deep inside class 1
MOST, SOME = 0.5, 0.1  # JiT gave back at least half of the bend: "most"; at least a tenth: "some"
NO_BEND = 0.002  # a bend under 0.2 % of the grid (the verdict's "moved at") is no bend
NEAR = 1.0  # the neighbourhood of the odd point, in the data's units (the moons are about 3 wide)


def odd_point_scenario():
    base = steps.scenario("moons")
    edits, _ = ops.add_outlier(DataEdits(), load_dataset(base.dataset), ODD_LABEL, INSIDE)
    return replace(base, dataset=replace(base.dataset, edits=edits))


def _odd(trained) -> list[int]:
    return [len(trained.data.x_train) - 1]  # the added point: after every generated one


def _bend(engine, sc, trained):
    """(the odd point's id, grid probabilities trained with it and retrained without it, the retrained model)."""
    ids = _odd(trained)
    model, _ = engine.retrain(sc, trained, ids)
    return ids[0], predict_proba(trained.model, trained.eval_inputs), predict_proba(model, trained.eval_inputs), model


def view_odd_data(step: Step, engine) -> Outcome:
    """The data with the odd point, over the model retrained without it (what the data said before the point)."""
    sc = steps.scenario(step.scenario)
    trained = engine.trained(sc)
    i, _, without, retrained = _bend(engine, sc, trained)
    d, g = trained.data, trained.grid
    fig = figures.editor_figure(d.x_train, d.y_train, g.xs, g.ys, without, d.n_classes, [i],
                                height=int(460 * engine.scale))
    p = predict_proba(retrained, d.x_train[[i]])[0]
    facts = [f"The odd point (id {i}, the cross) is class {ODD_LABEL} at ({d.x_train[i, 0]:.2f}, {d.x_train[i, 1]:.2f}), "
             f"deep inside class {INSIDE}: a model trained without it gives class {ODD_LABEL} there a probability of "
             f"{p[ODD_LABEL]:.2f}.", f"The training set has {len(d.x_train)} points: {len(d.x_train) - 1} generated and "
             "this one added by hand (the explorer's Edit data mode, preset “add an outlier”)."]
    return Outcome([("The data with one odd point, over a model trained without it", fig)], facts)


def view_train_with(step: Step, engine) -> Outcome:
    sc = steps.scenario(step.scenario)
    trained = engine.trained(sc)
    i, with_it, without, _ = _bend(engine, sc, trained)
    d, g = trained.data, trained.grid
    bend = float((with_it.argmax(1) != without.argmax(1)).mean())
    p = predict_proba(trained.model, d.x_train[[i]])[0]
    panels = [{"title": "trained without the odd point", "probs": without, "color": "#555", "dash": "dash"},
              {"title": "trained with it", "probs": with_it, "scores": {"boundary_change": bend}}]
    fig = figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, [i], [panels], original_probs=without,
                                  height_per_row=int(340 * engine.scale))
    learnt = int(p.argmax()) == ODD_LABEL
    near = np.sqrt(((g.points - d.x_train[i]) ** 2).sum(1)) <= NEAR
    bent = with_it.argmax(1) != without.argmax(1)
    facts = [f"Trained with it, the model gives the odd point class {int(p.argmax())} (probability of class {ODD_LABEL}: "
             f"{p[ODD_LABEL]:.2f}).", f"{steps._pct(bend)} of the grid changed label between the two models: the bend.",
             f"{steps._pct(float(near[bent].mean()) if bent.any() else 0.0)} of the bent cells lie within {NEAR:g} of the "
             f"odd point, a disc that holds {steps._pct(float(near.mean()))} of the grid; the others lie farther away "
             "(one point more changes the whole full-batch training run)."]
    answer = "ignore" if bend < NO_BEND else "fit" if learnt else "toward"
    why = (f"the model trained with the point calls it class {int(p.argmax())} and {steps._pct(bend)} of the grid changed "
           f"label (a bend counts from {steps._pct(NO_BEND)})")
    return Outcome([("Without and with the odd point (the odd point is the cross)", fig)], facts, answer, why,
                   {"bend": bend, "p_own_label": float(p[ODD_LABEL]),
                    "bend_near": float(near[bent].mean()) if bent.any() else 0.0})


def view_forget_retrain(step: Step, engine) -> Outcome:
    """Retraining without the odd point against a model trained on the data as generated: the same model?"""
    sc = steps.scenario(step.scenario)
    trained = engine.trained(sc)
    i, with_it, without, _ = _bend(engine, sc, trained)
    never = engine.trained(steps.scenario("moons"))  # trained on the unedited data, separately
    never_probs = predict_proba(never.model, trained.eval_inputs)
    agree = float((never_probs.argmax(1) == without.argmax(1)).mean())
    gap = float(np.abs(never_probs - without).max())
    bend_cells = with_it.argmax(1) != without.argmax(1)
    fig = _panels(trained, engine, [("trained with the odd point", with_it, "#555", "solid"),
                                      ("retrained without it", without, "#000", "dash"),
                                      ("never trained with it", never_probs, "#6a1b9a", "dot")], i)
    facts = [f"The retrained model and a model trained on the data as generated agree on {steps._pct(agree)} of the grid; "
             f"their class probabilities differ by at most {gap:.1e}.",
             f"Retraining gives back all {int(bend_cells.sum())} grid cells the odd point had bent "
             f"({steps._pct(float(bend_cells.mean()))} of the grid)."]
    answer = "same" if agree == 1.0 and gap < 1e-4 else "close" if agree >= 0.97 else "different"
    why = (f"the two models agree on {steps._pct(agree)} of the grid (probabilities within {gap:.1e}): same start, same "
           "recipe, same data, so the same model")
    return Outcome([("Retraining is forgetting by definition", fig)], facts, answer, why,
                   {"agreement": agree, "max_prob_gap": gap})


def view_forget_jit(step: Step, engine) -> Outcome:
    sc = steps.scenario(step.scenario)
    trained = engine.trained(sc)
    i, with_it, without, _ = _bend(engine, sc, trained)
    out = V2.run(sc, trained, [i], retrain=engine.retrain(sc, trained, [i]), progress=engine.progress)
    after = out.main.final_probe(V2.GRID)
    bend = with_it.argmax(1) != without.argmax(1)
    back = float((after.argmax(1)[bend] == without.argmax(1)[bend]).mean()) if bend.any() else 0.0
    jit, ret = out.main.final_metrics, out.references["retrain"]
    facts = [f"The bend: {int(bend.sum())} grid cells ({steps._pct(float(bend.mean()))}). JiT gave back "
             f"{steps._pct(back)} of them to the label the model without the odd point gives.",
             f"Accuracy on the odd point (its label, class {ODD_LABEL}): retrained {ret['forget_acc']:.2f}, JiT "
             f"{jit['forget_acc']:.2f}; test "
             f"accuracy: retrained {steps._pct(ret['test_acc'])}, JiT {steps._pct(jit['test_acc'])}.",
             out.verdict().sentence]
    if bend.mean() < NO_BEND:
        answer, why = "little", f"the odd point hardly bent the boundary ({steps._pct(float(bend.mean()))}): nothing to give back"
    else:
        answer = "most" if back >= MOST else "some" if back >= SOME else "little"
        why = (f"JiT gave back {steps._pct(back)} of the {int(bend.sum())} bent grid cells (most: from "
               f"{steps._pct(MOST)}, some: from {steps._pct(SOME)}); retraining gives back all of them")
    return Outcome([("Original (with the odd point), JiT and retrained side by side", V2.side_by_side(out))], facts,
                   answer, why, {"bend": float(bend.mean()), "given_back": back, "test_acc": float(jit["test_acc"]),
                                 "retrain_test_acc": float(ret["test_acc"])})


def _panels(trained, engine, rows, odd: int):
    d, g = trained.data, trained.grid
    panels = [{"title": t, "probs": p, "color": c, "dash": dash} for t, p, c, dash in rows]
    return figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, [odd], [panels],
                                   original_probs=rows[0][1], height_per_row=int(330 * engine.scale))


steps.SCENARIOS["odd_point"] = odd_point_scenario
steps.FORGET_SETS["odd"] = _odd
steps.FORGET_NAMES["odd"] = "the odd point"
steps.VIEWS.update({"odd_data": view_odd_data, "train_with": view_train_with, "forget_retrain": view_forget_retrain,
                    "forget_jit": view_forget_jit})
