"""The 2D explorer's panels (Streamlit). app.py wires them; numbers and figures come from
explorer/views/two_d.py, models from the shared cache, prose from explorer/ui/text.py."""
from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import replace

import streamlit as st

from explorer import pipeline

from explorer.figures import two_d as figures
from explorer.figures.common import figure_html, from_spec, specs_only

from explorer.config import selection

from explorer.config import urlstate
from explorer.engine.device import torch_threads
from explorer.measures.metrics import METRICS
from explorer.engine.models import predict_proba
from explorer.pipeline import Trained, method_config
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.ui import cache, edit, lessons, links, pool, privacy, settings, shared
from explorer.ui.feedback import error_line, notice, progress, reported
from explorer.ui.settings import Control
from explorer.ui.state import ExploreState, Shown, page_state, set_widget, widget_key, widget_value
from explorer.ui.text import HELP, PANEL_HELP
from explorer.views import exports
from explorer.views import one_d as V1
from explorer.views import two_d as V
from toy_data import default_spec
from explorer.config.edits import DataEdits

PAGE = "2d"


CONTROLS = [  # labels, help and ranges: the settings' declarations (explorer/config/declare.py) unless worded here
    Control("dataset.name", help=HELP["ds"], options=edit.dataset_options),
    Control("dataset.samples", enabled=edit.generated),
    Control("dataset.noise", fmt="%.2f", enabled=edit.generated),
    Control("dataset.classes", enabled=lambda get: get("dataset.name") in ("blobs", "spiral")),
    Control("dataset.seed", help=HELP["seed"]),
    Control("dataset.test_fraction", slider=True),
    Control("model.depth"),
    Control("model.width"),
    Control("model.activation"),
    Control("train.epochs"),
    Control("train.lr", fmt="%.4g"),
    Control("train.weight_decay", fmt="%.4g"),
    Control("seeds", help=HELP["seeds"]),
]
NO_WIDGET = ("seed", "grid_resolution", "record_every", "lipschitz_sigma", "lipschitz_space")  # from the URL only
SECTIONS = {"dataset": ("Dataset", True), "model": ("Model", False), "train": ("Training", False),
            "seeds": ("Training seeds", False)}


def state() -> ExploreState:
    return page_state("explore", ExploreState)


def key(path: str) -> str:
    return widget_key(PAGE, path)


# ----------------------------------------------------------------------------------------------
# the session's first run: everything from the URL

def _link_params() -> dict[str, str]:
    return {k: v for k, v in st.query_params.to_dict().items() if k != "classroom"}


def init_session() -> ExploreState:
    """The page's scenario and forget set from the URL: on the session's first run, and whenever the URL holds
    a link the page did not write itself (another page, e.g. the atlas, sent the user here with one)."""
    s = state()
    params = _link_params()
    if s.initialized and (params == s.synced or not params):
        if widget_value(PAGE, "dataset.name") is None:  # back from another page: Streamlit dropped our widgets
            settings.set_widgets(PAGE, s.scenario, CONTROLS, settings.runnable_methods())
        return s
    if not s.initialized:  # a link Streamlit dropped before explorer/ui/links.py was in place: reload once
        s.hold_url = links.reload_if_dropped(params)
    try:
        scenario, ids, notices = urlstate.from_params(params)
    except Exception as err:  # noqa: BLE001 - never let a malformed URL break the page
        scenario, ids, notices = default_scenario("moons"), [], [error_line("Reading the URL", err) + "; using defaults."]
    settings.set_widgets(PAGE, scenario, CONTROLS, settings.runnable_methods())
    s.base = s.scenario = scenario
    edits = scenario.dataset.edits
    s.forget = s.forget.edit(edits, ids) if s.initialized else selection.ForgetState(tuple(ids), edits=edits)
    s.notices, s.initialized = notices, True
    return s


# ----------------------------------------------------------------------------------------------
# sidebar

def _on_dataset_change() -> None:
    """A new dataset: its own default fields, and an empty forget set (Undo brings the old one back)."""
    spec = default_spec(widget_value(PAGE, "dataset.name"))
    for c in CONTROLS:
        if c.section == "dataset" and c.path != "dataset.name":
            set_widget(PAGE, c.path, settings.get_path(Scenario(dataset=spec), c.path))
    s = state()
    if s.forget.ids or s.forget.edits:  # the edits were of the old data
        s.forget = s.forget.edit(DataEdits(), ())


