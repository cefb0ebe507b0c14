"""The shared caches of both pages and every session: the trained original per data/model/training settings, the
retrain reference per forget set, and finished runs with their figures. Values are computed outside any
Streamlit-cached function so their progress bars can draw (Streamlit cannot replay a cached function's elements),
in the worker pool the sessions share (explorer/ui/pool.py).

Each cache is bounded by a count and by bytes (:func:`sizeof` measures an entry when it is stored: class
probabilities dominate a finished run). A value a live session shows (it asked for it last) is kept: a
session's training never evicts the model another session is looking at; what no session shows goes first,
least recently used first, and a session that ends or moves on releases what it showed. Only when what live
sessions show exceeds the bound on its own does the least recently used of it go (the session keeps its own
reference; the cache no longer counts it twice)."""
from __future__ import annotations

import dataclasses
import json
import logging
import sys
import threading
from collections import OrderedDict

import numpy as np
import streamlit as st
import torch
from plotly.basedatatypes import BaseFigure
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from torch import nn

from explorer import pipeline
from explorer.pipeline import Trained
from explorer.config.scenario import Scenario
from explorer.ui import pool
from toy_data import Dataset

log = logging.getLogger("explorer.cache")

MB = 2**20
# (count, bytes, keys one session shows at once) per cache; the README states their sum as the bound.
BOUNDS = {"trained": (16, 256 * MB, 4),  # originals: both pages and the paper's figures
          "retrain": (48, 128 * MB, 4),  # one per forget set
          "result": (8, 512 * MB, 1),  # finished runs and their figures: one maximal run fits
          "lesson": (32, 64 * MB, 1)}  # the lessons' computed steps
MAX_SESSIONS = 512  # sessions remembered as showing something (the oldest forgotten first)


# ---- what an entry weighs -----------------------------------------------------------------------------

def sizeof(value, skip: tuple = ()) -> int:
    """Bytes held by ``value``: arrays, tensors and models counted by their buffers, figures by their data and
    frames, the explorer's own objects and containers walked, each object once. Instances of ``skip`` are not
    counted (they belong to another cache)."""
    seen: set = set()
    total, stack = 0, [value]
    while stack:
        obj = stack.pop()
        if obj is None or id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            root = obj
            while isinstance(root.base, np.ndarray):
                root = root.base
            if root is obj or id(root) not in seen:
                seen.add(id(root))
                total += root.nbytes
        elif isinstance(obj, torch.Tensor):
            storage = obj.untyped_storage()
            if ("storage", storage.data_ptr()) not in seen:  # views of one tensor share its storage: count it once
                seen.add(("storage", storage.data_ptr()))  # type: ignore[arg-type]
                total += storage.nbytes()
        elif isinstance(obj, nn.Module):
            stack.extend(obj.state_dict(keep_vars=True).values())
        elif isinstance(obj, BaseFigure):
            stack.extend([obj._data, obj._layout, *(frame._props for frame in obj._frame_objs)])
        elif isinstance(obj, dict):
            total += sys.getsizeof(obj)
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            total += sys.getsizeof(obj)
            stack.extend(obj)
        elif isinstance(obj, (str, bytes)):
            total += sys.getsizeof(obj)
        elif type(obj).__module__.startswith(("explorer", "toy_data")) and hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())  # the explorer's own objects: RunOutcome, Trajectory, Evaluator, ...
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name) for f in dataclasses.fields(obj))
    return total


# ---- what live sessions show ----------------------------------------------------------------------------

