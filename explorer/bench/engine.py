"""Benchmarks (not tests): the JiT engine against the published code's loop and the compute floor,
plus the app's latency numbers. `python -m explorer bench --out bench.json`."""
from __future__ import annotations

import copy
import platform
import statistics
import time
from dataclasses import replace

import torch
from torch import nn

from explorer import pipeline
from explorer.bench.app import click_to_animation
from explorer.bench.atlas import atlas_benchmark
from explorer.bench.atlas import format_rows as atlas_rows
from explorer.bench.audit import audit_benchmark
from explorer.bench.audit import format_rows as audit_rows
from explorer.bench.images import image_benchmark
from explorer.bench.seeds import format_rows as seeds_rows
from explorer.bench.seeds import seeds_benchmark
from explorer.config.jit import JiTConfig
from explorer.config.model import ModelConfig
from explorer.config.scenario import ForgetSpec
from explorer.engine.device import device_label, pick_device, torch_threads
from explorer.engine.models import build_model
from explorer.scenarios import default_scenario
from explorer.unlearning import METHODS
from explorer.unlearning.jit import jit_loss, perturb
from toy_data import default_spec, load_dataset

FORGET_SIZE = 128
PERTURBATIONS = 25


def reference_loop_loss(model: nn.Module, x: torch.Tensor, noise: torch.Tensor, config: JiTConfig) -> torch.Tensor:
    """The published code's structure (src/lipschitz.py): one forward per perturbation under no_grad,
    a Python loop over N, the batch summed per perturbation, divided by N."""
    out = model(x)
    loss = 0.0
    for n in range(noise.shape[0]):
        x2 = perturb(x, noise[n:n + 1], config)[0]
        with torch.no_grad():
            out2 = model(x2)
        in_norm = (x - x2).flatten(1).norm(dim=1)
        out_norm = (out - out2).norm(dim=1)
        loss = loss + (out_norm / in_norm).sum().abs()
    return loss / noise.shape[0]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _median_seconds(fn, device, repeats: int, inner: int) -> float:
    fn()  # warm-up (allocator, kernels)
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        _sync(device)
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def _case(kind: str, device: torch.device):
    if kind == "mlp":
        data = load_dataset(default_spec("moons", samples=400))
        model = build_model(ModelConfig(), data.n_features, data.n_classes, seed=0)
        config = JiTConfig(output_space="logits", reduction="sum")
    else:
        data = load_dataset(default_spec("digits"))
        model = build_model(ModelConfig(kind="cnn", width=64), data.n_features, data.n_classes, data.image_shape, seed=0)
        config = JiTConfig(output_space="logits", reduction="sum", clamp_to_batch_range=True)
    x = torch.as_tensor(data.x_train[:FORGET_SIZE], device=device)
    noise = torch.randn((PERTURBATIONS, *x.shape), generator=torch.Generator().manual_seed(0)).to(device)
    return model.to(device), x, noise, config