def sidebar() -> Scenario:
    """Draw the settings and return the scenario they describe."""
    s = state()
    for section, (title, expanded) in SECTIONS.items():
        with st.sidebar.expander(title, expanded=expanded):
            for c in CONTROLS:
                if c.section != section:
                    continue
                if c.path == "dataset.name":
                    st.selectbox(c.label, c.options(), key=key(c.path), on_change=_on_dataset_change, help=c.help,
                                 format_func=edit.dataset_labels())
                else:
                    settings.draw(PAGE, c)
            if section == "dataset":
                edit.upload_widget()
    with st.sidebar.expander("Unlearning", expanded=True):
        settings.method_block(PAGE, settings.runnable_methods())
        settings.compare_widget(PAGE, widget_value(PAGE, "method"))
    name, base = widget_value(PAGE, "dataset.name"), s.base
    if base.dataset.name != name:  # another dataset: its defaults, with the link's settings that have no widget
        base = replace(default_scenario(name), **{f: getattr(s.base, f) for f in NO_WIDGET})
    scenario = settings.scenario_from_widgets(PAGE, base, CONTROLS)
    scenario = settings.with_path(scenario, "train.seed", scenario.dataset.seed)  # one seed for data and weights
    scenario = edit.with_data(scenario)  # the uploaded file and the hand edits (explorer/ui/edit.py)
    s.scenario = pipeline.with_compare(scenario, widget_value(PAGE, "compare", []))
    return s.scenario


# ----------------------------------------------------------------------------------------------
# training (cached) and keeping the forget set valid

def train(scenario: Scenario) -> Trained:
    s = state()
    trained = shared.trained_or_stop(scenario)
    s.trained_key, s.n_train = cache.training_key(scenario), len(trained.data.x_train)
    shared.keep_existing_ids(s, s.n_train, "point")
    return trained


def sync_url(scenario: Scenario) -> None:
    if state().hold_url:  # the browser may still reload this link: leave its address as it is, this run
        state().hold_url = False
        return
    params = urlstate.to_params(scenario, state().forget.ids)
    state().synced = dict(params)  # what the page wrote itself (a link from elsewhere differs)
    if lessons.classroom():
        params["classroom"] = "1"
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


@st.cache_data(max_entries=16, show_spinner=False)
def _alpha(training_key: str, _trained: Trained):
    return V.alpha_scores(_trained)


@st.cache_data(max_entries=16, show_spinner=False)
def _original_probs(training_key: str, _trained: Trained):
    """The original model on the grid and on the training points (the editor and the presets read them)."""
    return (predict_proba(_trained.model, _trained.eval_inputs),
            predict_proba(_trained.model, _trained.data.x_train))


# ----------------------------------------------------------------------------------------------
# the forget-set editor

def _on_select() -> None:
    s = state()
    ids, kind = selection.ids_from_event(st.session_state.get(key("ui.editor")), s.n_train)
    if kind != "none":
        s.forget = s.forget.apply(ids, kind)


def _undo() -> None:
    state().forget = state().forget.undo()


def _clear() -> None:
    state().forget = state().forget.clear()


def editor(trained: Trained) -> None:
    s = state()
    d, g = trained.data, trained.grid
    if d.is_1d:
        fig = V1.data_figure(trained, s.forget.ids, scale=lessons.CLASSROOM_SCALE if lessons.classroom() else 1.0)
        st.markdown(PANEL_HELP["editor_1d"])
        st.plotly_chart(fig, key=key("ui.editor"), on_select=_on_select, selection_mode=("points", "box", "lasso"),
                        theme=None, config={"displaylogo": False})
        return
    grid_probs, _ = _original_probs(s.trained_key, trained)
    with nullcontext() if edit.editing() else specs_only():  # drawn as built (every rerun): straight into its spec
        base = figures.editor_figure(d.x_train, d.y_train, g.xs, g.ys, grid_probs, d.n_classes, s.forget.ids,
                                     alpha=_alpha(s.trained_key, trained))
    fig = edit.figure(base, trained)
    st.markdown(PANEL_HELP["editor"])
    st.plotly_chart(fig, key=key("ui.editor"), on_select=edit.on_select if edit.editing() else _on_select,
                    selection_mode=("points", "box", "lasso"),
                    theme=None, config={"displaylogo": False, "modeBarButtonsToRemove": ["autoScale2d"]})


