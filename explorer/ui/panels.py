"""Streamlit panels of the explorer. app.py wires them; all numbers come from explorer.ui.compute.

Session state keys: ``w.*`` widgets, ``forget`` (selection.ForgetState), ``result`` (last run),
``fig2_result`` (the Figure 2 grid), ``url_notices``, ``n_train`` (size of the current training set).
"""
from __future__ import annotations

import json
import logging
import typing
from dataclasses import fields, replace

import streamlit as st

from explorer import selection, urlstate
from explorer.device import device_label, mps_available, pick_device, torch_threads
from explorer.metrics import METRICS
from explorer.pipeline import Trained, train_original
from explorer.scenario import IMAGE_DATASETS, Scenario, ScenarioError, default_scenario
from explorer.ui import compute, shared
from explorer.unlearning import METHODS, get_method, method_names
from toy_data import dataset_names, default_spec

log = logging.getLogger("explorer.app")
ACTIVATIONS = ["relu", "tanh", "sigmoid", "gelu", "elu"]

HELP = {
    "ds": "Which 2D toy dataset to generate. Changing it resets the dataset fields to that dataset's defaults.",
    "samples": "Number of generated points (before the train/test split).",
    "noise": "Spread of the points around the generator's shape (cluster std for blobs).",
    "classes": "Number of classes (blobs and spiral only; the other generators are binary).",
    "seed": "Random seed of the data and of the model's initial weights. Same seed, same run.",
    "test_fraction": "Share of the points held out as the test set (used for test accuracy and the MIA).",
    "depth": "Hidden layers of the MLP.",
    "width": "Units per hidden layer.",
    "activation": "Non-linearity between layers.",
    "epochs": "Upper bound on full-batch training epochs; training stops earlier once the loss plateaus.",
    "lr": "Adam learning rate for training the original model (and the retrained reference).",
    "weight_decay": "L2 penalty during training. Smoother models have smaller local Lipschitz constants.",
    "method": "The unlearning method run by Unlearn. Retraining from scratch is always computed as the reference.",
    "preset": "Named settings of the method and where their numbers come from.",
    "device": "Where the model trains and unlearns. 'auto' prefers a GPU when there is one.",
    "sigma": "σ: standard deviation of the Gaussian input perturbations around each forget point.",
    "eta": "η: SGD learning rate of each JiT step.",
    "perturbations": "N: perturbed copies of each forget point per step.",
    "passes": "Full passes over the forget set (fresh noise each time). The paper does one; more animate better.",
    "batch_size": "Forget points per SGD step.",
    "output_space": "Measure output change on raw logits (published code) or on softmax probabilities.",
    "detach_perturbed": "Published code: treat f(x̃) as a constant target (no gradient through the perturbed branch).",
    "clamp_to_batch_range": "Published code: clamp perturbed inputs to the batch's min/max values.",
    "accumulate_grads": "Published code: never zero gradients between batches of a pass.",
    "reduction": "Sum (published) or mean of the per-sample loss over the batch.",
    "train_mode": "Published code: run the model in train mode (dropout active) while unlearning.",
    "max_step_change": ("The explorer's own step guard (not in the paper; 0 = off): the most any output at the forget "
                        "points and their perturbations may change in one step (probabilities, or logits in logit "
                        "space); a longer step is shortened. It turns JiT's first-step jump into a movement."),
    "compare": ("Other registered methods to run on the same forget set when you press Unlearn, each at its default "
                "settings (the 'explorer' preset where it has one), measured against the same retrained model. "
                "Each adds its own time; the main method's animation is unchanged. Methods that only forget whole "
                "classes (unsir, emmn) say so instead of running when the forget set is not one class."),
    "zero_shot": ("Only offer zero-shot methods: those that never see the retain data or training-set statistics "
                  "(by the registry's data-access declarations: jit, neggrad, greedy, emmn)."),
    "anim_method": "Which method's trajectory the animation above shows (the main method or a compared one).",
    "sweep_sigmas": "σ values (comma-separated, > 0): columns of the heatmaps. Default: 4 log-spaced values from σ/10 to 10·σ, σ from the sidebar.",
    "sweep_etas": "η values (comma-separated, > 0): rows of the heatmaps. Default: 4 log-spaced values from η/10 to 10·η, η from the sidebar.",
    "sweep_run": ("Run JiT once per (σ, η) on this scenario and forget set (the other JiT settings as in the sidebar), "
                  "against the cached retrained model. A 4×4 grid takes seconds on a laptop CPU."),
}

