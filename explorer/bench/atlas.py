"""The atlas benchmark (not a test): the default moons atlas (300 leave-one-out retrains + 300 JiT runs)
batched vs the same models one by one, side by side in one run; the compute floor of the batched run at
the machine's measured matmul rate; and the Ray backend's overhead against the process pool on one sweep.

Every timed part runs with one torch thread per process (the runner's rule), so "batched, one core" and
"one by one, one core" compare the algorithm, and the atlas's wall clock shows what the runner adds.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np
import torch

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.engine.batched import train_each, train_many
from explorer.engine.device import torch_threads
from explorer.engine.models import logits
from explorer.scenarios import default_scenario
from explorer.studies import runner
from explorer.studies.atlas import compute_atlas
from explorer.studies.sweep import sweep_jit
from explorer.unlearning import RunContext, run_method
from explorer.unlearning.jit_stack import jit_many


def mlp_flops_per_epoch(widths: list[int], samples: int) -> float:
    """Forward + backward FLOPs of one full-batch epoch of an MLP with layer ``widths`` (2 per
    multiply-add; the backward pass costs two matmuls per layer, the first layer's input gradient aside)."""
    layers = list(zip(widths[:-1], widths[1:]))
    forward = sum(2 * samples * a * b for a, b in layers)
    backward = 2 * forward - 2 * samples * layers[0][0] * layers[0][1]
    return float(forward + backward)


def matmul_rate(seconds: float = 1.0) -> float:
    """FLOP/s of a single-thread float32 matmul of the MLP's size class (300×64 @ 64×64, batched ×300)."""
    a, b = torch.randn(300, 300, 64), torch.randn(300, 64, 64)
    torch.bmm(a, b)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        torch.bmm(a, b)
        runs += 1
    return runs * 2 * 300 * 300 * 64 * 64 / (time.perf_counter() - start)


def atlas_benchmark(points: int | None = None, serial: bool = True, ray: bool = True) -> dict:
    """``points``: the first that many training points (default: all 300 of the default moons)."""
    scenario = default_scenario("moons")
    out: dict = {"dataset": "moons", "device": "cpu"}
    with torch_threads(1):
        trained = pipeline.train_original(scenario, device=torch.device("cpu"))
        data = trained.data
        ids = list(range(len(data.x_train) if points is None else min(points, len(data.x_train))))
        out["points"] = len(ids)
        masks = np.ones((len(ids), len(data.x_train)), dtype=bool)
        masks[np.arange(len(ids)), ids] = False
        config = pipeline.method_config(scenario, "jit")
        start, cpu = time.perf_counter(), time.process_time()
        stack, histories = train_many(trained.initial, data.x_train, data.y_train, masks, scenario.train, trained.device)
        out["batched_train_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        many = jit_many(trained.model, data.x_train[ids], config, trained.device, seeds=scenario.seed)
        out["batched_jit_seconds"] = time.perf_counter() - start
        out["batched_seconds"] = out["batched_train_seconds"] + out["batched_jit_seconds"]
        out["batched_cpu_seconds"] = time.process_time() - cpu  # what other load on the machine does not add
        widths = [data.n_features] + [scenario.model.width] * scenario.model.depth + [data.n_classes]
        epochs = sum(h.epochs_run for h in histories)
        flops = epochs * mlp_flops_per_epoch(widths, len(data.x_train) - 1)
        rate = matmul_rate()
        out.update(train_epochs=epochs, train_flops=flops, matmul_flops_per_second=rate,
                   floor_seconds=flops / rate, floor_ratio=out["batched_train_seconds"] / (flops / rate))
        if serial:
            start, cpu = time.perf_counter(), time.process_time()
            models, _ = train_each(trained.initial, data.x_train, data.y_train, masks, scenario.train, trained.device)
            out["serial_train_seconds"] = time.perf_counter() - start
            start = time.perf_counter()
            singles = [run_method("jit", trained.model, data, [i], config, RunContext(device=trained.device,
                                                                                        seed=scenario.seed)).model
                       for i in ids]
            out["serial_jit_seconds"] = time.perf_counter() - start
            out["serial_seconds"] = out["serial_train_seconds"] + out["serial_jit_seconds"]
            out["serial_cpu_seconds"] = time.process_time() - cpu
            out["speedup"] = out["serial_seconds"] / out["batched_seconds"]
            out["cpu_speedup"] = out["serial_cpu_seconds"] / out["batched_cpu_seconds"]
            grid = trained.eval_inputs
            batched_grid, jit_grid = stack.labels(grid), many.stack.labels(grid)
            out["worst_train_agreement"] = float(min((batched_grid[k] == logits(m, grid).argmax(1).numpy()).mean()
                                                     for k, m in enumerate(models)))
            out["worst_jit_agreement"] = float(min((jit_grid[k] == logits(m, grid).argmax(1).numpy()).mean()
                                                   for k, m in enumerate(singles)))
    start = time.perf_counter()
    # one seed, no noise floor: the atlas the 60 s target was set for (the floor doubles it)
    atlas = compute_atlas(scenario, trained, ids=ids, floor=False)  # the runner's default: a pool unless slower
    out.update(atlas_seconds=time.perf_counter() - start, load_average=list(os.getloadavg()), atlas_backend=atlas.backend, atlas_workers=atlas.workers,
               spearman=atlas.spearman)
    if ray:
        out["ray_vs_pool"] = ray_vs_pool()
    return out


def ray_vs_pool() -> dict:
    """One σ×η sweep (moons, 5 % forgotten, 4×4 cells) on the process pool and on a local 2-CPU Ray, both
    warm (each started and used once before the timed run); identical metrics are required."""
    scenario = replace(default_scenario("moons"), forget=ForgetSpec(random_fraction=0.05))
    with torch_threads(1):
        trained = pipeline.train_original(scenario, device=torch.device("cpu"))
    ids = scenario.forget.resolve(trained.data, scenario.seed)
    retrain, _, _ = pipeline.retrain_reference(scenario, trained, ids)
    sigmas, etas = [0.05, 0.1, 0.2, 0.4], [0.001, 0.002, 0.01, 0.02]
    out, results = {}, {}
    start = time.perf_counter()
    runner.ray_session(None, 2)
    out["ray_start_seconds"] = time.perf_counter() - start
    try:
        for backend in ("processes", "ray"):
            sweep_jit(scenario, trained, ids, sigmas[:2], etas[:1], workers=2, backend=backend, retrain=retrain)
            start = time.perf_counter()
            results[backend] = sweep_jit(scenario, trained, ids, sigmas, etas, workers=2, backend=backend,
                                         retrain=retrain)
            out[f"{backend}_seconds"] = time.perf_counter() - start
    finally:
        runner.shutdown_ray()
    out["ratio"] = out["ray_seconds"] / out["processes_seconds"]
    out["identical"] = all(np.array_equal(results["ray"].metrics[k], v, equal_nan=True)
                           for k, v in results["processes"].metrics.items())
    return out


def format_rows(result: dict) -> list[str]:
    if not result:
        return []
    lines = [f"atlas ({result['points']} points of moons): batched {result['batched_seconds']:.1f} s "
             f"(train {result['batched_train_seconds']:.1f} s, JiT {result['batched_jit_seconds']:.1f} s), "
             f"floor {result['floor_seconds']:.1f} s (ratio {result['floor_ratio']:.1f}), "
             f"atlas wall clock {result['atlas_seconds']:.1f} s on {result['atlas_backend']}"]
    if "serial_seconds" in result:
        lines.append(f"atlas one by one {result['serial_seconds']:.1f} s: speedup {result['speedup']:.2f}x "
                     f"(CPU time {result['cpu_speedup']:.2f}x), worst "
                     f"agreement {result['worst_train_agreement']:.4f} (retrain) / {result['worst_jit_agreement']:.4f} (JiT)")
    if "ray_vs_pool" in result:
        r = result["ray_vs_pool"]
        lines.append(f"sweep on Ray {r['ray_seconds']:.2f} s vs the pool {r['processes_seconds']:.2f} s: "
                     f"{r['ratio']:.2f}x, identical {r['identical']} (Ray start {r['ray_start_seconds']:.1f} s)")
    return lines