class Showing:
    """Which keys each live session asked for last, per cache (a few per session: both pages, the figures)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions: OrderedDict[str, dict[str, list]] = OrderedDict()

    def show(self, kind: str, key, keep: int, session: str | None = None) -> None:
        """``session`` (default: the one running this script) shows ``key`` of ``kind`` now, with the
        ``keep - 1`` it asked for before."""
        ctx = get_script_run_ctx() if session is None else None
        session = session or (ctx.session_id if ctx is not None else None)
        if session is None:
            return
        with self.lock:
            keys = self.sessions.setdefault(session, {}).setdefault(kind, [])
            if key in keys:
                keys.remove(key)
            keys.append(key)
            del keys[:-keep]
            self.sessions.move_to_end(session)
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)

    def keys(self, kind: str) -> set:
        """What live sessions show of ``kind``; sessions that ended are forgotten here."""
        with self.lock:
            if Runtime.exists():  # a real server: its sessions know whether they are still connected
                runtime = Runtime.instance()
                for session in [s for s in self.sessions if not runtime.is_active_session(s)]:
                    del self.sessions[session]
            return {key for shown in self.sessions.values() for key in shown.get(kind, [])}


# ---- the caches -----------------------------------------------------------------------------------------

class LRU:
    """A thread-safe least-recently-used map bounded by ``size`` entries and ``max_bytes`` (sessions run in
    threads of one server process), that keeps what live sessions show (``kind`` names it in ``showing``)."""

    def __init__(self, size: int, max_bytes: float = float("inf"), kind: str | None = None,
                 showing: Showing | None = None, keep: int = 1, skip: tuple = ()):
        self.size, self.max_bytes, self.kind, self.keep, self.skip = size, max_bytes, kind, keep, skip
        self.showing = showing or Showing()
        self.items, self.sizes, self.lock = OrderedDict(), {}, threading.Lock()
        self.making: dict = {}  # key -> the lock held while one session computes it

    @property
    def bytes(self) -> int:
        with self.lock:
            return sum(self.sizes.values())

    def get_or_make(self, key, make):
        """The cached value, or ``make()``'s. Sessions asking for the same key at once wait for the one that
        computes it (a class opening one link trains once, not thirty times); a failure lets the next try."""
        if self.kind:
            self.showing.show(self.kind, key, self.keep)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            key_lock = self.making.setdefault(key, threading.Lock())
        with key_lock:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
            try:
                value = make()
                size = sizeof(value, self.skip)
            except BaseException:
                with self.lock:
                    self.making.pop(key, None)
                raise
            shown = self.showing.keys(self.kind) if self.kind else set()
            with self.lock:  # stored and released together: nobody arrives between the two and recomputes
                self.making.pop(key, None)
                self.items[key], self.sizes[key] = value, size
                self._trim(shown)
        return value

    def _trim(self, shown: set) -> None:
        """Evict, least recently used first, what no live session shows, then (only if still over) the rest."""
        for protect in (True, False):
            for key in list(self.items):
                if len(self.items) <= self.size and sum(self.sizes.values()) <= self.max_bytes:
                    return
                if protect and key in shown:
                    continue
                del self.items[key], self.sizes[key]

    def __contains__(self, key) -> bool:
        with self.lock:
            return key in self.items

    def __len__(self) -> int:
        return len(self.items)


SHOWING = Showing()


def make_cache(kind: str, skip: tuple = ()) -> LRU:
    size, max_bytes, keep = BOUNDS[kind]
    return LRU(size, max_bytes, kind, SHOWING, keep, skip)


@st.cache_resource(show_spinner=False)
def _store() -> dict[str, LRU]:
    # A run's entry shares the trained original (and its data) with the "trained" cache: counted there.
    return {"trained": make_cache("trained"), "retrain": make_cache("retrain"),
            "result": make_cache("result", skip=(Trained, Dataset))}


def cached_bytes() -> dict[str, int]:
    """Bytes each shared cache holds now (the memory benchmark and the tests read it)."""
    return {name: lru.bytes for name, lru in _store().items()}


def training_key(scenario: Scenario) -> str:
    """What determines the trained original: data, model, training, device and the 2D grid."""
    d = scenario.to_dict()
    return json.dumps({k: d[k] for k in ("dataset", "model", "train", "device", "grid_resolution")}, sort_keys=True)


def is_trained(scenario: Scenario) -> bool:
    return training_key(scenario) in _store()["trained"]


def trained_for(scenario: Scenario, progress=None) -> Trained:
    """The trained original for these settings. Shared between sessions: never mutate it."""
    key = training_key(scenario)

    def make():
        settings = Scenario.from_dict(json.loads(key))
        return pool.run(pipeline.train_original, settings, progress=progress, device=pipeline.resolve_device(settings))
    return _store()["trained"].get_or_make(key, make)


def retrain_for(scenario: Scenario, trained: Trained, forget_ids, progress=None):
    """(model, seconds) of the retrain reference for this exact forget set. Shared: never mutate the model."""
    ids = tuple(sorted(set(int(i) for i in forget_ids)))

    def make():
        model, _, seconds = pool.run(pipeline.retrain_reference, scenario, trained, list(ids), progress=progress,
                                     device=trained.device)
        return model, seconds
    return _store()["retrain"].get_or_make((training_key(scenario), ids), make)


def prefetch_retrain(scenario: Scenario, trained: Trained, forget_ids) -> bool:
    """Start the retrain reference for this forget set in the background when a pool worker is free: a student
    usually presses Unlearn right after choosing points, and the reference is then ready or under way (Unlearn
    waits for it as for any session computing it). True when a prefetch started."""
    ids, store = tuple(sorted(set(int(i) for i in forget_ids))), _store()["retrain"]
    key = (training_key(scenario), ids)
    with store.lock:  # claimed here, so a second prefetch of the same set sees it under way at once
        if not ids or key in store.items or key in store.making or not pool.idle():
            return False
        store.making[key] = threading.Lock()  # the lock get_or_make then takes for this key

    def make():
        try:
            retrain_for(scenario, trained, pipeline.resolve_forget(scenario, trained.data, ids))
        except Exception:  # noqa: BLE001 - a prefetch that fails costs nothing: Unlearn computes and reports it
            log.debug("prefetching a retrain reference failed", exc_info=True)
            with store.lock:
                store.making.pop(key, None)
    threading.Thread(target=make, name="explorer-prefetch", daemon=True).start()
    return True


def result_for(key: str, make):
    """A finished run and its figures for this exact scenario and forget set. Runs are seeded, so every session
    asking for the same one (a class pressing Unlearn on one shared link) gets the run one of them computed.
    Shared: never mutate what it returns."""
    return _store()["result"].get_or_make(key, make)