PANEL_HELP = {
    "editor": ("**What am I looking at?** The training set over the original model's prediction "
               "(colour = predicted class, paler = less sure; the line is the decision boundary). "
               "Click a point to forget it (click again to un-forget), shift-click to add more, or pick "
               "*Box select* / *Lasso select* in the chart's toolbar and drag (the tool stays on for more drags; pick "
               "*Pan* to click points again). Forgotten points are crosses."),
    "animation": ("**What am I looking at?** Left: the model during unlearning — background = predicted class and "
                  "confidence, solid pink line = its current boundary, faint grey = the original boundary, black dashed = "
                  "the model retrained without the forget set (the gold standard). Right: each metric per step with "
                  "the retrained value (dashed) and the original value (dotted); the dot follows the slider. "
                  "Press ▶ Play or drag the slider."),
    "side": ("**What am I looking at?** The models side by side (original, unlearned, retrained, then each method "
             "chosen under *Compare with*), final state only: does the unlearned boundary look like the retrained "
             "one? Key scores are in each panel's corner."),
    "compare": ("**What am I looking at?** Every method that ran on this forget set, with each metric, its signed gap "
                "to the retrained model (0 = indistinguishable from retraining on that number), the average absolute "
                "gap over retain/forget/test accuracy and MIA (SalUn's Avg. Gap), time, and whether the method is "
                "zero-shot (never sees the retain data)."),
    "sweep": ("**What am I looking at?** JiT run once per (σ, η) cell on this forget set; each heatmap is one metric "
              "(rows η, columns σ). Look for the window where forget and test accuracy stay near the retrained model's, "
              "retain accuracy stays high and the average gap is small; large η or σ is where JiT collapses, tiny "
              "ones change nothing."),
    "info": ("**What am I looking at?** The paper's explanation of *why* some points matter. α(x) = share of a "
             "point's neighbours with its own label: low α (big, dark markers) = the point carries information "
             "the rest of the data does not, so retraining without it moves the boundary. The background is the "
             "model's local Lipschitz estimate (how fast the output changes near each place), before and after: "
             "JiT flattens it around the forget points."),
}


# ----------------------------------------------------------------------------------------------
# caching

def scenario_key(scenario: Scenario) -> str:
    """What determines the trained original: data, model, training, device, grid."""
    d = scenario.to_dict()
    return json.dumps({k: d[k] for k in ("dataset", "model", "train", "device", "grid_resolution")}, sort_keys=True)


