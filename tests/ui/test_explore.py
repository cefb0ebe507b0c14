"""AppTest flows of the explorer: load, select, Unlearn, figures, URL round trip and every error case.

Selections are injected the way the browser sends them (a JSON string widget state on the chart's id, as
Streamlit's frontend stores a plotly_chart selection). Small settings (160 samples, 300 epochs, 10 passes) keep it quick;
trained models are cached across tests by the app's own cache.
"""
import json

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from explorer.config import urlstate
from explorer.config.scenario import Scenario
from explorer.ui.state import widget_key
from toy_data import default_spec, load_dataset



def K(path: str) -> str:
    return widget_key("2d", path)

pytestmark = pytest.mark.timeout(300)


def forget_text(at) -> str:
    texts = [m.value for m in at.markdown if "Forget set:" in m.value]
    assert len(texts) == 1
    return texts[0].lstrip("# ").strip()


def qp(at) -> dict:
    """The page's query parameters as plain strings."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def charts(at):
    return at.get("plotly_chart")


def spec(chart) -> dict:
    return json.loads(chart.proto.spec)


def select(at, ids, kind="points"):
    """Send a selection event on the editor chart exactly as the browser would."""
    chart = charts(at)[0]
    points = [{"curve_number": 2, "point_number": i, "point_index": i, "customdata": int(i)} for i in ids]
    region = [{"xref": "x", "yref": "y", "x": [-9, 9], "y": [-9, 9]}]
    sel = {"selection": {"points": points, "point_indices": [int(i) for i in ids],
                         "box": region if kind == "box" else [], "lasso": region if kind == "lasso" else []}}
    ws = at._tree.get_widget_states()
    ws.widgets.append(WidgetState(id=chart.proto.id, string_value=json.dumps(sel)))
    at._run(ws)
    assert not at.exception, at.exception


def no_traceback(at):
    assert not at.exception
    for el in [*at.error, *at.warning, *at.markdown, *at.info]:
        assert "Traceback" not in str(el.value)


def unlearn(at):
    at.button(key=K("ui.unlearn")).click().run()
    no_traceback(at)


def test_load_shows_editor_empty_forget_set_and_unlearn_button(start):
    at = start()
    assert forget_text(at) == "Forget set: 0 points"
    assert at.button(key=K("ui.unlearn")).label == "Unlearn"
    assert len(charts(at)) == 1 and not at.error
    editor = spec(charts(at)[0])
    pts = editor["data"][-1]
    assert pts["type"] == "scatter" and pts["customdata"] == list(range(len(pts["x"])))
    assert editor["layout"]["xaxis"]["autorange"] is False
    # every sidebar control has a tooltip
    for kind in ("selectbox", "number_input", "slider", "checkbox", "button"):
        for w in getattr(at, kind):
            assert w.help, f"{kind} {w.label!r} has no help"


def test_selection_maps_to_ids_with_three_classes_and_url_follows(start):
    at = start({"ds": "blobs", "d.classes": "3"})
    data = load_dataset(default_spec("blobs", classes=3, samples=160))
    editor = spec(charts(at)[0])["data"][-1]
    # the chart's point i is training sample i, whatever its class
    assert np.allclose(editor["x"], data.x_train[:, 0]) and np.allclose(editor["y"], data.x_train[:, 1])
    picks = [int(np.flatnonzero(data.y_train == c)[0]) for c in range(3)]
    select(at, picks, "box")
    assert forget_text(at) == "Forget set: 3 points"
    assert urlstate.decode_ids(qp(at)["f"]) == sorted(picks)
    marked = spec(charts(at)[0])["data"][-1]["marker"]["symbol"]
    assert [i for i, s in enumerate(marked) if s == "x"] == sorted(picks)


def test_click_toggles_box_adds_undo_and_clear(start):
    at = start()
    select(at, [5])
    assert forget_text(at) == "Forget set: 1 point"
    select(at, [7])
    assert forget_text(at) == "Forget set: 2 points"
    select(at, [5])  # clicking a forgotten point removes it
    assert forget_text(at) == "Forget set: 1 point"
    assert "dragmode" not in spec(charts(at)[0])["layout"]  # clicks: Streamlit's default tool
    select(at, [1, 2, 3, 7], "lasso")  # drag selections add
    assert forget_text(at) == "Forget set: 4 points"
    assert "dragmode" not in spec(charts(at)[0])["layout"]  # after a drag the chart is back to clicking
    select(at, [9])
    assert forget_text(at) == "Forget set: 5 points"
    at.button(key=K("ui.undo")).click().run()
    at.button(key=K("ui.undo")).click().run()
    assert forget_text(at) == "Forget set: 1 point"
    at.button(key=K("ui.clear")).click().run()
    assert forget_text(at) == "Forget set: 0 points"
    at.button(key=K("ui.undo")).click().run()
    assert forget_text(at) == "Forget set: 1 point"


def test_presets_whole_class_and_k_most_informative(start):
    at = start()
    at.selectbox(key=K("ui.preset.kind")).set_value("class").run()
    at.number_input(key=K("ui.preset.class")).set_value(1).run()
    at.button(key=K("ui.preset.apply")).click().run()
    n_class = int((load_dataset(default_spec("moons", samples=160)).y_train == 1).sum())
    assert forget_text(at) == f"Forget set: {n_class} points"
    at.selectbox(key=K("ui.preset.kind")).set_value("info").run()
    at.number_input(key=K("ui.preset.k")).set_value(4).run()
    at.button(key=K("ui.preset.apply")).click().run()
    assert forget_text(at) == "Forget set: 4 points"
    for kind in ("boundary", "deep"):
        at.selectbox(key=K("ui.preset.kind")).set_value(kind).run()
        at.button(key=K("ui.preset.apply")).click().run()
        assert forget_text(at) == "Forget set: 1 point"
    at.selectbox(key=K("ui.preset.kind")).set_value("random").run()
    at.button(key=K("ui.preset.apply")).click().run()
    assert forget_text(at) == f"Forget set: {round(0.05 * 120)} points"
    no_traceback(at)


def test_unlearn_builds_animation_with_frames_fixed_ranges_and_retrain_trace(start):
    at = start()
    select(at, [3, 10, 42], "box")
    unlearn(at)
    assert not at.error
    figs = [spec(c) for c in charts(at)]
    player = next(f for f in figs if f.get("frames"))
    assert 2 <= len(player["frames"]) <= 60
    names = [t.get("name") for t in player["data"]]
    assert "retrained boundary" in names and "original boundary" in names
    assert "JiT with step guard 0.05 boundary" in names  # the explorer's guard named
    for key, axis in player["layout"].items():
        if key.startswith(("xaxis", "yaxis")):
            assert axis["autorange"] is False and len(axis["range"]) == 2
    assert player["layout"]["sliders"][0]["steps"] and player["layout"]["updatemenus"][0]["buttons"]
    side = next(f for f in figs if not f.get("frames") and sum(t["type"] == "heatmap" for t in f["data"]) == 3)
    assert [a["text"] for a in side["layout"]["annotations"]][:3] == ["original", "JiT with step guard 0.05 result",
                                                                      "retrained (gold standard)"]
    # downloads: scenario JSON the CLI can load, metrics CSV, HTML of the animation
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Scenario JSON", "Metrics CSV", "Animation HTML"} <= set(labels)
    sizes = sum(len(c.proto.spec) for c in charts(at))
    assert sizes < 5_000_000


@pytest.fixture
def downloads(monkeypatch):
    """Capture what download buttons serve: {file name: bytes} (AppTest keeps media in a mock runtime)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    served = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            served[filename] = path_or_data.encode() if isinstance(path_or_data, str) else bytes(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    return served


def test_downloads_serve_scenario_json_and_metrics_csv(downloads, start):
    at = start()
    select(at, [8, 9])
    unlearn(at)
    exported = json.loads(downloads["scenario.json"])
    assert exported["forget_ids"] == [8, 9]
    back = Scenario.from_dict(exported)
    assert back.forget.ids == (8, 9) and back.dataset.samples == 160 and back.method == "jit"
    rows = downloads["metrics.csv"].decode().splitlines()
    assert rows[0].startswith("model,step,epoch,loss,retain_acc")
    assert rows[1].startswith("jit,0,")  # every recorded step, then each model's final values
    assert [r.split(",")[0] for r in rows[-3:]] == ["original", "retrain", "jit"]


def _scenario_export(at) -> str:
    """The scenario JSON as the app builds it for the page's current URL."""
    from explorer.views import exports
    scenario, ids, _ = urlstate.from_params(qp(at))
    return exports.scenario_json(scenario, ids)


def test_empty_forget_set_is_refused_and_changes_nothing(start):
    at = start()
    unlearn(at)
    assert len(at.error) == 1 and "empty" in at.error[0].value
    assert len(charts(at)) == 1  # no result appeared


def test_selecting_every_point_is_refused_and_keeps_the_previous_result(start):
    at = start()
    select(at, [4])
    unlearn(at)
    before = [c.proto.spec for c in charts(at)[1:3]]
    n = len(spec(charts(at)[0])["data"][-1]["x"])
    select(at, list(range(n)), "box")
    assert forget_text(at) == f"Forget set: {n} points"
    unlearn(at)
    assert len(at.error) == 1 and "every training point" in at.error[0].value
    assert [c.proto.spec for c in charts(at)[1:3]] == before


def test_diverging_run_is_rolled_back_with_a_message(start):
    # the largest η a link may carry, in logit space, without the explorer's step guard
    at = start({"c.jit.eta": "10", "c.jit.output_space": "logits", "c.jit.max_step_change": "0"})
    select(at, [3, 4, 5])
    unlearn(at)
    warnings = [w.value for w in at.warning]
    assert any("diverged" in w and "rolled back" in w for w in warnings), warnings
    player = next(spec(c) for c in charts(at) if spec(c).get("frames"))
    assert len(player["frames"]) >= 1


def test_unexpected_failure_shows_one_line_not_a_traceback(monkeypatch, start):
    from explorer.views import two_d

    monkeypatch.setenv("EXPLORER_POOL", "0")  # the replaced function runs in this process, not a pool worker

    def boom(*a, **k):
        raise RuntimeError("simulated failure\nsecond line")

    at = start()
    select(at, [2])
    monkeypatch.setattr(two_d, "run", boom)
    unlearn(at)
    assert len(at.error) == 1 and at.error[0].value == "Unlearning failed: RuntimeError: simulated failure"


def test_bad_url_parameters_fall_back_with_notices(start):
    at = start({"ds": "moons", "d.noise": "lots", "m.activation": "swish", "c.jit.sigma": "-1", "f": "x-y",
                "bogus": "1"})
    notices = [w.value for w in at.warning]
    for key in ("d.noise", "m.activation", "c.jit.sigma", "parameter f=", "bogus"):
        assert any(key in n for n in notices), (key, notices)
    assert at.number_input(key=K("dataset.noise")).value == default_spec("moons").noise
    assert forget_text(at) == "Forget set: 0 points"
    no_traceback(at)


def test_url_round_trip_rebuilds_the_same_scenario_and_forget_set(start):
    at = start({"ds": "blobs", "d.classes": "3", "m.width": "32"})
    at.number_input(key=K("dataset.noise")).set_value(0.35).run()
    at.selectbox(key=K("model.activation")).set_value("tanh").run()
    at.multiselect(key=K("compare")).set_value(["finetune"]).run()
    select(at, [1, 2, 3, 30], "box")
    params = qp(at)
    assert params["f"] == "1-3,30" and params["m.activation"] == "tanh" and params["cmp"] == "finetune"
    again = start(params, fast=False)
    no_traceback(again)
    assert not again.warning
    assert forget_text(again) == "Forget set: 4 points"
    for path in ("dataset.name", "dataset.noise", "dataset.classes", "model.width", "model.activation", "train.epochs"):
        key = K(path)
        widget = again.selectbox(key=key) if path in ("dataset.name", "model.activation") else again.number_input(key=key)
        original = at.selectbox(key=key) if path in ("dataset.name", "model.activation") else at.number_input(key=key)
        assert widget.value == original.value, key
    assert again.multiselect(key=K("compare")).value == ["finetune"]
    assert qp(again) == params


def test_changing_a_setting_keeps_the_forget_set_and_says_what_was_dropped(start):
    at = start()
    select(at, [1, 5, 110], "box")
    at.number_input(key=K("dataset.noise")).set_value(0.25).run()
    assert forget_text(at) == "Forget set: 3 points"  # same ids kept
    at.number_input(key=K("dataset.samples")).set_value(100).run()  # 75 training points now
    assert forget_text(at) == "Forget set: 2 points"
    assert any("dropped 1" in w.value for w in at.warning)
    no_traceback(at)


def test_method_picker_lists_the_registry_and_jit_settings_have_tooltips(start):
    from explorer.unlearning import method_names
    at = start()
    options = at.selectbox(key=K("method")).options
    assert "jit" in [o.split(" ")[0] for o in options]
    assert len(options) == len([m for m in method_names() if m != "retrain"])
    for field in ("sigma", "eta", "perturbations", "passes"):
        assert at.number_input(key=K(f"configs.jit.{field}")).help


def test_figure2_tab_shows_retrain_and_jit_rows(start):
    from explorer.unlearning import METHODS
    at = start()
    at.button(key=K("ui.fig2.run")).click().run()
    no_traceback(at)
    fig = next(spec(c) for c in charts(at) if any("high-information" in (a.get("text") or "")
                                                   for a in spec(c)["layout"].get("annotations", [])))
    cols = 3 if "greedy" in METHODS else 2
    assert sum(t["type"] == "heatmap" for t in fig["data"]) == 2 * cols
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert "retrained" in titles and "JiT" in " ".join(titles)
    assert any("gold standard" in c.value for c in at.caption)


def test_figure2_names_the_step_guard_and_one_click_redraws_it_without(start):
    at = start()
    at.button(key=K("ui.fig2.run")).click().run()
    assert any(c.value.startswith("Shown: JiT with step guard 0.05") for c in at.caption)
    at.toggle(key=K("ui.fig2.guard")).set_value(False).run()  # one click: the figure is redrawn without the guard
    no_traceback(at)
    assert any(c.value.startswith("Shown: JiT without the step guard") for c in at.caption)
    assert not any("press Show Figure 2 again" in i.value for i in at.info)


def test_training_failure_is_one_line_and_stops_cleanly(monkeypatch, start):
    from explorer import pipeline

    def boom(*a, **k):
        raise FloatingPointError("training diverged at epoch 3 (loss nan); lower the learning rate")

    monkeypatch.setenv("EXPLORER_POOL", "0")  # the replaced function runs in this process, not a pool worker
    monkeypatch.setattr(pipeline, "train_original", boom)
    at = start({"d.seed": "987"})  # settings nobody trained yet, so the cache cannot answer
    assert [e.value for e in at.error] == [
        "Training the original model failed: training diverged at epoch 3 (loss nan); lower the learning rate. "
        "Change the settings in the sidebar."]
    no_traceback(at)


def test_every_registered_method_runs_or_explains_itself(start):
    """Method pickers are generic over the registry: each method either animates or says why not."""
    from explorer.ui.settings import runnable_methods as zoo
    at = start()
    select(at, [3, 50, 90], "box")
    for method in zoo():
        at.selectbox(key=K("method")).set_value(method).run()
        unlearn(at)
        errors = [e.value for e in at.error]
        if errors:
            assert len(errors) == 1 and "\n" not in errors[0], (method, errors)
        else:
            player = next(spec(c) for c in charts(at) if spec(c).get("frames"))
            assert 1 <= len(player["frames"]) <= 60, method


def test_downloaded_scenario_runs_in_the_cli(tmp_path, capsys, downloads, start):
    """The app's scenario JSON is what `python -m explorer run --scenario FILE` loads."""
    from explorer.cli import main
    at = start()
    select(at, [6, 7, 21], "box")
    path = tmp_path / "scenario.json"
    path.write_bytes(downloads["scenario.json"])  # the "current settings" button, served on every run
    assert main(["run", "--scenario", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scenario"]["forget_ids"] == [6, 7, 21]
    assert report["scenario"]["dataset"]["samples"] == 160
    assert {"original", "retrain", "jit"} <= set(report["models"])


def test_compare_methods_table_per_method_animation_and_zero_shot_filter(start):
    """Baselines on the same forget set, a comparison table with gaps to retrain and the
    zero-shot column, small multiples of every boundary, the animation per method, a zero-shot filter."""
    from explorer.unlearning import METHODS
    at = start()
    assert at.multiselect(key=K("compare")).help and at.checkbox(key=K("ui.zero_shot")).help
    assert at.multiselect(key=K("compare")).value == []  # nothing extra by default: click-to-animation unchanged
    select(at, [3, 10, 42], "box")
    at.multiselect(key=K("compare")).set_value(["finetune", "neggrad", "emmn"]).run()
    unlearn(at)
    assert not at.error
    table = next(d.value for d in at.dataframe if "avg gap to retrain" in d.value.columns)
    assert list(table["method"]) == ["original", "retrain", "JiT with step guard 0.05", "finetune", "neggrad"]  # named as it ran
    assert {"forget_acc", "avg gap to retrain", "zero-shot", "seconds"} <= set(table.columns)
    assert not any(c.endswith(" gap") for c in table.columns)  # per-metric gaps behind a toggle: the table fits
    at.toggle(key=K("ui.compare_table.gaps")).set_value(True).run()
    table = next(d.value for d in at.dataframe if "avg gap to retrain" in d.value.columns)
    assert {"forget_acc gap", "retain_acc gap"} <= set(table.columns)
    zero_shot = dict(zip(table["method"], table["zero-shot"]))
    assert zero_shot["JiT with step guard 0.05"] == "yes" and zero_shot["neggrad"] == "yes" and zero_shot["finetune"] == "no"
    assert table.loc[table["method"] == "retrain", "avg gap to retrain"].iloc[0] == 0
    # emmn only forgets whole classes: one line saying so, no crash, no row
    assert any(i.value.startswith("emmn did not run:") and "whole classes" in i.value for i in at.info)
    figs = [spec(c) for c in charts(at)]
    side = next(f for f in figs if not f.get("frames") and sum(t["type"] == "heatmap" for t in f["data"]) == 5)
    titles = [a["text"] for a in side["layout"]["annotations"]]
    assert {"original", "JiT with step guard 0.05 result", "retrained (gold standard)", "finetune", "neggrad"} <= set(titles)
    player = next(f for f in figs if f.get("frames"))
    assert "JiT with step guard 0.05 boundary" in [t.get("name") for t in player["data"]]
    at.selectbox(key=K("ui.animate")).set_value("neggrad").run()
    no_traceback(at)
    player = next(spec(c) for c in charts(at) if spec(c).get("frames"))
    names = [t.get("name") for t in player["data"]]
    assert "neggrad boundary" in names and "JiT with step guard 0.05 boundary" not in names
    assert any("under neggrad" in h.value for h in at.subheader)
    # zero-shot only: the choices shrink to the registry's zero-shot methods, the selection follows
    at.checkbox(key=K("ui.zero_shot")).check().run()
    options = at.multiselect(key=K("compare")).options
    assert options and all(METHODS[m].access.zero_shot for m in options)
    assert "finetune" not in options and "jit" not in options and "retrain" not in options
    assert at.multiselect(key=K("compare")).value == ["neggrad", "emmn"]
    no_traceback(at)


def test_sigma_eta_sweep_runs_on_a_tiny_grid(start):
    at = start()
    select(at, [3, 10])
    unlearn(at)
    n_charts = len(charts(at))
    sig = next(t for t in at.text_input if t.key.startswith(K("ui.sweep.sigmas")))
    eta = next(t for t in at.text_input if t.key.startswith(K("ui.sweep.etas")))
    assert len(sig.value.split(",")) == 4 and len(eta.value.split(",")) == 4  # 4×4 log-spaced by default
    assert sig.help and eta.help and at.button(key=K("ui.sweep.run")).help
    sig.set_value("0.1, 0.3").run()
    eta.set_value("0.01, 0.1").run()
    at.button(key=K("ui.sweep.run")).click().run()
    no_traceback(at)
    assert not at.error
    assert len(charts(at)) == n_charts + 1
    fig = next(spec(c) for c in charts(at) if "σ×η" in (spec(c)["layout"].get("title") or {}).get("text", ""))
    heatmaps = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert len(heatmaps) == 4 and all(len(h["x"]) == 2 and len(h["y"]) == 2 for h in heatmaps)
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert "avg gap to retrain" in titles
    at.run()  # cached: shown again without pressing the button
    assert len(charts(at)) == n_charts + 1
    eta.set_value("0.01, bad").run()
    assert at.error and "comma-separated" in at.error[0].value
    no_traceback(at)


def test_a_new_dataset_starts_with_an_empty_forget_set_and_undo_restores_it(start):
    at = start()
    select(at, [1, 5, 9], "box")
    at.selectbox(key=K("dataset.name")).set_value("spiral").run()
    no_traceback(at)
    assert forget_text(at) == "Forget set: 0 points"  # the old ids would be other points of another dataset
    at.button(key=K("ui.undo")).click().run()
    assert forget_text(at) == "Forget set: 3 points"


def test_sessions_on_one_link_share_a_finished_run(monkeypatch, start):
    """A class pressing Unlearn on one shared link computes the run once; each session still gets the result."""
    from explorer.views import two_d
    calls = []
    real = two_d.run
    monkeypatch.setenv("EXPLORER_POOL", "0")  # count the calls in this process (tests/ui/test_pool.py: the pool)
    monkeypatch.setattr(two_d, "run", lambda *a, **k: calls.append(1) or real(*a, **k))
    link = {"d.seed": "4242"}  # a scenario no other test ran, so the shared cache starts empty for it
    first, second = start(link), start(link)
    for at in (first, second):
        select(at, [6, 7])
        unlearn(at)
        assert any("How the boundary moves" in h.value for h in at.subheader)
    assert len(calls) == 1


def test_a_link_from_another_page_replaces_the_scenario_and_undo_goes_back(start):
    """The atlas sends the user here with ?...&f=<id>: a session that already knew the page must follow it."""
    at = start()
    select(at, [3, 4])
    assert forget_text(at) == "Forget set: 2 points"
    link = urlstate.to_params(Scenario.from_dict({**urlstate.from_params(qp(at))[0].to_dict(), "seed": 7}), [42])
    at.query_params.clear()
    for k, v in link.items():
        at.query_params[k] = v
    at.run()
    no_traceback(at)
    assert forget_text(at) == "Forget set: 1 point" and qp(at)["f"] == "42" and qp(at)["seed"] == "7"
    at.button(key=K("ui.undo")).click().run()
    assert forget_text(at) == "Forget set: 2 points"


def test_seeds_from_a_link_set_the_control_and_the_verdict_judges_against_training_noise(start):
    at = start(seeds="3")
    assert at.number_input(key=K("seeds")).value == 3
    select(at, [3, 10, 42], "box")
    unlearn(at)
    assert not at.error
    texts = " ".join(str(el.value) for el in [*at.markdown, *at.info, *at.success, *at.warning])
    assert "mean of 3 seeds" in texts and "95 % interval" in texts
    names = [str(t.get("name")) for c in charts(at) for t in spec(c)["data"]]  # the page draws the cloud and bands
    assert names.count("retrained boundaries (3 seeds)") == 3 and any("min–max over seeds" in n for n in names)
    assert qp(at).get("seeds") == "3"
    at.number_input(key=K("seeds")).set_value(1).run()
    assert "seeds" not in qp(at)
