"""Reading a process tree from /proc (Linux): its CPU seconds and resident memory, sampled in a thread.

What the load benchmark reports of the server (the streamlit process and its children, the worker pool
included) and of the clients driving it."""
from __future__ import annotations

import os
import threading
import time


def parents() -> dict[int, int]:
    """Every process's parent, from one pass over /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                out[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return out


def children(pid: int) -> list[int]:
    return [p for p, parent in parents().items() if parent == pid]


def tree(pid: int, exclude: int | None = None) -> list[int]:
    """``pid`` and every descendant, leaving out the subtree of ``exclude``."""
    kids: dict[int, list[int]] = {}
    for p, parent in parents().items():
        kids.setdefault(parent, []).append(p)
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p == exclude:
            continue
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pids, children_too: bool = True) -> float:
    """User + system CPU seconds of the processes ``pids`` (with ``children_too``, also of their finished,
    waited-for children)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    last = 15 if children_too else 13
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:last]) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def settle(pid: int, busy: float = 0.05, window: float = 0.5, timeout: float = 120.0) -> float:
    """Wait until the process tree of ``pid`` works less than ``busy`` of a core over ``window`` seconds (a server
    still starting its worker pool, say, would otherwise bill the next measurement); the seconds waited."""
    start = time.perf_counter()
    before = cpu_seconds(tree(pid), children_too=False)
    while time.perf_counter() - start < timeout:
        time.sleep(window)
        now = cpu_seconds(tree(pid), children_too=False)
        if now - before < busy * window:
            break
        before = now
    return time.perf_counter() - start


def rss_mb(pid: int, pids: list[int] | None = None) -> float:
    """Resident memory of ``pid`` and its descendants (or of ``pids``, when the tree is known), in MB."""
    page_mb, total = os.sysconf("SC_PAGE_SIZE") / 2**20, 0.0
    for p in tree(pid) if pids is None else pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page_mb
        except (OSError, IndexError, ValueError):
            continue
    return total


class TreeCpu:
    """CPU seconds a process tree spends from now on, its members coming and going (pool workers, browser
    processes): each member's own time (not its children's, which are members too) from its first reading, or
    from 0 when it started later, to its last reading, so one that ended before the end still counts."""

    def __init__(self, pid: int, exclude: int | None = None):
        self.pid, self.exclude, self.first, self.last = pid, exclude, None, {}
        self.members: list[int] = [pid]

    def find_members(self) -> list[int]:
        self.members = tree(self.pid, self.exclude)
        return self.members

    def sample(self) -> None:
        now = {p: cpu_seconds([p], children_too=False) for p in self.members}
        if self.first is None:
            self.first = dict(now)
        for p, v in now.items():
            self.last[p] = max(self.last.get(p, 0.0), v)

    def of(self, pid: int) -> float:
        """The part of :attr:`total` that process ``pid`` itself spent."""
        return self.last.get(pid, 0.0) - (self.first or {}).get(pid, 0.0)

    @property
    def total(self) -> float:
        first = self.first or {}
        return sum(v - first.get(p, 0.0) for p, v in self.last.items())


class Sampler:
    """Samples, in a thread, the server tree's resident memory every ``every`` seconds (``peak`` in MB) and the CPU
    seconds of the server tree and of the client tree (``server_cpu``, ``client_cpu``: :class:`TreeCpu`) every
    half second. The trees are walked once a second (a walk reads every process's stat in /proc: the sampler's
    own CPU, which runs beside the server, stays small)."""

    def __init__(self, server_pid: int, client_pid: int | None = None, every: float = 0.1):
        self.server_pid, self.every, self.peak, self._stop = server_pid, every, 0.0, threading.Event()
        self.server_cpu = TreeCpu(server_pid)
        self.client_cpu = TreeCpu(client_pid, exclude=server_pid) if client_pid else None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick, per_second = 0, max(1, round(1.0 / self.every))
        while not self._stop.is_set():
            if tick % per_second == 0:
                self._find()
            self.peak = max(self.peak, rss_mb(self.server_pid, self.server_cpu.members))
            if tick % max(1, per_second // 2) == 0:
                self.sample_cpu()
            tick += 1
            self._stop.wait(self.every)

    def _find(self) -> None:
        for trees in (self.server_cpu, self.client_cpu):
            if trees is not None:
                trees.find_members()

    def sample_cpu(self) -> None:
        self.server_cpu.sample()
        if self.client_cpu:
            self.client_cpu.sample()

    def __enter__(self):
        self._find()
        self.sample_cpu()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._find()
        self.sample_cpu()
