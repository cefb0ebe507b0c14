"""Real images: forget digits or faces, and see what moves.

Streamlit picks this file up as a page next to app.py. Every session key here starts with "img."
so it never collides with the 2D explorer's state. Numbers come from explorer/pipeline.py and
explorer/image_views.py; selection logic from explorer/selection.py.
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import streamlit as st

from explorer import image_views as V
from explorer import pipeline, selection
from explorer.models import ModelConfig, predict_proba
from explorer.scenario import Scenario, ScenarioError, subclass_ids, SUBCLASS_CLUSTERS
from explorer.training import default_train_config
from explorer.ui import shared
from explorer.unlearning.jit import default_preset
from explorer.unlearning import get_method, method_names
from toy_data import default_spec
from toy_data.images import IMAGE_DATASETS

log = logging.getLogger("explorer.images")
st.set_page_config(page_title="Unlearning explorer · images", page_icon="🖼️", layout="wide")
ss = st.session_state

DATASET_HELP = {
    "digits": "sklearn's 8×8 handwritten digits (UCI optdigits, 1,797 images, 10 classes), shipped inside scikit-learn.",
    "faces": "scikit-image's lfw_subset: 100 faces from Labeled Faces in the Wild + 100 non-faces, 25×25, shipped inside scikit-image.",
}
MAX_CACHE = 3


# ----------------------------------------------------------------------------------------------
# settings -> scenario

def sidebar() -> Scenario:
    sb = st.sidebar
    sb.header("Data, model, training")
    name = sb.selectbox("dataset", list(IMAGE_DATASETS), key="img.dataset",
                        format_func=lambda n: {"digits": "digits (8×8, 10 classes)", "faces": "faces vs non-faces (25×25)"}[n],
                        help="Both ship inside installed packages: nothing is downloaded. " + " ".join(DATASET_HELP.values()))
    kind = sb.selectbox("model", ["cnn", "mlp"], key="img.model",
                        help="cnn: conv-pool-conv-pool-dense (its penultimate features can drive the map); "
                             "mlp: dense layers on the flattened pixels.")
    width = sb.number_input("dense width", 8, 512, 64, step=8, key="img.width",
                            help="Units in the dense hidden layer(s).")
    channels = sb.number_input("conv channels", 4, 64, 16, step=4, key="img.channels",
                               help="Channels of the CNN's first conv layer (the second has twice as many). Ignored by the MLP.")
    epochs = sb.number_input("max epochs", 1, 200, 30, key="img.epochs",
                             help="Upper bound on training epochs; training stops earlier once the loss plateaus.")
    lr = sb.number_input("learning rate", 1e-4, 1e-1, 2e-3, format="%.4f", key="img.lr",
                         help="Adam learning rate for training (and for the retrained reference).")
    seed = sb.number_input("seed", 0, 10_000, 0, key="img.seed",
                           help="Seeds the train/test split, the initial weights, the random forget set and JiT's noise.")
    sb.header("Unlearning")
    jit = get_method("jit")
    presets = list(jit.presets)
    preset = sb.selectbox("JiT preset", presets, index=presets.index(default_preset(name)),
                          key=f"img.preset.{name}",
                          help="Where JiT's σ, η and the other settings come from; each preset's source is shown below.")
    cfg = jit.presets[preset].config
    sb.caption(f"source: {jit.presets[preset].source}")
    sigma = sb.number_input("σ (noise std)", 1e-3, 5.0, float(cfg.sigma), format="%.3f", key=f"img.sigma.{name}.{preset}",
                            help="Std of the Gaussian perturbations around each forget image (pixels are in [0, 1]).")
    eta = sb.number_input("η (learning rate)", 1e-6, 5.0, float(cfg.eta), format="%.5f", key=f"img.eta.{name}.{preset}",
                          help="JiT's SGD step size. Too large collapses the model; too small forgets nothing.")
    compare = sb.multiselect("also compare", [m for m in method_names() if m not in ("jit", "retrain")],
                             key="img.compare", help="Baselines run on the same forget set and appear in the comparison table.")
    spec = default_spec(name, seed=int(seed))
    train = replace(default_train_config(True, seed=int(seed)), epochs=int(epochs), lr=float(lr))
    model = ModelConfig(kind=kind, width=int(width), channels=int(channels))
    return Scenario(dataset=spec, model=model, train=train, presets={"jit": preset},
                    configs={"jit": {"sigma": float(sigma), "eta": float(eta)}}, compare=tuple(compare),
                    device="auto", seed=int(seed))


def train_key(scenario: Scenario) -> str:
    d = scenario.to_dict()
    return json.dumps({k: d[k] for k in ("dataset", "model", "train", "device")}, sort_keys=True)


def get_trained(scenario: Scenario):
    cache = ss.setdefault("img.trained_cache", {})
    key = train_key(scenario)
    if key not in cache:
        bar = st.progress(0.0, text="training the original model…")
        trained = pipeline.train_original(scenario, lambda label, f: bar.progress(min(max(f, 0.0), 1.0), text=label))
        bar.empty()
        while len(cache) >= MAX_CACHE:
            cache.pop(next(iter(cache)))
        cache[key] = trained
    if ss.get("img.trained_key") != key:  # new data or model: no stale results; keep the forget ids that exist
        ss["img.trained_key"] = key
        ss.pop("img.run", None)
        ss.pop("img.map_last", None)
        n = len(cache[key].data.x_train)
        kept, dropped = selection.clip_to_range(forget_state().ids, n)
        if dropped:
            ss["img.forget"] = forget_state().set(kept)
            st.warning(f"The training set now has {n} images: kept {len(kept)} forget image(s), dropped "
                       f"{len(dropped)} whose id no longer exists. Undo restores them.")
    return cache[key]


# ----------------------------------------------------------------------------------------------
# picking images

def forget_state() -> selection.ForgetState:
    return ss.setdefault("img.forget", selection.ForgetState())


def set_forget(ids, note: str | None = None) -> None:
    ss["img.forget"] = forget_state().set(ids)
    if note:
        ss["img.note"] = note


def map_coords(trained, projection: str, space: str) -> np.ndarray:
    cache = ss.setdefault("img.map_cache", {})
    key = (ss.get("img.trained_key"), projection, space)
    if key not in cache:
        x = trained.data.x_train
        if space == "features":
            x = V.penultimate_features(trained.model, x, trained.device)
        cache.clear()
        cache[key] = V.embed_2d(x, projection, seed=trained.data.spec.seed if trained.data.spec else 0)
    return cache[key]


def picker_map(trained) -> None:
    d = trained.data
    c1, c2, c3 = st.columns(3)
    projection = c1.radio("projection", ["pca", "tsne"], horizontal=True, key="img.proj",
                          format_func={"pca": "PCA", "tsne": "t-SNE"}.get,
                          help="PCA is instant and linear; t-SNE (a few seconds) keeps neighbours together.")
    space = c2.radio("of", ["inputs", "features"], horizontal=True, key="img.space",
                     format_func={"inputs": "pixels", "features": "network features"}.get,
                     help="Project the raw pixels, or the trained network's penultimate-layer features.")
    mode = c3.radio("a selection", ["add", "remove"], horizontal=True, key="img.map_mode",
                    help="Clicked, boxed or lassoed images are added to (or removed from) the forget set.")
    coords = map_coords(trained, projection, space)
    fig = V.map_figure(coords, d.y_train, d.class_names, forget_state().ids)
    event = st.plotly_chart(fig, key="img.map", on_select="rerun", selection_mode=("points", "box", "lasso"),
                            theme=None, config={"displaylogo": False})
    ids, kind = selection.ids_from_event(event, len(d.x_train))
    signature = (tuple(ids), kind, projection, space)
    if kind != "none" and ss.get("img.map_last") != signature:
        ss["img.map_last"] = signature
        state = forget_state()
        new = selection.add(state.ids, ids) if mode == "add" else selection.remove(state.ids, ids)
        set_forget(new, f"map: {mode} {len(ids)} image(s) by {kind}")
        st.rerun()
    st.caption("Click, box or lasso images (box/lasso tools in the chart's toolbar; double-click empty space clears the "
               "chart's own selection). Forgotten images are drawn as crosses.")


def pickers(trained) -> None:
    d = trained.data
    by_map, by_class, by_sub, by_random = st.tabs(["By map", "By class", "By sub-class", "Random"])
    with by_map:
        picker_map(trained)
    with by_class:
        cls = st.selectbox("class", range(d.n_classes), format_func=lambda c: f"{c}: {d.class_names[c]}",
                           key="img.class", help="Forget every training image of this class (the paper's full-class setting).")
        if st.button("Forget this class", key="img.pick_class", help="Replace the forget set with the whole class."):
            set_forget(selection.whole_class(d, cls), f"class {d.class_names[cls]}")
            st.rerun()
    with by_sub:
        c1, c2 = st.columns(2)
        scls = c1.selectbox("class", range(d.n_classes), format_func=lambda c: f"{c}: {d.class_names[c]}", key="img.sub_class",
                            help="The class to split into sub-classes.")
        cluster = c2.selectbox("sub-class", range(SUBCLASS_CLUSTERS), key="img.sub_cluster",
                               format_func=lambda k: f"cluster {k + 1} of {SUBCLASS_CLUSTERS} (largest first)",
                               help=f"k-means ({SUBCLASS_CLUSTERS} clusters) on the class's pixels; the analogue of "
                                    "CIFAR-20's 'rocket inside vehicles'.")
        if st.button("Forget this sub-class", key="img.pick_sub", help="Replace the forget set with the cluster."):
            set_forget(subclass_ids(d, int(scls), int(cluster), seed=d.spec.seed if d.spec else 0),
                       f"sub-class {cluster + 1} of class {d.class_names[scls]}")
            st.rerun()
    with by_random:
        pct = st.number_input("share of the training set (%)", 0.5, 50.0, 5.0, step=0.5, key="img.random_pct",
                              help="A seeded random sample of training images (the paper's random setting).")
        if st.button("Forget a random sample", key="img.pick_random", help="Replace the forget set with a random sample."):
            set_forget(selection.random_percent(d, float(pct), seed=int(ss.get("img.seed", 0))), f"random {pct:g} %")
            st.rerun()


def forget_panel(trained) -> None:
    d = trained.data
    state = forget_state()
    st.markdown(f"#### Forget set: {len(state)} image(s)")
    note = ss.pop("img.note", None)
    if note:
        st.caption(f"last change: {note}")
    c1, c2 = st.columns(2)
    if c1.button("Undo", key="img.undo", disabled=not state.can_undo, help="Back to the forget set before the last change."):
        ss["img.forget"] = state.undo()
        st.rerun()
    if c2.button("Clear", key="img.clear", disabled=not state.ids, help="Empty the forget set (Undo brings it back)."):
        ss["img.forget"] = state.clear()
        st.rerun()
    if state.ids:
        counts = np.bincount(d.y_train[list(state.ids)], minlength=d.n_classes)
        st.caption("per class: " + ", ".join(f"{d.class_names[c]}: {n}" for c, n in enumerate(counts) if n))
        st.plotly_chart(V.thumbnails_figure(d.x_train, d.image_shape, state.ids, d.y_train, d.class_names,
                                            max_images=30, cols=6), key="img.thumbs", theme=None,
                        config={"displayModeBar": False})
        if len(state) > 30:
            st.caption(f"showing 30 of {len(state)}")


# ----------------------------------------------------------------------------------------------
# unlearning and results

def run_key(scenario: Scenario, ids) -> str:
    d = scenario.to_dict()
    return json.dumps({"s": d, "ids": list(ids)}, sort_keys=True, default=str)


def unlearn(trained, scenario: Scenario) -> None:
    ids = list(forget_state().ids)
    if st.button("Unlearn", type="primary", key="img.unlearn", disabled=not ids,
                 help="Retrain without the forget set (the reference), run JiT from the trained model, and the baselines."):
        bar = st.progress(0.0, text="starting…")
        progress = lambda label, f: bar.progress(min(max(f, 0.0), 1.0), text=label)  # noqa: E731
        # The retrain reference depends only on the trained setup and the forget set: reuse it when only
        # the unlearning settings changed.
        cache = ss.setdefault("img.retrain_cache", {})
        key = (train_key(scenario), tuple(sorted(ids)))
        if key not in cache:
            cache.clear()
            model_r, _, seconds = pipeline.retrain_reference(scenario, trained, sorted(ids), progress)
            cache[key] = (model_r, seconds)
        run = V.run_images(scenario, trained, ids, "jit", retrain=cache[key], compare=scenario.compare,
                           progress=progress)
        bar.empty()
        ss["img.run"] = (run_key(scenario, ids), run, V.run_figures(run, trained.data))
    if not ids:
        st.caption("Pick images to forget first.")


PAPER_COLUMNS = ("paper_forget_acc", "paper_retain_acc", "mia")


def comparison_table(run) -> None:
    shared.comparison_table(run.models, key="img.table")
    for name, reason in run.refused.items():
        st.info(f"{name} did not run: {reason}")
    st.markdown("**As in the paper's tables** — the JiT paper's D_f and D_r columns are measured on held-out "
                "images where the forget set is a whole class or sub-class; the table above measures forget and "
                "retain accuracy on training images.")
    st.caption(f"This forget set counts as {run.paper_split}.")
    frame = shared.comparison_frame(run.models, shown=PAPER_COLUMNS)
    frame = frame[["method", *[c for m in PAPER_COLUMNS for c in (m, f"{m} gap")]]]
    st.dataframe(frame.style.format(precision=3, na_rep="—"), hide_index=True, key="img.paper_table")


def image_verdict(run):
    from explorer.verdict import judge, method_label

    models, label = run.models, method_label(run.method)
    return judge(label, models[run.method]["metrics"], models["original"]["metrics"], models["retrain"]["metrics"],
                 len(run.forget_ids), "predictions", models[run.method].get("stopped"))


def results(trained, scenario: Scenario) -> None:
    entry = ss.get("img.run")
    if not entry:
        return
    key, run, figs = entry
    if key != run_key(scenario, forget_state().ids):
        st.info("Settings or the forget set changed since this run; press Unlearn to update.")
    st.subheader("What moved")
    shared.show_verdict(image_verdict(run))
    comparison_table(run)
    st.caption(f"retrain {run.seconds['retrain']:.2f} s · JiT {run.models['jit']['seconds']:.2f} s · "
               f"{len(run.steps)} recorded steps")
    st.markdown("**Boundary through a forgotten image** — the plane in pixel space through the forgotten image and its "
                "nearest training images of other classes; colour = predicted class (pale = unsure); dashed = the "
                "retrained model's boundary. Press Play to watch JiT's steps.")
    planes = [k for k in figs if k.startswith("plane_")]
    pick = st.radio("plane through", range(len(planes)), horizontal=True, key="img.plane_pick",
                    format_func=lambda k: f"#{run.planes[k].anchor_ids[0]}",
                    help="Which forgotten image the plane goes through.") if len(planes) > 1 else 0
    st.plotly_chart(figs[f"plane_{pick}"], key="img.plane", theme=None)
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(figs["metrics"], key="img.metrics", theme=None)
    with c2:
        st.plotly_chart(figs["per_class"], key="img.per_class", theme=None)
    st.markdown("**Per forgotten image** — class probabilities of the unlearned model (red, press Play for each step) "
                "beside the retrained model's (grey).")
    cols = st.columns(2)
    for k in range(len(run.shown_ids)):
        with cols[k % 2]:
            st.plotly_chart(figs[f"probs_{k}"], key=f"img.probs_{k}", theme=None)
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(figs["entropy"], key="img.entropy", theme=None)
    with c2:
        st.plotly_chart(figs["confusion"], key="img.confusion_after", theme=None)
    sweep_panel(trained, scenario, run)


def sweep_panel(trained, scenario: Scenario, run) -> None:
    with st.expander("σ×η sweep: where does JiT have a usable window?"):
        st.caption("JiT once per (σ, η) on this forget set, with the other settings of the chosen preset; compare "
                   "raw logits with softmax probabilities. A window = high retain accuracy and low forget accuracy.")
        c1, c2, c3 = st.columns(3)
        space = c1.radio("output space", ["probs", "logits"], key="img.sweep_space", horizontal=True,
                         help="Where JiT measures output change: softmax probabilities or raw logits.")
        sigmas = c2.text_input("σ values", "0.3, 0.7, 1.0", key="img.sweep_sigmas", help="Comma-separated noise stds.")
        etas = c3.text_input("η values", "0.05, 0.1, 0.2, 0.3" if space == "probs" else "0.001, 0.003, 0.01",
                             key=f"img.sweep_etas.{space}", help="Comma-separated JiT learning rates.")
        if st.button("Run sweep", key="img.sweep_run", help="Runs every cell (a few seconds each on a laptop CPU)."):
            from explorer.sweep import sweep_jit
            sc = replace(scenario, configs={"jit": {**scenario.configs.get("jit", {}), "output_space": space}})
            bar = st.progress(0.0, text="sweeping…")
            result = sweep_jit(sc, trained, run.forget_ids, shared.parse_floats(sigmas), shared.parse_floats(etas),
                               progress=lambda done, total: bar.progress(done / max(total, 1), text=f"{done}/{total} cells"),
                               retrain=run.retrain_model)
            bar.empty()
            ss["img.sweep"] = (space, result)
        if ss.get("img.sweep"):
            space, result = ss["img.sweep"]
            st.plotly_chart(V.sweep_figure(result, title=f"JiT in {space} space ({result.seconds:.1f} s)"),
                            key="img.sweep_fig", theme=None)


def training_summary(trained) -> None:
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
        st.plotly_chart(V.confusion_figure(d.y_test, probs.argmax(1), d.class_names), key="img.confusion", theme=None)


def main() -> None:
    st.title("Real images: what does JiT forget?")
    st.caption("Train a small network on real images, pick images to forget, and compare zero-shot JiT "
               "unlearning (Foster et al., arXiv 2402.01401) with retraining from scratch.")
    scenario = sidebar()
    trained = get_trained(scenario)
    training_summary(trained)
    left, right = st.columns([3, 2])
    with left:
        pickers(trained)
    with right:
        forget_panel(trained)
        unlearn(trained, scenario)
    results(trained, scenario)


try:
    main()
except ScenarioError as err:
    st.error(str(err).strip().splitlines()[0])
except ValueError as err:
    st.error(str(err).strip().splitlines()[0] if str(err) else "invalid input")
except Exception as err:  # noqa: BLE001 - no traceback ever reaches the page
    log.exception("the images page failed")
    st.error(f"Something went wrong: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}. "
             "Try other settings or reload the page.")
