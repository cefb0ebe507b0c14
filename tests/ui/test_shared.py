"""Pure helpers of the pages' shared panels (no Streamlit session): the comparison table and the
sweep's float-list input."""
import pytest

from explorer.ui import shared


def test_comparison_frame_has_gaps_avg_gap_seconds_and_zero_shot():
    models = {"original": {"metrics": {"retain_acc": 1.0, "forget_acc": 1.0, "test_acc": 0.9, "mia_efficacy": 0.6},
                           "seconds": 2},
              "retrain": {"metrics": {"retain_acc": 1.0, "forget_acc": 0.5, "test_acc": 0.9, "mia_efficacy": 0.5},
                          "seconds": 1},
              "jit": {"metrics": {"retain_acc": 0.9, "forget_acc": 0.6, "test_acc": 0.9, "mia_efficacy": 0.5},
                      "seconds": 0.1, "label": "JiT with step guard 0.05"}}
    frame = shared.comparison_frame(models, shown=("retain_acc", "forget_acc", "test_acc", "mia_efficacy"))
    # the method as it ran: the explorer's step guard is named in the table
    assert list(frame["method"]) == ["original", "retrain", "JiT with step guard 0.05"]
    jit = frame[frame["method"] == "JiT with step guard 0.05"].iloc[0]
    assert jit["forget_acc gap"] == pytest.approx(0.1) and jit["retain_acc gap"] == pytest.approx(-0.1)
    assert jit["avg gap to retrain"] == pytest.approx(0.05)
    assert list(frame["zero-shot"]) == ["—", "no", "yes"] and jit["seconds"] == pytest.approx(0.1)
    assert "forget_acc gap" not in shared.comparison_frame(models, gaps=False).columns


def test_parse_floats():
    assert shared.parse_floats("0.1, 0.5;2") == [0.1, 0.5, 2.0]
    with pytest.raises(ValueError, match="comma-separated"):
        shared.parse_floats("0.1, x")
