"""σ×η sensitivity sweep for JiT (the idea of the paper's Figures 7 and 8): run JiT once per
(σ, η) with the scenario's JiT config otherwise, measure every metric and the gap to retrain.

Every cell is a cell of the study primitive (:func:`explorer.studies.study.run_cells`): the retrain reference
is built once (or passed in), the evaluator once per process; every cell runs JiT without per-step
measurement and is evaluated once at the end, with one torch intra-op thread on the CPU.
``workers`` (default: the usable cores) and ``backend`` choose how cells run:

* ``"serial"``: one after the other in the calling thread.
* ``"threads"``, ``"processes"``, ``"ray"``: the runner's backends (:mod:`explorer.studies.runner`): a thread
  per worker (torch's thread setting is process-wide: one for the sweep, restored afterwards), the
  persistent spawn pool (one torch thread per worker), or Ray tasks (a local Ray, or the cluster at ``address``).
* ``"auto"`` (default): processes when there are at least ``AUTO_PROCESSES_FROM`` workers, else
  serial. On a GPU cells always run serially (the accelerator parallelises each batch).

Progress is always reported from the calling thread, so a Streamlit progress bar can be updated.

Measured on the 2-core development box, which other jobs kept busy (load average 0.7-10):
moons 5×5 at JiT's defaults, 5 % forget: serial 1.1-2.8 s, threads×2 1.1-4.3 s, processes×2
1.2-10.6 s warm and 10-36 s cold; digits 3×3: serial 7.4-16 s, threads×2 7.3-17 s, processes×2
7.6-44 s warm, 15-31 s cold; with the retrain reference passed in, moons 6×6 1.1-1.4 s and digits
4×4 11.4-12.4 s whichever backend ran warm. The retraining is most of a small digits sweep (~5 s),
so pass ``retrain=`` when it is cached. With torch's default two intra-op threads the serial sweep
took 20.6 s (moons) and 133 s (digits) under load: one thread per run matters far more than the
number of workers. So ``"auto"`` runs serially on two cores; the process pool is for machines
with more cores (it passes the same tests here, but its speed-up could not be measured on this box).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np
import torch

from explorer.measures.comparison import avg_gap
from explorer.measures.metrics import METRIC_NAMES
from explorer.config.errors import BACKENDS
from explorer.studies.runner import default_workers, shutdown_pool  # noqa: F401  (shutdown_pool re-exported)

SweepProgress = Callable[[int, int], None]  # (cells done, total cells)
MAX_CELLS = 400
AUTO_PROCESSES_FROM = 3  # workers; on two cores nothing beat serial (see above)


@dataclass
class SweepResult:
    sigmas: list[float]
    etas: list[float]
    metrics: dict[str, np.ndarray]  # metric name -> (len(etas), len(sigmas)); NaN where not measurable
    seconds: float
    workers: int = 1  # threads or processes used (1 = serial in the calling thread)
    backend: str = "serial"  # how the cells ran: serial, threads or processes
    retrain_metrics: dict[str, float] | None = None
    stopped: np.ndarray | None = None  # (len(etas), len(sigmas)) bool: the run diverged and was rolled back
    max_step_change: float = 0.0  # the explorer's step guard every cell ran with (0 = off: plain JiT steps)


def _check_values(name: str, values: Sequence[float]) -> list[float]:
    values = [float(v) for v in values]
    if not values:
        raise ValueError(f"the sweep needs at least one {name} value")
    bad = [v for v in values if not (v > 0 and np.isfinite(v))]
    if bad:
        raise ValueError(f"every {name} must be > 0, got {bad[0]}")
    return values


def sweep_jit(scenario, trained, forget_ids, sigmas: Sequence[float], etas: Sequence[float],
              progress: SweepProgress | None = None, workers: int | None = None,
              backend: str = "auto", retrain: torch.nn.Module | None = None,
              address: str | None = None, max_step_change: float | None = None) -> SweepResult:
    """JiT on every (σ, η) of the grid; metrics come back as arrays of shape (len(etas), len(sigmas)).

    ``trained`` is a :class:`explorer.pipeline.Trained`. ``workers``: threads or processes to use
    (default: the usable CPU cores; 1 = serial in the calling thread). ``backend``: "auto",
    "serial", "threads" or "processes" (see the module docstring). ``progress(done, total)`` is
    called from the calling thread after each cell. ``retrain``: the retrained reference if the
    caller already has it (else it is trained here, once). On the CPU everything, the retraining
    included, runs with one torch thread. ``max_step_change`` overrides the scenario's step guard (0 = off); the
    result records the guard its cells ran with.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown sweep backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    sigmas, etas = _check_values("sigma", sigmas), _check_values("eta", etas)
    total = len(sigmas) * len(etas)
    if total > MAX_CELLS:
        raise ValueError(f"a sweep of {total} cells is too large; keep it to {MAX_CELLS} (σ values × η values)")
    with _single_torch_thread() if trained.device.type == "cpu" else nullcontext():
        return _sweep(scenario, trained, forget_ids, sigmas, etas, progress, workers, backend, retrain, address,
                      max_step_change)