PRESET_KINDS = {"boundary": "a point on the boundary", "deep": "a point deep inside its class",
                "class": "a whole class", "random": "random k %", "info": "the k highest-information points"}


def forget_controls(trained: Trained, scenario: Scenario) -> None:
    s = state()
    n = len(s.forget)
    st.markdown(f"#### Forget set: {n} point{'' if n == 1 else 's'}")
    if s.forget.ids:
        shown = urlstate.encode_ids(s.forget.ids)
        st.caption(f"ids {shown if len(shown) < 120 else shown[:117] + '…'}")
    c1, c2 = st.columns(2)
    c1.button("Undo", on_click=_undo, disabled=not s.forget.can_undo, key=key("ui.undo"), width="stretch",
              help="Go back to the forget set before the last change.")
    c2.button("Clear", on_click=_clear, disabled=not s.forget.ids, key=key("ui.clear"), width="stretch",
              help="Empty the forget set (Undo brings it back).")
    with st.expander("Presets", expanded=False):
        kind = st.selectbox("preset", list(PRESET_KINDS), format_func=PRESET_KINDS.get, key=key("ui.preset.kind"),
                            help="Replace the forget set with a chosen kind of points (Undo goes back).")
        if kind == "class":
            st.number_input("class", 0, trained.data.n_classes - 1, step=1, key=key("ui.preset.class"),
                            help="Which class to forget entirely.")
        elif kind == "random":
            st.number_input("k %", 0.5, 99.0, value=5.0, step=0.5, key=key("ui.preset.percent"),
                            help="Share of the training set to forget, drawn with the scenario's seed.")
        elif kind == "info":
            st.number_input("k", 1, max(1, len(trained.data.x_train) - 1), value=3, step=1, key=key("ui.preset.k"),
                            help="How many of the lowest-α(x) (most informative) points to forget.")
        st.button("Apply preset", key=key("ui.preset.apply"), on_click=_apply_preset, args=(trained, scenario),
                  help="Replace the forget set with this preset's points.")


def _apply_preset(trained: Trained, scenario: Scenario) -> None:
    s = state()
    d = trained.data
    kind = widget_value(PAGE, "ui.preset.kind", "boundary")
    try:
        _, train_probs = _original_probs(s.trained_key, trained)
        if kind == "boundary":
            ids = selection.boundary_point(d, train_probs)
        elif kind == "deep":
            ids = selection.deep_point(d, train_probs)
        elif kind == "class":
            ids = selection.whole_class(d, int(widget_value(PAGE, "ui.preset.class", 0)))
        elif kind == "random":
            ids = selection.random_percent(d, float(widget_value(PAGE, "ui.preset.percent", 5.0)), scenario.seed)
        else:
            ids = selection.highest_information(d, int(widget_value(PAGE, "ui.preset.k", 3)),
                                                _alpha(s.trained_key, trained))
    except ValueError as err:
        s.flash = str(err)
        return
    s.forget = s.forget.set(ids)


def share(scenario: Scenario) -> None:
    if lessons.classroom():  # a projector needs no downloads
        return
    st.caption("The page URL holds every setting and the forget set: copy it to share this exact scenario.")
    st.download_button("Scenario JSON (current settings)", exports.scenario_json(scenario, state().forget.ids),
                       file_name="scenario.json", mime="application/json", on_click="ignore",
                       key=key("ui.download.scenario_now"),
                       help="Loadable by the CLI: `python -m explorer run --scenario scenario.json`.")


# ----------------------------------------------------------------------------------------------
# Unlearn and the results

def result_key(scenario: Scenario, ids) -> str:
    return json.dumps([scenario.to_dict(), list(ids)], sort_keys=True)


