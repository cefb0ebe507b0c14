"""The 1-D views on the engine's numbers: the one-click "paper Figure 3" setting (one JiT run per forget point
on a sigmoid-shaped model), its figure, and a run on a line dataset with the curve recorded per step."""
import json

import numpy as np
import plotly.io as pio
import pytest

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.views import one_d

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def figure3():
    scenario = one_d.figure3_scenario()
    with torch_threads():
        trained = pipeline.train_original(scenario)
        return trained, one_d.figure3(scenario, trained)


def test_the_figure_3_model_is_a_sigmoid_over_the_line(figure3):
    trained, result = figure3
    assert trained.data.is_1d and trained.grid.points.shape[1] == 1
    assert len(list(trained.model.parameters())) == 2  # one linear layer: P(class 1 | x) = sigmoid(w·x + b)
    curve = result.original
    assert np.all(np.diff(curve) > 0) and curve[0] < 0.05 and curve[-1] > 0.95


def test_figure_3_the_flat_tails_move_less_than_the_slopes(figure3):
    """The paper's Figure 3 claim, on the engine's numbers: |Δf| at x = ±2 > |Δf| at x = ±4."""
    _, result = figure3
    for x in (2.0, -2.0):
        for tail in (4.0, -4.0):
            assert result.abs_change(x) > result.abs_change(tail), (x, tail, result.change)


def test_figure_3_figure_has_every_run_and_the_animation(figure3):
    _, result = figure3
    fig = one_d.figure3_figure(result)
    spec = json.loads(pio.to_json(fig, validate=False))
    grey = [t for t in spec["data"] if t.get("name", "").startswith("after JiT")]
    assert len(grey) == len(result.forget_x) == 17
    assert len(spec["frames"]) == len(result.steps) > 1
    black = [t for t in spec["data"] if t.get("name") == "forget point, after"][0]
    assert black["y"] == pytest.approx(result.after, abs=1e-6)


def test_a_run_on_a_line_records_the_curve_and_the_forget_points_each_step():
    scenario = one_d.figure3_scenario()
    with torch_threads():
        trained = pipeline.train_original(scenario)
        ids = [trained.data.named_points["x=2"], trained.data.named_points["x=-1"]]
        out = one_d.run(scenario, trained, ids)
    curves = out.main.probe(one_d.LINE)
    assert len(curves) == len(out.main.trajectory.points) and curves[0].shape == (len(trained.grid.xs), 2)
    assert out.main.probe(one_d.FORGET)[0].shape == (2, 2)
    assert 0 <= out.references["retrain"]["boundary_change"] <= 1
    fig = one_d.animation(out)
    assert fig.data[-1].customdata is not None and len(fig.data[-1].customdata) == len(trained.data.x_train)
    assert len(fig.frames) == len(curves)


def test_the_cli_runs_a_line_dataset_with_a_named_figure_3_point(tmp_path):
    from explorer.cli import main

    out = tmp_path / "report.json"
    assert main(["run", "--dataset", "line", "--depth", "0", "--forget-named", "x=2", "--threads", "1",
                 "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["scenario"]["dataset"]["name"] == "line" and report["verdict"]
    assert 0 <= report["models"]["jit"]["metrics"]["boundary_change"] <= 1
