"""Pure helpers of the app's comparison and sweep panels (no Streamlit)."""
import math

import pytest

from explorer.scenario import default_scenario
from explorer.ui import compute, shared
from explorer.unlearning import METHODS


def test_log_grid_is_log_spaced_around_the_center():
    values = compute.log_grid(0.1, 4, span=10.0)
    assert len(values) == 4 and values == sorted(values)
    ratios = [b / a for a, b in zip(values, values[1:])]
    assert all(r == pytest.approx(ratios[0], rel=0.02) for r in ratios)
    assert math.sqrt(values[0] * values[-1]) == pytest.approx(0.1, rel=0.02)
    assert compute.log_grid(0.5, 1) == [0.5]
    with pytest.raises(ValueError):
        compute.log_grid(0.0)


def test_with_compare_drops_the_main_method_and_retrain_and_adds_default_presets():
    base = default_scenario("moons")
    sc = compute.with_compare(base, ["retrain", base.method, "neggrad", "finetune", "neggrad"])
    assert sc.compare == ("neggrad", "finetune")
    assert sc.method == base.method
    for m in sc.compare:
        assert sc.presets.get(m) == ("explorer" if "explorer" in METHODS[m].presets else None)
    assert compute.with_compare(base, []).compare == ()


def test_comparison_frame_has_gaps_avg_gap_seconds_and_zero_shot():
    models = {"original": {"metrics": {"retain_acc": 1.0, "forget_acc": 1.0, "test_acc": 0.9, "mia": 0.6}, "seconds": 2},
              "retrain": {"metrics": {"retain_acc": 1.0, "forget_acc": 0.5, "test_acc": 0.9, "mia": 0.5}, "seconds": 1},
              "jit": {"metrics": {"retain_acc": 0.9, "forget_acc": 0.6, "test_acc": 0.9, "mia": 0.5}, "seconds": 0.1}}
    frame = shared.comparison_frame(models, shown=("retain_acc", "forget_acc", "test_acc", "mia"))
    assert list(frame["method"]) == ["original", "retrain", "jit"]
    jit = frame[frame["method"] == "jit"].iloc[0]
    assert jit["forget_acc gap"] == pytest.approx(0.1) and jit["retain_acc gap"] == pytest.approx(-0.1)
    assert jit["avg gap to retrain"] == pytest.approx(0.05)
    assert list(frame["zero-shot"]) == ["—", "no", "yes"] and jit["seconds"] == pytest.approx(0.1)
    assert "forget_acc gap" not in shared.comparison_frame(models, gaps=False).columns


def test_parse_floats():
    assert shared.parse_floats("0.1, 0.5;2") == [0.1, 0.5, 2.0]
    with pytest.raises(ValueError, match="comma-separated"):
        shared.parse_floats("0.1, x")
