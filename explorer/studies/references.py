"""The privacy audit's reference models: M models of the scenario's recipe on random halves of the population
(the training points followed by the test points), and for U-LiRA the same models after the audited method
unlearned the forget points each of them was trained on.

**The halves.** Reference models come in complementary pairs: a pair splits the population at random into two
halves and trains one model on each, so every point is in exactly half of the M models (LiRA's online test
needs models with and without each point it scores, test points included; Carlini et al., arXiv 2112.03570,
train their shadow models on random halves in the same way) and every model trains on the same number of
points, so they all train in one stack. The halves are drawn by ``numpy.random.default_rng((seed,
HALVES_STREAM))`` with the scenario's ``seed`` (the one ``--seed`` that also seeds the data, the initial weights
and a random forget set): the same scenario always audits with the same halves, and the stream differs from the
random forget set's ``default_rng(seed)``, so the halves do not repeat that draw. Every reference model starts
from the scenario's initial weights (the attacker knows the recipe, as the retrained model does) and trains with
its recipe (:func:`explorer.engine.batched.train_many`, one stack per job).

**Unlearning the references.** A reference model that trained on some forget points has exactly those unlearned
by the audited method, with the method's settings and the run seed: JiT as one vectorised loop per forget-set
size (:func:`explorer.unlearning.jit_stack.jit_many`), retraining as a stack without them, any other method one
model at a time through :func:`explorer.unlearning.base.run_method` on the reference model's own training set.

:func:`reference_models` is the one entrance: chunks of models are jobs of :mod:`explorer.studies.runner`
(in-process, a process pool or Ray); each model is the same whichever chunk or backend trains it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from explorer import pipeline
from explorer.config.scenario import Scenario, ScenarioError
from explorer.engine.batched import ModelStack, train_many
from explorer.unlearning.jit_stack import jit_many
from explorer.engine.models import logits as model_logits
from explorer.studies.runner import run_jobs
from explorer.unlearning import RunContext, run_method
from explorer.unlearning.base import refusal
from toy_data import Dataset

HALVES_STREAM = 2  # the second seed word of the halves' generator (see the module docstring)
CHUNK = 16  # reference models per job


def draw_halves(n_points: int, references: int, seed: int) -> np.ndarray:
    """(M, P) membership masks: ``references`` // 2 complementary pairs of random halves of ``n_points``."""
    if references < 2 or references % 2:
        raise ValueError(f"reference models come in complementary pairs: an even number >= 2, got {references}")
    rng = np.random.default_rng((int(seed), HALVES_STREAM))
    masks = np.zeros((references, n_points), dtype=bool)
    for pair in range(references // 2):
        half = rng.permutation(n_points)[: n_points // 2]
        masks[2 * pair, half] = True
        masks[2 * pair + 1] = ~masks[2 * pair]
    return masks


def population(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Every point the audit scores: the training points (ids 0..n-1), then the test points."""
    return np.concatenate([data.x_train, data.x_test]), np.concatenate([data.y_train, data.y_test])


@dataclass
class ReferenceModels:
    """What the attacks read: each reference model's logits on the population, before and after unlearning."""

    masks: np.ndarray  # (M, P) bool: trained on the point
    logits: np.ndarray  # (M, P, C) float32
    unlearned_logits: np.ndarray  # (M, P, C): after unlearning (== logits for models without forget points)
    unlearned: np.ndarray  # (M,) bool: the model had forget points to unlearn
    stopped: list = field(default_factory=list)  # (model, why) for unlearning runs that stopped early
    seconds: dict = field(default_factory=dict)  # "training", "unlearning" (summed over jobs), "wall"
    backend: str = "serial"
    workers: int = 1
    refused: str | None = None  # why the method could not unlearn the references (then no U-LiRA)


def reference_models(scenario: Scenario, trained, forget_ids, method: str, references: int, progress=None,
                     backend: str = "auto", workers: int | None = None, address: str | None = None,
                     chunk: int = CHUNK) -> ReferenceModels:
    """Train ``references`` reference models for ``scenario`` and unlearn ``forget_ids`` from those that trained
    on them with ``method``; ``progress(done jobs, jobs)``."""
    start = time.perf_counter()
    x, _ = population(trained.data)
    masks = draw_halves(len(x), references, scenario.seed)
    states = (_cpu_state(trained.initial),)
    jobs = [(scenario.to_dict(), method, masks[i:i + chunk], list(forget_ids), *states)
            for i in range(0, references, max(1, chunk))]
    info: dict = {}
    parts = run_jobs(reference_job, jobs, backend=backend, workers=workers, progress=progress, address=address,
                     info=info)
    stopped, offset = [], 0
    for part in parts:
        stopped += [(offset + k, why) for k, why in part["stopped"]]
        offset += len(part["logits"])
    refused = next((p["refused"] for p in parts if p["refused"]), None)
    return ReferenceModels(
        masks, np.concatenate([p["logits"] for p in parts]), np.concatenate([p["unlearned_logits"] for p in parts]),
        np.concatenate([p["unlearned"] for p in parts]), stopped,
        {"training": sum(p["seconds"]["training"] for p in parts),
         "unlearning": sum(p["seconds"]["unlearning"] for p in parts), "wall": time.perf_counter() - start},
        info.get("backend", backend), info.get("workers", 1), refused)


def _cpu_state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def reference_job(scenario_dict: dict, method: str, masks: np.ndarray, forget_ids: list[int], initial_state: dict
                  ) -> dict:
    """One chunk of reference models (module level: workers import it): train them in one stack, unlearn the
    forget points each trained on, and return both versions' logits on the population."""
    scenario = Scenario.from_dict(scenario_dict)
    data = pipeline.load_data(scenario)
    device = pipeline.resolve_device(scenario)
    initial = pipeline.build_initial(scenario, data)
    initial.load_state_dict(initial_state)
    initial = initial.to(device)
    x, y = population(data)
    start = time.perf_counter()
    try:
        stack, _ = train_many(initial, x, y, masks, scenario.train, device)
    except FloatingPointError as err:
        raise ScenarioError(str(err)) from None
    logits = stack.logits(x).numpy()
    trained_seconds = time.perf_counter() - start
    forget = np.zeros(len(x), dtype=bool)
    forget[list(forget_ids)] = True
    has = (masks & forget).any(axis=1)
    start = time.perf_counter()
    unlearned, stopped, refused = _unlearn(scenario, method, stack, initial, x, y, data, masks, forget, has, device)
    return {"logits": logits, "unlearned_logits": unlearned, "unlearned": has, "stopped": stopped,
            "refused": refused, "seconds": {"training": trained_seconds, "unlearning": time.perf_counter() - start}}


def _unlearn(scenario, method, stack, initial, x, y, data, masks, forget, has, device):
    """Logits (K, P, C) of every model of the chunk after unlearning its own forget points (unchanged where it
    has none), the runs that stopped early, and why the method refused (then the logits stay the trained ones)."""
    out = stack.logits(x).numpy()
    stopped: list[tuple[int, str]] = []
    chosen = np.flatnonzero(has)
    if len(chosen) == 0:
        return out, stopped, None
    if method == "retrain":
        retrained, _ = train_many(initial, x, y, masks[chosen] & ~forget, scenario.train, device)
        out[chosen] = retrained.logits(x).numpy()
        return out, stopped, None
    config = pipeline.method_config(scenario, method)
    if method == "jit":
        sizes = (masks[chosen] & forget).sum(axis=1)
        for size in np.unique(sizes):
            group = chosen[sizes == size]
            sub = _select(stack, group)
            points = np.stack([x[masks[k] & forget] for k in group])
            many = jit_many([sub.model(j) for j in range(len(group))], points, config, device, seeds=scenario.seed)
            out[group] = many.stack.logits(x).numpy()
            stopped += [(int(k), why) for k, why in zip(group, many.stopped) if why]
        return out, stopped, None
    for k in chosen:
        own = Dataset(data.name, x[masks[k]], y[masks[k]], data.x_test, data.y_test, data.n_classes,
                      data.image_shape, data.class_names)
        ids = np.flatnonzero(forget[masks[k]]).tolist()  # the forget points' rows in this model's training set
        why = refusal(method, own, ids)
        if why:
            return stack.logits(x).numpy(), stopped, why
        result = run_method(method, stack.model(int(k)), own, ids, config,
                            RunContext(device=device, seed=scenario.seed, initial_model=initial))
        out[k] = model_logits(result.model, x, device).numpy()
        if result.trajectory.stopped:
            stopped.append((int(k), result.trajectory.stopped))
    return out, stopped, None


def _select(stack: ModelStack, rows) -> ModelStack:
    """The stacked models ``rows`` as a stack of their own."""
    index = torch.as_tensor(np.asarray(rows), device=next(iter(stack.params.values())).device)
    return ModelStack(stack.template, {n: v[index] for n, v in stack.params.items()},
                      {n: v[index] for n, v in stack.buffers.items()})
