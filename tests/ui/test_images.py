"""AppTest flows of the images page: pick by map (click/box/lasso payloads, add/remove/clear/undo),
by class, by sub-class and random, then Unlearn and check the results render."""
import json

import pytest

from explorer.ui.state import widget_key



def K(path: str) -> str:
    return widget_key("img", path)


def forget_count(at) -> int:
    for m in at.markdown:
        if m.value.startswith("#### Forget set:"):
            return int(m.value.split(":")[1].split()[0])
    raise AssertionError("no forget-set heading on the page")


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def selection_event(ids, kind="points"):
    pts = [{"curve_number": 0, "point_index": i, "point_number": i, "customdata": i, "x": 0.0, "y": 0.0} for i in ids]
    return {"selection": {"points": pts, "point_indices": list(ids),
                          "box": [{"x": [0, 1], "y": [0, 1]}] if kind == "box" else [],
                          "lasso": [{"x": [0, 1, 0], "y": [0, 1, 1]}] if kind == "lasso" else []}}


@pytest.fixture
def app(start):
    """A fresh page per test (the trained model comes from the shared model cache after the first)."""
    at = start(page="pages/images.py", fast=False)
    no_errors(at)
    return at


def unlearn_and_check(at, expected_forget: int):
    at.button(key=K("ui.unlearn")).click().run()
    no_errors(at)
    table = at.dataframe[0].value
    # named as it ran: digits-class has no step guard (plain JiT); faces uses the guarded explorer preset
    assert list(table["method"])[:3] in (["original", "retrain", "JiT"],
                                         ["original", "retrain", "JiT with step guard 0.05"])
    specs = charts(at)
    planes = [s for s in specs if s.get("frames") and "plane" in json.dumps(s["layout"].get("title", ""))]
    assert planes, "the boundary-through-an-image view is missing"
    assert 2 <= len(planes[0]["frames"]) <= 60
    assert forget_count(at) == expected_forget
    return table


def test_page_trains_and_shows_accuracy_and_confusion(app):
    labels = [m.label for m in app.metric]
    assert "test accuracy" in labels
    acc = float(app.metric[labels.index("test accuracy")].value.rstrip("%")) / 100
    assert acc > 0.9
    assert any(s["data"][0]["type"] == "heatmap" and "Confusion" in json.dumps(s["layout"]) for s in charts(app))
    assert forget_count(app) == 0
    assert app.button(key=K("ui.unlearn")).disabled


def test_pick_by_map_add_remove_clear_undo_then_unlearn(app):
    at = app
    at.session_state[K("ui.map")] = selection_event([4, 7, 11], "points")
    at.run()
    no_errors(at)
    assert forget_count(at) == 3
    at.session_state[K("ui.map")] = selection_event([20, 21, 22, 23], "box")
    at.run()
    assert forget_count(at) == 7
    at.radio(key=K("ui.map.mode")).set_value("remove").run()
    at.session_state[K("ui.map")] = selection_event([4, 20], "lasso")
    at.run()
    assert forget_count(at) == 5
    at.button(key=K("ui.clear")).click().run()
    assert forget_count(at) == 0
    at.button(key=K("ui.undo")).click().run()
    assert forget_count(at) == 5
    # the forgotten ids are marked on the map (crosses in the one selectable trace)
    spec = next(s for s in charts(at) if s["data"][0].get("customdata") is not None)
    symbols = spec["data"][0]["marker"]["symbol"]
    assert [i for i, s in enumerate(symbols) if s == "x"] == [7, 11, 21, 22, 23]
    at.radio(key=K("ui.map.mode")).set_value("add").run()
    unlearn_and_check(at, 5)


def test_pick_by_class_then_unlearn(app):
    at = app
    at.selectbox(key=K("ui.pick.class")).set_value(3).run()
    at.button(key=K("ui.pick.class_go")).click().run()
    no_errors(at)
    n = forget_count(at)
    assert 120 <= n <= 150
    table = unlearn_and_check(at, n)
    jit = table[table["method"] == "JiT"].iloc[0]
    original = table[table["method"] == "original"].iloc[0]
    assert jit["forget_acc"] < 0.5 * original["forget_acc"]  # the digits-class preset is the default


def test_pick_by_subclass_then_unlearn(app):
    at = app
    at.selectbox(key=K("ui.pick.subclass")).set_value(5).run()
    at.selectbox(key=K("ui.pick.cluster")).set_value(1).run()
    at.button(key=K("ui.pick.subclass_go")).click().run()
    no_errors(at)
    n = forget_count(at)
    assert 10 <= n < 110  # one of three clusters of class 5 (~135 images)
    at.multiselect(key=K("compare")).set_value(["finetune"]).run()
    table = unlearn_and_check(at, n)
    assert "finetune" in list(table["method"])  # baselines join the same comparison table
    at.multiselect(key=K("compare")).set_value([]).run()


