"""Real images: forget digits or faces, and see what moves.

app.py lists it in the app's navigation ("Real images", at /images). Layout and wiring only: panels in
explorer/ui/images.py, the run and its figures in explorer/views/images.py.
"""
import streamlit as st

from explorer.ui import images
from explorer.ui.feedback import reported


def main() -> None:
    st.title("Real images: what does JiT forget?")
    st.caption("Train a small network on real images, pick images to forget, and compare zero-shot JiT "
               "unlearning (Foster et al., arXiv 2402.01401) with retraining from scratch.")
    images.init_session()
    scenario = images.sidebar()
    trained = images.train(scenario)
    images.training_summary(trained)
    left, right = st.columns([3, 2])
    with left:
        images.pickers(trained, scenario)
    with right:
        images.forget_panel(trained)
        images.unlearn(trained, scenario)
    images.results(trained, scenario)


with reported():
    main()
