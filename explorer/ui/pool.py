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

Short jobs first. A job that has used :data:`DEMOTE_AFTER` CPU-seconds (training a large original, a sweep) drops
its thread to the lower CPU priority :data:`LOW_PRIORITY` (``nice``): another session's Unlearn, in the other worker
or the server's own thread, then takes the cores it needs and the long job the rest. When every worker holds
such a long job, a new job runs in the session's thread instead of queueing behind them. A started pool warms
each worker once (the first optimiser imports ``torch._dynamo``, the first figure loads Plotly's validators:
about 1.5 s a worker), before the pool counts as ready, so no student's first Unlearn pays for it.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import queue
import sys
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from typing import Any, Callable

import plotly.graph_objects as go
import plotly.io as pio
from plotly.utils import PlotlyJSONEncoder

from explorer import pipeline
from explorer.engine.device import torch_threads
from explorer.scenarios import default_scenario
from explorer.studies import runner
from explorer.views import two_d

log = logging.getLogger("explorer.pool")
REPORT_EVERY = 0.1  # seconds between a job's progress reports (the page redraws its bar at most that often)
_TOKENS = itertools.count()
_LISTENERS: dict[int, queue.SimpleQueue] = {}  # job token -> the waiting session's inbox
_LOCK = threading.Lock()
_RELAYS: set[int] = set()  # ids of the progress queues a relay thread reads
_STARTING = threading.Event()
_WARMING = threading.Event()  # the started pool's workers are being warmed: jobs run here meanwhile
_SENT: set[int] = set()  # tokens of the jobs this process has in the pool now (running or queued)
_DEMOTED: set[int] = set()  # those of them a worker runs at LOW_PRIORITY (past DEMOTE_AFTER)
DEMOTED = "\x00demoted"  # the report a worker sends when it lowers a job's priority (not a progress label)
# CPU-seconds a job runs at the sessions' priority: CPU time, not wall clock, so that a busy machine, which slows
# every job, demotes none of the short ones (an Unlearn of the default page takes 0.3-0.6 CPU-s; training its
# original about 2). Past it a job is long.
DEMOTE_AFTER = 1.0
PER_THREAD_NICE = sys.platform.startswith("linux")  # Linux sets a nice value per thread; elsewhere jobs keep theirs
LOW_PRIORITY = 10  # the nice value of a job's thread after DEMOTE_AFTER: short jobs first, the long one the rest
CHECK_EVERY = 0.05  # seconds between two looks at a job's CPU time


def workers() -> int:
    return runner.default_workers()


def enabled(device=None) -> bool:
    """Whether jobs go to the pool: on, more than one core, a CPU model."""
    if os.environ.get("EXPLORER_POOL", "1") == "0" or workers() < 2:
        return False
    return device is None or getattr(device, "type", str(device)) == "cpu"


def ready() -> bool:
    """The pool runs (answered, and warmed when :func:`start` started it): jobs sent now start at once."""
    return (runner.pool_progress() is not None and runner.pool_overhead_seconds(workers()) < 1.0
            and not _WARMING.is_set())


def idle() -> bool:
    """The pool runs and has a worker with nothing to do: background work (a prefetch) costs no one a wait."""
    with _LOCK:
        busy = len(_SENT)
    return enabled() and ready() and busy < workers()


def long_jobs() -> int:
    """This process's jobs that a worker has run for more than :data:`DEMOTE_AFTER` CPU-seconds (now at low priority);
    jobs waiting in the queue are not counted, however long they wait."""
    with _LOCK:
        return len(_DEMOTED & _SENT)


def start() -> None:
    """Start the pool in the background (once): the spawned workers import torch for a few seconds."""
    if ready() or _STARTING.is_set():
        return
    _STARTING.set()

    def warm():
        try:
            _WARMING.set()
            pool = runner.process_pool(workers())
            with runner.hidden_main():
                jobs = [pool.submit(_warm_worker, time.time() + WARM_TOGETHER) for _ in range(workers())]
            for job in jobs:
                job.result()
        except Exception:  # noqa: BLE001 - no pool: jobs keep running in the sessions' threads
            log.exception("the worker pool did not start")
        finally:
            _WARMING.clear()
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
    if long_jobs() >= workers():  # every worker holds a long job: this one would wait for one to end
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
        _SENT.add(token)
        if channel is not None and id(channel) not in _RELAYS:
            _RELAYS.add(id(channel))
            threading.Thread(target=_relay, args=(channel,), name="explorer-pool-progress", daemon=True).start()
    try:
        with runner.hidden_main():
            future = pool.submit(_job, token, fn, args, kwargs, progress is not None, _template(pio.templates.default),
                                 DEMOTE_AFTER)
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
            _SENT.discard(token)
            _DEMOTED.discard(token)


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
            if label == DEMOTED:
                if token in _SENT:
                    _DEMOTED.add(token)
                continue
            inbox = _LISTENERS.get(token)
        if inbox is not None:
            inbox.put((label, fraction))


def job_process(progress=None) -> int:
    """The process a job runs in (a worker's, or this one's when it ran here): ``run(job_process)``."""
    return os.getpid()


