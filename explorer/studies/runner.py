"""Run a list of independent jobs and collect their results in order, with progress.

One small interface, ``run_jobs(fn, jobs, backend=..., workers=..., progress=..., address=...)``, shared
by the σ×η sweep, the calibration study and the atlas. Every backend runs each job with one torch
intra-op thread, so the same jobs give the same results on every backend. Backends:

* ``"serial"``: one job after another in the calling process.
* ``"processes"``: a persistent pool of "spawn" worker processes with one torch thread each, kept
  for the next call (:func:`shutdown_pool` ends it). Workers are started behind a bare
  ``__main__`` so they never re-run the caller's main script (Streamlit installs the app script as
  ``__main__``; a plain spawn would execute the whole app in every worker).
* ``"auto"`` (the default): the process pool, unless it would be slower, as measured: the first job
  runs in the calling process and is timed; the rest run there too when that is expected to finish
  before the pool would (its start-up, measured when it last started, plus the remaining jobs spread
  over the workers). One worker always runs in-process.
* ``"ray"``: Ray tasks (one CPU each), on a local Ray started for the purpose (``workers`` CPUs) or on
  the cluster at ``address`` (``"auto"``, ``"HOST:PORT"`` or ``"ray://HOST:PORT"``). Ray is an optional
  extra: ``pip install '.[cluster]'``. The cluster's workers need this package importable (installed
  on its nodes); an address that does not answer is refused in one line before any work.

``fn`` must be a module-level function (workers import it by name) and every job's arguments must
pickle. Progress is reported from the calling thread, so a Streamlit progress bar can be updated.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import socket
import sys
import threading
import time
import types
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import torch

from explorer.config.scenario import ScenarioError
from explorer.config.shared import BACKENDS

JobProgress = Callable[[int, int], None]  # (jobs done, total jobs)
# Until a pool has been started and timed in this process: a 2-worker spawn pool's cold start on the
# development machine (each worker imports torch), measured 2.5-4 s.
POOL_STARTUP_GUESS_SECONDS = 3.0


class RunnerError(ScenarioError):
    """A backend that cannot run here (unknown, Ray missing, an unreachable address); one line."""


def check_backend(backend: str, workers: int | None, address: str | None) -> None:
    """The backend is usable (Ray installed, the address answering) before any work; RunnerError, one line, if not."""
    if workers is not None and workers < 1:
        raise RunnerError(f"--workers must be >= 1, got {workers}")
    if address is not None and backend != "ray":
        raise RunnerError("--address is for the Ray backend; add --backend ray")
    if backend == "ray":
        ray_session(address, workers)


def default_workers() -> int:
    """The CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], backend: str = "auto", workers: int | None = None,
             progress: JobProgress | None = None, address: str | None = None, info: dict | None = None) -> list[Any]:
    """``[fn(*job) for job in jobs]``, on ``backend`` with ``workers`` processes (default: the cores).

    ``info``, when given, is filled with what ran: ``{"backend": ..., "workers": ...}``."""
    if backend not in BACKENDS:
        raise RunnerError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if address is not None and backend != "ray":
        raise RunnerError("--address is for the Ray backend; add --backend ray")
    total = len(jobs)
    workers = min(default_workers() if workers is None else max(1, int(workers)), max(total, 1))
    results: list[Any] = [None] * total
    info = {} if info is None else info
    if backend == "ray":
        info.update(backend="ray", workers=workers)
        return _run_ray(fn, jobs, workers, progress, address)
    if backend == "serial" or workers == 1 or total <= 1:
        info.update(backend="serial", workers=1)
        _run_serial(fn, jobs, results, 0, progress)
        return results
    first = 0
    if backend == "auto":
        start = time.perf_counter()
        _run_serial(fn, jobs[:1], results, 0, None, total)
        first = 1
        if progress:
            progress(1, total)
        per_job = time.perf_counter() - start
        rest = total - 1
        if per_job * rest <= pool_overhead_seconds(workers) + per_job * -(-rest // workers):
            info.update(backend="serial", workers=1)
            _run_serial(fn, jobs[1:], results, 1, progress, total)
            return results
    info.update(backend="processes", workers=workers)
    futures: dict[Future, int] = {}
    pool = process_pool(workers)
    try:
        with hidden_main():
            for index in range(first, total):
                futures[pool.submit(fn, *jobs[index])] = index
        for done, future in enumerate(as_completed(futures), start=first + 1):
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


def _run_serial(fn, jobs, results, offset: int, progress, total: int | None = None) -> None:
    total = len(jobs) + offset if total is None else total
    with _one_thread():
        for done, job in enumerate(jobs, start=offset + 1):
            results[done - 1] = fn(*job)
            if progress:
                progress(done, total)


def _one_thread():
    from explorer.engine.device import torch_threads

    return torch_threads(1)


def _call_with_one_thread(fn, *job):
    """A job as every backend runs it: one torch intra-op thread (Ray's workers have the node's cores)."""
    with _one_thread():
        return fn(*job)


def pool_overhead_seconds(workers: int) -> float:
    """What the pool costs before its first result: nothing much when it is running with ``workers``
    processes, else its start-up as last measured in this process (or the development machine's)."""
    with _POOL_LOCK:
        if _POOL is not None and _POOL_SIZE == workers:
            return 0.05
    return _POOL_STARTUP if _POOL_STARTUP is not None else POOL_STARTUP_GUESS_SECONDS


# ---- Ray ---------------------------------------------------------------------------------------------

def _run_ray(fn, jobs, workers: int, progress, address: str | None) -> list[Any]:
    ray = ray_session(address, workers)
    task = ray.remote(num_cpus=1)(_call_with_one_thread)
    fn_ref = ray.put(fn)
    refs = [task.remote(fn_ref, *job) for job in jobs]
    index = {ref: i for i, ref in enumerate(refs)}
    results: list[Any] = [None] * len(jobs)
    pending, done = list(refs), 0
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                results[index[ref]] = ray.get(ref)
                done += 1
                if progress:
                    progress(done, len(jobs))
    except BaseException:
        for ref in pending:
            ray.cancel(ref)
        raise
    return results


_RAY_ADDRESS: list = []  # the address the Ray session of this process was started with


def ray_session(address: str | None = None, workers: int | None = None):
    """The ``ray`` module, connected: to ``address`` (checked to answer first) or to a local Ray with
    ``workers`` CPUs started for this process. Raises :class:`RunnerError` in one line otherwise."""
    try:
        import ray
    except ImportError:
        raise RunnerError("the Ray backend needs Ray: pip install '.[cluster]' (or pip install ray)") from None
    if ray.is_initialized():
        if _RAY_ADDRESS and _RAY_ADDRESS[0] != address:
            raise RunnerError(f"this process is already connected to Ray at {_RAY_ADDRESS[0] or 'a local instance'}; "
                              "restart to use another address")
        return ray
    if address not in (None, "", "auto", "local"):
        check_reachable(address)
    kwargs = dict(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                  configure_logging=False)
    if address in (None, "", "local"):
        kwargs["num_cpus"] = workers or default_workers()
    elif address.startswith("ray://") or address == "auto":
        kwargs.pop("include_dashboard")
    try:
        ray.init(address=None if address in (None, "", "local") else address, **kwargs)
    except Exception as err:  # noqa: BLE001 - every failure to connect is one line for the user
        text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RunnerError(f"cannot start or reach Ray{' at ' + address if address else ''}: {text}") from None
    _RAY_ADDRESS[:] = [address]
    return ray


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Refuse an address nothing answers at (Ray's own client would retry for a long time)."""
    target = address.split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise RunnerError(f"a Ray address is HOST:PORT, ray://HOST:PORT or auto, got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as err:
        raise RunnerError(f"cannot reach the Ray cluster at {address}: {err.strerror or err}") from None


def shutdown_ray() -> None:
    """Disconnect from Ray (and stop the local instance this process started)."""
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
    _RAY_ADDRESS.clear()


# ---- the worker pool -------------------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_SIZE = 0
_POOL_STARTUP: float | None = None  # seconds the last pool took to answer from every worker
_POOL_LOCK = threading.Lock()
_MAIN_LOCK = threading.Lock()


def _init_worker() -> None:
    torch.set_num_threads(1)  # one intra-op thread per worker: on small models two threads only contend


def _ready() -> bool:
    return True


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool of ``workers`` spawn processes (made on first use, remade if the size changes);
    a new pool's start-up (until every worker has answered) is timed for the ``auto`` rule."""
    global _POOL, _POOL_SIZE, _POOL_STARTUP
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE != workers:
            if _POOL is not None:
                _POOL.shutdown(wait=False, cancel_futures=True)
            start = time.perf_counter()
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker)
            with hidden_main():
                probes = [_POOL.submit(_ready) for _ in range(workers)]
            for probe in probes:
                probe.result()
            _POOL_STARTUP = time.perf_counter() - start
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
