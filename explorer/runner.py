"""Run a list of independent jobs and collect their results in order, with progress.

One small interface, ``run_jobs(fn, jobs, backend=..., workers=..., progress=...)``, shared by the
σ×η sweep and the calibration study. Backends:

* ``"serial"``: one job after another in the calling process.
* ``"processes"``: a persistent pool of "spawn" worker processes with one torch thread each, kept
  for the next call (:func:`shutdown_pool` ends it). Workers are started behind a bare
  ``__main__`` so they never re-run the caller's main script (Streamlit installs the app script as
  ``__main__``; a plain spawn would execute the whole app in every worker).

``fn`` must be a module-level function (workers import it by name) and every job's arguments must
pickle. Progress is reported from the calling thread, so a Streamlit progress bar can be updated.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import threading
import types
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import torch

JobProgress = Callable[[int, int], None]  # (jobs done, total jobs)
BACKENDS = ("serial", "processes")


def default_workers() -> int:
    """The CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], backend: str = "processes", workers: int | None = None,
             progress: JobProgress | None = None) -> list[Any]:
    """``[fn(*job) for job in jobs]``, on ``backend`` with ``workers`` processes (default: the cores)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    total = len(jobs)
    workers = min(default_workers() if workers is None else max(1, int(workers)), max(total, 1))
    results: list[Any] = [None] * total
    if backend == "serial" or workers == 1:
        for done, job in enumerate(jobs, start=1):
            results[done - 1] = fn(*job)
            if progress:
                progress(done, total)
        return results
    futures: dict[Future, int] = {}
    pool = process_pool(workers)
    try:
        with hidden_main():
            for index, job in enumerate(jobs):
                futures[pool.submit(fn, *job)] = index
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, total)
    except BrokenProcessPool:
        shutdown_pool()
        raise
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return results


# ---- the worker pool -------------------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_LOCK = threading.Lock()
_MAIN_LOCK = threading.Lock()


def _init_worker() -> None:
    torch.set_num_threads(1)  # one intra-op thread per worker: on small models two threads only contend


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool of ``workers`` spawn processes (made on first use, remade if the size changes)."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE != workers:
            if _POOL is not None:
                _POOL.shutdown(wait=False, cancel_futures=True)
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker)
            _POOL_SIZE = workers
        return _POOL


def shutdown_pool() -> None:
    """End the worker processes (they are started on first use and then reused)."""
    global _POOL, _POOL_SIZE
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL, _POOL_SIZE = None, 0


atexit.register(shutdown_pool)


@contextmanager
def hidden_main():
    """While workers are being started, show multiprocessing a bare ``__main__``, so a spawned worker
    does not re-import the caller's main script (under Streamlit, that is the app itself)."""
    with _MAIN_LOCK:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if real is not None:
                sys.modules["__main__"] = real