def engine_vs_loop(kind: str, device: torch.device, repeats: int) -> dict:
    """One JiT pass (|D_f| = 128 = one batch, N = 25) of the engine vs the published loop vs the floor."""
    model, x, noise, config = _case(kind, device)

    def stepper(loss_fn):
        net = copy.deepcopy(model)
        opt = torch.optim.SGD(net.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn(net, x, noise, config).backward()
            opt.step()
        return net, step

    floor_net = copy.deepcopy(model)
    flat = torch.cat([x, perturb(x, noise, config).reshape(-1, x.shape[1])])

    def floor():
        floor_net.zero_grad(set_to_none=True)
        floor_net(flat).sum().backward()

    inner = 20 if kind == "mlp" else 3
    _, engine_step = stepper(jit_loss)
    _, loop_step = stepper(reference_loop_loss)
    engine = _median_seconds(engine_step, device, repeats, inner)
    loop = _median_seconds(loop_step, device, repeats, inner)
    floor_s = _median_seconds(floor, device, repeats, inner)
    # Equality: one step each from the same weights on identical noise.
    net_a, step_a = stepper(jit_loss)
    net_b, step_b = stepper(reference_loop_loss)
    step_a(), step_b()
    diff = max(float((a - b).detach().abs().max()) for a, b in zip(net_a.parameters(), net_b.parameters()))
    return {"engine_seconds": engine, "reference_loop_seconds": loop, "floor_seconds": floor_s,
            "speedup": loop / engine, "floor_ratio": engine / floor_s, "max_abs_weight_diff": diff}


# Forget sets the per-method timing runs on: a random 5 % (every method) and a whole class (the
# class-level-only methods need one).
METHOD_CASES = {
    "moons": ForgetSpec(random_fraction=0.05),
    "digits": ForgetSpec(random_fraction=0.05),
    "digits-class": ForgetSpec(forget_class=3),
}


def method_scenario(case: str):
    """The timing scenario of ``case``: every applicable method compared on its forget set."""

    forget = METHOD_CASES[case]
    methods = [m for m in METHODS if m != "retrain"
               and (forget.forget_class is not None or not METHODS[m].access.class_level_only)]
    # record_every huge: first and last frame only, so the per-step measurement does not count.
    return replace(default_scenario(case.split("-")[0]), forget=forget, method=methods[0],
                   compare=tuple(methods[1:]), record_every=100_000)


def method_times(device: str = "auto") -> dict:
    """Seconds per method (its own time, measurement excluded) on each case, plus the retrain reference.

    One torch thread, as the app runs these tiny models (two threads were 10x slower or worse when
    anything else shared the 2-core machine)."""

    out = {}
    with torch_threads(1):
        for case in METHOD_CASES:
            report = pipeline.run(replace(method_scenario(case), device=device)).report()
            out[case] = {name: round(entry["seconds"], 4) for name, entry in report["models"].items()}
    return out


def run_all(repeats: int = 7, device: str = "auto", include_app: bool = True, include_atlas: bool = True,
            include_seeds: bool = True, include_audit: bool = True) -> dict:
    dev = pick_device(device)
    result = {
        "machine": {"device": device_label(dev), "torch": torch.__version__, "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine()},
        "jit_vs_reference_loop": {kind: engine_vs_loop(kind, dev, repeats) for kind in ("mlp", "cnn")},
        "method_seconds": method_times(device),
    }
    if include_app:

        result["app"] = click_to_animation()
        result["images"] = image_benchmark()
    if include_atlas:

        result["atlas"] = atlas_benchmark()
    if include_seeds:

        result["seeds"] = seeds_benchmark()
    if include_audit:

        result["audit"] = audit_benchmark()
    return result


def format_table(result: dict) -> str:
    lines = [f"device: {result['machine']['device']}",
             f"{'model':<6}{'engine ms':>11}{'loop ms':>10}{'floor ms':>10}{'speedup':>9}{'floor ratio':>13}{'max |Δw|':>11}"]
    for kind, r in result["jit_vs_reference_loop"].items():
        lines.append(f"{kind:<6}{r['engine_seconds'] * 1e3:>11.2f}{r['reference_loop_seconds'] * 1e3:>10.2f}"
                     f"{r['floor_seconds'] * 1e3:>10.2f}{r['speedup']:>9.2f}{r['floor_ratio']:>13.2f}"
                     f"{r['max_abs_weight_diff']:>11.1e}")
    for case, times in result.get("method_seconds", {}).items():
        lines.append(f"methods on {case}: " + ", ".join(f"{m} {t:.2f}s" for m, t in times.items()))
    lines += atlas_rows(result.get("atlas", {}))
    lines += seeds_rows(result.get("seeds", {}))
    lines += audit_rows(result.get("audit", {}))
    for section in ("app", "images"):
        for key, value in result.get(section, {}).items():
            if isinstance(value, dict):  # e.g. the click's stages in CPU-seconds
                value = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items())
            lines.append(f"{section}.{key}: {value:.3f}" if isinstance(value, float) else f"{section}.{key}: {value}")
    return "\n".join(lines)