def unlearn_button(trained: Trained, scenario: Scenario) -> None:
    s = state()
    if s.forget.ids and trained.device.type == "cpu":
        cache.prefetch_retrain(scenario, trained, s.forget.ids)
    if not st.button("Unlearn", type="primary", key=key("ui.unlearn"), width="stretch",
                     help="Run the chosen method on the forget set, and retrain without it for reference."):
        return
    ids = list(s.forget.ids)
    with reported("Unlearning"), progress("Retraining without the forget set") as report:
        if not ids:
            raise ScenarioError("The forget set is empty: click points on the training-data chart "
                                "(or use a preset) before pressing Unlearn.")
        run_key = result_key(scenario, ids)

        def compute():
            forget = pipeline.resolve_forget(scenario, trained.data, ids, len(trained.eval_inputs), figures.MAX_FRAMES)
            retrain = cache.retrain_for(scenario, trained, forget, report)  # the budget was checked just above
            out, specs = pool.run(V.page_run, scenario, trained, ids, retrain, progress=report, device=trained.device)
            out.trained = trained  # the shared original, not the worker's copy of it
            return out, {name: from_spec(spec) for name, spec in specs.items()}
        out, figs = cache.result_for(run_key, compute)  # a class on one link computes each run once
        s.result = Shown(run_key, out, scenario, dict(figs))


def results(scenario: Scenario) -> None:
    s = state()
    shown_run = s.result
    if shown_run is None:
        st.info("Pick points to forget, then press **Unlearn** to watch the boundary move.")
        return
    out = shown_run.outcome
    if shown_run.key != result_key(scenario, s.forget.ids):
        st.info("The result below is for earlier settings or an earlier forget set; press Unlearn to update it.")
    method = out.method
    if out.compared:
        choices = list(out.results)
        if widget_value(PAGE, "ui.animate") not in choices:
            set_widget(PAGE, "ui.animate", out.method)
        method = st.columns([1, 2])[0].selectbox("Animate", choices, key=key("ui.animate"), help=HELP["anim_method"],
                                                 format_func=out.label)
    result = out.results[method]
    label = out.label(method)
    if result.stopped:
        notice(f"{label} diverged and was rolled back: {result.stopped}")
    st.subheader(f"How the boundary moves under {label}")
    shared.show_verdict(out.verdict(method))
    st.markdown(PANEL_HELP["animation"])
    one_d = out.trained.data.is_1d
    if method not in shown_run.figures:
        shown_run.figures[method] = V1.animation(out, method) if one_d else V.animation(out, method)
    st.plotly_chart(shown_run.figures[method], key=key("ui.animation"), theme=None, config={"displaylogo": False})
    with st.expander("What “better” means for each metric", expanded=False):
        st.markdown("\n".join(f"- **{METRICS[m].label}** — {METRICS[m].better}" for m in figures.ANIMATION_METRICS))
    st.caption("Time: " + ", ".join(f"{k} {v:.2f} s" for k, v in out.seconds.items()))
    if not one_d:  # 1-D: the curve above is the whole picture
        st.subheader("Side by side")
        st.markdown(PANEL_HELP["side"])
        st.plotly_chart(shown_run.figures["side"], key=key("ui.side"), theme=None, config={"displaylogo": False})
    comparison(out)
    if lessons.classroom():  # a projector shows the main panels only
        return
    sweep(shown_run)
    if not one_d:
        information(shown_run)
    privacy.panel(shown_run, PAGE, out)
    downloads(shown_run)


def comparison(out) -> None:
    st.subheader("Compared with retraining" + (" and other methods" if out.compared else ""))
    st.markdown(PANEL_HELP["compare"])
    shared.comparison_table(out.models(), PAGE, "ui.compare_table")
    shared.refusals(out.refused)
    if not out.compared and not out.refused:
        st.caption("Choose methods under **Compare with** (sidebar, Unlearning) to add them to this table and the panels above.")


