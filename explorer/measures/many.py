"""Many models measured from one batched forward: each model's logits on its own measurer's inputs (one shared
forward when the measurers share their inputs), then each measurer's metrics from its model's logits.

A measurer is an :class:`explorer.measures.evaluation.Evaluator`-like object with ``inputs`` (every input one
model is run on) and ``from_logits(z, with_probs)`` -> (metrics, probabilities or None), as
:class:`explorer.stages.ProbeEvaluator` is. A model whose outputs overflow gets the
:class:`explorer.measures.evaluation.NonFiniteOutputs` it raised in its place, so the others are kept.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import torch

from explorer.engine.batched import ModelStack
from explorer.measures.evaluation import NonFiniteOutputs


class Measurer(Protocol):
    inputs: np.ndarray

    def from_logits(self, z: torch.Tensor, with_probs: bool = False) -> tuple[dict, np.ndarray | None]: ...


def logits_many(stack: ModelStack, inputs: Sequence[np.ndarray]) -> list[torch.Tensor]:
    """Model k's logits on ``inputs[k]``; when every model has the same inputs (one array) they go through one
    shared forward."""
    if all(x is inputs[0] for x in inputs):
        return list(stack.logits(inputs[0]))
    return list(stack.logits_each(np.stack(inputs)))


def measure_many(measurers: Sequence[Measurer], stack: ModelStack, with_probs: bool = False) -> list:
    """Model k of ``stack`` measured by ``measurers[k]``: (metrics, probabilities or None) each, or the
    NonFiniteOutputs of a model whose outputs overflow."""
    out = []
    for measurer, z in zip(measurers, logits_many(stack, [m.inputs for m in measurers])):
        try:
            out.append(measurer.from_logits(z, with_probs))
        except NonFiniteOutputs as err:
            out.append(err)
    return out
