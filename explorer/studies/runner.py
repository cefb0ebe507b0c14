"""Run a list of independent jobs and collect their results in order, with progress.

One small interface, ``run_jobs(fn, jobs, backend=..., workers=..., progress=..., address=...)``, shared
by the σ×η sweep, the calibration study and the atlas. Every backend runs each job with one torch
intra-op thread, so the same jobs give the same results on every backend. Backends:

* ``"serial"``: one job after another in the calling process.
* ``"threads"``: a thread per worker in the calling process (torch's thread setting is process-wide: one
  intra-op thread while they run, restored afterwards). Cheap to start; the jobs share the process's GIL
  outside torch's kernels.
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
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Sequence

import torch

from explorer.config.echo import clip, shown
from explorer.config.errors import BACKENDS
from explorer.engine.device import torch_threads

JobProgress = Callable[[int, int], None]  # (jobs done, total jobs)
# Until a pool has been started and timed in this process: a 2-worker spawn pool's cold start on the
# development machine (each worker imports torch), measured 2.5-4 s.
POOL_STARTUP_GUESS_SECONDS = 3.0


class RunnerError(ValueError):
    """A backend that cannot run here (unknown, Ray missing, an unreachable address); one line."""


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
    if backend == "threads":
        info.update(backend="threads", workers=workers)
        _run_threads(fn, jobs, results, workers, progress)
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


def _run_threads(fn, jobs, results, workers: int, progress) -> None:
    with _one_thread(), ThreadPoolExecutor(workers, thread_name_prefix="runner") as pool:
        futures = {pool.submit(fn, *job): index for index, job in enumerate(jobs)}
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress:
                    progress(done, len(jobs))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _one_thread():
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
    """Refuse, within ``timeout`` seconds, an address nothing answers at or where something other than Ray
    answers (Ray's own client would retry for a long time, printing as it goes). Ray's head (GCS) and its
    client server speak gRPC, HTTP/2 without TLS: sent the HTTP/2 client preface, a gRPC server answers with
    its SETTINGS frame (RFC 9113 §3.4); a web server answers ``HTTP/1.1 400``, others nothing."""
    target = address.split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep or not host or not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
        raise RunnerError(f"a Ray address is HOST:PORT (a port 1-65535), ray://HOST:PORT or auto, got {shown(address)}")
    try:
        conn = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except (OSError, UnicodeError, ValueError) as err:
        raise RunnerError(f"cannot reach the Ray cluster at {clip(address, 80)}: "
                          f"{getattr(err, 'strerror', None) or err}") from None
    try:
        with conn:
            conn.sendall(HTTP2_PREFACE + HTTP2_EMPTY_SETTINGS)
            reply = _read(conn, 9)
    except OSError:  # a timeout or a reset: not a gRPC server
        reply = b""
    if len(reply) < 9 or reply[3] != 0x4:  # a frame header: 3 bytes length, 1 byte type (4 = SETTINGS)
        raise RunnerError(f"the service at {shown(address)} is not a Ray cluster (no gRPC answer within {timeout:g} s)")


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP2_EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


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
_POOL_PROGRESS = None  # the pool's queue from its workers back to this process (explorer/ui/pool.py relays it)
_WORKER_PROGRESS = None  # in a worker: that queue
_POOL_STARTUP: float | None = None  # seconds the last pool took to answer from every worker
_POOL_LOCK = threading.Lock()
_MAIN_LOCK = threading.Lock()


def _init_worker(progress=None, parent: int | None = None) -> None:
    global _WORKER_PROGRESS
    torch.set_num_threads(1)  # one intra-op thread per worker: on small models two threads only contend
    _WORKER_PROGRESS = progress
    # The parent's pid comes from the parent: a worker still importing when its parent died would otherwise
    # read its new parent (init) here and wait for that one to go.
    threading.Thread(target=_exit_with_parent, args=(parent or os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End this worker when the process that started it is gone (killed without shutting its pool down: a
    worker blocked on the pool's queue would otherwise live on, holding its memory)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def worker_progress():
    """In a pool worker, the queue its jobs report progress on; None elsewhere."""
    return _WORKER_PROGRESS


def pool_progress():
    """The running pool's progress queue (what its workers put), or None when no pool runs."""
    with _POOL_LOCK:
        return _POOL_PROGRESS


def _ready() -> bool:
    return True


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The shared pool of ``workers`` spawn processes (made on first use, remade if the size changes);
    a new pool's start-up (until every worker has answered) is timed for the ``auto`` rule."""
    global _POOL, _POOL_SIZE, _POOL_STARTUP, _POOL_PROGRESS
    with _POOL_LOCK:
        if _POOL is None or _POOL_SIZE != workers:
            if _POOL is not None:
                _POOL.shutdown(wait=False, cancel_futures=True)
            start = time.perf_counter()
            context = multiprocessing.get_context("spawn")
            _POOL_PROGRESS = context.Queue()
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                        initargs=(_POOL_PROGRESS, os.getpid()))
            with hidden_main():
                probes = [_POOL.submit(_ready) for _ in range(workers)]
            for probe in probes:
                probe.result()
            _POOL_STARTUP = time.perf_counter() - start
            _POOL_SIZE = workers
        return _POOL


def shutdown_pool() -> None:
    """End the worker processes (they are started on first use and then reused)."""
    global _POOL, _POOL_SIZE, _POOL_PROGRESS
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL, _POOL_SIZE, _POOL_PROGRESS = None, 0, None


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
