"""A sweep of any registered method over two of its numeric settings (for JiT σ×η by default, the idea of the
paper's Figures 7 and 8): run the method once per pair of values with the scenario's config otherwise, measure
every metric and the gap to retrain. Each cell's config is built and checked by the method's registry entry
(:meth:`explorer.unlearning.base.MethodSpec.config_from`), so every value lies within its setting's declared range
or the sweep is refused in one line before any cell runs.

Every cell is a cell of the study primitive (:func:`explorer.studies.study.run_cells`): the retrain reference
is built once (or passed in), the evaluator once per process; every cell runs the method without per-step
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
import typing
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields, replace
from typing import Callable, Sequence

import numpy as np
import torch

from explorer import stages
from explorer.config.errors import BACKENDS, ScenarioError
from explorer.measures.comparison import avg_gap
from explorer.measures.evaluation import NonFiniteOutputs
from explorer.measures.metrics import METRIC_NAMES
from explorer.measures.verdict import guard_label, method_label
from explorer.studies.runner import default_workers, shutdown_pool  # noqa: F401  (shutdown_pool re-exported)
from explorer.studies.study import Cell, Measures, run_cells
from explorer.unlearning import METHODS, get_method
from explorer.unlearning.base import refusal

SweepProgress = Callable[[int, int], None]  # (cells done, total cells)
MAX_CELLS = 400
AUTO_PROCESSES_FROM = 3  # workers; on two cores nothing beat serial (see above)
DEFAULT_AXES = {"jit": ("sigma", "eta")}  # a method not listed sweeps its first two numeric settings
NOT_SWEPT = ("retrain",)  # the retrained reference is what every cell is measured against


@dataclass
class SweepResult:
    xs: list[float]  # the values of setting ``x`` (columns)
    ys: list[float]  # the values of setting ``y`` (rows)
    metrics: dict[str, np.ndarray]  # metric name -> (len(ys), len(xs)); NaN where not measurable
    seconds: float
    workers: int = 1  # threads or processes used (1 = serial in the calling thread)
    backend: str = "serial"  # how the cells ran: serial, threads or processes
    retrain_metrics: dict[str, float] | None = None
    stopped: np.ndarray | None = None  # (len(ys), len(xs)) bool: the run diverged and was rolled back
    max_step_change: float = 0.0  # JiT's step guard every cell ran with (0 = off, or a method without it)
    method: str = "jit"
    x: str = "sigma"
    y: str = "eta"

    @property
    def label(self) -> str:
        """Which method the sweep ran; for JiT which JiT: "JiT with step guard 0.05", "JiT without the step
        guard" (plain published steps), or "JiT (the step guard swept)" when the guard is an axis."""
        if self.method != "jit":
            return method_label(self.method)
        if "max_step_change" in (self.x, self.y):
            return f"{method_label('jit')} (the step guard swept)"
        return guard_label(self.max_step_change)

    def to_dict(self) -> dict:
        """The sweep as plain JSON values (NaN as null), its cells' metrics as (len(ys), len(xs)) lists."""
        return stages._clean({"method": self.method, "x": self.x, "y": self.y, "xs": self.xs, "ys": self.ys,
                              "max_step_change": self.max_step_change, "seconds": self.seconds,
                              "backend": self.backend,
                              "metrics": {name: values.tolist() for name, values in self.metrics.items()},
                              "stopped": None if self.stopped is None else self.stopped.tolist(),
                              "retrain_metrics": self.retrain_metrics})


def sweepable_methods() -> list[str]:
    """Every registered method a sweep can run (all but the retrained reference), built-in or added."""
    return [name for name in METHODS if name not in NOT_SWEPT]


def numeric_settings(method: str) -> list[str]:
    """The settings of ``method``'s config a sweep can vary: the int and float fields, in declaration order."""
    cls = get_method(method).config_cls  # an unknown name: one line listing the methods
    hints = typing.get_type_hints(cls)
    return [f.name for f in fields(cls) if hints.get(f.name) in (int, float)]