class _LRU:
    """A small thread-safe LRU map. One instance per kind lives in st.cache_resource, so entries are
    shared by all sessions and survive reruns; values are computed OUTSIDE any cached function so
    they can report progress to the page (Streamlit cannot replay elements of cached functions)."""

    def __init__(self, size: int):
        import threading
        from collections import OrderedDict
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get_or_make(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def _store(kind: str, size: int) -> _LRU:
    return _LRU(size)


def trained_for(key: str, progress=None) -> Trained:
    """The trained original for these settings, cached per settings. Shared: never mutate it."""
    return _store("trained", 8).get_or_make(key, lambda: train_original(Scenario.from_dict(json.loads(key)), progress))


def retrain_for(key: str, forget_ids: tuple[int, ...], scenario: Scenario, trained: Trained, progress=None):
    """The retrain reference for this exact forget set: (model, seconds). Shared: never mutate the model."""
    return _store("retrain", 48).get_or_make(
        (key, tuple(forget_ids)), lambda: compute.compute_retrain(scenario, trained, list(forget_ids), progress))


@st.cache_data(max_entries=16, show_spinner=False)
def alpha_for(key: str, _trained: Trained):
    return compute.alpha_scores(_trained)


# ----------------------------------------------------------------------------------------------
# state init (from the URL, once per session)

def two_d_datasets() -> list[str]:
    return [n for n in dataset_names() if n not in IMAGE_DATASETS]


def zoo() -> list[str]:
    """Methods the Unlearn button can run (every registered one except the reference itself)."""
    return [m for m in method_names() if m != "retrain"] or ["jit"]


def _method_values(method: str, preset: str | None, overrides: dict | None = None) -> dict:
    cfg = get_method(method).config_from(overrides or None, preset)
    return {f.name: getattr(cfg, f.name) for f in fields(cfg)}


def set_widgets_from(scenario: Scenario) -> None:
    ss = st.session_state
    ss["w.ds"] = scenario.dataset.name
    for f in fields(scenario.dataset):
        if f.name != "name":
            ss[f"w.d.{f.name}"] = getattr(scenario.dataset, f.name)
    ss["w.m.depth"], ss["w.m.width"] = scenario.model.depth, scenario.model.width
    ss["w.m.activation"] = scenario.model.activation
    ss["w.t.epochs"], ss["w.t.lr"] = scenario.train.epochs, scenario.train.lr
    ss["w.t.weight_decay"] = scenario.train.weight_decay
    ss["w.method"] = scenario.method if scenario.method in zoo() else zoo()[0]
    ss["w.cmp"] = list(scenario.compare)
    ss["w.device"] = scenario.device
    for method in zoo():
        preset = scenario.presets.get(method) or _default_preset(method)
        ss[f"w.p.{method}"] = preset or "(defaults)"
        for name, value in _method_values(method, preset, scenario.configs.get(method)).items():
            ss[f"w.c.{method}.{name}"] = value
    ss["scenario_extra"] = {"seed": scenario.seed, "grid_resolution": scenario.grid_resolution,
                            "record_every": scenario.record_every, "train_seed": scenario.train.seed,
                            "lipschitz_sigma": scenario.lipschitz_sigma, "lipschitz_space": scenario.lipschitz_space}


def _default_preset(method: str) -> str | None:
    presets = get_method(method).presets
    return "explorer" if "explorer" in presets else None


def init_session() -> None:
    ss = st.session_state
    if ss.get("initialized"):
        return
    try:
        scenario, ids, notices = urlstate.from_params(st.query_params.to_dict())
    except Exception as err:  # never let a malformed URL break the page
        log.exception("reading the URL failed")
        scenario, ids, notices = default_scenario("moons"), [], [f"Could not read the URL ({err}); using defaults."]
    set_widgets_from(scenario)
    ss["forget"] = selection.ForgetState(tuple(ids))
    ss["url_notices"] = notices
    ss["initialized"] = True


# ----------------------------------------------------------------------------------------------
# sidebar

def _on_dataset_change() -> None:
    ss = st.session_state
    spec = default_spec(ss["w.ds"])
    for f in fields(spec):
        if f.name != "name":
            ss[f"w.d.{f.name}"] = getattr(spec, f.name)


def _on_preset_change(method: str) -> None:
    ss = st.session_state
    preset = ss[f"w.p.{method}"]
    for name, value in _method_values(method, None if preset == "(defaults)" else preset).items():
        ss[f"w.c.{method}.{name}"] = value


def _config_widget(method: str, name: str, value, hint) -> None:
    key = f"w.c.{method}.{name}"
    label = {"sigma": "σ (noise std)", "eta": "η (learning rate)", "perturbations": "N (perturbations)"}.get(name, name.replace("_", " "))
    helptext = HELP.get(name, f"{method} setting '{name}'.") if method == "jit" else f"{method} setting '{name}'."
    if typing.get_origin(hint) is typing.Literal:
        st.selectbox(label, list(typing.get_args(hint)), key=key, help=helptext)
    elif isinstance(value, bool):
        st.checkbox(label, key=key, help=helptext)
    elif isinstance(value, int):
        st.number_input(label, step=1, key=key, help=helptext)
    elif isinstance(value, float):
        st.number_input(label, key=key, help=helptext, format="%.5g", step=max(abs(value) / 10, 1e-4))
    elif isinstance(value, str):
        st.text_input(label, key=key, help=helptext)


def sidebar() -> Scenario:
    """Draw the settings and return the scenario they describe."""
    ss = st.session_state
    sb = st.sidebar
    with sb.expander("Dataset", expanded=True):
        st.selectbox("dataset", two_d_datasets(), key="w.ds", on_change=_on_dataset_change, help=HELP["ds"])
        st.number_input("samples", 20, 2000, step=20, key="w.d.samples", help=HELP["samples"])
        st.number_input("noise", 0.0, 5.0, step=0.05, key="w.d.noise", help=HELP["noise"], format="%.2f")
        st.number_input("classes", 2, 10, step=1, key="w.d.classes", help=HELP["classes"],
                        disabled=ss["w.ds"] not in ("blobs", "spiral"))
        st.number_input("seed", 0, 10**6, step=1, key="w.d.seed", help=HELP["seed"])
        st.slider("test fraction", 0.05, 0.9, step=0.05, key="w.d.test_fraction", help=HELP["test_fraction"])
    with sb.expander("Model", expanded=False):
        st.number_input("hidden layers", 0, 8, step=1, key="w.m.depth", help=HELP["depth"])
        st.number_input("width", 1, 512, step=8, key="w.m.width", help=HELP["width"])
        st.selectbox("activation", ACTIVATIONS, key="w.m.activation", help=HELP["activation"])
    with sb.expander("Training", expanded=False):
        st.number_input("max epochs", 1, 20000, step=100, key="w.t.epochs", help=HELP["epochs"])
        st.number_input("learning rate", 1e-5, 10.0, key="w.t.lr", format="%.4g", step=0.001, help=HELP["lr"])
        st.number_input("weight decay", 0.0, 1.0, key="w.t.weight_decay", format="%.4g", step=1e-4,
                        help=HELP["weight_decay"])
    with sb.expander("Unlearning", expanded=True):
        method = st.selectbox("method", zoo(), key="w.method", help=HELP["method"],
                              format_func=lambda m: f"{m} — {METHODS[m].summary.split(':')[0]}"
                              if m in METHODS else m)
        spec = get_method(method)
        st.caption(f"{spec.summary}. Sees: {spec.access.describe()}"
                   + (" (zero-shot)." if spec.access.zero_shot else "."))
        presets = ["(defaults)", *spec.presets]
        st.selectbox("preset", presets, key=f"w.p.{method}", on_change=_on_preset_change, args=(method,),
                     help=HELP["preset"])
        preset = ss[f"w.p.{method}"]
        if preset != "(defaults)":
            st.caption(f"Source: {spec.presets[preset].source}")
        hints = typing.get_type_hints(spec.config_cls)
        base = _method_values(method, None if preset == "(defaults)" else preset)
        for name, value in base.items():
            _config_widget(method, name, value, hints.get(name))
        devices = ["auto", "cpu"] + (["cuda"] if _cuda() else []) + (["mps"] if mps_available() else [])
        if ss.get("w.device") not in devices:
            ss["w.device"] = "auto"
        st.selectbox("device", devices, key="w.device", help=HELP["device"])
        try:
            st.caption(f"Running on **{device_label(pick_device(ss['w.device']))}**")
        except ValueError as err:
            st.caption(str(err))
    return scenario_from_widgets()


def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


def scenario_from_widgets() -> Scenario:
    ss = st.session_state
    name = ss["w.ds"]
    spec = default_spec(name, **{f.name: ss[f"w.d.{f.name}"] for f in fields(default_spec(name)) if f.name != "name"})
    base = default_scenario(name)
    extra = ss.get("scenario_extra", {})
    model = replace(base.model, depth=int(ss["w.m.depth"]), width=int(ss["w.m.width"]),
                    activation=ss["w.m.activation"])
    train = replace(base.train, epochs=int(ss["w.t.epochs"]), lr=float(ss["w.t.lr"]),
                    weight_decay=float(ss["w.t.weight_decay"]), seed=int(spec.seed))
    method = ss["w.method"]
    preset = ss.get(f"w.p.{method}", "(defaults)")
    preset = None if preset == "(defaults)" else preset
    defaults = _method_values(method, preset)
    overrides = {k: ss[f"w.c.{method}.{k}"] for k in defaults if ss.get(f"w.c.{method}.{k}", defaults[k]) != defaults[k]}
    return Scenario(dataset=spec, model=model, train=train, method=method,
                    configs={method: overrides} if overrides else {},
                    presets={method: preset} if preset else {}, device=ss["w.device"],
                    seed=int(extra.get("seed", 0)), grid_resolution=int(extra.get("grid_resolution", 100)),
                    record_every=int(extra.get("record_every", 1)),
                    lipschitz_sigma=float(extra.get("lipschitz_sigma", Scenario.lipschitz_sigma)),
                    lipschitz_space=str(extra.get("lipschitz_space", Scenario.lipschitz_space)))


# ----------------------------------------------------------------------------------------------
# training (cached) and keeping the forget set valid

def train(scenario: Scenario) -> Trained:
    key = scenario_key(scenario)
    if st.session_state.get("trained_key") == key:
        return trained_for(key)
    bar = st.progress(0.0, text="Training the original model…")

    def progress(label, frac):
        bar.progress(min(max(frac, 0.0), 1.0), text=f"{label}…")

    try:
        with torch_threads():
            trained = trained_for(key, progress)
    except Exception as err:  # noqa: BLE001 - bad settings or a diverging training run: say so, stop here
        bar.empty()
        if not isinstance(err, ScenarioError):
            log.exception("training failed")
        st.error(f"Training the original model failed: {compute.one_line(err)}. Change the settings in the sidebar.")
        st.stop()
    bar.empty()
    st.session_state["trained_key"] = key
    return trained


def keep_forget_set_valid(trained: Trained) -> str | None:
    """Drop ids the current training set does not have (saying so); keep the rest."""
    ss = st.session_state
    n = len(trained.data.x_train)
    ss["n_train"] = n
    state: selection.ForgetState = ss["forget"]
    kept, dropped = selection.clip_to_range(state.ids, n)
    if dropped:
        ss["forget"] = state.set(kept)
        return (f"The training set now has {n} points: kept {len(kept)} forget point(s), dropped "
                f"{len(dropped)} whose id no longer exists ({urlstate.encode_ids(dropped)}). Undo restores them.")
    return None


def sync_url(scenario: Scenario) -> None:
    params = urlstate.to_params(compared(scenario), st.session_state["forget"].ids)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


# ----------------------------------------------------------------------------------------------
# the forget-set editor

def _on_select() -> None:
    ss = st.session_state
    event = ss.get(ss.get("editor_key", "editor"))
    ids, kind = selection.ids_from_event(event, ss.get("n_train"))
    if kind != "none":
        ss["forget"] = ss["forget"].apply(ids, kind)
        ss["editor_dragmode"] = {"box": "select", "lasso": "lasso"}.get(kind, ss.get("editor_dragmode"))


def _undo() -> None:
    st.session_state["forget"] = st.session_state["forget"].undo()


def _clear() -> None:
    st.session_state["forget"] = st.session_state["forget"].clear()


def editor(trained: Trained, scenario: Scenario) -> None:
    from explorer import figures
    ss = st.session_state
    d, g = trained.data, trained.grid
    state: selection.ForgetState = ss["forget"]
    probs = _original_probs(trained)
    alpha = alpha_for(ss.get("trained_key", ""), trained)
    fig = figures.editor_figure(d.x_train, d.y_train, g.xs, g.ys, probs, d.n_classes, state.ids, alpha=alpha,
                                dragmode=ss.get("editor_dragmode"))
    st.markdown(PANEL_HELP["editor"])
    ss["editor_key"] = "editor"
    st.plotly_chart(fig, key="editor", on_select=_on_select, selection_mode=("points", "box", "lasso"),
                    theme=None, config={"displaylogo": False, "modeBarButtonsToRemove": ["autoScale2d"]})


def _original_probs(trained: Trained):
    from explorer.models import predict_proba
    key = ("probs", st.session_state.get("trained_key"))
    cache = st.session_state.setdefault("_probs_cache", {})
    if key not in cache:
        cache.clear()
        cache[key] = (predict_proba(trained.model, trained.eval_inputs), predict_proba(trained.model, trained.data.x_train))
    return cache[key][0]


def forget_controls(trained: Trained, scenario: Scenario) -> None:
    ss = st.session_state
    state: selection.ForgetState = ss["forget"]
    st.markdown(f"#### Forget set: {len(state)} points")
    if state.ids:
        shown = urlstate.encode_ids(state.ids)
        st.caption(f"ids {shown if len(shown) < 120 else shown[:117] + '…'}")
    c1, c2 = st.columns(2)
    c1.button("Undo", on_click=_undo, disabled=not state.can_undo, key="undo", width="stretch",
              help="Go back to the forget set before the last change.")
    c2.button("Clear", on_click=_clear, disabled=not state.ids, key="clear", width="stretch",
              help="Empty the forget set (Undo brings it back).")
    with st.expander("Presets", expanded=False):
        kinds = {"boundary": "a point on the boundary", "deep": "a point deep inside its class",
                 "class": "a whole class", "random": "random k %", "info": "the k highest-information points"}
        kind = st.selectbox("preset", list(kinds), format_func=kinds.get, key="w.fp.kind",
                            help="Replace the forget set with a chosen kind of points (Undo goes back).")
        if kind == "class":
            st.number_input("class", 0, trained.data.n_classes - 1, step=1, key="w.fp.class",
                            help="Which class to forget entirely.")
        elif kind == "random":
            st.number_input("k %", 0.5, 99.0, value=5.0, step=0.5, key="w.fp.pct",
                            help="Share of the training set to forget, drawn with the scenario's seed.")
        elif kind == "info":
            st.number_input("k", 1, max(1, len(trained.data.x_train) - 1), value=3, step=1, key="w.fp.k",
                            help="How many of the lowest-α(x) (most informative) points to forget.")
        st.button("Apply preset", key="apply_preset", on_click=_apply_preset, args=(trained, scenario),
                  help="Replace the forget set with this preset's points.")


def _apply_preset(trained: Trained, scenario: Scenario) -> None:
    ss = st.session_state
    d = trained.data
    kind = ss.get("w.fp.kind", "boundary")
    try:
        train_probs = _original_probs_train(trained)
        if kind == "boundary":
            ids = selection.boundary_point(d, train_probs)
        elif kind == "deep":
            ids = selection.deep_point(d, train_probs)
        elif kind == "class":
            ids = selection.whole_class(d, int(ss.get("w.fp.class", 0)))
        elif kind == "random":
            ids = selection.random_percent(d, float(ss.get("w.fp.pct", 5.0)), scenario.seed)
        else:
            ids = selection.highest_information(d, int(ss.get("w.fp.k", 3)), alpha_for(ss.get("trained_key", ""), trained))
    except ValueError as err:
        ss["flash"] = str(err)
        return
    ss["forget"] = ss["forget"].set(ids)


def _original_probs_train(trained: Trained):
    from explorer.models import predict_proba
    return predict_proba(trained.model, trained.data.x_train)


# ----------------------------------------------------------------------------------------------
# Unlearn and the results

def result_key(scenario: Scenario, ids) -> str:
    return json.dumps([scenario.to_dict(), list(ids)], sort_keys=True)


def compare_controls(scenario: Scenario) -> None:
    """The "Compare with" multiselect and its zero-shot filter (choices drop what the filter hides)."""
    ss = st.session_state
    zero_shot = st.checkbox("zero-shot only", key="w.cmp.zs", help=HELP["zero_shot"])
    options = compare_options(scenario.method, zero_shot)
    ss["w.cmp"] = [m for m in ss.get("w.cmp", []) if m in options]
    st.multiselect("Compare with", options, key="w.cmp", help=HELP["compare"])
    st.caption("Zero-shot (never see the retain data): " + ", ".join(method_names(zero_shot_only=True)) + ".")


def compare_options(main: str, zero_shot_only: bool) -> list[str]:
    """Registered methods that can be compared with ``main`` (never itself or the retrain reference)."""
    return [m for m in method_names(zero_shot_only=zero_shot_only) if m not in (main, "retrain")]


def compared(scenario: Scenario) -> Scenario:
    """``scenario`` with the methods chosen under "Compare with"."""
    return compute.with_compare(scenario, st.session_state.get("w.cmp", []))


def unlearn_button(trained: Trained, scenario: Scenario) -> None:
    ss = st.session_state
    scenario = compared(scenario)
    clicked = st.button("Unlearn", type="primary", key="unlearn", width="stretch",
                        help="Run the chosen method on the forget set, and retrain without it for reference.")
    if not clicked:
        return
    ids = list(ss["forget"].ids)
    try:
        ids = compute.check_forget_set(trained, ids)
        bar = st.progress(0.0, text="Retraining without the forget set…")

        def progress(label, frac):
            bar.progress(min(max(frac, 0.0), 1.0), text=f"{label}…")

        key = ss.get("trained_key", "")
        with torch_threads():
            retrain, retrain_seconds = retrain_for(key, tuple(ids), scenario, trained, progress)
            res = compute.run_explore(scenario, trained, ids, scenario.method, retrain=retrain, progress=progress)
            res.seconds = {"retrain (cached per forget set)": retrain_seconds, **res.seconds}
            res.retrain_seconds = retrain_seconds
            bar.progress(1.0, text="Building the animation…")
            figs = {"animation": compute.animation(trained, res), "side": compute.side_by_side(trained, res)}
        bar.empty()
    except ScenarioError as err:
        st.error(compute.one_line(err))
        return
    except Exception as err:  # noqa: BLE001 - the page must never show a traceback
        log.exception("unlearning failed")
        st.error(f"Unlearning failed: {type(err).__name__}: {compute.one_line(err)}".rstrip(": "))
        return
    ss["result"] = {"key": result_key(scenario, ids), "res": res, "trained": trained, "figs": figs,
                    "scenario": scenario}


def results(scenario: Scenario) -> None:
    ss = st.session_state
    scenario = compared(scenario)
    entry = ss.get("result")
    if not entry:
        st.info("Pick points to forget, then press **Unlearn** to watch the boundary move.")
        return
    res = entry["res"]
    if entry["key"] != result_key(scenario, ss["forget"].ids):
        st.info("The result below is for earlier settings or an earlier forget set; press Unlearn to update it.")
    shown = res.method
    if res.others:
        choices = [res.method, *res.others]
        if ss.get("w.anim_method") not in choices:
            ss["w.anim_method"] = res.method
        shown = st.columns([1, 2])[0].selectbox("Animate", choices, key="w.anim_method", help=HELP["anim_method"],
                                                format_func=compute.method_label)
    run = res.run_of(shown)
    label = compute.method_label(shown)
    if run.stopped:
        st.warning(f"{label} diverged and was rolled back: {run.stopped}")
    st.subheader(f"How the boundary moves under {label}")
    shared.show_verdict(compute.verdict_of(res, shown))
    st.markdown(PANEL_HELP["animation"])
    st.plotly_chart(_animation_for(entry, shown), key="player", theme=None, config={"displaylogo": False})
    with st.expander("What “better” means for each metric", expanded=False):
        st.markdown("\n".join(f"- **{METRICS[m].label}** — {METRICS[m].better}"
                              for m in compute.figures.ANIMATION_METRICS))
    secs = res.seconds
    st.caption("Time: " + ", ".join(f"{k} {v:.2f} s" for k, v in secs.items()))
    st.subheader("Side by side")
    st.markdown(PANEL_HELP["side"])
    st.plotly_chart(entry["figs"]["side"], key="side", theme=None, config={"displaylogo": False})
    comparison(entry)
    sweep(entry)
    information(entry)
    downloads(entry)


def _animation_for(entry, method: str):
    """The animation figure of ``method``, built once per result (the main method's is built by Unlearn)."""
    res = entry["res"]
    if method == res.method:
        return entry["figs"]["animation"]
    key = f"animation:{method}"
    if key not in entry["figs"]:
        entry["figs"][key] = compute.animation(entry["trained"], res, method=method)
    return entry["figs"][key]


def comparison(entry) -> None:
    from explorer.ui import shared
    res = entry["res"]
    st.subheader("Compared with retraining" + (" and other methods" if res.others else ""))
    st.markdown(PANEL_HELP["compare"])
    trained = entry["trained"]
    models = compute.comparison_models(res, original_seconds=trained.history.seconds)
    shared.comparison_table(models, key="compare_table")
    for name, reason in res.refused.items():
        st.info(f"{name} did not run: {reason}")
    if not res.others and not res.refused:
        st.caption("Choose methods under **Compare with** (next to Unlearn) to add them to this table and the panels above.")


def sweep(entry) -> None:
    """σ×η sweep of JiT on this result's scenario and forget set (cached per scenario + forget set + grid)."""
    from explorer.pipeline import method_config
    from explorer.sweep import sweep_jit
    from explorer.ui import shared
    ss = st.session_state
    res, trained, scenario = entry["res"], entry["trained"], entry["scenario"]
    with st.expander("σ×η sweep: where does JiT work, and where does it collapse?", expanded=False):
        st.markdown(PANEL_HELP["sweep"])
        try:
            cfg = method_config(scenario, "jit")
        except ScenarioError as err:
            st.caption(compute.one_line(err))
            return
        c1, c2 = st.columns(2)
        sigmas = c1.text_input("σ values", ", ".join(f"{v:g}" for v in compute.log_grid(cfg.sigma, span=100)),
                               key=f"w.sweep.sigmas.{cfg.sigma:g}", help=HELP["sweep_sigmas"])
        # η reaches 100x the current value: the interesting part of the map is where JiT starts to collapse.
        etas = c2.text_input("η values", ", ".join(f"{v:g}" for v in compute.log_grid(3 * cfg.eta, span=1000)),
                             key=f"w.sweep.etas.{cfg.eta:g}", help=HELP["sweep_etas"])
        cache = ss.setdefault("sweeps", {})
        try:
            grid = (shared.parse_floats(sigmas), shared.parse_floats(etas))
        except ValueError as err:
            st.error(compute.one_line(err))
            return
        key = compute.sweep_key(entry["key"], *grid)
        if st.button("Run sweep", key="sweep_run", help=HELP["sweep_run"]):
            bar = st.progress(0.0, text="sweeping…")
            try:
                result = sweep_jit(scenario, trained, res.forget_ids, grid[0], grid[1], retrain=res.retrain,
                                   progress=lambda done, total: bar.progress(done / max(total, 1),
                                                                             text=f"{done}/{total} cells"))
            except (ValueError, ScenarioError) as err:
                bar.empty()
                st.error(f"Sweep: {compute.one_line(err)}")
                return
            except Exception as err:  # noqa: BLE001 - the page must never show a traceback
                bar.empty()
                log.exception("sweep failed")
                st.error(f"Sweep failed: {type(err).__name__}: {compute.one_line(err)}".rstrip(": "))
                return
            bar.empty()
            while len(cache) >= 8:
                cache.pop(next(iter(cache)))
            cache[key] = result
        result = cache.get(key)
        if result is None:
            st.caption("Press **Run sweep** to fill the grid.")
            return
        from explorer.image_views import sweep_figure
        fig = sweep_figure(result, metrics=("forget_acc", "retain_acc", "test_acc", "avg_gap"),
                           title=f"JiT over σ×η ({len(result.sigmas)}×{len(result.etas)} cells, {result.seconds:.1f} s)",
                           height=400)
        fig.update_layout(margin=dict(l=70, r=10, t=70, b=50))  # room for the first panel's η and every σ tick
        st.plotly_chart(fig, key="sweep_fig", theme=None, config={"displaylogo": False})
        if result.retrain_metrics:
            r = result.retrain_metrics
            st.caption(f"Retrained model for reference: forget {r.get('forget_acc', float('nan')):.2f}, retain "
                       f"{r.get('retain_acc', float('nan')):.2f}, test {r.get('test_acc', float('nan')):.2f}. "
                       "avg gap = mean |JiT − retrain| over retain/forget/test accuracy and MIA.")


def information(entry) -> None:
    st.subheader("Information view")
    st.markdown(PANEL_HELP["info"])
    c1, c2 = st.columns(2)
    show_alpha = c1.checkbox("α(x) per training point", value=True, key="w.info.alpha",
                             help="Size and colour each point by 1 − α(x): big and dark = high information.")
    show_lip = c2.checkbox("Lipschitz heatmap before / after", value=False, key="w.info.lip",
                           help="Background: log₁₀ of the local Lipschitz estimate of the model on a 50×50 grid.")
    if not (show_alpha or show_lip):
        return
    cache = entry.setdefault("info", {})
    key = (show_alpha, show_lip)
    if key not in cache:
        with torch_threads():
            cache[key] = compute.information(entry["trained"], entry["scenario"], entry["res"], show_alpha, show_lip)
    st.plotly_chart(cache[key], key="info", theme=None, config={"displaylogo": False})


def downloads(entry) -> None:
    st.subheader("Export")
    res = entry["res"]
    c1, c2, c3 = st.columns(3)
    c1.download_button("Scenario JSON", compute.scenario_json(entry["scenario"], res.forget_ids),
                       file_name="scenario.json", mime="application/json", on_click="ignore", key="dl_json",
                       help="Settings and forget ids; run it with `python -m explorer run --scenario scenario.json`.")
    c2.download_button("Metrics CSV", compute.metrics_csv(res), file_name="metrics.csv", mime="text/csv",
                       on_click="ignore", key="dl_csv", help="Every metric at every recorded step, plus references.")
    fig = entry["figs"]["animation"]
    c3.download_button("Animation HTML", lambda: compute.figures.figure_html(fig), file_name="animation.html",
                       mime="text/html", on_click="ignore", key="dl_html",
                       help="A self-contained page with the animation (works offline).")


def share(scenario: Scenario) -> None:
    st.caption("The page URL holds every setting and the forget set: copy it to share this exact scenario.")
    st.download_button("Scenario JSON (current settings)", compute.scenario_json(scenario, st.session_state["forget"].ids),
                       file_name="scenario.json", mime="application/json", on_click="ignore", key="dl_json_now",
                       help="Loadable by the CLI: `python -m explorer run --scenario scenario.json`.")


# ----------------------------------------------------------------------------------------------
# the paper's Figure 2

def figure2() -> None:
    ss = st.session_state
    st.markdown("**The paper's Figure 2 in one click**: `two_blobs`, forgetting its high-information target and "
                "its low-information target, each shown as retrain | JiT"
                + (" | greedy." if "greedy" in METHODS else
                   ". (Greedy is not registered in this build yet, so its column is left out.)"))
    c1, c2 = st.columns([1, 2])
    spaces = ["probs", "logits"]
    default_space = get_method("jit").default_config().output_space
    space = c1.radio("JiT output space", spaces, index=spaces.index(default_space) if default_space in spaces else 0,
                     key="w.fig2.space", horizontal=True,
                     help="Measure JiT's output change on raw logits (published code) or on softmax probabilities.")
    go_ = c2.button("Show Figure 2", key="fig2", type="primary",
                    help="Train two_blobs (cached), retrain without each target, and run the methods.")
    if go_:
        try:
            scenario = compute.figure2_scenario(space)
            with st.spinner("Training two_blobs and running both rows…"), torch_threads():
                trained = train_for_figure2(scenario)
                key = scenario_key(scenario)
                fig = compute.figure2(trained, scenario,
                                      retrain_for=lambda ids: retrain_for(key, tuple(ids), scenario, trained))
            ss["fig2_result"] = {"fig": fig, "space": space}
        except ScenarioError as err:
            st.error(compute.one_line(err))
        except Exception as err:  # noqa: BLE001
            log.exception("figure 2 failed")
            st.error(f"Figure 2 failed: {type(err).__name__}: {compute.one_line(err)}")
    entry = ss.get("fig2_result")
    if entry:
        if entry["space"] != space:
            st.info("Shown for the other output space; press Show Figure 2 again to update.")
        st.plotly_chart(entry["fig"], key="fig2_chart", theme=None, config={"displaylogo": False})
        st.caption(compute.FIG2_CAPTION)


def train_for_figure2(scenario: Scenario) -> Trained:
    return trained_for(scenario_key(scenario))


ABOUT = """
**What is this?** A small classifier is trained on 2D toy data. You choose training points to *forget*;
an unlearning method then edits the trained model so it behaves as if those points had never been seen.
The gold standard is retraining from scratch without them, which this app also does, so you can compare.

**JiT** (Just in Time, zero-shot) never looks at the rest of the training data: it perturbs each forget
point with Gaussian noise (σ) and takes SGD steps (η) that make the model's output change less around it —
it lowers the model's local Lipschitz constant there. Points near the boundary (low α(x), high information)
move the boundary when forgotten; points deep inside a class barely matter. The *Paper Figure 2* tab shows both.

**Tips.** Hover any control for help. Everything (settings and forget set) is in the URL. The CLI runs the
same scenario: download *Scenario JSON* and run `python -m explorer run --scenario scenario.json`.
"""
