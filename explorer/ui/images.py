"""The images page's panels (Streamlit). pages/images.py wires them; the run and its figures come from
explorer/views/images.py, the maths from explorer/views/image_analysis.py, models from the shared cache."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import streamlit as st

from explorer.views import image_analysis as A
from explorer.figures import images as F
from explorer import pipeline
from explorer.config import selection
from explorer.engine.device import torch_threads
from explorer.engine.models import predict_proba
from explorer.pipeline import Trained
from explorer.config.scenario import Scenario
from explorer.scenarios import default_scenario
from explorer.ui import cache, pool, privacy, settings, shared
from explorer.ui.feedback import progress, reported
from explorer.ui.settings import Control
from explorer.ui.state import ImagesState, Shown, page_state, set_widget, widget_key, widget_value
from explorer.ui.text import HELP, IMAGE_HELP
from explorer.views import images as V
from toy_data import INFO, image_dataset_names
from toy_data.base import SUBCLASS_CLUSTERS
from toy_data.files import FILE, register

PAGE = "img"
CONTROLS = [
    Control("dataset.name", "dataset", " ".join([IMAGE_HELP["dataset"], *(INFO[n].about for n in image_dataset_names())]),
            options=lambda: image_dataset_names() + ([FILE] if state().upload else []),
            format_func=lambda n: INFO[n].title),
    Control("model.kind", help=IMAGE_HELP["model"], options=lambda: ["cnn", "mlp"]),
    Control("model.width"),  # label, help and range: the declaration (explorer/config/model.py)
    Control("model.channels"),
    Control("train.epochs", step=1),
    Control("train.lr", step=1e-4, fmt="%.4f"),
    Control("dataset.seed", help=IMAGE_HELP["seed"]),
    Control("seeds", help=IMAGE_HELP["seeds"]),
]
PAPER_COLUMNS = ("paper_forget_acc", "paper_retain_acc", "mia")


def state() -> ImagesState:
    return page_state("images", ImagesState)


def key(path: str) -> str:
    return widget_key(PAGE, path)


def init_session() -> ImagesState:
    """Widgets from the page's last scenario (Streamlit drops a page's widget state when another page runs)."""
    s = state()
    if widget_value(PAGE, "dataset.name") is None:
        last = s.scenario or default_scenario(image_dataset_names()[0])
        settings.set_widgets(PAGE, last, CONTROLS, settings.runnable_methods())
    return s


# ----------------------------------------------------------------------------------------------
# settings -> scenario

def _base() -> Scenario:
    name = widget_value(PAGE, "dataset.name")
    return default_scenario(name, file=state().upload if name == FILE else None)


def _on_upload() -> None:
    """An .npz of images (x, y) becomes the dataset "your images" (checked first: one line on any problem)."""
    s, upload = state(), st.session_state.get(key("ui.upload"))
    if upload is None:
        return
    try:
        datafile, rows = register(upload.getvalue(), upload.name)
        if not rows.is_images:
            raise ValueError(f"{upload.name} holds points, not images: upload it on the 2D explorer")
    except ValueError as err:
        s.upload_error = str(err)
        return
    s.upload, s.upload_error = datafile, None
    set_widget(PAGE, "dataset.name", FILE)
    _on_dataset_change()


def _on_dataset_change() -> None:
    """A new dataset: its default method settings, and an empty forget set (Undo brings the old one back)."""
    base = _base()
    for method in settings.runnable_methods():
        preset = base.presets.get(method) or settings.default_preset(method)
        set_widget(PAGE, f"presets.{method}", preset or settings.NO_PRESET)
        for name, value in settings.method_values(method, preset).items():
            set_widget(PAGE, f"configs.{method}.{name}", settings.to_widget(value))
    s = state()
    if s.forget.ids:
        s.forget, s.note = s.forget.clear(), "a new dataset starts with an empty forget set (Undo restores it)"


def sidebar() -> Scenario:
    sb = st.sidebar
    sb.header("Data, model, training")
    with sb:
        for c in CONTROLS:
            if c.path == "dataset.name":
                upload = f"your images: {state().upload.name}" if state().upload else FILE  # named now, shown later
                st.selectbox(c.label, c.options(), key=key(c.path),
                             format_func=lambda n, own=upload, title=c.format_func: own if n == FILE else title(n),
                             on_change=_on_dataset_change, help=c.help)
            else:
                settings.draw(PAGE, c)
        st.file_uploader("Your own images (.npz)", type=["npz"], key=key("ui.upload"), on_change=_on_upload,
                         help="An .npz with arrays x (n images, h×w up to 32×32, 1 or 3 channels) and y (n whole labels, "
                              "at most 10 classes), read without unpickling. It becomes the dataset 'your images'.")
        if state().upload_error:
            st.error(state().upload_error)
            state().upload_error = None
        st.header("Unlearning")
        settings.method_block(PAGE, settings.runnable_methods())
        compare = settings.compare_widget(PAGE, widget_value(PAGE, "method"))
    base = _base()
    scenario = settings.scenario_from_widgets(PAGE, base, CONTROLS)
    seed = scenario.dataset.seed  # one seed: split, initial weights, random forget set, the methods' noise
    scenario = pipeline.with_compare(replace(scenario, train=replace(scenario.train, seed=seed), seed=seed), compare)
    state().scenario = scenario
    return scenario


# ----------------------------------------------------------------------------------------------
# training (the shared cache)

def train(scenario: Scenario) -> Trained:
    s = state()
    trained = shared.trained_or_stop(scenario)
    if s.trained_key != cache.training_key(scenario):  # new data or model: no stale results
        s.trained_key, s.result, s.map_last, s.sweep = cache.training_key(scenario), None, None, None
    shared.keep_existing_ids(s, len(trained.data.x_train), "image")
    return trained


def training_summary(trained: Trained) -> None:
    d = trained.data
    probs = predict_proba(trained.model, d.x_test, trained.device)
    acc = float((probs.argmax(1) == d.y_test).mean())
    h = trained.history
    c1, c2, c3 = st.columns(3)
    c1.metric("test accuracy", f"{acc:.1%}", help="Share of held-out test images classified correctly.")
    c2.metric("training images", len(d.x_train), help="Each image's id is its row in the training set.")
    c3.metric("training", f"{h.epochs_run} epochs · {h.seconds:.1f} s",
              help="Epochs run (training stops once the loss plateaus) and wall-clock seconds.")
    with st.expander("Confusion matrix of the trained model (test set)"):
        st.plotly_chart(F.confusion_figure(d.y_test, probs.argmax(1), d.class_names), key=key("ui.confusion"),
                        theme=None)


# ----------------------------------------------------------------------------------------------
# picking images

def set_forget(ids, note: str) -> None:
    s = state()
    s.forget, s.note = s.forget.set(ids), note


def map_coords(trained: Trained, projection: str, space: str) -> np.ndarray:
    s = state()
    map_key = (s.trained_key, projection, space)
    if map_key not in s.maps:
        x = trained.data.x_train
        with torch_threads():
            if space == "features":
                x = A.penultimate_features(trained.model, x, trained.device)
            s.maps[map_key] = A.embed_2d(x, projection, seed=trained.data.spec.seed if trained.data.spec else 0)
    return s.maps[map_key]


def picker_map(trained: Trained) -> None:
    s, d = state(), trained.data
    c1, c2, c3 = st.columns(3)
    projection = c1.radio("projection", ["pca", "tsne"], horizontal=True, key=key("ui.map.projection"),
                          format_func={"pca": "PCA", "tsne": "t-SNE"}.get,
                          help="PCA is instant and linear; t-SNE (a few seconds) keeps neighbours together.")
    space = c2.radio("of", ["inputs", "features"], horizontal=True, key=key("ui.map.space"),
                     format_func={"inputs": "pixels", "features": "network features"}.get,
                     help="Project the raw pixels, or the trained network's penultimate-layer features.")
    mode = c3.radio("a selection", ["add", "remove"], horizontal=True, key=key("ui.map.mode"),
                    help="Clicked, boxed or lassoed images are added to (or removed from) the forget set.")
    fig = F.map_figure(map_coords(trained, projection, space), d.y_train, d.class_names, s.forget.ids)
    event = st.plotly_chart(fig, key=key("ui.map"), on_select="rerun", selection_mode=("points", "box", "lasso"),
                            theme=None, config={"displaylogo": False})
    ids, kind = selection.ids_from_event(event, len(d.x_train))
    signature = (tuple(ids), kind, projection, space)
    if kind != "none" and s.map_last != signature:
        s.map_last = signature
        new = selection.add(s.forget.ids, ids) if mode == "add" else selection.remove(s.forget.ids, ids)
        set_forget(new, f"map: {mode} {len(ids)} image(s) by {kind}")
        st.rerun()
    st.caption("Click, box or lasso images (box/lasso tools in the chart's toolbar; double-click empty space clears the "
               "chart's own selection). Forgotten images are drawn as crosses.")


def pickers(trained: Trained, scenario: Scenario) -> None:
    d = trained.data
    names = lambda c: f"{c}: {d.class_names[c]}"  # noqa: E731
    by_map, by_class, by_sub, by_random = st.tabs(["By map", "By class", "By sub-class", "Random"],
                                                  key=key("ui.pick_tab"), on_change="rerun")
    with by_map:
        picker_map(trained)
    with by_class:
        cls = st.selectbox("class", range(d.n_classes), format_func=names, key=key("ui.pick.class"),
                           help="Forget every training image of this class (the paper's full-class setting).")
        if st.button("Forget this class", key=key("ui.pick.class_go"), help="Replace the forget set with the whole class."):
            set_forget(selection.whole_class(d, cls), f"class {d.class_names[cls]}")
            st.rerun()
    with by_sub:
        c1, c2 = st.columns(2)
        scls = c1.selectbox("class", range(d.n_classes), format_func=names, key=key("ui.pick.subclass"),
                            help="The class to split into sub-classes.")
        cluster = c2.selectbox("sub-class", range(SUBCLASS_CLUSTERS), key=key("ui.pick.cluster"),
                               format_func=lambda k: f"cluster {k + 1} of {SUBCLASS_CLUSTERS} (largest first)",
                               help=f"k-means ({SUBCLASS_CLUSTERS} clusters) on the class's pixels; the analogue of "
                                    "CIFAR-20's 'rocket inside vehicles'.")
        if st.button("Forget this sub-class", key=key("ui.pick.subclass_go"), help="Replace the forget set with the cluster."):
            with reported():
                set_forget(d.subclass_ids(int(scls), int(cluster), seed=scenario.seed),
                           f"sub-class {cluster + 1} of class {d.class_names[scls]}")
                st.rerun()
    with by_random:
        pct = st.number_input("share of the training set (%)", 0.5, 50.0, 5.0, step=0.5, key=key("ui.pick.percent"),
                              help="A seeded random sample of training images (the paper's random setting).")
        if st.button("Forget a random sample", key=key("ui.pick.random_go"),
                     help="Replace the forget set with a random sample."):
            set_forget(selection.random_percent(d, float(pct), seed=scenario.seed), f"random {pct:g} %")
            st.rerun()


def forget_panel(trained: Trained) -> None:
    s, d = state(), trained.data
    n = len(s.forget)
    st.markdown(f"#### Forget set: {n} image{'' if n == 1 else 's'}")
    if s.note:
        st.caption(f"last change: {s.note}")
        s.note = None
    c1, c2 = st.columns(2)
    if c1.button("Undo", key=key("ui.undo"), disabled=not s.forget.can_undo,
                 help="Back to the forget set before the last change."):
        s.forget = s.forget.undo()
        st.rerun()
    if c2.button("Clear", key=key("ui.clear"), disabled=not s.forget.ids, help="Empty the forget set (Undo brings it back)."):
        s.forget = s.forget.clear()
        st.rerun()
    if s.forget.ids:
        counts = np.bincount(d.y_train[list(s.forget.ids)], minlength=d.n_classes)
        st.caption("per class: " + ", ".join(f"{d.class_names[c]}: {n}" for c, n in enumerate(counts) if n))
        st.plotly_chart(F.thumbnails_figure(d.x_train, d.image_shape, s.forget.ids, d.y_train, d.class_names,
                                            max_images=30, cols=6), key=key("ui.thumbnails"), theme=None,
                        config={"displayModeBar": False})
        if len(s.forget) > 30:
            st.caption(f"showing 30 of {len(s.forget)}")


# ----------------------------------------------------------------------------------------------
# unlearning and results

def run_key(scenario: Scenario, ids) -> str:
    return json.dumps({"s": scenario.to_dict(), "ids": list(ids)}, sort_keys=True, default=str)


def unlearn(trained: Trained, scenario: Scenario) -> None:
    s = state()
    ids = list(s.forget.ids)
    if st.button("Unlearn", type="primary", key=key("ui.unlearn"), disabled=not ids,
                 help="Retrain without the forget set (the reference), run the method from the trained model, "
                      "and the methods chosen to compare."):
        with reported("Unlearning"), progress("Retraining without the forget set") as report:
            # The retrain reference depends only on the trained setup and the forget set (the shared cache).
            retrain = cache.retrain_for(scenario, trained, pipeline.resolve_forget(scenario, trained.data, ids), report)
            run = pool.run(V.run, scenario, trained, ids, retrain=retrain, progress=report, device=trained.device)
            run.outcome.trained = trained  # the shared original, not the worker's copy of it
            with torch_threads():
                s.result, s.sweep = Shown(run_key(scenario, ids), run, scenario, V.figures(run)), None
    if not ids:
        st.caption("Pick images to forget first.")


def comparison_table(run: V.ImageRun) -> None:
    out = run.outcome
    models = out.models()
    shared.comparison_table(models, PAGE, "ui.table")
    shared.refusals(out.refused)
    st.markdown("**As in the paper's tables** — the JiT paper's D_f and D_r columns are measured on held-out "
                "images where the forget set is a whole class or sub-class; the table above measures forget and "
                "retain accuracy on training images.")
    st.caption(f"This forget set counts as {out.evaluator.paper.describe()}.")
    frame = shared.comparison_frame(models, shown=PAPER_COLUMNS)
    frame = frame[["method", *[c for m in PAPER_COLUMNS for c in (m, f"{m} gap")]]]
    st.dataframe(frame.style.format(precision=3, na_rep="—"), hide_index=True, key=key("ui.paper_table"))


def results(trained: Trained, scenario: Scenario) -> None:
    s = state()
    if s.result is None:
        return
    run, figs = s.result.outcome, s.result.figures
    out = run.outcome
    if s.result.key != run_key(scenario, s.forget.ids):
        st.info("Settings or the forget set changed since this run; press Unlearn to update.")
    st.subheader("What moved")
    shared.show_verdict(out.verdict())
    comparison_table(run)
    st.caption(f"retrain {out.retrain_seconds:.2f} s (cached per forget set) · {out.method} "
               f"{out.main.seconds:.2f} s · {len(run.steps)} recorded steps")
    st.markdown("**Boundary through a forgotten image** — the plane in pixel space through the forgotten image and its "
                "nearest training images of other classes; colour = predicted class (pale = unsure); dashed = the "
                "retrained model's boundary. Press Play to watch the method's steps.")
    pick = st.radio("plane through", range(len(run.planes)), horizontal=True, key=key("ui.plane_pick"),
                    format_func=lambda k: f"#{run.planes[k].anchor_ids[0]}",
                    help="Which forgotten image the plane goes through.") if len(run.planes) > 1 else 0
    if run.planes:
        st.plotly_chart(figs[V.plane_probe(pick)], key=key("ui.plane"), theme=None)
    c1, c2 = st.columns(2)
    c1.plotly_chart(figs["metrics"], key=key("ui.metrics"), theme=None)
    c2.plotly_chart(figs["per_class"], key=key("ui.per_class"), theme=None)
    st.markdown("**Per forgotten image** — class probabilities of the unlearned model (red, press Play for each step) "
                "beside the retrained model's (grey).")
    cols = st.columns(2)
    for k in range(len(run.shown_ids)):
        cols[k % 2].plotly_chart(figs[f"probs_{k}"], key=key(f"ui.probs_{k}"), theme=None)
    if "seeds_0" in figs:  # a run over several training seeds: the final models' spread, per forgotten image
        st.markdown(f"**Over the {out.seeds} training seeds** — one dot per seed's final model: the method's (red) "
                    "beside the retrained models' (grey). Where the red dots fall among the grey ones, the method "
                    "forgot that image as retraining does, within training noise.")
        cols = st.columns(2)
        for k in range(len(run.shown_ids)):
            cols[k % 2].plotly_chart(figs[f"seeds_{k}"], key=key(f"ui.seeds_{k}"), theme=None)
    c1, c2 = st.columns(2)
    c1.plotly_chart(figs["entropy"], key=key("ui.entropy"), theme=None)
    c2.plotly_chart(figs["confusion"], key=key("ui.confusion_after"), theme=None)
    sweep_panel(s.result.scenario, run)
    privacy.panel(s.result, PAGE, run.outcome, image=True)


def sweep_panel(scenario: Scenario, run: V.ImageRun) -> None:
    """A method over two of its settings (JiT over σ×η unless another is picked) on the shown run: its scenario,
    its forget set and its retrained reference."""
    s = state()
    with st.expander("σ×η sweep: where does JiT have a usable window? (or any method over two settings)"):
        st.caption("JiT once per (σ, η) on this forget set, with the other settings of the chosen preset; compare "
                   "raw logits with softmax probabilities. A window = high retain accuracy and low forget accuracy. "
                   "Pick another method to sweep two of its settings instead.")
        space = st.radio("output space (JiT)", ["probs", "logits"], key=key("ui.sweep.space"), horizontal=True,
                         help="Where JiT measures output change: softmax probabilities or raw logits.")
        jit_values = {"sigma": "0.3, 0.7, 1.0", "eta": "0.05, 0.1, 0.2, 0.3" if space == "probs" else "0.001, 0.003, 0.01"}
        picked = shared.sweep_axes(key, scenario, jit_values, lambda setting, _: f".{space}" if setting == "eta" else "")
        if picked is None:
            return
        method, _, (x, xs), (y, ys) = picked
        jit = method == "jit"
        guard = (shared.guard_switch(key("ui.sweep.guard"), pipeline.method_config(scenario, "jit"), HELP["sweep_guard"])
                 if jit else None)
        if st.button("Run sweep", key=key("ui.sweep.run"), help="Runs every cell (a few seconds each on a laptop CPU)."):
            sc = replace(scenario, configs={**scenario.configs, "jit": {**scenario.configs.get("jit", {}),
                                                                       "output_space": space}}) if jit else scenario
            with reported("Sweep"), progress("sweeping") as report:
                s.sweep = (space if jit else None,
                           shared.run_sweep(sc, run.outcome.trained, run.outcome.forget_ids, xs, ys, run.outcome.retrain,
                                            report, max_step_change=guard, method=method, axes=(x, y)))
        if s.sweep:
            space, result = s.sweep
            where = f" in {space} space" if space else f" over {result.x}×{result.y}"
            shared.sweep_chart(result, key("ui.sweep.chart"),
                               title=f"{result.label}{where} ({result.seconds:.1f} s)")
