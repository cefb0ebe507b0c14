"""The 2D page's paper-figure tabs (Streamlit): the JiT paper's Figure 2 (two_blobs) and Figure 3 (a sigmoid on
a line), each run by the engine (explorer/views/two_d.py, explorer/views/one_d.py). Each tab has a switch for the
explorer's own step guard (``max_step_change``, not in the paper or its code), so the run without it is one click
away; the caption names the setting shown, guard included."""
from __future__ import annotations

import streamlit as st

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.measures.verdict import guard_label
from explorer.ui import cache
from explorer.ui.explore import key, state
from explorer.ui.feedback import progress, reported
from explorer.ui.text import FIG2_CAPTION, FIG2_INTRO, FIG3_INTRO, HELP
from explorer.unlearning import get_method
from explorer.views import one_d as V1
from explorer.views import two_d as V


def guard_toggle(name: str, config) -> float:
    """The figure's step-guard switch (on: the preset's guard); returns the max_step_change to run with."""
    on_value = config.max_step_change
    on = st.toggle(f"explorer's step guard {on_value:g} (not the paper's)", value=True, key=key(f"ui.{name}.guard"),
                   help=HELP["figure_guard"], disabled=not on_value)
    return on_value if on else 0.0


# ----------------------------------------------------------------------------------------------
# the paper's Figure 2

def figure2() -> None:
    s = state()
    st.markdown(FIG2_INTRO)
    c1, c2 = st.columns([1, 2])
    spaces = ["probs", "logits"]
    default_space = get_method("jit").default_config().output_space
    space = c1.radio("JiT output space", spaces, index=spaces.index(default_space) if default_space in spaces else 0,
                     key=key("ui.fig2.space"), horizontal=True,
                     help="Measure JiT's output change on raw logits (published code) or on softmax probabilities.")
    preset = pipeline.method_config(V.figure2_scenario(space), "jit")
    eta = c1.number_input("JiT η", min_value=1e-6, max_value=10.0, value=float(preset.eta), format="%.4g",
                          key=key(f"ui.fig2.eta.{space}"),
                          help=f"JiT's step size. The explorer's preset for {space} uses η = {preset.eta:g}. With the "
                               "step guard on, a larger η mostly takes the same bounded steps; switch the guard off "
                               "to see where plain JiT collapses.")
    guard = guard_toggle("fig2", preset)
    shown = s.figure2
    # a flip of the guard switch redraws at once: the run without the guard is one click away
    flipped = shown is not None and (shown["space"], shown["eta"]) == (space, eta) and shown["guard"] != guard
    if c2.button("Show Figure 2", key=key("ui.fig2.run"), type="primary",
                 help="Train two_blobs (cached), retrain without each target, and run the methods.") or flipped:
        with reported("Figure 2"), st.spinner("Training two_blobs and running both rows…"):
            scenario = V.figure2_scenario(space, eta, guard)
            trained = cache.trained_for(scenario)
            with torch_threads():
                fig = V.figure2(trained, scenario, retrain_for=lambda ids: cache.retrain_for(scenario, trained, ids))
            cfg = pipeline.method_config(scenario, "jit")
            name = guard_label(cfg.max_step_change)
            s.figure2 = {"fig": fig, "space": space, "eta": eta, "guard": guard,
                         "setting": f"{name}, in {cfg.output_space} space with σ = {cfg.sigma:g}, η = {cfg.eta:g}, "
                                    f"{cfg.passes} passes, N = {cfg.perturbations}"}
    if s.figure2:
        if (s.figure2["space"], s.figure2["eta"], s.figure2["guard"]) != (space, eta, guard):
            st.info("Shown for other settings; press Show Figure 2 again to update.")
        st.caption(f"Shown: {s.figure2['setting']}.")
        st.plotly_chart(s.figure2["fig"], key=key("ui.fig2.chart"), theme=None, config={"displaylogo": False})
        st.caption(FIG2_CAPTION)


# ----------------------------------------------------------------------------------------------
# the paper's Figure 3 (1-D)

def figure3() -> None:
    s = state()
    st.markdown(FIG3_INTRO)
    guard = guard_toggle("fig3", pipeline.method_config(V1.figure3_scenario(), "jit"))
    flipped = s.figure3 is not None and s.figure3["guard"] != guard
    if st.button("Paper Figure 3", key=key("ui.fig3.run"), type="primary",
                 help="Train a sigmoid on the line data (cached), then run JiT once per forget point, as in the "
                      "figure.") or flipped:
        scenario = V1.figure3_scenario(max_step_change=guard)
        with reported("Figure 3"), progress("Figure 3") as report:
            trained = cache.trained_for(scenario, report)
            with torch_threads():
                result = V1.figure3(scenario, trained, retrain_for=lambda ids: cache.retrain_for(scenario, trained, ids),
                                    progress=report)
            s.figure3 = {"fig": V1.figure3_figure(result), "result": result, "guard": guard}
    if s.figure3:
        result = s.figure3["result"]
        st.caption(f"Shown: {result.setting}; the data set `line`, a model with no hidden layer (a sigmoid).")
        st.plotly_chart(s.figure3["fig"], key=key("ui.fig3.chart"), theme=None, config={"displaylogo": False})
        st.caption("|Δf| at the forget points: " + ", ".join(f"x = {x:g}: {result.abs_change(x):.3f}"
                                                          for x in result.forget_x))
