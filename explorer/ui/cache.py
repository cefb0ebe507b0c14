"""One bounded model cache shared by both pages and every session: the trained original per data/model/
training settings and the retrain reference per forget set. Values are computed outside any Streamlit-
cached function so their progress bars can draw (Streamlit cannot replay a cached function's elements),
in the worker pool the sessions share (explorer/ui/pool.py)."""
from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict

import streamlit as st

from explorer import pipeline
from explorer.pipeline import Trained
from explorer.config.scenario import Scenario
from explorer.ui import pool

log = logging.getLogger("explorer.cache")

TRAINED_SIZE = 8  # trained originals (a few MB each at most)
RETRAIN_SIZE = 48  # retrain references (one per forget set)
RESULT_SIZE = 8  # finished runs with their figures (a few MB each: the recorded grid probabilities)


class LRU:
    """A small thread-safe least-recently-used map (sessions run in threads of one server process)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()
        self.making: dict = {}  # key -> the lock held while one session computes it

    def get_or_make(self, key, make):
        """The cached value, or ``make()``'s. Sessions asking for the same key at once wait for the one that
        computes it (a class opening one link trains once, not thirty times); a failure lets the next try."""
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
            except BaseException:
                with self.lock:
                    self.making.pop(key, None)
                raise
            with self.lock:  # stored and released together: nobody arrives between the two and recomputes
                self.making.pop(key, None)
                self.items[key] = value
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return value

    def __contains__(self, key) -> bool:
        with self.lock:
            return key in self.items

    def __len__(self) -> int:
        return len(self.items)


@st.cache_resource(show_spinner=False)
def _store() -> dict[str, LRU]:
    return {"trained": LRU(TRAINED_SIZE), "retrain": LRU(RETRAIN_SIZE), "result": LRU(RESULT_SIZE)}


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
    if not ids or key in store or key in store.making or not pool.idle():
        return False

    def make():
        try:
            retrain_for(scenario, trained, pipeline.resolve_forget(scenario, trained.data, ids))
        except Exception:  # noqa: BLE001 - a prefetch that fails costs nothing: Unlearn computes and reports it
            log.debug("prefetching a retrain reference failed", exc_info=True)
    threading.Thread(target=make, name="explorer-prefetch", daemon=True).start()
    return True


def result_for(key: str, make):
    """A finished run and its figures for this exact scenario and forget set. Runs are seeded, so every session
    asking for the same one (a class pressing Unlearn on one shared link) gets the run one of them computed.
    Shared: never mutate what it returns."""
    return _store()["result"].get_or_make(key, make)
