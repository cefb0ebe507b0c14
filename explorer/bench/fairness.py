"""One session's Unlearn while another session's near-budget training runs: is the first one's wait doubled?

Both sessions' heavy work goes through the worker pool the pages share (explorer/ui/pool.py), as on a real
server. Session B presses Unlearn on the default 2D scenario (a new point each time: the retrain reference, JiT
and the page's figures, :func:`explorer.views.two_d.page_run`) alone, then while session A trains a large
original (moons with 8,000 samples on a 3 × 512 MLP, 100 full epochs). The benchmark reports B's wall-clock times both ways,
their ratio (the target: under 2), A's training time and the load average around the measurement.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import replace

from explorer import pipeline
from explorer.scenarios import default_scenario
from explorer.ui import pool
from explorer.views import two_d

POINTS = (3, 17, 42, 77, 101, 150)  # each click a new forget set: nothing is shared between the clicks


def _click(scenario, trained, point: int) -> float:
    start = time.perf_counter()
    pool.run(two_d.page_run, scenario, trained, [point], device=trained.device)
    return time.perf_counter() - start


def fairness_benchmark(progress=print) -> dict:
    load_before = os.getloadavg()
    pool.start()
    deadline = time.time() + 120
    while not pool.ready() and time.time() < deadline:
        time.sleep(0.2)
    if not pool.enabled() or not pool.ready():
        raise RuntimeError("the worker pool is off or did not start (it needs two cores)")
    b = default_scenario("moons")
    trained = pool.run(pipeline.train_original, b)
    _click(b, trained, 1)  # warm: imports and first-use costs in the workers
    alone = [_click(b, trained, p) for p in POINTS[:3]]
    progress(f"fairness: B alone {statistics.median(alone):.2f} s")
    heavy = default_scenario("moons", samples=8000)  # about 37 CPU-seconds estimated: every epoch runs
    heavy = replace(heavy, model=replace(heavy.model, width=512, depth=3),
                    train=replace(heavy.train, epochs=100, patience=100, target_loss=1e-9))
    a_seconds: list[float] = []

    def session_a():
        start = time.perf_counter()
        pool.run(pipeline.train_original, heavy)
        a_seconds.append(time.perf_counter() - start)

    thread = threading.Thread(target=session_a, name="session-a")
    thread.start()
    time.sleep(1.0)  # A's job is in a worker before B clicks
    beside = []
    for p in POINTS[3:]:
        if not thread.is_alive():
            break
        beside.append(_click(b, trained, p))
    a_running = thread.is_alive()
    thread.join()
    progress(f"fairness: B beside A {statistics.median(beside):.2f} s" if beside else "fairness: A ended first")
    return {"b_alone_seconds": alone, "b_beside_a_seconds": beside,
            "ratio": statistics.median(beside) / statistics.median(alone) if beside else None,
            "a_training_seconds": a_seconds[0] if a_seconds else None, "a_outlasted_b": a_running,
            "workers": pool.workers(), "load_before": load_before, "load_after": os.getloadavg()}


def format_rows(result: dict) -> list[str]:
    ratio = result["ratio"]
    return [f"fairness: B's Unlearn alone {statistics.median(result['b_alone_seconds']):.2f} s, beside A's "
            f"{result['a_training_seconds']:.0f} s training "
            + (f"{statistics.median(result['b_beside_a_seconds']):.2f} s ({ratio:.2f}x; target < 2x)"
               if ratio is not None else "(A ended before B clicked)")
            + f"; {result['workers']} pool workers; load {result['load_before'][0]:.1f} -> {result['load_after'][0]:.1f}"]
