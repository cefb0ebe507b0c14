"""The sweep, the calibration study and the atlas give the numbers they gave before they ran on the study
primitive: small cases of each, recorded at that commit by running this file
(``python tests/studies/test_pinned.py`` writes tests/studies/data/pinned_studies.json)."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.studies.atlas import compute_atlas
from explorer.studies.calibration import StudyGrid, run_study
from explorer.studies.sweep import sweep_jit

PINNED_FILE = Path(__file__).with_name("data") / "pinned_studies.json"


def sweep_case():
    scenario = replace(default_scenario("moons", samples=120), forget=ForgetSpec(random_fraction=0.05),
                       configs={"jit": {"passes": 5}})
    trained = pipeline.train_original(scenario, device=torch.device("cpu"))
    ids = scenario.forget.resolve(trained.data, scenario.seed)
    result = sweep_jit(scenario, trained, ids, [0.1, 0.4], [0.002, 0.05], backend="serial")
    return {"ids": ids, "sigmas": result.xs, "etas": result.ys,
            "metrics": {k: v.tolist() for k, v in result.metrics.items()},
            "stopped": result.stopped.tolist(), "retrain_metrics": result.retrain_metrics}


def calibration_case():
    grid = StudyGrid(sigmas=(0.2,), etas=(0.002, 0.1), max_step_changes=(0.0, 0.05), datasets=("moons",),
                     seeds=(1,), kinds=("boundary", "interior", "most_informative", "neighbours", "class"))
    result = run_study(grid, backend="serial")
    return {"rows": result.rows}


def atlas_case():
    scenario = default_scenario("moons", samples=80)
    atlas = compute_atlas(scenario, ids=[0, 3, 7, 12, 40, 55], backend="serial", chunk=4)
    neggrad = compute_atlas(scenario, ids=[3, 7], backend="serial", method="neggrad")
    return {"points": atlas.points, "spearman": atlas.spearman,
            "neggrad_points": neggrad.points}



def pinned() -> dict:
    return json.loads(PINNED_FILE.read_text())



# Not compared: the entropy attack's value, whose fit became the exact optimum after these numbers were recorded
# (tests/measures/test_logistic.py checks it against scikit-learn run to convergence); it differs where lbfgs
# stopped early; and SalUn's Avg. Gap, whose membership term is now SalUn's own MIA-Efficacy. Keys added since (new
# metrics, new summary columns) are allowed.
CHANGED_SINCE = {"mia", "avg_gap"}


def same(a, b, path=""):
    """``a`` (now) holds every key of ``b`` (pinned) with an equal value; floats within 1e-6 (NaN equals NaN)."""
    if isinstance(a, dict):
        assert set(b) <= set(a), path
        for k in b:
            if k not in CHANGED_SINCE:
                same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            assert a is None and b is None, path
        elif math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), path
        else:
            assert a == pytest.approx(b, abs=1e-6), path
    else:
        assert a == b, path


@pytest.fixture(scope="module")
def one_thread():
    with torch_threads(1):
        yield


def test_the_sweep_gives_its_pinned_numbers(one_thread):
    same(json.loads(json.dumps(sweep_case(), default=list)), pinned()["sweep"])


def test_the_calibration_study_gives_its_pinned_rows(one_thread):
    same(json.loads(json.dumps(calibration_case(), default=list)), pinned()["calibration"])


def test_the_atlas_gives_its_pinned_points(one_thread):
    same(json.loads(json.dumps(atlas_case(), default=list)), pinned()["atlas"])


def write() -> None:
    """Record the cases (run once, at the commit before the studies moved)."""
    with torch_threads(1):
        out = {"sweep": sweep_case(), "calibration": calibration_case(), "atlas": atlas_case()}
    PINNED_FILE.write_text(json.dumps(out, indent=1, default=list))


if __name__ == "__main__":
    write()
