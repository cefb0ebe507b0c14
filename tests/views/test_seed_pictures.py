"""The pages' pictures over K = 2 training seeds on small real runs: the 2D animation's boundary cloud, bands and
KLoM-coloured points; the 1-D view's seed curves; the images page's per-seed strips and per-class error bars.
With one seed the pictures keep their one-seed form."""
import json
from dataclasses import replace

import numpy as np
import plotly.io as pio
import pytest
import torch

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.measures import scores as S
from explorer.views import images, one_d, two_d

pytestmark = pytest.mark.timeout(600)


def spec_of(fig):
    return json.loads(pio.to_json(fig, validate=False))


def names(spec):
    return [str(t.get("name")) for t in spec["data"]]


@pytest.fixture(scope="module")
def moons_runs():
    s = default_scenario("moons", samples=80)
    s = replace(s, train=replace(s.train, epochs=100), grid_resolution=30, configs={"jit": {"passes": 4}})
    with torch_threads():
        trained = pipeline.train_original(s)
        return trained, two_d.run(replace(s, seeds=2), trained, [3, 7]), two_d.run(s, trained, [3, 7])


def test_the_2d_animation_draws_each_seeds_boundaries_bands_and_klom(moons_runs):
    trained, out, _ = moons_runs
    spec = spec_of(two_d.animation(out))
    for kind in ("original boundaries (2 seeds)", "retrained boundaries (2 seeds)"):
        assert names(spec).count(kind) == 2
    assert sum(n.startswith(out.label()) and "boundaries (2 seeds)" in n for n in names(spec)) == 2
    assert any(t.get("fill") == "toself" for t in spec["data"])  # the metric panels' bands
    cloud = two_d.cloud(out, out.method)
    assert cloud.per_step and len(cloud.method[1]) == len(out.main.trajectory)
    # seed 1's boundary in the last frame is its own final model's
    assert np.array_equal(cloud.method[1][-1], out.seed_runs[1].results[out.method].final_probe(two_d.GRID))
    # the points' colour is each training point's KLoM, recomputed here from the per-seed margins
    runs = out.seed_runs
    margins = lambda name, part: np.stack([r.margins[name][part] for r in runs])  # noqa: E731
    expected = S.klom(margins(out.method, "forget"), margins("retrain", "forget"))
    assert np.allclose(cloud.scores[[3, 7]], expected)
    assert np.isfinite(cloud.scores).all() and cloud.score_label == "KLoM"


def test_one_seed_keeps_the_one_seed_animation(moons_runs):
    _, _, single = moons_runs
    spec = spec_of(two_d.animation(single))
    assert two_d.cloud(single, single.method) is None
    assert names(spec)[1:3] == ["original boundary", "retrained boundary"]
    assert not any(t.get("fill") for t in spec["data"])


def test_the_line_view_draws_each_seeds_curve():
    s = replace(default_scenario("line"), seeds=2)
    s = replace(s, train=replace(s.train, epochs=100), configs={"jit": {"passes": 4}})
    with torch_threads():
        trained = pipeline.train_original(replace(s, seeds=1))
        out = one_d.run(s, trained, [0])
    spec = spec_of(one_d.animation(out))
    assert names(spec).count("retrained (2 seeds)") == 2
    finals = [t for t in spec["data"] if str(t.get("name")).endswith("final (2 seeds)")]
    assert len(finals) == 2
    assert np.allclose(finals[1]["y"], out.seed_runs[1].results[out.method].final_probe(one_d.LINE)[:, 1])


def test_the_images_page_shows_each_forgotten_image_over_seeds_and_per_class_error_bars():
    sc = replace(default_scenario("digits"), device="cpu", presets={"jit": "digits-class"})
    sc = replace(sc, train=replace(sc.train, epochs=2))
    with torch_threads():
        trained = pipeline.train_original(sc, device=torch.device("cpu"))
        ids = ForgetSpec(forget_class=3).resolve(trained.data, 0)
        run = images.run(replace(sc, seeds=2), trained, ids[:6], resolution=12, max_shown=2, max_planes=1)
        figs = images.figures(run)
    strip = spec_of(figs["seeds_0"])
    assert [t["type"] for t in strip["data"]] == ["box", "box"] and strip["data"][0]["boxpoints"] == "all"
    assert len(strip["data"][0]["y"]) == 2 * 10  # one dot per seed and class
    assert strip["data"][1]["name"] == "retrain (2 seeds)"
    bars = spec_of(figs["per_class"])["data"]
    assert len(bars) == 3 and all("error_y" in b and "mean of 2 seeds" in b["name"] for b in bars)
    assert all(np.all(np.asarray(b["error_y"]["array"]) >= 0) for b in bars)
