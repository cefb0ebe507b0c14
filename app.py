"""The unlearning explorer: pick points to forget, run JiT, watch the boundary move against retraining.

Run with ``streamlit run app.py``. Layout and wiring only: widgets live in explorer/ui/panels.py,
numbers in explorer/ui/compute.py, figures in explorer/figures.py.
"""
import logging

import streamlit as st

from explorer.scenario import ScenarioError
from explorer.ui import panels

st.set_page_config(page_title="Unlearning explorer", page_icon="🧽", layout="wide")
log = logging.getLogger("explorer.app")


def main() -> None:
    st.title("Unlearning explorer")
    st.caption("Pick training points to forget, run zero-shot JiT unlearning (Foster et al., arXiv 2402.01401), "
               "and watch the decision boundary move against a model retrained without those points.")
    panels.init_session()
    for notice in st.session_state.get("url_notices", []):
        st.warning(notice)
    scenario = panels.sidebar()
    trained = panels.train(scenario)
    dropped = panels.keep_forget_set_valid(trained)
    if dropped:
        st.warning(dropped)
    panels.sync_url(scenario)
    flash = st.session_state.pop("flash", None)
    if flash:
        st.error(flash)

    labels = ["Explore", "Paper Figure 2", "About"]
    try:  # stateful tabs keep the open tab across reruns (a button in a tab would otherwise jump back)
        explore, fig2, about = st.tabs(labels, key="tab", on_change="rerun")
    except TypeError:  # older Streamlit without stateful tabs
        explore, fig2, about = st.tabs(labels)
    with explore:
        left, right = st.columns([3, 1])
        with left:
            panels.editor(trained, scenario)
        with right:
            panels.forget_controls(trained, scenario)
            panels.compare_controls(scenario)
            panels.unlearn_button(trained, scenario)
            panels.share(scenario)
        panels.results(scenario)
    with fig2:
        panels.figure2()
    with about:
        st.markdown(panels.ABOUT)


try:
    main()
except ScenarioError as err:
    st.error(str(err).strip().splitlines()[0])
except Exception as err:  # noqa: BLE001 - no traceback ever reaches the page
    log.exception("the explorer failed")
    st.error(f"Something went wrong: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}. "
             "Try other settings or reload the page.")
