"""The budget in time: the estimate of explorer/config/cost.py against measured CPU time, for a set of whole
runs that each stress one part of the model (training, a method's steps, recording, the grid, a wide MLP, the
digits CNN, retain-data methods, the 1-D line). ``python -m explorer bench --budget``.

Per case: the estimate the entrances check and the CPU-seconds the run took (``time.process_time``, one torch
thread, the run path the CLI uses). Training runs every configured epoch here (no early stop), so the steps
counted are the steps taken; in ordinary runs training stops once converged, so there the estimate is an upper
bound. The target: measured within 2× of the estimate. The load average is reported with the numbers; CPU
time is less sensitive to other processes than wall time, but not immune.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

from explorer import pipeline
from explorer.config.scenario import ForgetSpec, Scenario
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from toy_data import load_dataset


def _case(dataset: str, ids, compare=(), configs=None, grid: int = 100, record_every: int = 1, model=None,
          train=None, **data) -> Scenario:
    s = default_scenario(dataset, **data)
    s = replace(s, forget=ForgetSpec(ids=tuple(ids)), compare=tuple(compare), configs=configs or {},
                grid_resolution=grid, record_every=record_every, device="cpu")
    if model:
        s = replace(s, model=replace(s.model, **model))
    if train:
        s = replace(s, train=replace(s.train, **train))
    return s


CASES = {
    "moons defaults, 3 points": lambda: _case("moons", [3, 17, 42]),
    "moons, JiT 600 passes (recording)": lambda: _case("moons", [24], configs={"jit": {"passes": 600}}),
    "moons, JiT 3000 passes, every 100th recorded": lambda: _case(
        "moons", [24], configs={"jit": {"passes": 3000}}, record_every=100),
    "moons, JiT 30 points N 200": lambda: _case("moons", range(30), configs={"jit": {"perturbations": 200,
                                                                                    "passes": 60}}),
    "wide MLP 4 x 512, 2,000 samples": lambda: _case("moons", [5], model={"depth": 4, "width": 512},
                                                     train={"epochs": 60}, samples=2000),
    "blobs 10 classes, grid 300, + finetune": lambda: _case("blobs", [1, 2], compare=("finetune",), grid=300,
                                                            classes=10),
    "moons 8,000 samples, + scrub, neggrad_plus": lambda: _case(
        "moons", range(40), compare=("scrub", "neggrad_plus"), samples=8000, train={"epochs": 300}),
    "digits CNN, random 5 %": lambda: replace(default_scenario("digits"), forget=ForgetSpec(random_fraction=0.05),
                                              device="cpu"),
    "line (1-D), x=2": lambda: replace(default_scenario("line"), forget=ForgetSpec(named="x=2"), device="cpu"),
}


def exact(scenario: Scenario) -> Scenario:
    """Training that runs every configured epoch (no target loss, no plateau stop), so the steps the estimate
    counts are the steps the run takes."""
    return replace(scenario, train=replace(scenario.train, target_loss=0.0, patience=scenario.train.epochs))


def measure(scenario: Scenario) -> dict:
    """One case: the estimate the entrances check and the CPU-seconds of the run (one torch thread)."""
    scenario = exact(scenario)
    data = load_dataset(scenario.dataset)
    estimate = pipeline.work(scenario, data, len(pipeline.resolve_forget(scenario, data)))
    with torch_threads(1):
        start = time.process_time()
        pipeline.run(scenario)
        cpu = time.process_time() - start
    return {"estimate_seconds": estimate.seconds, "measured_cpu_seconds": cpu, "ratio": cpu / estimate.seconds,
            "parts": {k: round(v, 3) for k, v in estimate.parts.items()}}


def budget_benchmark(cases=None, progress=None) -> dict:
    """Every case in :data:`CASES` (or ``cases``: names), with the load average before and after."""
    measure(_case("moons", [1], samples=60, train={"epochs": 20}, configs={"jit": {"passes": 2}}))  # warm-up
    before = os.getloadavg()
    rows = {}
    for name in cases or CASES:
        rows[name] = measure(CASES[name]())
        if progress:
            progress(f"{name}: estimate {rows[name]['estimate_seconds']:.2f} s, measured "
                     f"{rows[name]['measured_cpu_seconds']:.2f} CPU-s")
    return {"cases": rows, "load_average_before": before, "load_average_after": os.getloadavg()}


def format_table(result: dict) -> str:
    lines = ["| case | estimate | measured CPU-s | measured / estimate |", "|---|---|---|---|"]
    for name, r in result["cases"].items():
        lines.append(f"| {name} | {r['estimate_seconds']:.2f} s | {r['measured_cpu_seconds']:.2f} | {r['ratio']:.2f} |")
    load = lambda v: " / ".join(f"{x:.2f}" for x in v)  # noqa: E731
    lines.append(f"load average before: {load(result['load_average_before'])}; after: "
                 f"{load(result['load_average_after'])}")
    return "\n".join(lines)
