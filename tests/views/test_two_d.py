"""The 2D page's views on a tiny real model: one run with the grid recorded per step, its animation, the
side-by-side panels, the information view, the exports, and the forget-set checks of the one run path."""
import csv
import io
import json
import math
from dataclasses import replace

import plotly.io as pio
import pytest

from explorer import pipeline

from explorer.figures import common
from explorer.figures.common import MAX_FRAMES
from explorer.pipeline import train_original
from explorer.config.scenario import Scenario, ScenarioError
from explorer.figures import two_d as figures
from explorer.scenarios import default_scenario
from explorer.views import exports, two_d
from explorer.views.two_d import GRID


def spec_of(fig):
    return json.loads(pio.to_json(fig, validate=False))


def heatmaps(fig) -> int:
    return sum(t.type == "heatmap" for t in fig.data)


@pytest.fixture(scope="module")
def tiny():
    s = default_scenario("blobs", samples=120, classes=3)
    s = replace(s, train=replace(s.train, epochs=150), grid_resolution=40, configs={"jit": {"passes": 5}})
    return s, train_original(s)


@pytest.fixture(scope="module")
def tiny_run(tiny):
    s, trained = tiny
    return two_d.run(s, trained, [0, 1, 2])


def test_run_animation_and_exports(tiny, tiny_run):
    s, trained = tiny
    out = tiny_run
    traj = out.main.trajectory
    assert out.method == "jit" and out.forget_ids == [0, 1, 2]
    assert len(traj) <= MAX_FRAMES and out.main.probe(GRID)[0].shape == (40 * 40, 3)
    assert set(out.references) == {"original", "retrain"}
    assert out.reference_probes["retrain"][GRID].shape == (40 * 40, 3)
    spec = spec_of(two_d.animation(out))
    assert len(spec["frames"]) == len(traj)
    assert heatmaps(two_d.side_by_side(out)) == 3
    csv_text = out.csv()
    assert csv_text.splitlines()[0].startswith("model,step,epoch,loss,retain_acc")
    rows = list(csv.reader(io.StringIO(csv_text)))[1:]
    # one row per recorded step of each method, then one final row per model: original, retrain, each method
    assert len(rows) == sum(len(r.trajectory) for r in out.results.values()) + 2 + len(out.results)
    assert [r[0] for r in rows[-3:]] == ["original", "retrain", "jit"] and all(r[1] == "" for r in rows[-3:])
    exported = json.loads(exports.scenario_json(s, out.forget_ids))
    assert exported["forget_ids"] == [0, 1, 2] and exported["forget"]["ids"] == [0, 1, 2]
    back = Scenario.from_dict(exported)
    assert back.forget.resolve(trained.data) == [0, 1, 2] and back.dataset == s.dataset
    assert exports.scenario_export(s, [2, 0, 2, 1])["forget_ids"] == [0, 1, 2]  # sorted, no repeats
    info = two_d.information(trained, s, out, True, True)
    assert heatmaps(info) == 2
    assert heatmaps(two_d.information(trained, s, None, True, False)) == 0  # before any run: α only


def test_the_forget_set_is_checked_by_the_one_run_path(tiny):
    s, trained = tiny
    data = trained.data
    assert pipeline.resolve_forget(s, data, [2, 0, 1, 2]) == [0, 1, 2]
    with pytest.raises(ScenarioError, match="empty"):
        pipeline.resolve_forget(s, data, [])
    with pytest.raises(ScenarioError, match="every training point"):
        pipeline.resolve_forget(s, data, range(len(data.x_train)))
    with pytest.raises(ScenarioError, match="out of range"):
        pipeline.resolve_forget(s, data, [len(data.x_train)])
    with pytest.raises(ScenarioError, match="empty"):  # the views reach the same check before any work
        two_d.run(s, trained, [])


