"""The Recorder keeps bounded memory whatever the number of steps (it thins while recording)."""
import numpy as np
import torch
from torch import nn

from explorer.config import limits
from explorer.unlearning.base import Recorder, RunContext


def _ctx(probs_size=0, record_every=1):
    def evaluate(model, with_probs):
        return {"m": 0.0}, (np.zeros((probs_size, 2), np.float32) if with_probs else None)
    return RunContext(device=torch.device("cpu"), evaluate=evaluate, record_every=record_every,
                      record_probs=probs_size > 0)


def test_many_steps_keep_a_bounded_trajectory_with_first_and_last():
    model = nn.Linear(2, 2)
    steps = 20 * limits.MAX_RECORDED_POINTS
    rec = Recorder(model, _ctx(), steps)
    for step in range(1, steps + 1):
        assert rec.step(step, 1, 0.1)
    traj = rec.finish(steps, 1)
    assert len(traj) <= limits.MAX_RECORDED_POINTS + 1
    assert traj.points[0].step == 0 and traj.points[-1].step == steps
    assert traj.steps == sorted(traj.steps)


def test_recorded_probabilities_stay_under_the_memory_cap():
    model = nn.Linear(2, 2)
    frame = 400 * 400  # a 400x400 grid, 2 classes: 1.28 MB a frame
    rec = Recorder(model, _ctx(frame), 2000)
    for step in range(1, 2001):
        rec.step(step, 1, 0.1)
    traj = rec.finish(2000, 1)
    held = sum(p.probs.nbytes for p in traj.points if p.probs is not None)
    assert held <= limits.MAX_RECORDED_BYTES + 2 * frame * 2 * 4


def test_short_runs_record_every_step_as_before():
    model = nn.Linear(2, 2)
    rec = Recorder(model, _ctx(), 30)
    for step in range(1, 31):
        rec.step(step, 1, 0.1)
    assert rec.finish(30, 1).steps == list(range(31))


def test_weights_that_blow_up_are_named_as_such_not_as_a_finite_loss():
    model = nn.Linear(2, 2)
    rec = Recorder(model, _ctx(), 5)
    rec.step(1, 1, 0.1)
    with torch.no_grad():
        model.weight.fill_(float("inf"))
    assert not rec.step(2, 1, 0.5)
    assert "weight" in rec.trajectory.stopped and "loss 0.5" not in rec.trajectory.stopped
    assert torch.isfinite(model.weight).all()


def test_a_rollback_past_a_useless_last_step_keeps_the_last_measured_one():
    """The last finite step is useless when its outputs overflow: the rollback goes back to the last step
    whose outputs were measured finite, and the message names that step."""
    state = {"overflow": False}

    def evaluate(model, with_probs):
        if state["overflow"]:
            raise FloatingPointError("outputs overflow")
        return {"m": 0.0}, None

    model = nn.Linear(2, 2)
    rec = Recorder(model, RunContext(device=torch.device("cpu"), evaluate=evaluate, record_every=10), 100)
    for step in range(1, 11):
        rec.step(step, 1, 0.1)  # step 10 recorded and measured
    measured = model.weight.detach().clone()
    for step in range(11, 15):
        with torch.no_grad():
            model.weight.add_(1.0)
        rec.step(step, 1, 0.1)  # finite weights, not measured
    state["overflow"] = True
    with torch.no_grad():
        model.weight.fill_(float("nan"))
    assert not rec.step(15, 1, 0.1)
    assert "kept the weights of step 10" in rec.trajectory.stopped
    assert torch.equal(model.weight, measured)
