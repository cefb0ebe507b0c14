"""The unlearning explorer: pick points to forget, run JiT, watch the boundary move against retraining.

Run with ``streamlit run app.py``. Layout and wiring only: panels in explorer/ui/explore.py, numbers and
figures in explorer/views/two_d.py, prose in explorer/ui/text.py; the real-image page is pages/images.py.
"""
import streamlit as st

from explorer.ui import edit, explore, lessons, links, paper_figures
from explorer.ui.feedback import notice, reported
from explorer.ui.text import ABOUT


def explorer_2d() -> None:
    if lessons.requested():  # the main link with ?lesson=NAME opens that lesson, its parameters kept
        st.switch_page(LESSONS, query_params=lessons.route_params())
    lessons.classroom_style()
    st.title("Unlearning explorer")
    st.caption("Pick training points to forget, run zero-shot JiT unlearning (Foster et al., arXiv 2402.01401), "
               "and watch the decision boundary move against a model retrained without those points.")
    state = explore.init_session()
    for line in state.notices:
        notice(line)
    scenario = explore.sidebar()
    trained = explore.train(scenario)
    explore.sync_url(scenario)
    if state.flash:
        notice(state.flash, "error")
        state.flash = None
    # Stateful tabs keep the open tab across reruns (a button in a tab would otherwise jump back).
    tab_explore, tab_fig2, tab_fig3, tab_about = st.tabs(["Explore", "Paper Figure 2", "Paper Figure 3", "About"],
                                                         key=explore.key("ui.tab"), on_change="rerun")
    with tab_explore:
        left, right = st.columns([3, 1])
        with left:
            edit.mode_switch(trained)  # forget or edit the data; the training set's size
            explore.editor(trained)
        with right:
            edit.panel(trained, scenario)
            explore.forget_controls(trained, scenario)
            explore.unlearn_button(trained, scenario)
            explore.share(scenario)
        explore.results(scenario)
    with tab_fig2:
        paper_figures.figure2()
    with tab_fig3:
        paper_figures.figure3()
    with tab_about:
        st.markdown(ABOUT)


links.install()  # links past Streamlit's query-string limits: keep what fits, with a notice
st.set_page_config(page_title="Unlearning explorer", page_icon="🧽", layout="wide",
                   initial_sidebar_state="collapsed" if lessons.classroom() else "auto")
LESSONS = st.Page("pages/lessons.py", title="Lessons", icon="🎓", url_path="lessons")
page = st.navigation([st.Page(explorer_2d, title="2D explorer", icon="🧽", default=True),
                      st.Page("pages/images.py", title="Real images", icon="🖼️"),
                      st.Page("pages/atlas.py", title="Atlas", icon="🗺️"), LESSONS],
                     position="hidden" if lessons.classroom() else "sidebar")
with reported():
    page.run()