def _sweep(scenario, trained, forget_ids, sigmas, etas, progress, workers, backend, retrain,
           address=None, max_step_change=None) -> SweepResult:
    """The grid's cells through the study primitive (:func:`explorer.studies.study.run_cells`), one cell per job,
    against the one original and retrain reference."""
    from explorer import pipeline
    from explorer.studies.study import Cell, Measures, run_cells

    total = len(sigmas) * len(etas)
    start = time.perf_counter()
    forget_ids = [int(i) for i in forget_ids]
    base = pipeline.method_config(scenario, "jit")
    if max_step_change is not None:
        base = replace(base, max_step_change=float(max_step_change))
    if retrain is None:
        retrain, _, _ = pipeline.retrain_reference(scenario, trained, forget_ids)
    cells = [Cell(scenario, tuple(forget_ids), "jit", replace(base, sigma=s, eta=e), key=(i, j))
             for i, e in enumerate(etas) for j, s in enumerate(sigmas)]
    for cell in cells:
        cell.config.validate()
    workers = default_workers() if workers is None else max(1, int(workers))
    workers = min(workers, total)
    if backend == "auto":
        backend = "processes" if workers >= AUTO_PROCESSES_FROM else "serial"
    if (trained.device.type != "cpu" and backend != "ray") or backend == "serial":
        workers = 1  # an accelerator already runs each cell's batch in parallel
    if workers == 1 and backend != "ray":
        backend = "serial"
    if backend in ("processes", "ray"):
        trained = replace(trained, model=trained.model.to("cpu"), initial=trained.initial.to("cpu"))
    info: dict = {}
    results = run_cells(cells, Measures(steps=()), backend=backend, workers=workers, progress=progress,
                        address=address, chunk=1, trained={cells[0].original_key: trained},
                        retrains={cells[0].retrain_key: (retrain, 0.0)}, info=info)
    names = [*METRIC_NAMES, "avg_gap"]
    metrics = {name: np.full((len(etas), len(sigmas)), np.nan) for name in names}
    stopped = np.zeros((len(etas), len(sigmas)), dtype=bool)
    retrain_metrics = results[0].retrain
    for result in results:
        if result.error:
            raise result.exception
        i, j = result.cell.key
        values = {**result.metrics, "avg_gap": avg_gap(result.metrics, retrain_metrics)}
        for name, value in values.items():
            metrics.setdefault(name, np.full((len(etas), len(sigmas)), np.nan))[i, j] = \
                float("nan") if value is None else float(value)
        stopped[i, j] = result.stopped is not None
    return SweepResult(sigmas, etas, metrics, time.perf_counter() - start, workers, backend, dict(retrain_metrics),
                       stopped, base.max_step_change)


# ---- one torch thread while threaded sweeps run ----------------------------------------------------

_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_BEFORE = 0


@contextmanager
def _single_torch_thread():
    """One intra-op thread per cell while threaded sweeps run (torch's setting is process-wide)."""
    global _THREADS_USERS, _THREADS_BEFORE
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_BEFORE = torch.get_num_threads()
            torch.set_num_threads(1)
        _THREADS_USERS += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS -= 1
            if _THREADS_USERS == 0:
                torch.set_num_threads(_THREADS_BEFORE)