def test_a_class_only_method_compared_on_random_images_is_refused_and_the_run_kept(app):
    at = app
    at.multiselect(key=K("compare")).set_value(["neggrad", "unsir"]).run()
    at.button(key=K("ui.pick.random_go")).click().run()
    table = unlearn_and_check(at, forget_count(at))
    assert {"JiT", "neggrad"} <= set(table["method"]) and "unsir" not in set(table["method"])
    assert any(i.value.startswith("unsir did not run: unsir only forgets whole classes") for i in at.info)


def test_pick_random_then_unlearn(app):
    at = app
    at.tabs[0]  # the pickers' tabs keep the open one across reruns (a number edit must not jump back)
    at.number_input(key=K("ui.pick.percent")).set_value(5.0).run()
    at.button(key=K("ui.pick.random_go")).click().run()
    no_errors(at)
    n = forget_count(at)
    assert n == round(0.05 * 1347)
    unlearn_and_check(at, n)
    # the σ×η sweep panel runs on the same forget set and shows both heatmaps
    at.text_input(key=K("ui.sweep.sigmas")).set_value("0.7").run()
    at.text_input(key=K("ui.sweep.etas.probs")).set_value("0.05, 0.2").run()
    at.button(key=K("ui.sweep.run")).click().run()
    no_errors(at)
    # the sweep's title says which JiT ran: the preset's (no guard on digits), or, switched on, the guarded one
    sweep = [s for s in charts(at) if "JiT without the step guard in probs space" in json.dumps(s["layout"])]
    assert sweep and len(sweep[0]["data"]) == 2
    at.toggle(key=K("ui.sweep.guard")).set_value(True).run()
    at.button(key=K("ui.sweep.run")).click().run()
    assert any("JiT with step guard 0.05 in probs space" in json.dumps(s["layout"]) for s in charts(at))
    at.text_input(key=K("ui.sweep.sigmas")).set_value("0.7, abc").run()
    at.button(key=K("ui.sweep.run")).click().run()
    assert not at.exception and at.error and "could not read numbers" in at.error[0].value


def test_faces_dataset_trains_picks_and_unlearns(start):
    at = start(page="pages/images.py", fast=False)
    at.selectbox(key=K("dataset.name")).set_value("faces").run()
    no_errors(at)
    assert forget_count(at) == 0  # a new dataset starts with an empty forget set
    assert [o for o in at.selectbox(key=K("ui.pick.class")).options] == ["0: non-face", "1: face"]
    at.number_input(key=K("ui.pick.percent")).set_value(10.0).run()
    at.button(key=K("ui.pick.random_go")).click().run()
    no_errors(at)
    assert forget_count(at) == 15
    unlearn_and_check(at, 15)


def test_a_new_dataset_starts_empty_and_undo_keeps_the_ids_that_exist(start):
    from explorer.config.selection import ForgetState
    at = start(page="pages/images.py", fast=False)
    at.session_state["images"].forget = ForgetState().set([1, 2, 1000])
    at.run()
    assert forget_count(at) == 3
    at.selectbox(key=K("dataset.name")).set_value("faces").run()  # 150 training images
    no_errors(at)
    assert forget_count(at) == 0  # another dataset: the old ids mean other images
    at.button(key=K("ui.undo")).click().run()
    assert forget_count(at) == 2
    assert any("dropped 1" in w.value for w in at.warning)
    at.number_input(key=K("train.epochs")).set_value(20).run()  # same data, other training: nothing dropped
    assert forget_count(at) == 2 and not any("dropped" in w.value for w in at.warning)


def test_the_seeds_control_runs_every_seed(app):
    at = app
    assert at.number_input(key=K("seeds")).value == 1
    at.number_input(key=K("seeds")).set_value(2).run()
    at.selectbox(key=K("ui.pick.class")).set_value(3).run()
    at.button(key=K("ui.pick.class_go")).click().run()
    table = unlearn_and_check(at, forget_count(at))
    assert any(name.startswith("JiT") for name in table["method"])  # named as it ran (its step guard included)
    texts = " ".join(str(el.value) for el in [*at.markdown, *at.info, *at.success, *at.warning])
    assert "mean of 2 seeds" in texts and "Over the 2 training seeds" in texts  # the per-image strips' panel
    traces = [t for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert any(t.get("name") == "retrain (2 seeds)" and t["type"] == "box" for t in traces)
    assert any("error_y" in t for t in traces)  # per-class accuracy with error bars over the seeds
