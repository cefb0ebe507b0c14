"""Many models measured from one batched forward: each model's logits on its own measurer's inputs (one shared
forward when the measurers share their inputs), then each measurer's metrics from its model's logits.

A measurer (:class:`explorer.stages.ProbeEvaluator`) has ``inputs`` (every input one model is run on), the
metric ``names`` it measures and ``parts(z, with_probs)``: what the metrics read from logits ``z``, and the
probe probabilities. A model whose outputs overflow gets the
:class:`explorer.measures.evaluation.NonFiniteOutputs` it raised in its place, so the others are kept.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import torch

from explorer.engine.batched import ModelStack
from explorer.measures.evaluation import NonFiniteOutputs
from explorer.measures.metrics import Outputs, compute_metrics_many


class Measurer(Protocol):
    inputs: np.ndarray
    names: tuple[str, ...] | None  # the metrics it measures (None: every registered one)

    def parts(self, z: torch.Tensor, with_probs: bool = False) -> tuple[Outputs, np.ndarray | None]: ...


def logits_many(stack: ModelStack, inputs: Sequence[np.ndarray]) -> list[torch.Tensor]:
    """Model k's logits on ``inputs[k]``; when every model has the same inputs (one array) they go through one
    shared forward."""
    if all(x is inputs[0] for x in inputs):
        return list(stack.logits(inputs[0]))
    return list(stack.logits_each(np.stack(inputs)))


def measure_many(measurers: Sequence[Measurer], stack: ModelStack, with_probs: bool = False, final: bool = False
                 ) -> list:
    """Model k of ``stack`` measured by ``measurers[k]``: (metrics, probabilities or None) each, or the
    NonFiniteOutputs of a model whose outputs overflow. Each metric is computed for all models at once
    (:func:`explorer.measures.metrics.compute_metrics_many`: the membership attack's fits in one go); ``final``:
    finished models, so the metrics not measured at every step too."""
    out: list = [None] * len(measurers)
    ready: dict[tuple | None, list] = {}
    for k, (measurer, z) in enumerate(zip(measurers, logits_many(stack, [m.inputs for m in measurers]))):
        try:
            outputs, probs = measurer.parts(z, with_probs)
        except NonFiniteOutputs as err:
            out[k] = err
            continue
        names = tuple(measurer.names) if measurer.names is not None else None
        ready.setdefault(names, []).append((k, outputs, probs))
    for names, group in ready.items():
        for (k, _, probs), metrics in zip(group, compute_metrics_many([o for _, o, _ in group], names, per_step_only=not final)):
            out[k] = (metrics, probs)
    return out
