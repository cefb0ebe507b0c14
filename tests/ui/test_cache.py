"""The one model cache of both pages: bounded, keyed by what determines a trained model."""
from dataclasses import replace

from explorer.config.scenario import ForgetSpec, default_scenario
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
