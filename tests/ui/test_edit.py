"""AppTest flows of "Edit data": clicks on empty plane and on points (injected as the browser sends them), the
presets, Undo, the forget set renumbered, the link carrying the edits, and Unlearn on an added point."""
import json
import re

import pytest

from explorer.figures.edit import CELLS, cell_id
from explorer.ui.edit import EDIT, FORGET, RELABEL
from tests.ui.test_explore import K, charts, forget_text, no_traceback, qp, select, spec, unlearn

pytestmark = pytest.mark.timeout(600)


def count(at) -> int:
    texts = [m.value for m in at.markdown if "Training data:" in m.value]
    assert len(texts) == 1, texts
    return int(re.search(r"Training data: (\d+) points", texts[0]).group(1))


def edit_mode(at):
    at.radio(key=K("ui.mode")).set_value(EDIT).run()
    no_traceback(at)


def click_cell(at, k: int):
    """A click on empty plane: the event names the nearest invisible cell (explorer/figures/edit.py)."""
    select(at, [cell_id(k)])


def editor_traces(at) -> list[dict]:
    return spec(charts(at)[0])["data"]


def test_a_click_on_empty_plane_adds_a_point_the_original_retrains_and_the_link_carries_it(start):
    at = start()
    assert count(at) == 120
    before = at.session_state["explore"].trained_key
    edit_mode(at)
    traces = editor_traces(at)
    assert traces[-1]["name"] == "training points" and traces[-2]["name"] == "click to add"
    assert len(traces[-2]["customdata"]) == CELLS * CELLS
    at.selectbox(key=K("ui.edit.class")).set_value(1).run()
    click_cell(at, 0)  # the bottom-left corner: empty plane on moons
    no_traceback(at)
    assert count(at) == 121
    edits = at.session_state["explore"].forget.edits
    assert len(edits.added) == 1 and edits.added[0][-1] == 1
    assert at.session_state["explore"].trained_key != before  # the original trained on the edited data
    assert re.fullmatch(r"-?[\d.]+:-?[\d.]+:1", qp(at)["ea"])
    assert len(editor_traces(at)[-1]["customdata"]) == 121
    # a fresh session from the link has the same data
    fresh = start(qp(at))
    assert count(fresh) == 121 and fresh.session_state["explore"].forget.edits == edits


def test_the_added_point_can_be_forgotten_and_unlearned(start):
    at = start()
    edit_mode(at)
    at.selectbox(key=K("ui.edit.class")).set_value(0).run()
    click_cell(at, CELLS * CELLS // 2 + CELLS // 2)  # the middle of the plane
    at.radio(key=K("ui.mode")).set_value(FORGET).run()
    select(at, [120])  # the added point's id: after the 120 generated ones
    assert forget_text(at) == "Forget set: 1 point" and qp(at)["f"] == "120"
    unlearn(at)
    out = at.session_state["explore"].result.outcome
    assert out.forget_ids == [120] and len(out.trained.data.x_train) == 121
    assert len(spec(charts(at)[1])["frames"]) > 1  # the animation


def test_removing_a_point_renumbers_the_forget_set_and_undo_brings_both_back(start):
    at = start()
    select(at, [5, 50, 119])
    assert qp(at)["f"] == "5,50,119"
    edit_mode(at)
    select(at, [10])  # remove training point 10
    assert count(at) == 119 and qp(at)["er"] == "10"
    assert at.session_state["explore"].forget.ids == (5, 49, 118)
    select(at, [118])  # remove a forgotten point: it leaves the forget set too
    assert count(at) == 118 and at.session_state["explore"].forget.ids == (5, 49)
    at.button(key=K("ui.undo")).click().run()
    assert count(at) == 119 and at.session_state["explore"].forget.ids == (5, 49, 118)
    at.button(key=K("ui.undo")).click().run()
    assert count(at) == 120 and at.session_state["explore"].forget.ids == (5, 50, 119)
    assert "er" not in qp(at)


def test_relabel_and_the_presets(start):
    at = start()
    edit_mode(at)
    y0 = at.session_state["explore"].edit.data.y_train[7]
    at.radio(key=K("ui.edit.point")).set_value(RELABEL).run()
    select(at, [7])
    assert at.session_state["explore"].edit.data.y_train[7] == 1 - y0 and qp(at)["ef"] == f"7:{1 - y0}"
    select(at, [7])  # relabelled back: no edit left
    assert "ef" not in qp(at) and not at.session_state["explore"].forget.edits
    at.selectbox(key=K("ui.edit.outlier")).set_value(0).run()
    at.selectbox(key=K("ui.edit.inside")).set_value(1).run()
    at.button(key=K("ui.edit.add_outlier")).click().run()
    no_traceback(at)
    data = at.session_state["explore"].edit.data
    assert count(at) == 121 and data.y_train[-1] == 0
    others = data.x_train[:-1][data.y_train[:-1] == 1]
    own = data.x_train[:-1][data.y_train[:-1] == 0]
    d_b = ((others - data.x_train[-1]) ** 2).sum(1).min()
    d_a = ((own - data.x_train[-1]) ** 2).sum(1).min()
    assert d_b < d_a  # deep inside class 1: its nearest neighbours are of the other class
    at.number_input(key=K("ui.edit.k")).set_value(4).run()
    at.button(key=K("ui.edit.flip")).click().run()
    assert len(at.session_state["explore"].forget.edits.flipped) == 4
    at.button(key=K("ui.edit.clear")).click().run()
    assert count(at) == 120 and not at.session_state["explore"].forget.edits
    json.dumps(qp(at))


def test_a_bad_edit_link_is_a_notice_and_the_data_starts_unedited(start):
    at = start(ea="1:2:7")  # class 7 on two-class moons
    no_traceback(at)
    assert count(at) == 120
    assert any("edit" in w.value.lower() for w in at.warning), [w.value for w in at.warning]


def test_the_atlas_page_runs_on_the_explorers_edited_data(start):
    from explorer.ui.state import widget_key

    at = start({"d.samples": "24", "t.epochs": "300", "ea": "0.5:0.25:1"}, fast=False, timeout=600)
    assert count(at) == 19  # 18 generated training points and the added one
    at.switch_page("pages/atlas.py").run()
    box = at.checkbox(key=widget_key("atlas", "ui.explorer_data"))
    assert box.value and "1 added" in box.label
    at.button(key=widget_key("atlas", "ui.compute")).click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    ids = [int(i) for i in at.selectbox(key=widget_key("atlas", "ui.point")).options]
    assert ids == list(range(19))  # the added point (id 18) has its own row
    link = at.get("page_link")[0].proto
    assert "ea=0.5%3A0.25%3A1" in link.query_string or "ea=0.5:0.25:1" in link.query_string
