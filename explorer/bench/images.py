"""Image benchmark for ``python -m explorer bench`` (the images page): digits CNN training, then JiT on a
100-image random forget set with the retrain reference and every image view built.

Targets on a 2-core CPU: training ≤ 5 s; unlearn + retrain + figures ≤ 3 s.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import torch

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.figures import images as image_figures
from explorer.scenarios import default_scenario
from explorer.views import image_analysis
from explorer.views import images as views

TRAIN_TARGET_S = 5.0
UNLEARN_TARGET_S = 3.0


def image_benchmark(forget: int = 100, seed: int = 0) -> dict:
    """Seconds for each stage (wall clock, this process, whatever device ``auto`` picks), on one torch thread
    as the page computes, with the machine's load average while it ran (a busy machine is slower)."""
    load_before = os.getloadavg()[0]
    with torch_threads():
        out = _stages(forget, seed)
        out["torch_threads"] = torch.get_num_threads()
    out["load_average_1min"] = round(max(load_before, os.getloadavg()[0]), 2)
    out["cpu_cores"] = os.cpu_count()
    return out


def _stages(forget: int, seed: int) -> dict:
    scenario = replace(default_scenario("digits"), presets={"jit": "digits-class"}, seed=seed)
    start = time.perf_counter()
    trained = pipeline.train_original(scenario)
    train_s = time.perf_counter() - start
    ids = np.sort(np.random.default_rng(seed).choice(len(trained.data.x_train), size=forget, replace=False))
    start = time.perf_counter()
    run = views.run(scenario, trained, ids)  # the page's run path, retrain included
    run_s = time.perf_counter() - start
    start = time.perf_counter()
    figs = views.figures(run)
    coords = image_analysis.embed_2d(trained.data.x_train, "pca", seed=seed)
    figs["map"] = image_figures.map_figure(coords, trained.data.y_train, trained.data.class_names, ids)
    figs["thumbnails"] = image_figures.thumbnails_figure(trained.data.x_train, trained.data.image_shape, ids,
                                             trained.data.y_train, trained.data.class_names)
    figures_s = time.perf_counter() - start
    total = run_s + figures_s  # wall clock: retrain, JiT with its recording, and every image view
    return {
        "dataset": "digits", "model": "cnn", "device": trained.device.type,
        "train_images": int(len(trained.data.x_train)), "forget_images": int(forget),
        "digits_cnn_train_s": round(train_s, 3), "train_epochs": trained.history.epochs_run,
        "test_acc": round(float(run.outcome.references["original"]["test_acc"]), 4),
        "retrain_s": round(run.outcome.retrain_seconds, 3), "jit_s": round(run_s - run.outcome.retrain_seconds, 3),
        "jit_method_s": round(float(run.outcome.main.seconds), 3), "figures_s": round(figures_s, 3),
        "figures": len(figs), "unlearn_retrain_figures_s": round(total, 3),
        "targets": {"digits_cnn_train_s": TRAIN_TARGET_S, "unlearn_retrain_figures_s": UNLEARN_TARGET_S},
        "within_targets": bool(train_s <= TRAIN_TARGET_S and total <= UNLEARN_TARGET_S),
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    print(json.dumps(image_benchmark(), indent=2))
