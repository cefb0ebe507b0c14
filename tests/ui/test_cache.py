"""The one model cache of both pages: bounded, keyed by what determines a trained model."""
from dataclasses import replace

from explorer.config.scenario import ForgetSpec
from explorer.scenarios import default_scenario
from explorer.ui.cache import LRU, training_key


def test_lru_keeps_the_most_recently_used_and_makes_each_value_once():
    made = []
    lru = LRU(2)
    for k in ["a", "b", "a", "c", "a", "b"]:
        lru.get_or_make(k, lambda k=k: made.append(k) or k.upper())
    assert made == ["a", "b", "c", "b"]  # "b" was evicted by "c" (the least recently used), "a" never
    assert len(lru) == 2 and "a" in lru and "b" in lru and "c" not in lru


def test_the_training_key_ignores_what_does_not_change_the_trained_model():
    base = default_scenario("moons")
    assert training_key(base) == training_key(replace(base, method="neggrad", forget=ForgetSpec(ids=(3,)),
                                                      configs={"jit": {"sigma": 0.5}}, compare=("scrub",)))
    assert training_key(base) != training_key(replace(base, train=replace(base.train, epochs=7)))
    assert training_key(base) != training_key(replace(base, grid_resolution=50))


def test_sessions_asking_for_the_same_key_at_once_compute_it_once():
    import threading
    import time

    from explorer.ui.cache import LRU

    cache, calls = LRU(2), []

    def make():
        calls.append(1)
        time.sleep(0.2)
        return 42

    threads = [threading.Thread(target=cache.get_or_make, args=("k", make)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and cache.get_or_make("k", make) == 42


# ---- bounded by bytes, keeping what live sessions show ------------------------------------------------

def test_sizeof_counts_arrays_tensors_models_and_figures_once():
    import numpy as np
    import plotly.graph_objects as go
    import torch

    from explorer.ui.cache import sizeof

    a = np.zeros(1000, dtype=np.float32)
    assert sizeof([a, a, a[:10]]) < 4000 + 500  # one buffer, however often referenced
    model = torch.nn.Linear(100, 10)
    assert 4 * 1010 <= sizeof(model) < 4 * 1010 + 100
    fig = go.Figure(data=[go.Heatmap(z=np.zeros((100, 100)))], frames=[go.Frame(data=[go.Heatmap(z=np.ones((100, 100)))])])
    assert sizeof(fig) >= 2 * 8 * 100 * 100
    assert sizeof({"x": a}, skip=(np.ndarray,)) < 1000


def blob(mb: int):
    import numpy as np

    return np.zeros(mb * 2**20, dtype=np.uint8)


def test_the_byte_bound_evicts_what_no_session_shows_first():
    from explorer.ui.cache import LRU, Showing

    showing = Showing()
    lru = LRU(100, max_bytes=10 * 2**20, kind="result", showing=showing)
    showing.show("result", "a", 1, session="alice")  # alice looks at "a"
    lru.get_or_make("a", lambda: blob(4))
    showing.show("result", "b", 1, session="bob")
    lru.get_or_make("b", lambda: blob(4))
    showing.show("result", "c", 1, session="bob")  # bob moved on: "b" is shown by nobody now
    lru.get_or_make("c", lambda: blob(4))
    assert "a" in lru and "c" in lru and "b" not in lru and lru.bytes <= 10 * 2**20
    showing.show("result", "d", 1, session="carol")
    lru.get_or_make("d", lambda: blob(4))  # all shown and over the bound: the least recently used goes
    assert "a" not in lru and "c" in lru and "d" in lru and lru.bytes <= 10 * 2**20


def test_one_sessions_trainings_never_evict_the_model_another_live_session_shows(monkeypatch):
    from explorer.ui import cache

    class FakeRuntime:  # a real server: "alice" connected, everyone else gone
        live = {"alice", "bob"}

        @classmethod
        def exists(cls):
            return True

        @classmethod
        def instance(cls):
            return cls

        @classmethod
        def is_active_session(cls, session):
            return session in cls.live

    monkeypatch.setattr(cache, "Runtime", FakeRuntime)
    showing = cache.Showing()
    lru = cache.LRU(6, kind="trained", showing=showing, keep=4)
    showing.show("trained", "alice-model", 4, session="alice")
    lru.get_or_make("alice-model", lambda: "A")
    for i in range(8):  # bob trains eight other models
        showing.show("trained", f"bob-{i}", 4, session="bob")
        lru.get_or_make(f"bob-{i}", lambda: "B")
    assert "alice-model" in lru and len(lru) == 6  # bob's four latest, alice's, and one more
    FakeRuntime.live = {"bob"}  # alice closed her tab: what she showed is released
    showing.show("trained", "bob-new", 4, session="bob")
    lru.get_or_make("bob-new", lambda: "B")
    assert "alice-model" not in lru