def sweep(shown_run: Shown) -> None:
    """A sweep of any registered method over two of its settings (JiT's σ×η unless another is picked) on this
    result's scenario and forget set (cached per scenario + forget set + grid)."""
    s = state()
    out, scenario = shown_run.outcome, shown_run.scenario
    with st.expander("σ×η sweep: where does JiT work, and where does it collapse? (or any method over two settings)",
                     expanded=False):
        st.markdown(PANEL_HELP["sweep"])
        try:
            cfg = method_config(scenario, "jit")
        except ScenarioError as err:
            notice(error_line("", err), "caption")
            return
        # η reaches 100x the current value: the interesting part of the map is where JiT starts to collapse.
        jit_values = {"sigma": ", ".join(f"{v:g}" for v in V.log_grid(cfg.sigma, span=100)),
                      "eta": ", ".join(f"{v:g}" for v in V.log_grid(3 * cfg.eta, span=1000))}
        picked = shared.sweep_axes(key, scenario, jit_values, lambda setting, config: f".{getattr(config, setting):g}")
        if picked is None:
            return
        method, _, (x, xs), (y, ys) = picked
        guard = shared.guard_switch(key("ui.sweep.guard"), cfg, HELP["sweep_guard"]) if method == "jit" else None
        try:  # say a typo at once, not after a press of Run sweep
            sweep_key = json.dumps([shown_run.key, method, x, shared.parse_floats(xs), y, shared.parse_floats(ys), guard])
        except ValueError as err:
            notice(error_line("", err), "error")
            return
        if st.button("Run sweep", key=key("ui.sweep.run"), help=HELP["sweep_run"]):
            with reported("Sweep"), progress("sweeping") as report:
                s.sweeps[sweep_key] = shared.run_sweep(scenario, out.trained, out.forget_ids, xs, ys, out.retrain,
                                                       report, max_step_change=guard, method=method, axes=(x, y))
        result = s.sweeps.get(sweep_key)
        if result is None:
            st.caption("Press **Run sweep** to fill the grid.")
            return
        shared.sweep_chart(result, key("ui.sweep.chart"), metrics=("forget_acc", "retain_acc", "test_acc", "avg_gap"))


def information(shown_run: Shown) -> None:
    s = state()
    st.subheader("Information view")
    st.markdown(PANEL_HELP["info"])
    c1, c2 = st.columns(2)
    show_alpha = c1.checkbox("α(x) per training point", value=True, key=key("ui.info.alpha"),
                             help="Size and colour each point by 1 − α(x): big and dark = high information.")
    show_lip = c2.checkbox("Lipschitz heatmap before / after", value=False, key=key("ui.info.lipschitz"),
                           help="Background: log₁₀ of the local Lipschitz estimate of the model on a 50×50 grid "
                                "(the scenario's Lipschitz probe: the same σ as the forget_lipschitz metric).")
    if not (show_alpha or show_lip):
        return
    info_key = (shown_run.key, show_alpha, show_lip)
    if show_alpha and not show_lip and "info" in shown_run.figures:  # the default view: built with the run
        s.info[info_key] = shown_run.figures["info"]
    if info_key not in s.info:
        with torch_threads():
            out = shown_run.outcome
            s.info[info_key] = V.information(out.trained, shown_run.scenario, out, show_alpha, show_lip)
    st.plotly_chart(s.info[info_key], key=key("ui.info.chart"), theme=None, config={"displaylogo": False})


def downloads(shown_run: Shown) -> None:
    st.subheader("Export")
    out = shown_run.outcome
    c1, c2, c3 = st.columns(3)
    c1.download_button("Scenario JSON", exports.scenario_json(shown_run.scenario, out.forget_ids),
                       file_name="scenario.json", mime="application/json", on_click="ignore",
                       key=key("ui.download.scenario"),
                       help="Settings and forget ids; run it with `python -m explorer run --scenario scenario.json`.")
    c2.download_button("Metrics CSV", out.csv(), file_name="metrics.csv", mime="text/csv", on_click="ignore",
                       key=key("ui.download.csv"),
                       help="Every metric of every method at every recorded step, then each model's final values.")
    fig = shown_run.figures[out.method]
    c3.download_button("Animation HTML", lambda: figure_html(fig), file_name="animation.html",
                       mime="text/html", on_click="ignore", key=key("ui.download.html"),
                       help="A self-contained page with the animation (works offline).")
