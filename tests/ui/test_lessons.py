"""AppTest flows of the lessons: each lesson opens from its link (on the main link, as a teacher shares it),
walks to its last step with Next, and every predict step accepts an answer and reveals the engine's verdict."""

import pytest

from explorer import lessons as L
from explorer.ui.state import widget_key

pytestmark = pytest.mark.timeout(600)


def K(path: str) -> str:
    return widget_key("lessons", path)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def walk(at, name: str) -> None:
    lesson = L.LESSONS[name]
    for k, step in enumerate(lesson.steps):
        assert at.header[0].value == step.title, (name, k)
        assert any(f"step {k + 1} of {len(lesson.steps)}" in (p.proto.text or "") for p in at.get("progress"))
        if step.question:
            assert not [m for m in at.markdown if "What the engine computed" in m.value]  # predict before seeing
            at.radio(key=K(f"ui.answer.{name}.{k}")).set_value(step.question.choices[0][0]).run()
            at.button(key=K(f"ui.check.{name}.{k}")).click().run()
            assert not at.exception and not errors(at), (name, k, errors(at))
            verdicts = [m.value for m in [*at.success, *at.warning]]
            assert any(v.startswith(("Right", "Not this time")) for v in verdicts), (name, k, verdicts)
        if step.view != "text":
            assert [m for m in at.markdown if "What the engine computed" in m.value], (name, k)
        assert not at.exception and not errors(at), (name, k, errors(at))
        link = at.code[0].value
        assert link.endswith(L.link(name, k)), link
        if k < len(lesson.steps) - 1:
            at.button(key=K("ui.next")).click().run()
    assert at.button(key=K("ui.next")).disabled


@pytest.mark.parametrize("name", list(L.LESSONS))
def test_each_lesson_opens_from_its_link_and_walks_to_the_last_step(name, start):
    at = start(fast=False, lesson=name)
    walk(at, name)


def test_a_step_link_opens_that_step_and_back_goes_back(start):
    at = start(fast=False, lesson="privacy", step="2")
    assert at.header[0].value == L.LESSONS["privacy"].steps[1].title
    at.button(key=K("ui.back")).click().run()
    assert at.header[0].value == L.LESSONS["privacy"].steps[0].title
    assert at.query_params["step"] in ("1", ["1"])


def test_a_bad_link_says_so_and_opens_the_first_lesson(start):
    at = start(fast=False, lesson="nope")
    assert any("no lesson 'nope'" in w.value for w in at.warning)
    assert at.header[0].value == next(iter(L.LESSONS.values())).steps[0].title


def test_classroom_mode_keeps_the_parameter_and_styles_the_page(start):
    at = start(fast=False, lesson="forgetting", classroom="1")
    assert any("stSidebar" in m.value for m in at.markdown)
    at.button(key=K("ui.next")).click().run()
    assert at.query_params["classroom"] in ("1", ["1"])
    assert at.code[0].value.endswith(L.link("forgetting", 1, classroom=True))


# ----------------------------------------------------------------------------------------------
# the 1-D family on the main page: the curve as the editor (clicks select forget ids), Unlearn, Figure 3

def test_the_main_page_takes_a_line_dataset_clicks_unlearn_and_figure_3(start):
    import json

    from streamlit.proto.WidgetStates_pb2 import WidgetState

    E = lambda p: widget_key("2d", p)  # noqa: E731
    at = start(fast=False, ds="line", **{"t.epochs": "300", "c.jit.passes": "10"})
    assert not errors(at), errors(at)
    editor = json.loads(at.get("plotly_chart")[0].proto.spec)
    last = editor["data"][-1]
    assert last["customdata"] == list(range(len(last["x"])))  # the selectable training points: the last trace
    sel = {"selection": {"points": [{"curve_number": len(editor["data"]) - 1, "point_number": 5, "point_index": 5,
                                     "customdata": 5}], "point_indices": [5], "box": [], "lasso": []}}
    ws = at._tree.get_widget_states()
    ws.widgets.append(WidgetState(id=at.get("plotly_chart")[0].proto.id, string_value=json.dumps(sel)))
    at._run(ws)
    assert any("Forget set: 1 point" in m.value for m in at.markdown)
    at.button(key=E("ui.unlearn")).click().run()
    assert not at.exception and not errors(at), errors(at)
    anim = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if json.loads(c.proto.spec).get("frames"))
    assert anim["layout"]["yaxis"]["title"]["text"] == "P(class 1 | x)"
    at.button(key=E("ui.fig3.run")).click().run()
    assert not at.exception and not errors(at), errors(at)
    assert any("|Δf| at the forget points" in c.value for c in at.caption)
    assert any(c.value.startswith("Shown: JiT with step guard 0.05") for c in at.caption)
    at.toggle(key=E("ui.fig3.guard")).set_value(False).run()  # one click: Figure 3 without the explorer's guard
    assert not at.exception and not errors(at), errors(at)
    assert any(c.value.startswith("Shown: JiT without the step guard") for c in at.caption)


def test_classroom_on_the_main_page_keeps_the_flag_and_no_notice(start):
    at = start(fast=False, classroom="1", **{"d.samples": "160", "t.epochs": "300"})
    assert not [w.value for w in at.warning if "classroom" in w.value]
    assert at.query_params["classroom"] in ("1", ["1"])
