"""The trajectory an unlearning run leaves: thinning keeps the first and last step, metrics read per step."""
import numpy as np

from explorer.engine.trajectory import Trajectory, TrajectoryPoint


def _trajectory(n):
    return Trajectory([TrajectoryPoint(k, 0, None, {"forget_acc": 1 - k / n}) for k in range(n)], stopped=None)


def test_thinning_keeps_the_ends_and_at_most_the_limit():
    t = _trajectory(200).thinned(60)
    assert len(t) <= 60 and t.steps[0] == 0 and t.steps[-1] == 199
    assert t.steps == sorted(set(t.steps))
    short = _trajectory(5)
    assert short.thinned(60) is short


def test_a_metric_reads_per_step_with_nan_for_a_missing_value():
    t = _trajectory(3)
    t.points.append(TrajectoryPoint(3, 0, None, {}))
    assert np.allclose(t.metric("forget_acc")[:3], [1, 2 / 3, 1 / 3]) and np.isnan(t.metric("forget_acc")[3])
    assert t.to_list()[1] == {"step": 1, "epoch": 0, "loss": None, "metrics": {"forget_acc": 1 - 1 / 3}}
