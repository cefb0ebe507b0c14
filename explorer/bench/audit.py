"""The audit benchmark (not a test): 64 reference models on the default moons scenario (forgetting the boundary
point, id 24), batched — one stack of 64 trained together and JiT on the 32 that had the point as one loop — against
the same models one by one (the ordinary trainer, then ``run_method`` per model), side by side in one process with
one torch thread; CPU time (``time.process_time``) beside wall clock and the load average, since other sessions
share the machine. Also the default runner path (chunks of 16 on ``auto``) and the whole audit, wall clock.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np

from explorer import pipeline
from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.engine.device import torch_threads
from explorer.engine.models import logits
from explorer.engine.training import train
from explorer.measures.membership import lira_scores, logit_confidence
from explorer.studies.audit import audited_models, compute_audit
from explorer.config.audit import AuditConfig
from explorer.studies.references import population, reference_models
from explorer.unlearning import RunContext, run_method
from toy_data import Dataset

REFERENCES = 64


def _one_by_one(scenario, trained, ids, masks) -> tuple[np.ndarray, np.ndarray]:
    """The reference models' logits before and after unlearning, each model trained and unlearned alone."""
    data = trained.data
    x, y = population(data)
    forget = np.zeros(len(x), dtype=bool)
    forget[ids] = True
    config = pipeline.method_config(scenario, "jit")
    before, after = [], []
    for mask in masks:
        model, _ = train(trained.initial, x[mask], y[mask], scenario.train, trained.device)
        before.append(logits(model, x).numpy())
        if (mask & forget).any():
            own = Dataset(data.name, x[mask], y[mask], data.x_test, data.y_test, data.n_classes)
            model = run_method("jit", model, own, np.flatnonzero(forget[mask]).tolist(), config,
                               RunContext(device=trained.device, seed=scenario.seed)).model
        after.append(logits(model, x).numpy())
    return np.stack(before), np.stack(after)


def audit_benchmark(references: int = REFERENCES, serial: bool = True) -> dict:
    scenario = replace(default_scenario("moons"), forget=ForgetSpec(ids=(24,)))
    out: dict = {"dataset": "moons", "forget_ids": [24], "references": references, "device": "cpu",
                 "load_before": os.getloadavg()}
    with torch_threads(1):
        outcome = pipeline.run(replace(scenario, device="cpu"))
        trained, ids = outcome.trained, outcome.forget_ids
        start, cpu = time.perf_counter(), time.process_time()
        refs = reference_models(scenario, trained, ids, "jit", references, backend="serial", chunk=references)
        out.update(batched_seconds=time.perf_counter() - start, batched_cpu_seconds=time.process_time() - cpu,
                   batched_train_seconds=refs.seconds["training"], batched_jit_seconds=refs.seconds["unlearning"])
        x, y = population(trained.data)
        if serial:
            start, cpu = time.perf_counter(), time.process_time()
            before, after = _one_by_one(scenario, trained, ids, refs.masks)
            out.update(serial_seconds=time.perf_counter() - start, serial_cpu_seconds=time.process_time() - cpu)
            out["cpu_speedup"] = out["serial_cpu_seconds"] / out["batched_cpu_seconds"]
            out["wall_speedup"] = out["serial_seconds"] / out["batched_seconds"]
            out["max_abs_logit_diff"] = float(max(np.abs(before - refs.logits).max(),
                                                  np.abs(after - refs.unlearned_logits).max()))
            labels = np.broadcast_to(y, before.shape[:2])
            target = logit_confidence(logits(trained.model, x).numpy(), y)
            batched = lira_scores(target, logit_confidence(refs.logits, labels), refs.masks)
            alone = lira_scores(target, logit_confidence(before, labels), refs.masks)
            out["max_abs_lira_diff"] = float(np.abs(batched - alone).max())
            out["lira_decisions_equal"] = float(((batched > 0) == (alone > 0)).mean())
    start = time.perf_counter()
    runner = reference_models(scenario, trained, ids, "jit", references, backend="auto")
    out.update(runner_seconds=time.perf_counter() - start, runner_backend=runner.backend, runner_workers=runner.workers)
    start = time.perf_counter()
    compute_audit(scenario, trained, ids, audited_models(outcome), "jit", AuditConfig(references=references))
    out["audit_seconds"] = time.perf_counter() - start
    out["load_after"] = os.getloadavg()
    return out


def format_rows(result: dict) -> list[str]:
    if not result:
        return []
    r = result
    rows = [f"audit: {r['references']} reference models on moons (forget id 24), load average {r['load_before'][0]:.2f} "
            f"before, {r['load_after'][0]:.2f} after",
            f"audit.batched: {r['batched_seconds']:.1f} s wall, {r['batched_cpu_seconds']:.1f} s CPU "
            f"(training {r['batched_train_seconds']:.1f} s, JiT {r['batched_jit_seconds']:.2f} s)"]
    if "serial_seconds" in r:
        rows += [f"audit.one_by_one: {r['serial_seconds']:.1f} s wall, {r['serial_cpu_seconds']:.1f} s CPU",
                 f"audit.speedup: {r['cpu_speedup']:.2f}x CPU time, {r['wall_speedup']:.2f}x wall; max |Δ logit| "
                 f"{r['max_abs_logit_diff']:.1e}, max |Δ LiRA score| {r['max_abs_lira_diff']:.1e}, same LiRA decisions "
                 f"{r['lira_decisions_equal']:.1%}"]
    rows.append(f"audit.runner: {r['runner_seconds']:.1f} s wall on {r['runner_backend']} ({r['runner_workers']} "
                f"worker(s)); whole audit (references and scoring) {r['audit_seconds']:.1f} s")
    return rows
