"""Heavy work of the pages in the worker pool the sessions share, with its progress shown in the page.

Streamlit runs every session as a thread of one Python process, so one student's training, retraining and
unlearning hold the interpreter while another's wait: a class queues on one core. :func:`run` sends such a
job to the runner's pool of spawn processes (explorer/studies/runner.py: one worker per core, one torch
thread each, started once and shared by every session) and waits for it in the session's thread, relaying
the job's progress reports — put by the worker on the pool's progress queue — to the page's progress bar.
The worker runs the same code with the same single torch thread as the session's thread would
(:func:`explorer.engine.device.torch_threads`) and builds figures with this process's default Plotly template
(Streamlit sets its own when it loads), so a result is the same wherever it was computed (a test checks it). Jobs run in this thread instead when the pool is switched off (``EXPLORER_POOL=0``), on a
single core, for models on an accelerator, before the pool has started (it is started in the background
on first use, so the first student does not wait for it), and after a worker died (the pool is remade).
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any, Callable

import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

from explorer.engine.device import torch_threads
from explorer.studies import runner

log = logging.getLogger("explorer.pool")
REPORT_EVERY = 0.1  # seconds between a job's progress reports (the page redraws its bar at most that often)
_TOKENS = itertools.count()
_LISTENERS: dict[int, queue.SimpleQueue] = {}  # job token -> the waiting session's inbox
_LOCK = threading.Lock()
_RELAYS: set[int] = set()  # ids of the progress queues a relay thread reads
_STARTING = threading.Event()
_BUSY = [0]  # jobs this process has in the pool now


def workers() -> int:
    return runner.default_workers()


def enabled(device=None) -> bool:
    """Whether jobs go to the pool: on, more than one core, a CPU model."""
    if os.environ.get("EXPLORER_POOL", "1") == "0" or workers() < 2:
        return False
    return device is None or getattr(device, "type", str(device)) == "cpu"


def ready() -> bool:
    """The pool runs (and answered): jobs sent now start at once."""
    return runner.pool_progress() is not None and runner.pool_overhead_seconds(workers()) < 1.0


def idle() -> bool:
    """The pool runs and has a worker with nothing to do: background work (a prefetch) costs no one a wait."""
    with _LOCK:
        busy = _BUSY[0]
    return enabled() and ready() and busy < workers()


def start() -> None:
    """Start the pool in the background (once): the spawned workers import torch for a few seconds."""
    if ready() or _STARTING.is_set():
        return
    _STARTING.set()

    def warm():
        try:
            runner.process_pool(workers())
        except Exception:  # noqa: BLE001 - no pool: jobs keep running in the sessions' threads
            log.exception("the worker pool did not start")
        finally:
            _STARTING.clear()
    threading.Thread(target=warm, name="explorer-pool-start", daemon=True).start()


def run(fn: Callable[..., Any], *args, progress: Callable[[str, float], None] | None = None, device=None,
        **kwargs) -> Any:
    """``fn(*args, progress=..., **kwargs)`` in a pool worker when the pool is on and running (else here, with
    one torch thread), its ``(label, fraction)`` progress reports passed to ``progress`` in this thread.
    ``fn`` must be a module-level function and its arguments and result must pickle."""
    if not enabled(device):
        return _here(fn, args, kwargs, progress)
    if not ready():
        start()
        return _here(fn, args, kwargs, progress)
    try:
        return _in_pool(fn, args, kwargs, progress)
    except BrokenProcessPool:  # a worker died (killed for memory, say): remake the pool later, compute here
        log.warning("a pool worker died; running %s in the session's thread", getattr(fn, "__name__", fn))
        runner.shutdown_pool()
        return _here(fn, args, kwargs, progress)


def _here(fn, args, kwargs, progress):
    with torch_threads():
        return fn(*args, progress=progress, **kwargs)


def _in_pool(fn, args, kwargs, progress):
    pool, channel = runner.process_pool(workers()), runner.pool_progress()
    token, inbox = next(_TOKENS), queue.SimpleQueue()
    with _LOCK:
        _LISTENERS[token] = inbox
        _BUSY[0] += 1
        if channel is not None and id(channel) not in _RELAYS:
            _RELAYS.add(id(channel))
            threading.Thread(target=_relay, args=(channel,), name="explorer-pool-progress", daemon=True).start()
    try:
        with runner.hidden_main():
            future = pool.submit(_job, token, fn, args, kwargs, progress is not None, _template(pio.templates.default))
        while True:
            try:
                result = future.result(timeout=REPORT_EVERY)
                break
            except FutureTimeout:
                _deliver(inbox, progress)
        _deliver(inbox, progress)
        return result
    finally:
        with _LOCK:
            _LISTENERS.pop(token, None)
            _BUSY[0] -= 1


def _deliver(inbox: queue.SimpleQueue, progress) -> None:
    """The latest report waiting for this job, if any, to the page."""
    last = None
    while not inbox.empty():
        last = inbox.get_nowait()
    if last is not None and progress is not None:
        progress(*last)


def _relay(channel) -> None:
    """Hand each report from the workers to the session waiting for that job (until the pool is remade)."""
    while True:
        try:
            token, label, fraction = channel.get(timeout=1.0)
        except queue.Empty:
            if runner.pool_progress() is not channel:
                with _LOCK:
                    _RELAYS.discard(id(channel))
                return
            continue
        except (EOFError, OSError, ValueError):  # the pool and its queue were shut down
            with _LOCK:
                _RELAYS.discard(id(channel))
            return
        with _LOCK:
            inbox = _LISTENERS.get(token)
        if inbox is not None:
            inbox.put((label, fraction))


def job_process(progress=None) -> int:
    """The process a job runs in (a worker's, or this one's when it ran here): ``run(job_process)``."""
    return os.getpid()


@lru_cache(maxsize=4)
def _template(name: str) -> tuple[str, str]:
    """The default Plotly template, by name and as JSON, for a worker to build figures with."""
    return name, json.dumps(pio.templates[name].to_plotly_json(), cls=PlotlyJSONEncoder)


def _use_template(name: str, spec: str) -> None:
    if pio.templates.default != name:
        pio.templates[name] = go.layout.Template(json.loads(spec))
        pio.templates.default = name


def _job(token: int, fn, args, kwargs, reports: bool, template: tuple[str, str]):
    """In a worker: run ``fn`` with the session process's Plotly template and a progress callback that puts
    (token, label, fraction) on the pool's queue, at most every REPORT_EVERY seconds per label."""
    _use_template(*template)
    channel = runner.worker_progress()
    last = {"label": None, "at": 0.0}

    def report(label: str, fraction: float) -> None:
        now = time.monotonic()
        if channel is None or (label == last["label"] and now - last["at"] < REPORT_EVERY and fraction < 1.0):
            return
        last.update(label=label, at=now)
        channel.put((token, label, float(fraction)))
    with torch_threads():
        return fn(*args, progress=report if reports else None, **kwargs)
