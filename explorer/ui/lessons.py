"""The lessons page's panels (Streamlit) and classroom mode. The lessons themselves are data in
explorer/lessons/; each step's numbers and figures come from the real engine through the shared model cache.

Links: ``?lesson=NAME&step=K`` opens a lesson at step K (1-based), on /lessons or on the main link;
``&classroom=1`` hides the sidebar and the advanced panels and enlarges text and markers for a projector.
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from explorer import lessons as L
from explorer.config import urlstate
from explorer.engine.device import torch_threads
from explorer.ui import cache
from explorer.ui.feedback import notice, progress, reported
from explorer.ui.state import LessonState, page_state, set_widget, widget_key, widget_value
from explorer.ui.text import CLASSROOM_CSS, LESSONS_INTRO

PAGE = "lessons"
CLASSROOM_SCALE = 1.4  # markers and figure text in classroom mode


def state() -> LessonState:
    return page_state("lessons", LessonState)


def key(path: str) -> str:
    return widget_key(PAGE, path)


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value[-1] if isinstance(value, list) else value


def classroom() -> bool:
    """``?classroom=1`` (on any page): projector mode."""
    return _param("classroom") == "1"


def requested() -> bool:
    """Whether the link asks for a lesson (the main link routes such a link to the lessons page)."""
    return _param("lesson") is not None


def route_params() -> dict:
    return st.query_params.to_dict()


def classroom_style() -> None:
    """In classroom mode: no sidebar (nor its toggle), larger text. Call once per page run."""
    if classroom():
        st.markdown(CLASSROOM_CSS, unsafe_allow_html=True)


@st.cache_resource(show_spinner=False)
def _outcomes() -> cache.LRU:
    """Computed steps, shared by every session (a class opening one link computes each step once)."""
    return cache.make_cache("lesson")


def _engine(report) -> L.Engine:
    return L.Engine(cache.trained_for, cache.retrain_for, report, CLASSROOM_SCALE if classroom() else 1.0)


def init() -> LessonState:
    s = state()
    if not s.initialized:
        s.lesson, s.step, s.notices = L.parse_link(st.query_params.to_dict())
        s.lesson = s.lesson or next(iter(L.LESSONS))
        s.initialized = True
    if widget_value(PAGE, "ui.picker") != s.lesson:
        set_widget(PAGE, "ui.picker", s.lesson)
    return s


def sync_url() -> None:
    s = state()
    params = {"lesson": s.lesson, "step": str(s.step + 1), **({"classroom": "1"} if classroom() else {})}
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def _pick() -> None:
    s = state()
    s.lesson, s.step = widget_value(PAGE, "ui.picker"), 0


def _go(delta: int) -> None:
    s = state()
    s.step = min(max(s.step + delta, 0), len(L.LESSONS[s.lesson].steps) - 1)


def _check(name: str, k: int) -> None:
    choice = widget_value(PAGE, f"ui.answer.{name}.{k}")
    if choice is not None:
        state().answers[(name, k)] = choice


def picker() -> None:
    s = state()
    for line in s.notices:
        notice(line)
    st.markdown(LESSONS_INTRO)
    st.selectbox("Lesson", list(L.LESSONS), format_func=lambda n: L.LESSONS[n].title, key=key("ui.picker"),
                 on_change=_pick, help="Each lesson is a few steps; every step opens from its own link.")


def step() -> None:
    """The current step: progress, text, the question (if any) or the engine's view, Back / Next, the link."""
    s = state()
    lesson = L.LESSONS[s.lesson]
    n, k = len(lesson.steps), s.step
    current = lesson.steps[k]
    st.progress((k + 1) / n, text=f"{lesson.title} · step {k + 1} of {n}")
    st.header(current.title)
    st.markdown(current.text)
    answered = (s.lesson, k) in s.answers
    if current.question and not answered:
        q = current.question
        st.radio(f"**Predict:** {q.prompt}", [c[0] for c in q.choices], format_func=q.label, index=None,
                 key=key(f"ui.answer.{s.lesson}.{k}"))
        st.button("Check my prediction", type="primary", key=key(f"ui.check.{s.lesson}.{k}"), on_click=_check,
                  args=(s.lesson, k), disabled=widget_value(PAGE, f"ui.answer.{s.lesson}.{k}") is None,
                  help="Runs the real engine on this step's scenario and compares its numbers with your answer.")
    else:
        with reported("This step"):
            show(current, s.answers.get((s.lesson, k)))
    back, _, nxt = st.columns([1, 3, 1])
    back.button("← Back", key=key("ui.back"), on_click=_go, args=(-1,), disabled=k == 0, width="stretch")
    nxt.button("Next →", key=key("ui.next"), on_click=_go, args=(1,), disabled=k == n - 1, width="stretch",
               type="primary")
    link(current)


def show(current: L.Step, answer: str | None) -> None:
    s = state()
    scale = CLASSROOM_SCALE if classroom() else 1.0
    cache_key = (s.lesson, s.step, scale)
    if cache_key in _outcomes():  # computed by this or another session: no progress bar to draw
        with torch_threads():
            outcome = _outcomes().get_or_make(cache_key, lambda: L.compute(current, _engine(None)))
    else:  # sessions asking at once wait for the one computing it
        with progress("Running the engine for this step") as report, torch_threads():
            outcome = _outcomes().get_or_make(cache_key, lambda: L.compute(current, _engine(report)))
    if answer is not None and outcome.answer is not None:
        right, sentence = L.judge(current, answer, outcome)
        st.markdown(f"Your prediction: **{current.question.label(answer)}**")
        (st.success if right else st.warning)(sentence)
    for i, (caption, fig) in enumerate(outcome.figures):
        st.caption(caption)
        st.plotly_chart(fig, key=key(f"ui.fig.{s.lesson}.{s.step}.{i}"), theme=None, config={"displaylogo": False})
    for i, (caption, fig) in enumerate(outcome.more):
        with st.expander(caption):
            st.plotly_chart(fig, key=key(f"ui.more.{s.lesson}.{s.step}.{i}"), theme=None, config={"displaylogo": False})
    if outcome.facts:
        st.markdown("**What the engine computed**\n\n" + "\n".join(f"- {f}" for f in outcome.facts))


def link(current: L.Step) -> None:
    """The link to this step (Streamlit has no clipboard API: the box's copy icon copies it) and, outside
    classroom mode, the step's scenario in the explorer."""
    s = state()
    base = st.context.url.split("?")[0].rstrip("/") if st.context.url else ""
    base = base[: -len("/lessons")] if base.endswith("/lessons") else base
    url = f"{base}/lessons{L.link(s.lesson, s.step, classroom())}"
    st.caption("Link to this step (the copy icon of the box copies it; anyone opening it sees this step):")
    st.code(url, language=None)
    if not classroom():
        params = urlstate.to_params(L.scenario(current.scenario), ())
        st.caption(f"[Open this step's scenario in the explorer]({base}/?{urlencode(params)}) · add "
                   "`&classroom=1` to any link for a projector: no sidebar, larger text.")


def page() -> None:
    """The whole lessons page (pages/lessons.py and the main link's ``?lesson=`` both show it)."""
    classroom_style()
    st.title("Lessons: machine unlearning, step by step")
    init()
    picker()
    step()
    sync_url()