def job_priority(seconds: float = 0.0, progress=None) -> tuple[int, int]:
    """(process, nice value) of a job that computes for ``seconds`` of CPU time, read at its end:
    ``run(job_priority, 3.0)``."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
    return os.getpid(), priority()


@lru_cache(maxsize=4)
def _template(name: str) -> tuple[str, str]:
    """The default Plotly template, by name and as JSON, for a worker to build figures with."""
    return name, json.dumps(pio.templates[name].to_plotly_json(), cls=PlotlyJSONEncoder)


def _use_template(name: str, spec: str) -> None:
    if pio.templates.default != name:
        pio.templates[name] = go.layout.Template(json.loads(spec))
        pio.templates.default = name


def _job(token: int, fn, args, kwargs, reports: bool, template: tuple[str, str], demote_after: float | None = None):
    """In a worker: run ``fn`` with the session process's Plotly template and a progress callback that puts
    (token, label, fraction) on the pool's queue, at most every REPORT_EVERY seconds per label; at low priority
    after ``demote_after`` CPU-seconds (:func:`demoting`)."""
    _use_template(*template)
    channel = runner.worker_progress()
    last = {"label": None, "at": 0.0}

    def report(label: str, fraction: float) -> None:
        now = time.monotonic()
        if channel is None or (label == last["label"] and now - last["at"] < REPORT_EVERY and fraction < 1.0):
            return
        last.update(label=label, at=now)
        channel.put((token, label, float(fraction)))

    def demoted() -> None:  # the session's process counts it as a long job
        if channel is not None:
            channel.put((token, DEMOTED, 0.0))
    with torch_threads():
        return demoting(lambda: fn(*args, progress=report if reports else None, **kwargs), demote_after, demoted)


def demoting(call: Callable[[], Any], after: float | None, on_demote: Callable[[], None] | None = None) -> Any:
    """``call()`` in this worker's job thread (:class:`JobThread`), which drops to :data:`LOW_PRIORITY` once the job
    has used ``after`` CPU-seconds (none: here, as it is), calling ``on_demote`` then; the job thread gets its
    priority back after the job, or, where that needs privileges the server has not, is replaced by a new one.
    Linux sets a nice value per thread; elsewhere the job keeps its priority (and still counts as long)."""
    if after is None:
        return call()
    thread = JobThread.current()
    start = thread.cpu()
    thread.inbox.put(call)
    demoted = False
    while True:
        try:
            ok, value = thread.outbox.get(timeout=CHECK_EVERY)
            break
        except queue.Empty:
            if not demoted and thread.cpu() - start > after:
                demoted = True
                lower_priority(thread.native_id)
                if on_demote is not None:
                    on_demote()
    if demoted and not thread.restore():
        thread.retire()
    if not ok:
        raise value
    return value


class JobThread:
    """The one thread a worker runs its jobs in, kept from job to job (the per-thread state the jobs warm up stays
    warm: a new thread per job measured about 0.2 CPU-s more per Unlearn), whose priority can be lowered alone."""

    _current: "JobThread | None" = None
    _lock = threading.Lock()

    def __init__(self):
        self.inbox, self.outbox = queue.SimpleQueue(), queue.SimpleQueue()
        started = threading.Event()

        def loop():
            self.native_id = threading.get_native_id()
            self.nice = priority()  # the worker's own, restored after a long job
            started.set()
            while (call := self.inbox.get()) is not None:
                try:
                    self.outbox.put((True, call()))
                except BaseException as err:  # noqa: BLE001 - raised again in the waiting thread
                    self.outbox.put((False, err))
        self.thread = threading.Thread(target=loop, name="explorer-job", daemon=True)
        self.thread.start()
        started.wait()
        try:
            self.clock = time.pthread_getcpuclockid(self.thread.ident)
        except (AttributeError, OSError):  # no CPU clock per thread: wall-clock seconds instead
            self.clock = None

    @classmethod
    def current(cls) -> "JobThread":
        with cls._lock:
            if cls._current is None:
                cls._current = cls()
            return cls._current

    def cpu(self) -> float:
        return time.clock_gettime(self.clock) if self.clock is not None else time.monotonic()

    def restore(self) -> bool:
        """The normal priority again; False where this process may not raise a priority."""
        if not PER_THREAD_NICE:
            return True
        try:
            os.setpriority(os.PRIO_PROCESS, self.native_id, self.nice)
            return True
        except OSError:
            return False

    def retire(self) -> None:
        """End this thread after its job; the next job starts a new one (at the normal priority)."""
        with JobThread._lock:
            if JobThread._current is self:
                JobThread._current = None
        self.inbox.put(None)


def lower_priority(thread_id: int | None) -> bool:
    """Put one thread of this process at :data:`LOW_PRIORITY` (never raising it); False where that cannot be done."""
    if thread_id is None or not PER_THREAD_NICE:
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, thread_id, max(LOW_PRIORITY, os.getpriority(os.PRIO_PROCESS, thread_id)))
        return True
    except OSError:  # the thread ended meanwhile, or a policy forbids it
        return False


def priority() -> int:
    """The nice value of the thread calling it (a job's, in a worker: what the tests read)."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) if PER_THREAD_NICE else 0


WARM_TOGETHER = 1.0  # seconds each warm-up job lasts at least, so that every worker takes one


def _warm_worker(until: float, progress=None) -> None:
    """In a worker, once: pay the first-use costs of the page's jobs (importing ``torch._dynamo`` with the first
    optimiser, Plotly's validators with the first figure, the first forward and backward) on a tiny run, then wait
    until ``until`` so the other workers take the other warm-up jobs."""
    scenario = default_scenario("moons", samples=40)
    scenario = dataclasses.replace(scenario, grid_resolution=20, train=dataclasses.replace(scenario.train, epochs=20))
    demoting(lambda: _warm_run(scenario), float("inf"))  # in the job thread, whose own state warms up too
    time.sleep(max(0.0, until - time.time()))


def _warm_run(scenario) -> None:
    with torch_threads():
        trained = pipeline.train_original(scenario)
        two_d.page_run(scenario, trained, [0])
