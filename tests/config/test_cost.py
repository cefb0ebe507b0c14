"""One budget, in CPU-seconds and bytes, checked by every entrance before any work: run, the pages' sweep and
atlas, atlas, calibrate, bench; threads and workers bounded by the cores. Held-out sizes of each kind."""
import time
from dataclasses import replace

import pytest

from explorer import pipeline
from explorer.cli import main
from explorer.config import cost, limits
from explorer.config.scenario import ScenarioError
from explorer.scenarios import default_scenario
from explorer.studies.budget import atlas_cost, study_cost, sweep_cost
from explorer.studies.calibration import StudyGrid
from explorer.studies.runner import default_workers
from explorer.ui.shared import run_sweep
from toy_data import load_dataset

pytestmark = pytest.mark.timeout(120)


def refused_fast(argv, capsys, message="work budget", seconds=5.0) -> str:
    started = time.perf_counter()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and message in err, err
    assert time.perf_counter() - started < seconds, err  # the imports are done: only the checks run
    return err


def test_the_check_names_what_dominates_and_what_to_lower():
    over = cost.Cost({"training": 1.0, "recording jit": 500.0})
    with pytest.raises(ValueError) as err:
        cost.check(over, 120)
    text = str(err.value)
    assert "work budget of 2 min" in text and "recording jit" in text and "record fewer steps" in text
    with pytest.raises(ValueError, match="memory budget of 512 MB"):
        cost.check(cost.Cost({"jit": 1.0}, bytes=2 * 2**30))
    cost.check(cost.Cost({"jit": 1.0}, bytes=1e6))


def test_the_estimate_grows_with_every_part_of_a_run():
    base = default_scenario("moons")
    data = load_dataset(base.dataset)
    seconds = lambda s, n=3, **kw: pipeline.work(s, data, n, **kw).seconds  # noqa: E731
    assert seconds(base) < cost.RUN_BUDGET / 10  # the default run: a few seconds
    assert seconds(replace(base, configs={"jit": {"passes": 300}})) > 2 * seconds(base)
    assert seconds(replace(base, grid_resolution=300)) > seconds(base)
    assert seconds(replace(base, train=replace(base.train, epochs=15000))) > 3 * seconds(base)
    assert seconds(replace(base, compare=("finetune", "scrub"))) > seconds(base)
    grid_memory = pipeline.work(replace(base, grid_resolution=400), data, 3, probe_points=160000, max_frames=60).bytes
    assert grid_memory > 10 * pipeline.work(base, data, 3, probe_points=10000, max_frames=60).bytes


@pytest.mark.parametrize("flags", [
    # the 10,000-pass click at the finest grid: the Recorder measures only the ~630 steps it keeps (about a CPU-minute,
    # admitted), so the perturbations make it too large
    ["--passes", "10000", "--grid-resolution", "400", "--perturbations", "500"],
    ["--passes", "10000", "--perturbations", "1000", "--record-every", "1000"],
    ["--samples", "20000", "--width", "1024", "--depth", "8", "--epochs", "3000"],
    ["--compare", "finetune,scrub,neggrad_plus", "--samples", "20000", "--epochs", "2000"],
])
def test_run_refuses_an_oversized_run_before_any_work(flags, capsys):
    refused_fast(["run", "--forget-ids", "1-20", *flags, "--out", "/dev/null"], capsys, seconds=20)


def test_calibrate_refuses_a_huge_grid_fast_without_building_it(capsys):
    values = ",".join(f"{0.001 * (i + 1):g}" for i in range(4000))
    err = refused_fast(["calibrate", "--sigmas", values, "--etas", values, "--out", "/dev/null"], capsys)
    assert "11,520,000,000 runs" in err  # 4,000 σ × 4,000 η × 4 guards × 6 datasets × 5 seeds × 6 kinds
    refused_fast(["calibrate", "--seeds", "100", "--passes", "30,60,120,240", "--out", "/dev/null"], capsys)


def test_the_default_studies_fit_and_big_ones_do_not():
    assert study_cost(StudyGrid()).seconds < cost.STUDY_BUDGET
    assert study_cost(replace(StudyGrid(), seeds=tuple(range(100)))).seconds > cost.STUDY_BUDGET
    moons = default_scenario("moons")
    data = load_dataset(moons.dataset)
    assert atlas_cost(moons, data, "jit", len(data.x_train)).seconds < cost.PAGE_STUDY_BUDGET  # the atlas page
    big = default_scenario("moons", samples=2600)
    assert atlas_cost(big, load_dataset(big.dataset), "jit", 1950).seconds > cost.STUDY_BUDGET
    assert sweep_cost(moons, data, 3, 16).seconds < 10
    passes = replace(moons, configs={"jit": {"passes": 10000}})
    assert sweep_cost(passes, data, 3, 400).seconds > cost.PAGE_STUDY_BUDGET


def test_atlas_refuses_a_big_atlas_before_training(capsys):
    refused_fast(["atlas", "--samples", "2600", "--out", "/dev/null"], capsys, seconds=20)


def test_the_pages_sweep_refuses_before_any_cell():
    scenario = replace(default_scenario("moons"), configs={"jit": {"passes": 10000}})
    trained = pipeline.train_original(replace(scenario, train=replace(scenario.train, epochs=5)))
    values = ", ".join(f"{0.01 * (i + 1):g}" for i in range(20))
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="this sweep of 400 cells needs about"):
        run_sweep(scenario, trained, [1, 2], values, values, None, lambda *a: None)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("argv, message", [
    (["run", "--threads", "256"], "--threads must be between 1 and"),
    (["run", "--threads", "0"], "--threads must be between 1 and"),
    (["atlas", "--workers", "1000000"], "--workers must be between 1 and"),
    (["calibrate", "--workers", "100000"], "--workers must be between 1 and"),
    (["atlas", "--backend", "ray", "--address", "127.0.0.1:1", "--workers", "100000"], "--workers must be between 1"),
    (["bench", "--repeats", "1000000000"], "--repeats must be between 1 and 50"),
    (["bench", "--repeats", "0", "--load", "1"], "--repeats must be between 1 and 50"),
])
def test_threads_workers_and_repeats_are_bounded(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
    if "--threads" in argv:
        assert str(default_workers()) in err


def test_every_lesson_and_default_scenario_fits_the_run_budget():
    for name in ("moons", "circles", "xor", "spiral", "blobs", "two_blobs", "line", "digits", "faces"):
        scenario = default_scenario(name)
        data = load_dataset(scenario.dataset)
        n = max(1, len(data.x_train) // 20)
        work = pipeline.work(scenario, data, n, probe_points=pipeline.grid_points(scenario, data), max_frames=60)
        assert work.seconds < cost.RUN_BUDGET / 4 and work.bytes < cost.MEMORY_BUDGET / 4, name
    assert limits.WORK_BUDGET == cost.RUN_BUDGET
