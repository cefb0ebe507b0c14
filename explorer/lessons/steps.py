"""Each lesson step's view, computed by the real engine (no Streamlit): each lesson is a few steps of text, a preloaded scenario and forget
set, the one view the step needs, and optionally a question the learner answers before the engine runs.

A step's view is computed by the real engine (:func:`compute`): it returns its figures, the facts it
measured (sentences with the numbers) and, for a question, which choice the numbers make right and why.
Nothing here is tuned to make a claim come true: the reveal states what was computed, including when JiT
does not do what the paper's figures suggest.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from explorer import pipeline
from explorer.config import selection
from explorer.config.audit import AuditConfig
from explorer.config.scenario import ForgetSpec, Scenario
from explorer.engine.models import predict_proba
from explorer.figures import one_d as figures_1d
from explorer.figures import two_d as figures
from explorer.figures.sweep import sweep_figure
from explorer.lessons.model import Outcome, Step
from explorer.measures.metrics import METRICS
from explorer.measures.verdict import guard_label
from explorer.scenarios import default_scenario
from explorer.studies.sweep import sweep_jit
from explorer.views import one_d as V1
from explorer.views import privacy as VP
from explorer.views import two_d as V2

# ----------------------------------------------------------------------------------------------
# scenarios: small and fast (a lesson step should take seconds), one per key

def _moons() -> Scenario:
    base = default_scenario("moons", samples=160)
    return replace(base, train=replace(base.train, epochs=300), configs={"jit": {"passes": 10}})


def _moons_random() -> Scenario:
    return replace(_moons(), forget=ForgetSpec(random_fraction=0.1))


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "moons": _moons,
    "moons_random": _moons_random,
    "two_blobs": lambda: V2.figure2_scenario(),
    "line": lambda: V1.figure3_scenario(),
    "line_grad": lambda: V1.figure3_scenario(detach_perturbed=False),
}


def scenario(key: str) -> Scenario:
    return SCENARIOS[key]()


# ----------------------------------------------------------------------------------------------
# the engine the views use: the pages pass the shared model cache; tests and scripts use a local one

@dataclass
class Engine:
    trained_for: Callable  # (scenario, progress) -> Trained
    retrain_for: Callable  # (scenario, trained, ids, progress) -> (model, seconds)
    progress: Callable | None = None  # (label, fraction)
    scale: float = 1.0  # marker and text size (classroom mode enlarges)

    def trained(self, sc: Scenario):
        return self.trained_for(sc, self.progress)

    def retrain(self, sc: Scenario, trained, ids):
        return self.retrain_for(sc, trained, ids, self.progress)


def local_engine(scale: float = 1.0) -> Engine:
    """An engine with its own in-memory cache (no Streamlit)."""
    store: dict = {}

    def trained_for(sc, progress=None):
        key = ("t", json.dumps(sc.to_dict(), sort_keys=True, default=str))
        if key not in store:
            store[key] = pipeline.train_original(sc, progress)
        return store[key]

    def retrain_for(sc, trained, ids, progress=None):
        key = ("r", json.dumps(sc.to_dict(), sort_keys=True, default=str), tuple(sorted(ids)))
        if key not in store:
            model, _, seconds = pipeline.retrain_reference(sc, trained, list(ids), progress)
            store[key] = (model, seconds)
        return store[key]
    return Engine(trained_for, retrain_for, scale=scale)


def forget_ids(step: Step, trained) -> dict[str, list[int]]:
    """Each forget word of the step -> its training ids (the order of ``step.forget``)."""
    d = trained.data
    out = {}
    for word in step.forget:
        if word in d.named_points:
            out[word] = [d.named_points[word]]
        elif word in FORGET_SETS:
            out[word] = FORGET_SETS[word](trained)
        else:
            raise ValueError(f"step {step.title!r}: {word!r} is neither a forget set nor a named point of {d.name}")
    return out


def _train_probs(trained):
    return predict_proba(trained.model, trained.data.x_train, trained.device)


FORGET_SETS: dict[str, Callable] = {
    # A = a point deep inside its class, B = the point closest to the boundary (the main page's presets)
    "deep": lambda t: selection.deep_point(t.data, _train_probs(t)),
    "boundary": lambda t: selection.boundary_point(t.data, _train_probs(t)),
    "random": lambda t: pipeline.resolve_forget(_moons_random(), t.data),
}
FORGET_NAMES = {"deep": "A (deep inside its class)", "boundary": "B (on the boundary)", "random": "a random 10 %",
                "high_information_target": "the high-information target", "low_information_target":
                "the low-information target"}


# ----------------------------------------------------------------------------------------------
# views: (step, engine) -> Outcome, each computed by the engine

def _pct(v: float) -> str:
    return f"{100 * v:.1f} %"


def view_data2d(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    sets = forget_ids(step, trained)
    d, g = trained.data, trained.grid
    ids = sorted({i for v in sets.values() for i in v})
    fig = figures.editor_figure(d.x_train, d.y_train, g.xs, g.ys, predict_proba(trained.model, g.points), d.n_classes,
                                ids, height=int(460 * engine.scale))
    facts = [f"{FORGET_NAMES.get(k, k)}: training point {v[0]} at ({d.x_train[v[0], 0]:.2f}, {d.x_train[v[0], 1]:.2f}), "
             f"class {int(d.y_train[v[0]])}" if len(v) == 1 else f"{FORGET_NAMES.get(k, k)}: {len(v)} training points"
             for k, v in sets.items()]
    acc = float((predict_proba(trained.model, d.x_test).argmax(1) == d.y_test).mean())
    facts.append(f"The original model's test accuracy: {_pct(acc)}; crosses mark the points this lesson forgets.")
    return Outcome([("The training data, the original model's regions and boundary", fig)], facts)


def _retrain_change(sc, engine, trained, ids) -> tuple[float, np.ndarray]:
    """Share of the grid whose label the model retrained without ``ids`` changes, and its grid probabilities."""
    model, _ = engine.retrain(sc, trained, ids)
    before = predict_proba(trained.model, trained.eval_inputs).argmax(1)
    probs = predict_proba(model, trained.eval_inputs)
    return float((probs.argmax(1) != before).mean()), probs


def view_retrain_pair(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    sets = forget_ids(step, trained)
    d, g = trained.data, trained.grid
    original = predict_proba(trained.model, g.points)
    panels, numbers = [{"title": "original", "probs": original, "color": "#555"}], {}
    for word, ids in sets.items():
        change, probs = _retrain_change(sc, engine, trained, ids)
        numbers[word] = change
        panels.append({"title": f"retrained without {FORGET_NAMES.get(word, word).split(' (')[0]}", "probs": probs,
                       "scores": {"boundary_change": change}, "dash": "dash", "color": "#000"})
    fig = figures.small_multiples(d.x_train, d.y_train, g.xs, g.ys, d.n_classes, [i for v in sets.values() for i in v],
                                  [panels], original_probs=original, height_per_row=int(340 * engine.scale))
    a, b = numbers.get("deep", 0.0), numbers.get("boundary", 0.0)
    facts = [f"Retraining without {FORGET_NAMES[w]} changes the label of {_pct(v)} of the grid." for w, v in numbers.items()]
    if max(a, b) < 0.005:
        answer, why = "neither", f"both retrained models change under 0.5 % of the grid ({_pct(a)} and {_pct(b)})"
    else:
        answer = "boundary" if b > a else "deep"
        why = f"without B the grid changes by {_pct(b)}, without A by {_pct(a)}"
    return Outcome([("Original and the two retrained models (dashed: the retrained boundary)", fig)], facts, answer,
                   why, numbers)


def view_run2d(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    out = V2.run(sc, trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)
    fig = V2.side_by_side(out)
    jit, orig, ret = out.main.final_metrics, out.references["original"], out.references["retrain"]
    a_jit, a_orig = jit["agreement_with_retrain"], orig["agreement_with_retrain"]
    name = out.label()  # "JiT with step guard 0.05": the explorer's guard, named
    facts = [f"Agreement with the retrained model's labels over the grid: original {_pct(a_orig)}, {name} {_pct(a_jit)}.",
             f"Test accuracy: original {_pct(orig['test_acc'])}, retrained {_pct(ret['test_acc'])}, "
             f"{name} {_pct(jit['test_acc'])}.",
             f"Forget accuracy: original {_pct(orig['forget_acc'])}, retrained {_pct(ret['forget_acc'])}, "
             f"{name} {_pct(jit['forget_acc'])}.", out.verdict().sentence]
    answer = "closer" if a_jit > a_orig else "not_closer"
    why = (f"{name}'s boundary agrees with the retrained one on {_pct(a_jit)} of the grid, the untouched original on "
           f"{_pct(a_orig)}")
    return Outcome([(f"Original, {name} and retrained side by side", fig)], facts, answer, why,
                   {"agreement_jit": a_jit, "agreement_original": a_orig})


def view_figure2(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    outcomes: dict = {}
    fig = V2.figure2(trained, sc, retrain_for=lambda ids: engine.retrain(sc, trained, ids), outcomes=outcomes)
    numbers = {w: out.references["retrain"]["boundary_change"] for w, out in outcomes.items()}
    facts = []
    for w, out in outcomes.items():
        parts = [f"retraining changes {_pct(numbers[w])} of the grid"]
        parts += [f"{out.label(n)} {_pct(r.final_metrics['boundary_change'])}" for n, r in out.results.items()]
        facts.append(f"Forgetting {FORGET_NAMES[w]}: " + ", ".join(parts) + ".")
    hi, lo = numbers["high_information_target"], numbers["low_information_target"]
    answer = "high" if hi > lo else "low" if lo > hi else "same"
    why = f"retraining without the high-information target changes {_pct(hi)} of the grid, without the low-information one {_pct(lo)}"
    return Outcome([("The paper's Figure 2: retrained, JiT and greedy mislabelling for each target", fig)], facts,
                   answer, why, numbers)


def view_alpha(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    alpha = V2.alpha_scores(trained)
    fig = V2.information(trained, sc, None, True, False)
    facts = [f"α(x) of {FORGET_NAMES[w]}: {alpha[ids[0]]:.2f}" for w, ids in forget_ids(step, trained).items()]
    facts.append("α(x) is the share of a point's neighbours that share its label: low α = the point disagrees with its "
                 "neighbourhood, so the model had to bend for it = high information.")
    return Outcome([("α(x) per training point (big and dark = high information)", fig)], facts)


def view_line(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    w = [p.detach().cpu().numpy() for p in trained.model.parameters()]
    slope, bias = float(w[0][1, 0] - w[0][0, 0]), float(w[1][1] - w[1][0])
    f = dict(zip(V1.FIGURE3_X, V1.probs_at(trained.model, np.array(V1.FIGURE3_X), trained)))
    facts = [f"The trained model is exactly a sigmoid: P(class 1 | x) = sigmoid({slope:.2f}·x {bias:+.2f}).",
             "Its value at x = −4, −2, 0, 2, 4: " + ", ".join(f"{f[x]:.3f}" for x in (-4.0, -2.0, 0.0, 2.0, 4.0)) + "."]
    return Outcome([("The line data (at y = its label) and the model's curve", V1.data_figure(trained, scale=engine.scale))],
                   facts, numbers={"slope": slope, "bias": bias})


def _figure3(step: Step, engine: Engine, positions) -> tuple[V1.Figure3, Any]:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    result = V1.figure3(sc, trained, positions, retrain_for=lambda ids: engine.retrain(sc, trained, ids),
                        progress=engine.progress)
    return result, V1.figure3_figure(result, scale=engine.scale)


GROUPS = {"tails": (-4.0, 4.0), "slopes": (-2.0, 2.0), "middle": (0.0,)}


def _groups(result: V1.Figure3) -> dict[str, float]:
    return {g: float(np.mean([result.abs_change(x) for x in xs])) for g, xs in GROUPS.items()}


def _toward_half(result: V1.Figure3, x: float) -> str:
    b, a = result.before[result.forget_x.index(x)], result.after[result.forget_x.index(x)]
    return "toward 0.5" if abs(a - 0.5) < abs(b - 0.5) else "away from 0.5"


def view_figure3(step: Step, engine: Engine, positions=V1.FIGURE3_X) -> Outcome:
    result, fig = _figure3(step, engine, positions)
    g = _groups(result)
    facts = [f"Setting: {result.setting}; one JiT run per red point."]
    facts += [f"x = {x:g}: f {result.before[k]:.3f} → {result.after[k]:.3f} (|Δf| {abs(result.after[k] - result.before[k]):.3f}, "
              f"{_toward_half(result, x)}; the retrained model: {result.retrain[k]:.3f})"
              for k, x in enumerate(result.forget_x) if x in (-4.0, -2.0, 0.0, 2.0, 4.0)]
    answer = max(g, key=g.get)
    why = (f"mean |Δf| at the tails (x = ±4) {g['tails']:.3f}, at x = ±2 {g['slopes']:.3f}, at x = 0 {g['middle']:.3f}")
    return Outcome([("Figure 3, run by the engine: red = before, grey = after JiT, black = each point's new value", fig)],
                   facts, answer, why, {f"abs_change_{x:g}": result.abs_change(x) for x in result.forget_x})


def view_figure3_grad(step: Step, engine: Engine) -> Outcome:
    out = view_figure3(step, engine, positions=(-4.0, -2.0, 0.0, 2.0, 4.0))
    out.figures[0] = ("The same runs with the gradient through the perturbed outputs too", out.figures[0][1])
    out.answer = None
    return out


def view_perturb(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    cfg = pipeline.method_config(sc, "jit")
    x0 = 1.0
    fig = V1.perturbations(trained, x0, cfg.sigma, cfg.perturbations, seed=sc.seed)
    f0 = V1.probs_at(trained.model, np.array([x0]), trained)[0]
    slope = V1.probs_at(trained.model, np.array([x0 + 1e-3]), trained)[0] - f0
    facts = [f"At x = {x0:g} the model says {f0:.3f}; JiT draws N = {cfg.perturbations} copies x + σε with σ = {cfg.sigma:g}.",
             f"The ratio |f(x) − f(x̃)| / |x − x̃| it averages is close to the curve's slope there, {slope / 1e-3:.3f} per unit x.",
             f"JiT then takes {cfg.passes} SGD steps of size η = {cfg.eta:g} that lower that ratio at the forget point"
             + (f"; the explorer's step guard (its own, not the paper's) shortens any step that would move an output "
                f"there by more than {cfg.max_step_change:g}." if cfg.max_step_change else ".")]
    return Outcome([("What JiT measures at one forget point", fig)], facts)


def _without_guard(sc: Scenario) -> Scenario:
    return replace(sc, configs={**sc.configs, "jit": {**sc.configs.get("jit", {}), "max_step_change": 0.0}})


def view_jit_run(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    out = V2.run(sc, trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)
    plain = V2.run(_without_guard(sc), trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)
    pts = out.main.trajectory.points
    losses = [p.loss for p in pts if p.loss is not None]
    change = [p.metrics["boundary_change"] for p in pts]
    plain_change = plain.main.trajectory.metric("boundary_change")
    facts = [f"JiT's loss (the local Lipschitz ratio at the point): {losses[0]:.3f} at the first step, "
             f"{losses[-1]:.3f} at the last." if losses else "No loss was recorded.",
             f"{out.label()} (the explorer's default): share of the grid whose label changed, "
             + ", ".join(f"step {p.step}: {_pct(c)}" for p, c in list(zip(pts, change))[:: max(1, len(pts) // 5)])
             + ".",
             f"Without the step guard (plain JiT steps, as in the paper): {_pct(plain_change[1])} after the first step, "
             f"{_pct(plain_change[-1])} at the last; test accuracy {_pct(plain.main.final_metrics['test_acc'])} "
             f"(with the guard {_pct(out.main.final_metrics['test_acc'])}).",
             f"Retraining changes {_pct(out.references['retrain']['boundary_change'])} of the grid.",
             out.verdict().sentence, plain.verdict().sentence]
    height = int(640 * engine.scale)
    return Outcome([(f"{out.label()}, step by step (press Play)", V2.animation(out, height=height))], facts,
                   more=[("The same run without the explorer's step guard (plain JiT steps)",
                          V2.animation(plain, height=height))],
                   numbers={"first_step_change_plain": float(plain_change[1]),
                            "first_step_change": float(change[1]) if len(change) > 1 else 0.0,
                            "last_step_change_plain": float(plain_change[-1]), "last_step_change": float(change[-1]),
                            "test_acc_plain": float(plain.main.final_metrics["test_acc"]),
                            "test_acc": float(out.main.final_metrics["test_acc"])})


def view_sweep(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    retrain, _ = engine.retrain(sc, trained, ids)
    sigmas, etas = [0.05, 0.2, 0.8], [0.002, 0.02, 0.2]
    guard = pipeline.method_config(sc, "jit").max_step_change
    runs = {g: sweep_jit(sc, trained, ids, sigmas, etas, workers=1, backend="serial", retrain=retrain,
                         max_step_change=g) for g in (0.0, guard)}
    original = float((predict_proba(trained.model, trained.data.x_test).argmax(1) == trained.data.y_test).mean())
    worst = {g: (float(np.nanmin(r.metrics["test_acc"][0])), float(np.nanmin(r.metrics["test_acc"][-1])))
             for g, r in runs.items()}
    named = {g: guard_label(r.max_step_change) for g, r in runs.items()}
    figs = [(f"σ × η sweep on the boundary point: {named[g]}",
             sweep_figure(r, metrics=("test_acc", "forget_acc"), title=f"{named[g]} over σ × η",
                          height=int(340 * engine.scale))) for g, r in runs.items()]
    facts = [f"The original model's test accuracy: {_pct(original)}."]
    facts += [f"{named[g]}: lowest test accuracy over σ at η = {etas[0]:g}: {_pct(small)}; at η = {etas[-1]:g}: "
              f"{_pct(large)}." for g, (small, large) in worst.items()]
    plain, guarded = worst[0.0][1], worst[guard][1]
    answer = "collapses" if plain < original - 0.05 else "holds"
    why = (f"without the step guard the worst cell at η = {etas[-1]:g} keeps {_pct(plain)} test accuracy against the "
           f"original's {_pct(original)}; with the explorer's step guard {guard:g} (not the paper's) it keeps "
           f"{_pct(guarded)}")
    return Outcome(figs, facts, answer, why, {"test_small_eta": worst[0.0][0], "test_large_eta": plain,
                                              "test_large_eta_guarded": guarded, "original": original})


def _mia_run(step: Step, engine: Engine):
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    return V2.run(sc, trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)


def _bars(out, metric: str, engine: Engine):
    values = {"original": out.references["original"][metric], "retrained": out.references["retrain"][metric],
              "JiT": out.main.final_metrics[metric]}
    return figures_1d.bars_figure(["original", "retrained", out.label()], list(values.values()), METRICS[metric].label,
                                  "model", height=int(320 * engine.scale), scale=engine.scale), values


def view_forget_acc(step: Step, engine: Engine) -> Outcome:
    out = _mia_run(step, engine)
    fig, v = _bars(out, "forget_acc", engine)
    ret = out.references["retrain"]
    f, t = ret["forget_acc"], ret["test_acc"]
    answer = "zero" if f < 0.25 else "test" if f <= t + 0.03 else "train"
    facts = [f"Forget accuracy on the {len(out.forget_ids)} forgotten points: original {_pct(v['original'])}, "
             f"retrained {_pct(v['retrained'])}, {out.label()} {_pct(v['JiT'])}.",
             f"The retrained model's test accuracy: {_pct(t)}."]
    why = f"the retrained model gets {_pct(f)} of the forgotten points right and {_pct(t)} of the test set"
    return Outcome([("Accuracy on the forgotten points", fig)], facts, answer, why,
                   {"retrain_forget": f, "retrain_test": t, "original_forget": v["original"], "jit_forget": v["JiT"]})


def view_mia(step: Step, engine: Engine) -> Outcome:
    out = _mia_run(step, engine)
    fig, v = _bars(out, "mia", engine)
    facts = [f"Share of the forgotten points the attack calls members: original {_pct(v['original'])}, retrained "
             f"{_pct(v['retrained'])}, {out.label()} {_pct(v['JiT'])}.", out.verdict().sentence]
    answer = "down" if v["JiT"] < v["original"] - 1e-9 else "same"
    why = f"the attack's member share goes from {_pct(v['original'])} (original) to {_pct(v['JiT'])} (JiT); retrained: {_pct(v['retrained'])}"
    return Outcome([("The membership attack before and after", fig)], facts, answer, why, v)


LESSON_REFERENCES = 16  # reference models of the per-point step: seconds on the lesson's small moons


def view_audit(step: Step, engine: Engine) -> Outcome:
    """The per-point attack: U-LiRA on every training point under the original, JiT and the retrained model; the
    answer from a paired test of the forgotten points' scores under JiT against the retrained model."""
    out = _mia_run(step, engine)
    a = VP.audit(out, AuditConfig(references=LESSON_REFERENCES), engine.progress, backend="serial")
    test = VP.paired_forget_test(a, "ulira", out.method, "retrain")
    answer = "yes" if test["p"] < 0.05 else "no"
    why = (f"the {test['n']} forgotten points' mean U-LiRA score is {test['mean']:.2f} under JiT and "
           f"{test['other_mean']:.2f} under the retrained model (Wilcoxon signed-rank, one-sided: p = {test['p']:.2g}; "
           "“yes” needs p < 0.05)")
    members = a.summary("original", "lira")["members"]
    facts = [VP.headline(a, "ulira"), VP.headline(a, "lira"),
             f"How well LiRA tells the original's training points from its test points: AUC {members['auc']:.2f} "
             f"(0.5 = a coin flip) over {members['n_positives']} training and {members['n_negatives']} test points.",
             a.sentences()[-1]]
    return Outcome([("U-LiRA per training point: original | JiT | retrained (drag the attacker's threshold)",
                     VP.exposure_map(a, "ulira", height=int(540 * engine.scale))),
                    ("The attack's ROC per model", VP.roc(a, "ulira", height=int(400 * engine.scale)))],
                   facts, answer, why, {"jit_mean": test["mean"], "retrain_mean": test["other_mean"], "p": test["p"]})


def view_text(step: Step, engine: Engine) -> Outcome:
    return Outcome()


VIEWS: dict[str, Callable[[Step, Engine], Outcome]] = {
    "text": view_text, "data2d": view_data2d, "retrain_pair": view_retrain_pair, "run2d": view_run2d,
    "figure2": view_figure2, "alpha": view_alpha, "line": view_line, "figure3": view_figure3,
    "figure3_grad": view_figure3_grad, "perturb": view_perturb, "jit_run": view_jit_run, "sweep": view_sweep,
    "forget_acc": view_forget_acc, "mia": view_mia, "audit": view_audit,
}


def compute(step: Step, engine: Engine) -> Outcome:
    return VIEWS[step.view](step, engine)


