"""The app's speed benchmark: from pressing Unlearn to a built, serialised animation, with its stages in CPU-seconds.

Setting: the default link's scenario (400-point moons, the calibrated JiT: 30 passes, a 100x100 grid), its
original model trained beforehand (the app caches it), and a new one-point forget set per repetition, as a
student clicking a point: the retrain reference is computed inside the timed region, as the app does for a new
forget set. Everything runs in this process on one torch thread (the app runs it in a pool worker, with the
same code and thread count). The stages, in CPU-seconds (``time.process_time``):

* ``retrain`` — the retrain reference;
* ``method`` — JiT's own steps (the run less its measurement);
* ``metrics`` — every metric at every recorded step, with the grid probabilities the animation draws;
* ``figures`` — the page's figures for the run: the animation, the side-by-side panels, the information view;
* ``serialisation`` — the run and its figure specs pickled from the worker to the server and back into
  objects, and each figure's JSON as ``st.plotly_chart`` writes it on a rerun.

``figure_bytes`` is the animation's JSON size.
"""
from __future__ import annotations

import pickle
import statistics
import time
from unittest import mock

import plotly.io as pio
import plotly.tools

from explorer import pipeline
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.figures.common import from_spec, specs_only
from explorer.views import two_d

STAGES = ("retrain", "method", "metrics", "figures", "serialisation")
FIRST_POINT = 10  # repetition k forgets training point FIRST_POINT + 17 k: a new forget set each time


def bench_scenario():
    return pipeline.with_compare(default_scenario("moons"), [])


class _TimedProbes(pipeline.ProbeEvaluator):
    """The run's measurement, its CPU time added up (the benchmark swaps it in for the pipeline's)."""

    cpu = 0.0

    def __call__(self, model, with_probs: bool = False, final: bool = False):
        start = time.process_time()
        try:
            return super().__call__(model, with_probs, final)
        finally:
            _TimedProbes.cpu += time.process_time() - start


def one_click(scenario, trained, point: int) -> tuple[dict, int, str | None]:
    """CPU-seconds per stage and the wall-clock total of one Unlearn on ``[point]``; the animation's size."""
    cpu, start, wall = time.process_time, time.perf_counter(), {}
    stages = dict.fromkeys(STAGES, 0.0)
    with torch_threads():
        t = cpu()
        model, _, seconds = pipeline.retrain_reference(scenario, trained, [point])
        stages["retrain"] = cpu() - t
        _TimedProbes.cpu = 0.0
        t = cpu()
        with mock.patch.object(pipeline, "ProbeEvaluator", _TimedProbes):
            out = two_d.run(scenario, trained, [point], retrain=(model, seconds))
        stages["metrics"] = _TimedProbes.cpu
        stages["method"] = cpu() - t - _TimedProbes.cpu
        t = cpu()
        with specs_only():  # as page_run builds them
            figs = {out.method: two_d.animation(out), "side": two_d.side_by_side(out),
                    "info": two_d.information(trained, scenario, out, True, False)}
            specs = {name: fig.to_dict() for name, fig in figs.items()}
        stages["figures"] = cpu() - t
        t = cpu()
        pickle.dumps((out, specs))  # what the pool's worker sends the session (its receiving side is not timed)
        texts = [pio.to_json(plotly.tools.return_figure_from_figure_or_data(from_spec(spec), True),
                             validate=False) for spec in specs.values()]
        stages["serialisation"] = cpu() - t
    stages["total"] = sum(stages.values())
    wall = time.perf_counter() - start
    return {k: round(v, 3) for k, v in stages.items()} | {"wall": round(wall, 3)}, len(texts[0].encode()), \
        out.main.stopped


def click_to_animation(repeats: int = 5) -> dict:
    """Best and median of ``repeats`` clicks (the first also warms torch up and is not counted)."""
    scenario = bench_scenario()
    with torch_threads():
        trained = pipeline.train_original(scenario)  # cached in the app: not part of the click
    one_click(scenario, trained, FIRST_POINT - 1)  # warm-up
    runs = [one_click(scenario, trained, FIRST_POINT + 17 * k) for k in range(max(1, repeats))]
    stages = [r[0] for r in runs]
    out = {"click_to_animation_seconds": min(s["wall"] for s in stages),
           "click_to_animation_median_seconds": statistics.median(s["wall"] for s in stages),
           "click_to_animation_cpu_seconds": {k: round(statistics.median(s[k] for s in stages), 3)
                                              for k in (*STAGES, "total")},
           "figure_bytes": runs[0][1]}
    stopped = next((r[2] for r in runs if r[2]), None)
    if stopped:
        out["click_to_animation_note"] = f"JiT stopped early: {stopped}"
    return out


if __name__ == "__main__":  # pragma: no cover
    print(click_to_animation())
