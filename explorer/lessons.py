"""Guided lessons as data (no Streamlit): each lesson is a few steps of text, a preloaded scenario and forget
set, the one view the step needs, and optionally a question the learner answers before the engine runs.

A step's view is computed by the real engine (:func:`compute`): it returns its figures, the facts it
measured (sentences with the numbers) and, for a question, which choice the numbers make right and why.
Nothing here is tuned to make a claim come true: the reveal states what was computed, including when JiT
does not do what the paper's figures suggest.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from explorer import figures, figures_1d, pipeline, selection
from explorer.models import predict_proba
from explorer.scenario import Scenario, default_scenario
from explorer.verdict import method_label
from explorer.views import one_d as V1
from explorer.views import two_d as V2


@dataclass(frozen=True)
class Question:
    """Asked before the step runs; ``choices`` are (key, label); the view's numbers pick the right key."""

    prompt: str
    choices: tuple[tuple[str, str], ...]

    def label(self, key: str) -> str:
        return dict(self.choices)[key]


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    scenario: str  # a key of SCENARIOS
    view: str  # a key of VIEWS
    forget: tuple[str, ...] = ()  # forget-set words (FORGET_SETS) or named training points of the dataset
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]


@dataclass
class Outcome:
    """What the engine computed for one step: figures (caption, figure), facts, and for a question the
    right choice and one sentence why, with the numbers."""

    figures: list[tuple[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    answer: str | None = None
    why: str = ""
    numbers: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# scenarios: small and fast (a lesson step should take seconds), one per key

def _moons() -> Scenario:
    base = default_scenario("moons", samples=160)
    return replace(base, train=replace(base.train, epochs=300), configs={"jit": {"passes": 10}})


def _moons_random() -> Scenario:
    from explorer.scenario import ForgetSpec
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
    import json

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
    facts = [f"Agreement with the retrained model's labels over the grid: original {_pct(a_orig)}, JiT {_pct(a_jit)}.",
             f"Test accuracy: original {_pct(orig['test_acc'])}, retrained {_pct(ret['test_acc'])}, JiT {_pct(jit['test_acc'])}.",
             f"Forget accuracy: original {_pct(orig['forget_acc'])}, retrained {_pct(ret['forget_acc'])}, "
             f"JiT {_pct(jit['forget_acc'])}.", out.verdict().sentence]
    answer = "closer" if a_jit > a_orig else "not_closer"
    why = (f"JiT's boundary agrees with the retrained one on {_pct(a_jit)} of the grid, the untouched original on "
           f"{_pct(a_orig)}")
    return Outcome([("Original, JiT and retrained side by side", fig)], facts, answer, why,
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
        parts += [f"{method_label(n)} {_pct(r.final_metrics['boundary_change'])}" for n, r in out.results.items()]
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
             f"Its value at x = −4, −2, 0, 2, 4: " + ", ".join(f"{f[x]:.3f}" for x in (-4.0, -2.0, 0.0, 2.0, 4.0)) + "."]
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
             f"JiT then takes {cfg.passes} SGD steps of size η = {cfg.eta:g} that lower that ratio at the forget point."]
    return Outcome([("What JiT measures at one forget point", fig)], facts)


def view_jit_run(step: Step, engine: Engine) -> Outcome:
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    out = V2.run(sc, trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)
    pts = out.main.trajectory.points
    losses = [p.loss for p in pts if p.loss is not None]
    change = [p.metrics["boundary_change"] for p in pts]
    facts = [f"JiT's loss (the local Lipschitz ratio at the point): {losses[0]:.3f} at the first step, "
             f"{losses[-1]:.3f} at the last." if losses else "No loss was recorded.",
             f"Share of the grid whose label changed: " + ", ".join(f"step {p.step}: {_pct(c)}" for p, c in
                                                                   list(zip(pts, change))[:: max(1, len(pts) // 5)]) + ".",
             f"Retraining changes {_pct(out.references['retrain']['boundary_change'])} of the grid.",
             out.verdict().sentence]
    return Outcome([("JiT step by step (press Play)", V2.animation(out, height=int(640 * engine.scale)))], facts)


def view_sweep(step: Step, engine: Engine) -> Outcome:
    from explorer.sweep import sweep_jit

    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    retrain, _ = engine.retrain(sc, trained, ids)
    sigmas, etas = [0.05, 0.2, 0.8], [0.002, 0.02, 0.2]
    result = sweep_jit(sc, trained, ids, sigmas, etas, workers=1, backend="serial", retrain=retrain)
    fig = figures.sweep_figure(result, metrics=("test_acc", "forget_acc"), title="JiT over σ × η",
                               height=int(340 * engine.scale))
    test = result.metrics["test_acc"]
    original = float((predict_proba(trained.model, trained.data.x_test).argmax(1) == trained.data.y_test).mean())
    worst_small, worst_large = float(np.nanmin(test[0])), float(np.nanmin(test[-1]))
    facts = [f"The original model's test accuracy: {_pct(original)}.",
             f"Lowest test accuracy over σ at η = {etas[0]:g}: {_pct(worst_small)}; at η = {etas[-1]:g}: {_pct(worst_large)}."]
    answer = "collapses" if worst_large < original - 0.05 else "holds"
    why = f"at η = {etas[-1]:g} the worst cell's test accuracy is {_pct(worst_large)} against the original's {_pct(original)}"
    return Outcome([("σ × η sweep on the boundary point", fig)], facts, answer, why,
                   {"test_small_eta": worst_small, "test_large_eta": worst_large, "original": original})


def _mia_run(step: Step, engine: Engine):
    sc = scenario(step.scenario)
    trained = engine.trained(sc)
    ids = next(iter(forget_ids(step, trained).values()))
    return V2.run(sc, trained, ids, retrain=engine.retrain(sc, trained, ids), progress=engine.progress)


def _bars(out, metric: str, engine: Engine):
    from explorer.metrics import METRICS

    values = {"original": out.references["original"][metric], "retrained": out.references["retrain"][metric],
              "JiT": out.main.final_metrics[metric]}
    return figures_1d.bars_figure(list(values), list(values.values()), METRICS[metric].label, "model",
                                  height=int(320 * engine.scale), scale=engine.scale), values


def view_forget_acc(step: Step, engine: Engine) -> Outcome:
    out = _mia_run(step, engine)
    fig, v = _bars(out, "forget_acc", engine)
    ret = out.references["retrain"]
    f, t = ret["forget_acc"], ret["test_acc"]
    answer = "zero" if f < 0.25 else "test" if f <= t + 0.03 else "train"
    facts = [f"Forget accuracy on the {len(out.forget_ids)} forgotten points: original {_pct(v['original'])}, "
             f"retrained {_pct(v['retrained'])}, JiT {_pct(v['JiT'])}.",
             f"The retrained model's test accuracy: {_pct(t)}."]
    why = f"the retrained model gets {_pct(f)} of the forgotten points right and {_pct(t)} of the test set"
    return Outcome([("Accuracy on the forgotten points", fig)], facts, answer, why, {"retrain_forget": f, "retrain_test": t})


def view_mia(step: Step, engine: Engine) -> Outcome:
    out = _mia_run(step, engine)
    fig, v = _bars(out, "mia", engine)
    facts = [f"Share of the forgotten points the attack calls members: original {_pct(v['original'])}, retrained "
             f"{_pct(v['retrained'])}, JiT {_pct(v['JiT'])}.", out.verdict().sentence]
    answer = "down" if v["JiT"] < v["original"] - 1e-9 else "same"
    why = f"the attack's member share goes from {_pct(v['original'])} (original) to {_pct(v['JiT'])} (JiT); retrained: {_pct(v['retrained'])}"
    return Outcome([("The membership attack before and after", fig)], facts, answer, why, v)


def view_text(step: Step, engine: Engine) -> Outcome:
    return Outcome()


VIEWS: dict[str, Callable[[Step, Engine], Outcome]] = {
    "text": view_text, "data2d": view_data2d, "retrain_pair": view_retrain_pair, "run2d": view_run2d,
    "figure2": view_figure2, "alpha": view_alpha, "line": view_line, "figure3": view_figure3,
    "figure3_grad": view_figure3_grad, "perturb": view_perturb, "jit_run": view_jit_run, "sweep": view_sweep,
    "forget_acc": view_forget_acc, "mia": view_mia,
}


def compute(step: Step, engine: Engine) -> Outcome:
    return VIEWS[step.view](step, engine)


def judge(step: Step, choice: str, outcome: Outcome) -> tuple[bool, str]:
    """Whether ``choice`` is what the engine's numbers say, and the sentence that says so."""
    if step.question is None or outcome.answer is None:
        raise ValueError(f"step {step.title!r} asks nothing")
    right = choice == outcome.answer
    lead = "Right" if right else f"Not this time: the engine says “{step.question.label(outcome.answer)}”"
    return right, f"{lead}: {outcome.why}."


# ----------------------------------------------------------------------------------------------
# the lessons

Q = Question
LESSONS: dict[str, Lesson] = {}


def _lesson(name, title, summary, *steps) -> None:
    LESSONS[name] = Lesson(name, title, summary, tuple(steps))


_lesson(
    "forgetting", "What does it mean to forget?",
    "Retraining without a point is the definition of forgetting it; where the point sits decides how much changes.",
    Step("Two points to forget",
         "A small network was trained on the two moons. We will forget one of two training points: **A** lies deep "
         "inside its class, **B** is the training point the model is least sure about, right at the boundary. "
         "Both are marked with a cross.", "moons", "data2d", ("deep", "boundary")),
    Step("Retrain without each",
         "The cleanest way to forget a point is to train again from the same start without it. We do that twice: "
         "once without A, once without B. Predict first.", "moons", "retrain_pair", ("deep", "boundary"),
         Q("Which retrained model's boundary moves more, compared with the original?",
           (("deep", "the one without A (deep inside)"), ("boundary", "the one without B (on the boundary)"),
            ("neither", "neither moves it visibly")))),
    Step("Retraining is the gold standard",
         "Retraining is exact but costs a whole training run. Zero-shot methods such as JiT (Foster et al.) only "
         "see the forget point. Here JiT forgets B; we measure how close it gets to the retrained model.",
         "moons", "run2d", ("boundary",),
         Q("Will JiT's final boundary agree with the retrained boundary more than the untouched original does?",
           (("closer", "yes, JiT ends closer to the retrained model"), ("not_closer", "no, not closer than the original"))
           )),
)

_lesson(
    "information", "High- and low-information points (the paper's Figure 2)",
    "Forgetting a point the model had to bend for changes a lot; forgetting a typical point changes little.",
    Step("Two targets",
         "The paper's Figure 2 setting: two Gaussian clusters and two extra class-1 points. The **high-information "
         "target** sits on class 0's side of the gap, the **low-information target** deep inside class 1.",
         "two_blobs", "data2d", ("high_information_target", "low_information_target")),
    Step("Forget each target",
         "Each row forgets one target: retrained (the gold standard), JiT, and greedy mislabelling for comparison. "
         "Predict first.", "two_blobs", "figure2", ("high_information_target", "low_information_target"),
         Q("For which target does retraining change the boundary more?",
           (("high", "the high-information target"), ("low", "the low-information target"),
            ("same", "both the same")))),
    Step("α(x) explains it",
         "The paper scores a point's information by how much its neighbourhood agrees with its label. Here α(x) is "
         "the share of its neighbours with the same label.", "two_blobs", "alpha",
         ("high_information_target", "low_information_target")),
)

_lesson(
    "sigmoid", "Why smoothing forgets (the paper's Figure 3)",
    "On a 1-D sigmoid, JiT barely moves the flat tails and moves the steep part most, but not always toward 0.5.",
    Step("A sigmoid on a line",
         "Two classes on a line: class 1 becomes more likely as x grows. A model with no hidden layer fits it, so its "
         "class-1 probability is exactly a sigmoid.", "line", "line"),
    Step("Forget one point at a time",
         "As in the paper's Figure 3, JiT is run once for each red point, from the same original model, and we "
         "record its value on the new curve. Predict first.", "line", "figure3",
         question=Q("Where does the value at the forgotten point change most?",
                    (("tails", "at the flat tails (x = ±4)"), ("slopes", "on the slopes (x = ±2)"),
                     ("middle", "in the middle (x = 0)")))),
    Step("With the gradient through both sides",
         "The published code treats the perturbed outputs as constants, so each step pulls f(x) toward the perturbed "
         "values with weights 1/|x − x̃|: in 1-D the perturbations nearest x set the direction, and the curve can "
         "slide sideways. Let the gradient flow through them too, and JiT lowers the local "
         "slope at the point for real: a sigmoid's slope at |x| beyond about 1.5 falls when the curve gets steeper, "
         "so there the curve may steepen rather than flatten. The numbers say what happened here.",
         "line_grad", "figure3_grad"),
)

_lesson(
    "jit", "How JiT works: perturb, measure, flatten",
    "JiT perturbs the forget point, measures how much the output changes, and takes gradient steps that flatten it.",
    Step("Perturb and measure",
         "JiT never sees the rest of the data. It copies the forget point with Gaussian noise of size σ and compares "
         "the model's outputs: a big change over a small step means the model is steep there.", "line", "perturb"),
    Step("Flatten, step by step",
         "On the two moons, JiT forgets the boundary point B. Press Play to watch the boundary over the steps; the "
         "numbers below say when it moved.", "moons", "jit_run", ("boundary",)),
    Step("What σ and η do",
         "σ sets how far the perturbations reach, η how big each step is. A 3 × 3 sweep runs JiT for each pair.",
         "moons", "sweep", ("boundary",),
         Q("At the largest step size η = 0.2, does the test accuracy hold up?",
           (("holds", "yes, within 5 points of the original"), ("collapses", "no, it collapses somewhere")))),
)

_lesson(
    "privacy", "Can an attacker tell? Membership inference",
    "A membership attack guesses which points were trained on; after random forgetting the goal is the retrained "
    "model's answer, not zero.",
    Step("Forget a random 10 %",
         "This time the forget set is a random 10 % of the training points (crosses): a request from users who "
         "leave, not a cluster of special points.", "moons", "data2d", ("random",)),
    Step("Should the forgotten points be misclassified?",
         "A naive goal is forget accuracy 0. But random points look like the rest of their class. Predict first.",
         "moons_random", "forget_acc", ("random",),
         Q("What is the retrained model's accuracy on the forgotten random points?",
           (("zero", "near 0: it never saw them"), ("test", "about its test accuracy"),
            ("train", "higher than its test accuracy, like the training points")))),
    Step("The attack before and after",
         "The attack (the entropy attack of the published JiT code, jwf40/Information-Theoretic-Unlearning) learns, from the retain set (members) and the test set "
         "(non-members), which prediction entropies mean \"member\", then labels each forgotten point. The goal is "
         "the retrained model's member share, not zero.", "moons_random", "mia", ("random",),
         Q("Does JiT lower the share of forgotten points the attack calls members?",
           (("down", "yes, it goes down"), ("same", "no, it stays or goes up")))),
)


def link(name: str, step: int = 0, classroom: bool = False) -> str:
    """The query string that opens lesson ``name`` at ``step`` (0-based here, 1-based in the link)."""
    return f"?lesson={name}&step={step + 1}" + ("&classroom=1" if classroom else "")


def parse_link(params: dict) -> tuple[str | None, int, list[str]]:
    """(lesson name or None, 0-based step, notices) from query parameters; bad values fall back, with a notice."""
    notices = []
    name = params.get("lesson")
    if isinstance(name, list):
        name = name[-1] if name else None
    if name is None:
        return None, 0, notices
    if name not in LESSONS:
        notices.append(f"There is no lesson {name!r}; the lessons are: {', '.join(LESSONS)}.")
        return None, 0, notices
    raw = params.get("step", "1")
    raw = raw[-1] if isinstance(raw, list) else raw
    try:
        step = int(raw) - 1
    except (TypeError, ValueError):
        notices.append(f"Ignored step={raw!r}: not a number; starting at step 1.")
        return name, 0, notices
    n = len(LESSONS[name].steps)
    if not 0 <= step < n:
        notices.append(f"Lesson {name!r} has steps 1 to {n}; showing step {min(max(step, 0), n - 1) + 1}.")
        step = min(max(step, 0), n - 1)
    return name, step, notices
