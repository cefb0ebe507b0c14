"""The images page's run and views: the shown images and the planes recorded per step through the one run
path, every figure of that run, the digits full-class JiT preset, and a class-only method refused on
random images without losing the rest of the run."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import pipeline

from explorer.figures import images as image_figures
from explorer.engine.models import predict_proba
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.unlearning import get_method
from explorer.views import images
from explorer.views.images import SHOWN, plane_probe


@pytest.fixture(scope="module")
def digits():
    sc = replace(default_scenario("digits"), device="cpu", presets={"jit": "digits-class"})
    return sc, pipeline.train_original(sc, device=torch.device("cpu"))


@pytest.fixture(scope="module")
def digits_run(digits):
    sc, trained = digits
    ids = ForgetSpec(forget_class=3).resolve(trained.data, 0)
    return images.run(sc, trained, ids, resolution=24)


def test_run_records_plane_and_image_probs_per_step(digits, digits_run):
    _, trained = digits
    run = digits_run
    main = run.outcome.main
    n_steps = len(run.steps)
    assert n_steps >= 3 and run.steps[0] == 0 and run.steps == main.trajectory.steps
    assert len(run.shown_ids) == 4 and all(trained.data.y_train[i] == 3 for i in run.shown_ids)
    shown = main.probe(SHOWN)
    assert len(shown) == n_steps and shown[0].shape == (len(run.shown_ids), 10)
    assert len(run.planes) == 2 and [p.anchor_ids[0] for p in run.planes] == run.shown_ids[:2]
    plane = main.probe(plane_probe(0))
    assert len(plane) == n_steps and plane[0].shape == (24 * 24, 10)
    # the plane's predicted classes move during unlearning
    first, last = plane[0].argmax(1), plane[-1].argmax(1)
    assert (first != last).mean() > 0.01
    # step 0 is the original model; the references carry the same probes
    assert np.allclose(plane[0], predict_proba(trained.model, run.planes[0].points), atol=1e-5)
    assert np.allclose(run.outcome.reference_probes["original"][plane_probe(0)], plane[0], atol=1e-5)
    assert run.outcome.reference_probes["retrain"][SHOWN].shape == (len(run.shown_ids), 10)
    # every model's probabilities on the test and forget sets, for the per-class, confusion and entropy views
    assert set(run.test_probs) == set(run.forget_probs) == {"original", "jit", "retrain"}
    assert run.forget_probs["jit"].shape == (len(run.outcome.forget_ids), 10)


def test_plane_figure_animates_with_fixed_axes(digits_run):
    figs = images.figures(digits_run)
    fig = figs[plane_probe(0)]
    assert 2 <= len(fig.frames) <= image_figures.MAX_FRAMES
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    z0, zl = np.asarray(fig.frames[0].data[0].z), np.asarray(fig.frames[-1].data[0].z)
    assert not np.array_equal(z0, zl)
    play = fig.layout.updatemenus[0].buttons[0]
    assert play.label.endswith("Play") and play.args[1]["frame"]["redraw"] is True
    # the retrained model's boundary is overlaid as a dashed line
    assert any(t.line.dash == "dash" for t in fig.data if t.type == "scatter" and t.mode == "lines")
    probs = figs["probs_0"]
    assert len(probs.frames) == len(fig.frames)
    assert [t.type for t in probs.data] == ["heatmap", "bar", "bar"]
    assert {plane_probe(1), "probs_3", "per_class", "confusion", "entropy", "metrics"} <= set(figs)
    assert "probs_4" not in figs and plane_probe(2) not in figs


def test_digits_class_preset_forgets_the_class_and_keeps_the_rest(digits_run):
    """JiT's documented digits full-class preset drives forget accuracy far below the original's while
    retain accuracy stays within a few points of retrain's."""
    preset = get_method("jit").presets["digits-class"]
    assert preset.config.output_space == "probs" and "sweep" in preset.source
    m = digits_run.outcome.models()
    original, retrain, jit = m["original"]["metrics"], m["retrain"]["metrics"], m["jit"]["metrics"]
    assert original["forget_acc"] > 0.95 and retrain["forget_acc"] < 0.05
    assert jit["forget_acc"] < 0.2 * original["forget_acc"]
    assert jit["retain_acc"] > retrain["retain_acc"] - 0.06
    assert "stopped" not in m["jit"]


def test_a_class_only_method_compared_on_random_images_is_refused_and_the_run_kept(digits):
    sc, trained = digits
    ids = ForgetSpec(random_fraction=0.02).resolve(trained.data, 0)
    run = images.run(replace(sc, presets={}, compare=("unsir", "neggrad")), trained, ids, resolution=12)
    out = run.outcome
    assert "whole classes" in out.refused["unsir"]
    assert set(out.results) == {"jit", "neggrad"} and set(out.compared) == {"neggrad"}
    assert {"original", "retrain", "jit", "neggrad"} <= set(out.models()) and "unsir" not in out.models()
    assert len(out.compared["neggrad"].probe(SHOWN)) == len(out.compared["neggrad"].trajectory)
    assert plane_probe(0) in images.figures(run)
