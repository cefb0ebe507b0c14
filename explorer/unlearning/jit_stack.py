"""JiT on K models at once: model k from its own weights on its own forget set with its own noise seed, as one
vectorised loop that gives the models (and the trajectories) of K single runs.

The loss (:func:`explorer.unlearning.jit.jit_loss`) and the step guard (:func:`explorer.unlearning.jit.guarded_step`)
are the single run's functions, applied on a leading model axis. Model k draws its noise from a generator
seeded ``seeds[k]`` in the single run's order (one draw of shape (N, B, d) per batch), so it sees the noise its
single run sees; models that share a seed share one draw. Each model records its trajectory through its own
:class:`explorer.unlearning.base.Recorder` — the single run's recording, thinning and divergence rollback —
over a view whose weights are that model's slice of the stack; the models due at a step are measured by one
batched call (``evaluate_many``) instead of one forward each. A model whose step the guard cannot shorten
enough, or whose loss or weights stop being finite, stops as its single run stops while the others go on.

Training mode with dropout draws random masks that vmap cannot reproduce: :func:`batchable` says so, and
callers run those one by one.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from explorer.engine.batched import ModelStack
from explorer.engine.trajectory import Trajectory
from explorer.unlearning.base import Recorder, RunContext
from explorer.unlearning.jit import _space, guard_probe, guard_stopped, guarded_step, jit_loss, noise_generator
from explorer.config.jit import JiTConfig

# (stack of the models to measure, their indices in the run, with class probabilities?) -> one result per
# model: (metrics, probabilities or None), or the FloatingPointError its outputs raised
EvaluateMany = Callable[[ModelStack, list[int], bool], list]


@dataclass
class ManyJiT:
    stack: ModelStack  # model k after its run
    trajectories: list[Trajectory]
    stopped: list[str | None]  # why run k stopped early (None: it ran every pass)
    seconds: float  # the loop's own time per model (measurement excluded), shared out


def batchable(model: nn.Module, config: JiTConfig) -> str | None:
    """Why JiT runs these models one by one (None: it batches them)."""
    if config.train_mode and any(isinstance(m, nn.Dropout) and m.p > 0 for m in model.modules()):
        return "train mode with dropout: its random masks would differ from the single runs'"
    return None


def jit_many(models: nn.Module | Sequence[nn.Module], forget_x, config: JiTConfig, device: torch.device,
             seeds: int | Sequence[int] = 0, evaluate_many: EvaluateMany | None = None, record_every: int = 1,
             record_probs: bool = False, progress: Callable[[int, int], None] | None = None) -> ManyJiT:
    """JiT on K runs: run k from ``models`` (one model for all, or one each) on ``forget_x[k]`` ((K, n, d), or
    (K, d) for one point each) with noise seed ``seeds[k]`` (one seed for all, or one each): the models and
    trajectories of ``run_method("jit", model_k, data, ids_k, config, RunContext(device, seed_k, ...))``.

    ``evaluate_many`` measures the recorded steps (None: trajectories of steps and losses only);
    ``progress(step, total steps)``."""
    config.validate()
    start = time.perf_counter()
    x_all = torch.as_tensor(np.asarray(forget_x), dtype=torch.float32, device=device)
    if x_all.dim() == 2:
        x_all = x_all.unsqueeze(1)  # one point per run
    k_total, n_forget, _ = x_all.shape
    if isinstance(models, (list, tuple)) and len(models) != k_total:
        raise ValueError(f"points must be one forget set per model: {len(models)} models, {k_total} sets")
    if isinstance(models, (list, tuple)):
        stack = ModelStack.of(list(models)).to(device)
    else:
        stack = ModelStack.repeat(copy.deepcopy(models).to(device), k_total)
    seeds = [int(seeds)] * k_total if isinstance(seeds, (int, np.integer)) else [int(s) for s in seeds]
    template = stack.template
    params = {name: value.clone().requires_grad_(True) for name, value in stack.params.items()}
    buffers = stack.buffers
    generators = {s: noise_generator(device, s) for s in dict.fromkeys(seeds)}
    optimizer = torch.optim.SGD(list(params.values()), lr=config.eta)
    n_batches = -(-n_forget // config.batch_size)
    total = config.passes * n_batches
    measured = _Measured(stack, params, evaluate_many, record_probs)
    views = [_view(template, params, buffers, k) for k in range(k_total)]
    measured.prepare(list(range(k_total)))
    recorders = [Recorder(views[k], RunContext(device=device, seed=seeds[k], evaluate=measured.lookup(k),
                                               record_every=record_every, record_probs=record_probs), total)
                 for k in range(k_total)]
    alive = np.ones(k_total, dtype=bool)

    def forward(inputs: torch.Tensor) -> torch.Tensor:
        return stack.forward(inputs, params, shared=False, buffers=buffers)

    def measure_guard(probe: torch.Tensor) -> torch.Tensor:
        was = template.training
        template.eval()  # the guard measures the model, not its dropout
        out = _space(forward(probe), config.output_space)
        template.train(was)
        return out

    step = 0
    for epoch in range(1, config.passes + 1):
        template.train(config.train_mode)
        optimizer.zero_grad(set_to_none=True)  # the published pass zeroes once, before its loop
        for begin in range(0, n_forget, config.batch_size):
            x = x_all[:, begin:begin + config.batch_size]
            draws = {s: torch.randn((config.perturbations, *x.shape[1:]), generator=g, device=device)
                     for s, g in generators.items()}
            noise = torch.stack([draws[s] for s in seeds])  # (K, N, B, d)
            if not config.accumulate_grads:
                optimizer.zero_grad(set_to_none=True)
            loss = jit_loss(forward, x, noise, config)  # (K,)
            loss.sum().backward()  # each model's weights get their own gradient
            dead = torch.as_tensor(~alive, device=device)
            for p in params.values():  # a stopped run keeps its weights
                p.grad = torch.where(_per_model(dead, p.grad), torch.zeros_like(p.grad), p.grad)
            if config.max_step_change > 0:
                probe = guard_probe(x, noise, config)
                kept = guarded_step(optimizer.step, list(params.values()), lambda: measure_guard(probe),
                                    config.max_step_change, model_dims=1)
                for k in np.flatnonzero(alive & (kept == 0).cpu().numpy()):
                    alive[k] = False
                    recorders[k].trajectory.stopped = guard_stopped(step + 1, config.max_step_change)
            else:
                optimizer.step()
            step += 1
            losses = loss.detach().cpu().tolist()
            live = [int(k) for k in np.flatnonzero(alive)]
            measured.prepare([k for k in live if recorders[k].due(step) and np.isfinite(losses[k])
                              and _finite(views[k])])
            for k in live:
                if not recorders[k].step(step, epoch, losses[k]):
                    alive[k] = False
            if progress:
                progress(step, total)
            if not alive.any():
                break
        if not alive.any():
            break
    trajectories = []
    for k, recorder in enumerate(recorders):
        trajectories.append(recorder.finish(step, config.passes) if alive[k] else recorder.trajectory)
        recorder.trajectory.eval_seconds += measured.seconds / k_total
    template.eval()
    result = ModelStack(template, {name: value.detach() for name, value in params.items()}, buffers)
    own = (time.perf_counter() - start - measured.seconds) / k_total
    return ManyJiT(result, trajectories, [t.stopped for t in trajectories], own)


def _per_model(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.reshape(-1, *[1] * (like.dim() - 1))


def _finite(model: nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _view(template: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor], k: int
          ) -> nn.Module:
    """Model ``k`` as a module whose weights are its slice of the stack (the same storage): what its Recorder
    snapshots and, on divergence, restores."""
    view = copy.deepcopy(template)
    for name, value in params.items():
        owner, _, leaf = name.rpartition(".")
        setattr(view.get_submodule(owner), leaf, nn.Parameter(value.detach()[k], requires_grad=False))
    for name, value in buffers.items():
        owner, _, leaf = name.rpartition(".")
        view.get_submodule(owner).register_buffer(leaf, value[k])
    return view.eval()


class _Measured:
    """The recorded steps' measurements: the models due at a step measured together, each Recorder then
    reading its own; a model measured alone (its rollback step) goes through the same call."""

    def __init__(self, stack: ModelStack, params: dict[str, torch.Tensor], evaluate_many: EvaluateMany | None,
                 record_probs: bool):
        self.stack, self.params, self.evaluate_many, self.record_probs = stack, params, evaluate_many, record_probs
        self.ready: dict[int, object] = {}
        self.seconds = 0.0

    def _measure(self, ks: list[int], with_probs: bool) -> list:
        begin = time.perf_counter()
        index = torch.as_tensor(ks, device=next(iter(self.params.values())).device)
        part = ModelStack(self.stack.template, {n: v.detach()[index] for n, v in self.params.items()},
                          {n: v[index] for n, v in self.stack.buffers.items()})
        out = self.evaluate_many(part, ks, with_probs)
        self.seconds += time.perf_counter() - begin
        return out

    def prepare(self, ks: list[int]) -> None:
        """Measure the models ``ks`` (those due at this step) together; nothing is kept from an earlier step."""
        self.ready = {}
        if self.evaluate_many is not None and ks:
            self.ready = dict(zip(ks, self._measure(ks, self.record_probs)))

    def lookup(self, k: int):
        if self.evaluate_many is None:
            return None

        def evaluate(model: nn.Module, with_probs: bool = False):
            result = self.ready.pop(k) if k in self.ready else self._measure([k], with_probs)[0]
            if isinstance(result, Exception):
                raise result
            return result
        return evaluate
