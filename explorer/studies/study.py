"""One primitive for many runs: a study is a list of cells and a summary of their results.

A :class:`Cell` is one run — a scenario's data, model and training recipe, a forget set, a training-seed
offset and one method with its config. :func:`run_cells` runs any list of them through the stages of
:func:`explorer.pipeline.run` (:mod:`explorer.stages`: the trained original, the retrain reference, the method,
the measurements), batched where it can (:mod:`explorer.studies.job`): the originals of several training
seeds in one stack, the retrain references of forget sets of one size in one stack, JiT runs of one config
and forget-set size as one loop, the models' measurements in one batched forward; everything else one by one,
with the same results. :class:`Measures` says what is kept of each cell (which metrics at the end and at every
step, probes, margins for the per-point scores, the models) and every cell comes back as one
:class:`CellResult`.

Cells run as jobs of :mod:`explorer.studies.runner` (serial, a process pool, auto or Ray): the cells of one
family (the same data, model, recipe and measurement settings) are cut into jobs of ``chunk`` cells; when a
family spans several jobs its originals are trained here first, so no job trains them again. The σ×η sweep,
the calibration study, the atlas and a many-seed run (``seeds`` K > 1 in :func:`explorer.pipeline.run`) are
all lists of cells.
"""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Callable, Sequence

from explorer.stages import Progress
from explorer.studies import job as J
from explorer.studies.cells import Cell, CellResult, Measures
from explorer.studies.runner import run_jobs

__all__ = ["Cell", "CellResult", "Measures", "run_cells"]


def run_cells(cells: Sequence[Cell], measures: Measures = Measures(), *, backend: str = "serial",
              workers: int | None = None, progress: Callable[[int, int], None] | None = None,
              address: str | None = None, chunk: int | None = None, trained: dict | None = None,
              retrains: dict | None = None, stages: Progress | None = None, info: dict | None = None
              ) -> list[CellResult]:
    """Every cell through the stages, on :mod:`explorer.studies.runner`'s ``backend``; one result per cell, in
    order. ``trained`` ({``cell.original_key``: Trained}) and ``retrains`` ({``cell.retrain_key``: (model,
    seconds)}) are references already computed; ``chunk``: cells per job (default: one job per family);
    ``progress(jobs done, jobs)``; ``stages(label, fraction)``: each stage's progress, in-process runs only."""
    cells = list(cells)
    trained, retrains = dict(trained or {}), dict(retrains or {})
    families: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        families.setdefault(cell.family, []).append(index)
    jobs, where = [], []
    memo: dict = {}  # each (seed, forget set)'s evaluator and references, built once by in-process jobs
    for members in families.values():
        size = chunk or len(members)
        parts = [members[i:i + size] for i in range(0, len(members), size)]
        if len(parts) > 1:  # the family's originals once, here, for every job
            needed = [cells[i] for i in members if cells[i].original_key not in trained]
            trained.update(J.originals(needed, stages))
        for part in parts:
            chosen = [cells[i] for i in part]
            keys = {c.original_key for c in chosen}
            rkeys = {c.retrain_key for c in chosen}
            jobs.append((chosen, measures, {k: v for k, v in trained.items() if k in keys},
                         {k: v for k, v in retrains.items() if k in rkeys},
                         stages if backend == "serial" else None, memo))
            where.append(part)
    if backend not in ("serial", "threads"):  # jobs that leave the process take their models on the CPU
        jobs = [(cs, m, {k: _portable(t) for k, t in tr.items()},
                 {k: (copy.deepcopy(model).cpu(), sec) for k, (model, sec) in rt.items()}, st, memo)
                for cs, m, tr, rt, st, memo in jobs]
    results: list[CellResult | None] = [None] * len(cells)
    for part, out in zip(where, run_jobs(J.run_job, jobs, backend, workers, progress, address=address, info=info)):
        for index, result in zip(part, out):
            results[index] = result
    return results


def _portable(trained):
    """A trained original whose models are CPU copies (the job puts them back on ``trained.device``)."""
    return replace(trained, model=copy.deepcopy(trained.model).cpu(), initial=copy.deepcopy(trained.initial).cpu())
