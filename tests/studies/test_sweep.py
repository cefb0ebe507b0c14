"""The σ×η sweep: right grid, values in range, agrees with a direct JiT run, parallel and serial agree,
and it runs from inside a Streamlit script."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import pipeline
from explorer.cli import main
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.config.errors import ScenarioError
from explorer.studies.sweep import (SweepResult, default_axes, default_values, numeric_settings, sweep, sweep_grid,
                                    sweep_jit, sweepable_methods)
from explorer.unlearning import METHODS, RunContext, run_method

SIGMAS = [0.05, 0.2, 0.8]
ETAS = [1e-3, 0.05]


@pytest.fixture(scope="module")
def moons():
    scenario = replace(default_scenario("moons"), forget=ForgetSpec(random_fraction=0.05),
                       configs={"jit": {"passes": 5}})
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core box: one thread is much faster for a tiny MLP
    try:
        trained = pipeline.train_original(scenario)
    finally:
        torch.set_num_threads(before)
    return scenario, trained, scenario.forget.resolve(trained.data, scenario.seed)


@pytest.fixture(scope="module")
def swept(moons):
    scenario, trained, ids = moons
    calls = []
    result = sweep_jit(scenario, trained, ids, SIGMAS, ETAS, progress=lambda d, t: calls.append((d, t)), workers=2,
                       backend="threads")
    return result, calls


def test_grid_shape_and_axes(swept):
    result, _ = swept
    assert isinstance(result, SweepResult)
    assert result.xs == SIGMAS and result.ys == ETAS and (result.method, result.x, result.y) == ("jit", "sigma", "eta")
    for name in ("retain_acc", "forget_acc", "test_acc", "agreement_with_retrain", "avg_gap", "mia"):
        assert result.metrics[name].shape == (len(ETAS), len(SIGMAS)), name
    assert result.seconds > 0 and result.stopped.shape == (len(ETAS), len(SIGMAS))
    assert (result.workers, result.backend) == (2, "threads")


def test_values_are_in_range(swept):
    result, _ = swept
    for name in ("retain_acc", "forget_acc", "test_acc", "agreement_with_retrain", "mia"):
        values = result.metrics[name]
        assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all(), name
    gap = result.metrics["avg_gap"]
    assert np.isfinite(gap).all() and (gap >= 0).all() and (gap <= 1).all()
    assert result.retrain_metrics["agreement_with_retrain"] == 1.0


def test_progress_counts_every_cell_once(swept):
    result, calls = swept
    total = len(SIGMAS) * len(ETAS)
    assert [d for d, _ in calls] == list(range(1, total + 1)) and {t for _, t in calls} == {total}


def test_a_cell_is_the_same_as_running_jit_directly(moons, swept):
    scenario, trained, ids = moons
    result, _ = swept
    retrain, _, _ = pipeline.retrain_reference(scenario, trained, ids)
    evaluator = pipeline.make_evaluator(scenario, trained, ids, retrain)
    config = replace(pipeline.method_config(scenario, "jit"), sigma=SIGMAS[2], eta=ETAS[1])
    direct = run_method("jit", trained.model, trained.data, ids, config, RunContext(device=trained.device,
                                                                                      seed=scenario.seed))
    metrics, _ = evaluator.evaluate(direct.model)
    for name in ("retain_acc", "forget_acc", "test_acc", "agreement_with_retrain"):
        assert result.metrics[name][1, 2] == pytest.approx(metrics[name]), name


def test_serial_gives_the_same_grid_and_restores_torch_threads(moons, swept):
    scenario, trained, ids = moons
    threads = torch.get_num_threads()
    retrain, _, _ = pipeline.retrain_reference(scenario, trained, ids)
    serial = sweep_jit(scenario, trained, ids, SIGMAS, ETAS, workers=1, retrain=retrain)
    assert torch.get_num_threads() == threads and serial.backend == "serial"
    for name in ("retain_acc", "test_acc", "agreement_with_retrain"):
        np.testing.assert_allclose(serial.metrics[name], swept[0].metrics[name])


@pytest.mark.parametrize("sigmas, etas, message", [([], [0.1], "at least one sigma"), ([0.1], [-1.0], "eta"),
                                                   ([float("nan")], [0.1], "sigma")])
def test_bad_grids_are_refused(moons, sigmas, etas, message):
    scenario, trained, ids = moons
    with pytest.raises(ValueError, match=message):
        sweep_jit(scenario, trained, ids, sigmas, etas)


def test_auto_runs_serially_on_two_workers_and_in_processes_from_three(moons, monkeypatch):
    import explorer.studies.runner as runner

    scenario, trained, ids = moons
    assert sweep_jit(scenario, trained, ids, [0.1], [0.01, 0.02], workers=2).backend == "serial"
    seen = []
    monkeypatch.setattr(runner, "process_pool", lambda n: seen.append(n) or (_ for _ in ()).throw(RuntimeError("pool")))
    with pytest.raises(RuntimeError, match="pool"):
        sweep_jit(scenario, trained, ids, [0.1, 0.2, 0.3], [0.01], workers=3)
    assert seen == [3]


def test_an_unknown_backend_is_refused(moons):
    scenario, trained, ids = moons
    with pytest.raises(ValueError, match="backend"):
        sweep_jit(scenario, trained, ids, [0.1], [0.1], backend="gpus")


def test_the_sweep_runs_inside_a_streamlit_script():
    from streamlit.testing.v1 import AppTest

    def app():
        from dataclasses import replace

        import streamlit as st

        from explorer import pipeline
        from explorer.config.scenario import ForgetSpec
        from explorer.scenarios import default_scenario
        from explorer.studies.sweep import sweep_jit

        scenario = replace(default_scenario("moons", samples=120), forget=ForgetSpec(random_fraction=0.05),
                           configs={"jit": {"passes": 2}})
        trained = pipeline.train_original(scenario)
        ids = scenario.forget.resolve(trained.data, scenario.seed)
        bar = st.progress(0.0)
        result = sweep_jit(scenario, trained, ids, [0.1, 0.5], [0.01, 0.1],
                           progress=lambda done, total: bar.progress(done / total), workers=2)
        st.write(f"cells={result.metrics['test_acc'].size}")

    at = AppTest.from_function(app, default_timeout=120).run()
    assert not at.exception, at.exception
    assert any("cells=4" in m.value for m in at.markdown)


def test_processes_give_the_same_grid_without_rerunning_the_callers_main_script(moons, swept, tmp_path,
                                                                                monkeypatch):
    """Streamlit installs the app script as ``__main__``; a spawned worker must not execute it."""
    import sys
    import types

    from explorer.studies.sweep import shutdown_pool

    marker = tmp_path / "ran"
    script = tmp_path / "app_like.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('executed')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    shutdown_pool()  # fresh workers, started while the fake main is installed
    scenario, trained, ids = moons
    try:
        result = sweep_jit(scenario, trained, ids, SIGMAS[:2], ETAS[:1], workers=2, backend="processes")
    finally:
        shutdown_pool()
    assert not marker.exists()
    assert (result.workers, result.backend) == (2, "processes")
    for name in ("retain_acc", "test_acc", "agreement_with_retrain"):
        np.testing.assert_allclose(result.metrics[name], swept[0].metrics[name][:1, :2])


def test_any_method_sweeps_over_two_of_its_own_settings(moons):
    """Not only JiT: neggrad over lr × epochs through the same cells; an int setting stays an int."""
    scenario, trained, ids = moons
    result = sweep(scenario, trained, ids, "neggrad", ("lr", [0.001, 0.01]), ("epochs", [1, 2]), backend="serial")
    assert (result.method, result.x, result.y, result.xs, result.ys) == ("neggrad", "lr", "epochs", [0.001, 0.01], [1, 2])
    assert result.metrics["forget_acc"].shape == (2, 2) and np.isfinite(result.metrics["avg_gap"]).all()
    configs = sweep_grid(scenario, "neggrad", ("lr", [0.01]), ("epochs", [2.0]))
    assert type(configs[0, 0].epochs) is int and configs[0, 0].lr == 0.01


def test_the_grid_is_checked_by_the_methods_own_checker_before_any_cell(moons):
    scenario, _, _ = moons
    with pytest.raises(ScenarioError, match=r"^jit.sigma must be > 0"):
        sweep_grid(scenario, "jit", ("sigma", [0.1, -1.0]), ("eta", [0.1]))
    with pytest.raises(ValueError, match="no numeric setting 'output_space'"):
        sweep_grid(scenario, "jit", ("output_space", [1.0]), ("eta", [0.1]))
    with pytest.raises(ValueError, match="must differ"):
        sweep_grid(scenario, "jit", ("eta", [0.1]), ("eta", [0.1]))
    with pytest.raises(ValueError, match="a sweep runs one of"):
        sweep_grid(scenario, "retrain", ("lr", [0.1]), ("epochs", [1]))


def test_pickers_list_every_method_and_their_numeric_settings(moons):
    scenario, _, _ = moons
    assert sweepable_methods() == [m for m in METHODS if m != "retrain"]
    assert default_axes("jit") == ("sigma", "eta")
    assert "output_space" not in numeric_settings("jit") and "detach_perturbed" not in numeric_settings("jit")
    for method in sweepable_methods():
        x, y = default_axes(method)
        xs = default_values(scenario, method, x)
        ys = default_values(scenario, method, y, beside=(x, xs))  # every pair accepted (scrub: msteps <= epochs)
        assert xs and ys and len(sweep_grid(scenario, method, (x, xs), (y, ys))) == len(xs) * len(ys), method


def test_a_class_level_method_on_a_few_points_is_refused_before_any_cell(moons):
    scenario, trained, ids = moons
    x, y = default_axes("unsir")
    with pytest.raises(ScenarioError, match="unsir only forgets whole classes"):
        sweep(scenario, trained, ids, "unsir", (x, default_values(scenario, "unsir", x)),
              (y, default_values(scenario, "unsir", y)), progress=lambda *a: pytest.fail("a cell ran"))


def test_a_cell_whose_outputs_overflow_is_marked_stopped_and_the_others_are_kept(tmp_path):
    """NegGrad at lr 0.01 for 30 epochs drives the digits CNN's outputs past float32 (measured: the final evaluation
    finds them not finite); that cell is stopped with its metrics not measurable, the sweep goes on."""
    out = tmp_path / "sweep.json"
    assert main(["sweep", "--dataset", "digits", "--model", "cnn", "--forget-random", "0.05", "--method", "neggrad",
                 "--x", "epochs=5,30", "--y", "lr=0.001,0.01", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["stopped"] == [[False, False], [False, True]]
    assert report["metrics"]["forget_acc"][1][1] is None  # NaN: not measurable
    assert all(v is not None for row in report["metrics"]["forget_acc"][:1] for v in row)


def test_a_sweep_of_the_step_guard_says_so_in_its_label():
    base = dict(xs=[1.0], ys=[1.0], metrics={}, seconds=0.0, method="jit")
    assert SweepResult(**base, x="sigma", y="eta", max_step_change=0.05).label == "JiT with step guard 0.05"
    assert SweepResult(**base, x="passes", y="max_step_change", max_step_change=0.0125).label == (
        "JiT (the step guard swept)")
