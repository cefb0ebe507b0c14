"""The click-to-animation benchmark reports its stages in CPU-seconds."""
from dataclasses import replace

import pytest

from explorer import pipeline
from explorer.bench import app


@pytest.mark.timeout(300)
def test_one_click_reports_every_stage_in_cpu_seconds():
    scenario = app.bench_scenario()
    scenario = replace(scenario, train=replace(scenario.train, epochs=200))
    trained = pipeline.train_original(scenario)
    stages, size, _ = app.one_click(scenario, trained, 10)
    assert set(stages) == {*app.STAGES, "total", "wall"}
    assert all(stages[k] > 0 for k in app.STAGES)
    assert stages["total"] == pytest.approx(sum(stages[k] for k in app.STAGES), abs=0.01)
    assert 100_000 < size < 5_000_000  # the animation's JSON: 31 frames of uint8 heatmaps
