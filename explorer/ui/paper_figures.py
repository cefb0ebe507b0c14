"""The 2D explorer's paper tabs (Streamlit): the paper's Figure 2 on two_blobs and Figure 3 on the 1-D line,
each in one click. Numbers and figures come from explorer/views/two_d.py and explorer/views/one_d.py."""
from __future__ import annotations

import streamlit as st

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.ui import cache
from explorer.ui.explore import key, state
from explorer.ui.feedback import progress, reported
from explorer.ui.text import FIG2_CAPTION, FIG2_INTRO, FIG3_INTRO
from explorer.unlearning import get_method
from explorer.views import one_d as V1
from explorer.views import two_d as V


def figure2() -> None:
    s = state()
    st.markdown(FIG2_INTRO)
    c1, c2 = st.columns([1, 2])
    spaces = ["probs", "logits"]
    default_space = get_method("jit").default_config().output_space
    space = c1.radio("JiT output space", spaces, index=spaces.index(default_space) if default_space in spaces else 0,
                     key=key("ui.fig2.space"), horizontal=True,
                     help="Measure JiT's output change on raw logits (published code) or on softmax probabilities.")
    preset_eta = pipeline.method_config(V.figure2_scenario(space), "jit").eta
    eta = c1.number_input("JiT η", min_value=1e-6, max_value=10.0, value=float(preset_eta), format="%.4g",
                          key=key(f"ui.fig2.eta.{space}"),
                          help=f"JiT's step size. The explorer's preset for {space} uses η = {preset_eta:g}; raise it "
                               "to see where JiT collapses.")
    if c2.button("Show Figure 2", key=key("ui.fig2.run"), type="primary",
                 help="Train two_blobs (cached), retrain without each target, and run the methods."):
        with reported("Figure 2"), st.spinner("Training two_blobs and running both rows…"):
            scenario = V.figure2_scenario(space, eta)
            trained = cache.trained_for(scenario)
            with torch_threads():
                fig = V.figure2(trained, scenario, retrain_for=lambda ids: cache.retrain_for(scenario, trained, ids))
            cfg = pipeline.method_config(scenario, "jit")
            s.figure2 = {"fig": fig, "space": space, "eta": eta,
                         "setting": f"JiT in {cfg.output_space} space with σ = {cfg.sigma:g}, η = {cfg.eta:g}, "
                                    f"{cfg.passes} passes, N = {cfg.perturbations}"}
    if s.figure2:
        if (s.figure2["space"], s.figure2["eta"]) != (space, eta):
            st.info("Shown for other settings; press Show Figure 2 again to update.")
        st.caption(f"Shown: {s.figure2['setting']}.")
        st.plotly_chart(s.figure2["fig"], key=key("ui.fig2.chart"), theme=None, config={"displaylogo": False})
        st.caption(FIG2_CAPTION)


# ----------------------------------------------------------------------------------------------
# the paper's Figure 3 (1-D)

def figure3() -> None:
    s = state()
    st.markdown(FIG3_INTRO)
    if st.button("Paper Figure 3", key=key("ui.fig3.run"), type="primary",
                 help="Train a sigmoid on the line data (cached), then run JiT once per forget point, as in the figure."):
        scenario = V1.figure3_scenario()
        with reported("Figure 3"), progress("Figure 3") as report:
            trained = cache.trained_for(scenario, report)
            with torch_threads():
                result = V1.figure3(scenario, trained, retrain_for=lambda ids: cache.retrain_for(scenario, trained, ids),
                                    progress=report)
            s.figure3 = {"fig": V1.figure3_figure(result), "result": result}
    if s.figure3:
        result = s.figure3["result"]
        st.caption(f"Shown: {result.setting}; the data set `line`, a model with no hidden layer (a sigmoid).")
        st.plotly_chart(s.figure3["fig"], key=key("ui.fig3.chart"), theme=None, config={"displaylogo": False})
        st.caption("|Δf| at the forget points: " + ", ".join(f"x = {x:g}: {result.abs_change(x):.3f}"
                                                          for x in result.forget_x))