def default_axes(method: str) -> tuple[str, str]:
    """The two settings a sweep of ``method`` varies unless told otherwise: σ×η for JiT."""
    if method in DEFAULT_AXES:
        return DEFAULT_AXES[method]
    numeric = numeric_settings(method)
    if len(numeric) < 2:
        raise ValueError(f"{method} has fewer than two numeric settings to sweep ({', '.join(numeric) or 'none'})")
    return numeric[0], numeric[1]


def default_values(scenario, method: str, setting: str, beside: tuple[str, Sequence[float]] | None = None) -> list[float]:
    """A small axis around the scenario's value of ``setting``: a quarter to four times it (0, 0.01 and 0.1 when
    it is 0), keeping only values its declared range accepts and, with ``beside`` = (the other setting, its
    values), that every pair with those accepts (scrub's msteps may not exceed its epochs)."""
    config = stages.method_config(scenario, method)
    value = getattr(config, setting)
    whole = typing.get_type_hints(type(config))[setting] is int
    candidates = [value * f for f in (0.25, 0.5, 1, 2, 4)] if value else [0.0, 0.01, 0.1]
    values = []
    for v in candidates:
        v = max(1, round(v)) if whole else float(f"{v:.3g}")
        pairs = [{setting: v, beside[0]: other} for other in beside[1]  # a value refused alone is the grid's to say
                 if _accepted(scenario, method, {beside[0]: other})] if beside else []
        pairs = pairs or [{setting: v}]
        if v not in values and all(_accepted(scenario, method, pair) for pair in pairs):
            values.append(v)
    return values


def _accepted(scenario, method: str, values: dict) -> bool:
    try:
        cell_configs(scenario, method, values)
    except ValueError:
        return False
    return True


def cell_configs(scenario, method: str, values: dict):
    """``method``'s config in ``scenario`` with ``values`` set, checked by the method's one checker (its declared
    types and ranges, its own validation); ScenarioError in one line otherwise."""
    hints = typing.get_type_hints(get_method(method).config_cls)
    values = {name: _typed(hints.get(name), value) for name, value in values.items()}
    configs = {**scenario.configs, method: {**scenario.configs.get(method, {}), **values}}
    return stages.method_config(replace(scenario, configs=configs), method)


def sweep_grid(scenario, method: str, x: tuple[str, Sequence[float]], y: tuple[str, Sequence[float]],
               overrides: dict | None = None) -> dict[tuple[int, int], object]:
    """{(row, column): config} of a sweep of ``method`` over ``x`` (columns) and ``y`` (rows), each (setting,
    values), every other setting the scenario's (and ``overrides``'); every config checked before any runs."""
    if method not in sweepable_methods():
        raise ValueError(f"a sweep runs one of {', '.join(sweepable_methods())}, not {method!r}")
    numeric = numeric_settings(method)
    for name, values in (x, y):
        if name not in numeric:
            raise ValueError(f"{method} has no numeric setting {name!r} to sweep; it has {', '.join(numeric)}")
        if not len(values):
            raise ValueError(f"the sweep needs at least one {name} value")
    if x[0] == y[0]:
        raise ValueError(f"the sweep's two settings must differ, got {x[0]} twice")
    total = len(x[1]) * len(y[1])
    if total > MAX_CELLS:
        raise ValueError(f"a sweep of {total} cells is too large; keep it to {MAX_CELLS} ({x[0]} values × {y[0]} values)")
    return {(i, j): cell_configs(scenario, method, {**(overrides or {}), x[0]: xv, y[0]: yv})
            for i, yv in enumerate(y[1]) for j, xv in enumerate(x[1])}


def _typed(kind, value):
    """A value as its setting declares it: a whole number stays an int for an int setting (a fraction is left for
    the checker to refuse), a float setting gets a float."""
    if kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return float(value) if kind is float and not isinstance(value, bool) else value


