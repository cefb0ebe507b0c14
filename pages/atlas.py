"""The atlas: every training point's influence, against α(x), the local Lipschitz estimate and the method.

app.py lists it in the app's navigation ("Atlas", at /atlas). Layout and wiring only: panels in
explorer/ui/atlas.py, the computation in explorer/studies/atlas.py, figures in explorer/figures/atlas.py.
"""
import streamlit as st

from explorer.ui import atlas
from explorer.ui.feedback import reported
from explorer.ui.text import ATLAS_INTRO


def main() -> None:
    st.title("Atlas: which points matter, and does the method know?")
    st.markdown(ATLAS_INTRO)
    scenario = atlas.sidebar()
    result = atlas.compute(scenario, atlas.loo_seeds())
    if result is not None:
        atlas.show(result)


with reported():
    main()