def test_a_compared_method_runs_and_a_class_only_one_is_refused(tiny, tiny_run):
    s, trained = tiny
    out = two_d.run(replace(s, compare=("neggrad", "unsir")), trained, [0, 1, 2],
                    retrain=(tiny_run.retrain, tiny_run.retrain_seconds))
    assert set(out.compared) == {"neggrad"} and "unsir" not in out.results
    assert "whole classes" in out.refused["unsir"]
    assert len(out.compared["neggrad"].probe(GRID)) == len(out.compared["neggrad"].trajectory)
    assert heatmaps(two_d.side_by_side(out)) == 4
    assert len(spec_of(two_d.animation(out, "neggrad"))["frames"]) == len(out.compared["neggrad"].trajectory)


def test_log_grid_is_log_spaced_around_the_center():
    values = two_d.log_grid(0.1, 4, span=10.0)
    assert len(values) == 4 and values == sorted(values)
    ratios = [b / a for a, b in zip(values, values[1:])]
    assert all(r == pytest.approx(ratios[0], rel=0.02) for r in ratios)
    assert math.sqrt(values[0] * values[-1]) == pytest.approx(0.1, rel=0.02)
    assert two_d.log_grid(0.5, 1) == [0.5]
    with pytest.raises(ValueError):
        two_d.log_grid(0.0)


def test_a_guarded_jit_is_named_with_its_step_guard_wherever_it_is_shown(tiny, tiny_run):
    """The step guard is the explorer's, not the paper's: its run is "JiT with step guard 0.05" in the verdict, the
    report, the comparison rows, the CSV and the figures; the same run without the guard is plain "JiT"."""
    from explorer.measures.comparison import comparison_rows

    s, trained = tiny
    out = tiny_run
    name = "JiT with step guard 0.05"
    assert out.label() == name and out.verdict().sentence.startswith(name)
    assert out.models()["jit"]["label"] == name and out.report()["models"]["jit"]["label"] == name
    assert [r["label"] for r in comparison_rows(out.models())][-1] == name
    rows = list(csv.reader(io.StringIO(out.csv())))
    assert rows[0][-1] == "label" and rows[-1][0] == "jit" and rows[-1][-1] == name
    titles = [a["text"] for a in spec_of(two_d.side_by_side(out))["layout"]["annotations"]]
    assert f"{name} result" in titles
    assert any(t.get("name") == name for t in spec_of(two_d.animation(out))["data"])
    plain = two_d.run(replace(s, configs={"jit": {"passes": 5, "max_step_change": 0.0}}), trained, [0, 1, 2])
    assert plain.label() == "JiT" and plain.verdict().sentence.startswith("JiT ")
    assert "step guard" not in plain.verdict().sentence


@pytest.mark.parametrize("template", ["plotly", "plotly_white"])
def test_the_pages_figures_built_as_specs_equal_the_figures_made_into_dicts(tiny, template, monkeypatch):
    """page_run builds its figures straight into specs (figures.common.specs_only): the same data, layout, frames
    and template as building plotly's figure and calling to_dict, with compared methods and a second seed too."""
    monkeypatch.setattr(pio.templates, "default", template)
    s, trained = tiny
    runs = [two_d.run(s, trained, [0, 1, 2]),
            two_d.run(pipeline.with_compare(s, ["neggrad"]), trained, [4]),
            two_d.run(replace(s, seeds=2), trained, [5])]
    for out in runs:
        builders = {"animation": lambda: two_d.animation(out), "side": lambda: two_d.side_by_side(out),
                    "info": lambda: two_d.information(trained, s, out, True, False)}
        for name, build in builders.items():
            made = build().to_dict()
            with common.specs_only():
                fig = build()
            assert isinstance(fig, common.SpecFigure), name
            assert fig.to_dict() == made, name
            assert made["layout"]["template"]["layout"] == pio.templates[template].layout.to_plotly_json()
    assert not isinstance(two_d.animation(runs[0]), common.SpecFigure)  # outside, figures are plotly's again
    d, g = trained.data, trained.grid
    probs, alpha = runs[0].reference_probes["original"][GRID], two_d.alpha_scores(trained)
    editor = lambda: figures.editor_figure(d.x_train, d.y_train, g.xs, g.ys, probs, d.n_classes, [0, 1, 2],  # noqa: E731
                                           alpha=alpha)
    made = editor().to_dict()
    with common.specs_only():
        assert editor().to_dict() == made  # the page's editor, built straight into its spec on every rerun