def sweep(scenario, trained, forget_ids, method: str, x: tuple[str, Sequence[float]], y: tuple[str, Sequence[float]],
          progress: SweepProgress | None = None, workers: int | None = None, backend: str = "auto",
          retrain: torch.nn.Module | None = None, address: str | None = None,
          overrides: dict | None = None) -> SweepResult:
    """``method`` on every pair of values of settings ``x`` = (name, values) and ``y``; metrics come back as arrays
    of shape (len(y values), len(x values)).

    ``trained`` is a :class:`explorer.pipeline.Trained`. ``workers``: threads or processes to use
    (default: the usable CPU cores; 1 = serial in the calling thread). ``backend``: "auto",
    "serial", "threads" or "processes" (see the module docstring). ``progress(done, total)`` is
    called from the calling thread after each cell. ``retrain``: the retrained reference if the
    caller already has it (else it is trained here, once). On the CPU everything, the retraining
    included, runs with one torch thread. ``overrides``: settings every cell runs with (JiT's step guard,
    ``max_step_change``, 0 = off); the result records the guard its cells ran with.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown sweep backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    x, y = (x[0], [float(v) for v in x[1]]), (y[0], [float(v) for v in y[1]])
    configs = sweep_grid(scenario, method, x, y, overrides)
    why = refusal(method, trained.data, forget_ids)  # a class-level method on a forget set that is not a class
    if why:
        raise ScenarioError(why)
    with _single_torch_thread() if trained.device.type == "cpu" else nullcontext():
        return _sweep(scenario, trained, forget_ids, method, x, y, configs, progress, workers, backend, retrain, address)


def sweep_jit(scenario, trained, forget_ids, sigmas: Sequence[float], etas: Sequence[float],
              progress: SweepProgress | None = None, workers: int | None = None,
              backend: str = "auto", retrain: torch.nn.Module | None = None,
              address: str | None = None, max_step_change: float | None = None) -> SweepResult:
    """JiT over σ×η (columns σ, rows η); ``max_step_change`` overrides the scenario's step guard (0 = off)."""
    overrides = None if max_step_change is None else {"max_step_change": float(max_step_change)}
    return sweep(scenario, trained, forget_ids, "jit", ("sigma", sigmas), ("eta", etas), progress, workers, backend,
                 retrain, address, overrides)


def _sweep(scenario, trained, forget_ids, method, x, y, configs, progress, workers, backend, retrain,
           address=None) -> SweepResult:
    """The grid's cells through the study primitive (:func:`explorer.studies.study.run_cells`), one cell per job,
    against the one original and retrain reference."""
    shape, total = (len(y[1]), len(x[1])), len(configs)
    start = time.perf_counter()
    forget_ids = [int(i) for i in forget_ids]
    if retrain is None:
        retrain, _, _ = stages.retrain_reference(scenario, trained, forget_ids)
    cells = [Cell(scenario, tuple(forget_ids), method, config, key=key) for key, config in configs.items()]
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
    metrics = {name: np.full(shape, np.nan) for name in names}
    stopped = np.zeros(shape, dtype=bool)
    retrain_metrics = results[0].retrain
    for result in results:
        if result.error and isinstance(result.exception, NonFiniteOutputs):
            stopped[result.cell.key] = True  # the cell diverged past measuring: its metrics stay NaN, as not measurable
            continue
        if result.error:
            raise result.exception
        i, j = result.cell.key
        values = {**result.metrics, "avg_gap": avg_gap(result.metrics, retrain_metrics)}
        for name, value in values.items():
            metrics.setdefault(name, np.full(shape, np.nan))[i, j] = float("nan") if value is None else float(value)
        stopped[i, j] = result.stopped is not None
    guard = getattr(cells[0].config, "max_step_change", 0.0)  # the same in every cell unless it is an axis
    return SweepResult(x[1], y[1], metrics, time.perf_counter() - start, workers, backend, dict(retrain_metrics),
                       stopped, guard, method, x[0], y[0])


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
