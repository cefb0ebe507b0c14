"""Scenario + forget ids <-> URL query parameters; bad parameters fall back with a notice."""
from dataclasses import replace

import pytest

from explorer.config import urlstate as U
from explorer.config.model import ModelConfig
from explorer.scenarios import default_scenario


@pytest.mark.parametrize("ids", [[], [0], [1, 2, 3], [0, 2, 3, 4, 9, 10, 11, 50]])
def test_ids_round_trip(ids):
    text = U.encode_ids(ids)
    assert U.decode_ids(text) == ids


def test_ids_are_compact():
    assert U.encode_ids([5, 1, 2, 3, 9]) == "1-3,5,9"


@pytest.mark.parametrize("bad", ["a", "1,,2", "-3", "5-2", "1.5"])
def test_bad_ids_raise(bad):
    with pytest.raises(ValueError):
        U.decode_ids(bad)


def test_default_scenario_gives_short_params():
    assert U.to_params(default_scenario("moons")) == {"ds": "moons"}


def test_full_round_trip():
    s = default_scenario("blobs", classes=4, noise=0.3, seed=7, samples=300)
    s = replace(s, model=ModelConfig(depth=3, width=32, activation="tanh"),
                train=replace(s.train, lr=0.02, epochs=800, weight_decay=1e-4),
                method="jit", presets={"jit": "published"},
                configs={"jit": {"sigma": 0.3, "passes": 12, "clamp_to_batch_range": True}},
                seed=3, grid_resolution=80, compare=("finetune", "greedy"))
    params = U.to_params(s, [4, 5, 6, 20])
    assert params["cmp"] == "finetune,greedy"
    assert all(isinstance(v, str) for v in params.values())
    back, ids, notices = U.from_params(params)
    assert notices == []
    assert back == s
    assert ids == [4, 5, 6, 20]
    assert U.round_trip_ok(s, [4, 5, 6, 20])


def test_list_values_from_query_params_are_accepted():
    back, ids, notices = U.from_params({"ds": ["circles"], "f": ["1-2"]})
    assert back.dataset.name == "circles" and ids == [1, 2] and notices == []


def _setting(key: str) -> str:
    """The scenario path of a link key (d.samples: dataset.samples, grid: grid_resolution, c.jit.sigma: jit.sigma)."""
    head, _, name = key.partition(".")
    return f"{U.SECTIONS[head]}.{name}" if head in U.SECTIONS else name if head == "c" else U.TOP.get(key, key)


@pytest.mark.parametrize("key,value", [
    ("ds", "nope"), ("ds", "digits"), ("d.noise", "abc"), ("d.samples", "5"), ("d.classes", "99"),
    ("m.activation", "swish"), ("m.width", "0"), ("t.lr", "-1"), ("t.lr", "nan"), ("method", "magic"),
    ("p.jit", "nope"), ("c.jit.sigma", "-2"), ("c.jit.nosuch", "1"), ("c.nomethod.sigma", "1"),
    ("c.jit.output_space", "banana"), ("c.jit.train_mode", "maybe"), ("grid", "3"), ("device", "tpu"),
    ("f", "x,y"), ("d.name", "circles"), ("zzz", "1"), ("m.depth", "2.5"), ("cmp", "magic"),
    ("seed", "-5"), ("d.seed", "-5"), ("t.seed", "-1"), ("method", "retrain"),
])
def test_bad_params_fall_back_with_a_notice(key, value):
    params = {"ds": "moons", "d.noise": "0.3", "f": "1-3", key: value}
    if key == "ds":
        params = {"ds": value}
    scenario, ids, notices = U.from_params(params)
    clamped = notices[0].endswith(".") and "; using " in notices[0] and not notices[0].startswith("Ignored")
    named = _setting(key) if clamped else key  # a clamped value is named as the checker names it
    assert len(notices) == 1 and named in notices[0], notices
    default = default_scenario(scenario.dataset.name)
    if key == "ds":
        assert scenario.dataset.name == "moons"
    if key == "d.noise":
        assert scenario.dataset.noise == default.dataset.noise
    if key not in ("ds", "d.noise"):
        assert scenario.dataset.noise == 0.3  # the good parameters still apply
        assert ids == ([1, 2, 3] if key != "f" else [])
    # a value outside its range is clamped to the limit (named in the notice); anything else keeps its default
    if key == "m.width":
        assert scenario.model.width == 1 and notices[0].endswith("got 0; using 1.")
    if key == "t.lr":
        assert scenario.train.lr == default.train.lr
    if key.startswith("c.jit"):
        assert scenario.configs.get("jit", {}) == {}


def test_a_tuple_setting_round_trips_through_the_link():
    s = replace(default_scenario("moons"), method="scrub", configs={"scrub": {"lr_decay_epochs": (2, 4)}})
    params = U.to_params(s)
    assert params["c.scrub.lr_decay_epochs"] == "2,4"
    back, _, notices = U.from_params(params)
    assert back.configs["scrub"]["lr_decay_epochs"] == (2, 4) and not notices


def test_one_infinite_whole_number_is_named_and_the_rest_of_the_link_kept():
    params = {**U.to_params(replace(default_scenario("moons"), seed=7), [3, 17]), "d.samples": "inf"}
    scenario, ids, notices = U.from_params(params)
    assert list(ids) == [3, 17] and scenario.seed == 7
    assert any("d.samples" in n for n in notices)


def test_the_lipschitz_probe_travels_in_the_link_and_a_bad_one_is_named():
    s = replace(default_scenario("moons"), lipschitz_sigma=0.3, lipschitz_space="logits")
    params = U.to_params(s)
    assert (params["lip"], params["lip_space"]) == ("0.3", "logits")
    back, _, notices = U.from_params(params)
    assert (back.lipschitz_sigma, back.lipschitz_space, notices) == (0.3, "logits", [])
    _, _, notices = U.from_params({"ds": "moons", "lip": "-1", "lip_space": "bits"})
    assert len(notices) >= 1 and any("lip" in n for n in notices)


# ----------------------------------------------------------------------------------------------
# a hostile or careless link: clamped with a notice naming the value and the limit, or dropped alone

@pytest.mark.parametrize("key, value, path, expected, notice", [
    ("t.epochs", "50000", "train.epochs", 20000, "train.epochs must be between 1 and 20000 epochs, got 50000; using 20000."),
    ("t.lr", "20", "train.lr", 10.0, "train.lr must be > 0 and <= 10, got 20; using 10."),
    ("m.width", "5000", "model.width", 1024, "model.width must be between 1 and 1024 units, got 5000; using 1024."),
    ("d.samples", "50000", "dataset.samples", 20000,
     "dataset.samples must be between 20 and 20000 points, got 50000; using 20000."),
    ("d.samples", "5", "dataset.samples", 20, "dataset.samples must be between 20 and 20000 points, got 5; using 20."),
    ("t.patience", "0", "train.patience", 1, "train.patience must be between 1 and 20000 epochs, got 0; using 1."),
    ("grid", "401", "grid_resolution", 400,
     "grid_resolution must be between 10 and 400 cells per side, got 401; using 400."),
    ("seed", "1e20", "seed", 2**32 - 1, "seed must be between 0 and 4,294,967,295, got 1e+20; using 4,294,967,295."),
    ("d.noise", "-1", "dataset.noise", 0.0, "dataset.noise must be between 0 and 5, got -1; using 0."),
    ("c.jit.passes", "1000000000", "configs.jit.passes", 10000,
     "jit.passes must be between 1 and 10000 passes, got 1,000,000,000; using 10000."),
    ("c.jit.perturbations", "10000000", "configs.jit.perturbations", 1000,
     "jit.perturbations must be between 1 and 1000 perturbations per sample, got 10,000,000; using 1000."),
    ("c.unsir.noise_steps", "99999", "configs.unsir.noise_steps", 1000,
     "unsir.noise_steps must be between 1 and 1000 steps, got 99999; using 1000."),
    ("c.emmn.noise_copies", "1e12", "configs.emmn.noise_copies", 1000,
     "emmn.noise_copies must be between 1 and 1000 copies, got 1,000,000,000,000; using 1000."),
])
def test_out_of_range_numbers_clamp_to_the_limit_with_the_checkers_line(key, value, path, expected, notice):
    scenario, ids, notices = U.from_params({"ds": "moons", "f": "1-3", key: value})
    got = scenario
    for part in path.split("."):
        got = got[part] if isinstance(got, dict) else getattr(got, part)
    assert got == expected
    assert notices == [notice]
    assert ids == [1, 2, 3]


@pytest.mark.parametrize("key, value", [
    ("d.samples", "inf"), ("t.epochs", "nan"), ("c.jit.sigma", "0"), ("c.jit.sigma", "inf"),
    ("c.jit.passes", "true"), ("c.jit.train_mode", "2"), ("m.kind", "cnn"), ("device", "cpu:5"),
    ("device", "cuda:7"), ("t.optimizer", "rmsprop"), ("c.scrub.lr_decay_epochs", "a,b"), ("d.classes", "1e400"),
    ("t.lr", "0"), ("m.depth", "2.5"),
])
def test_an_unusable_value_is_dropped_alone_with_a_notice(key, value):
    params = {**U.to_params(replace(default_scenario("moons"), seed=7), [3, 17]), "d.noise": "0.3", key: value}
    scenario, ids, notices = U.from_params(params)
    assert len(notices) == 1 and key in notices[0], notices
    assert ids == [3, 17] and scenario.seed == 7 and scenario.dataset.noise == 0.3


def test_a_5kb_link_of_huge_ranges_is_clipped_in_milliseconds_without_memory():
    import time
    import tracemalloc

    f = ",".join(f"{i * 100000}-{i * 100000 + 99999}" for i in range(300))
    assert len(f) > 5000
    tracemalloc.start()
    started = time.perf_counter()
    scenario, ids, notices = U.from_params({"ds": "moons", "f": f})
    elapsed, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 20 * 2**20, (elapsed, peak)
    assert ids == list(range(scenario.dataset.samples))
    assert any("Dropped" in n and "29,999,600" in n for n in notices)


@pytest.mark.parametrize("f, why", [
    ("3,17,", "not an id"), (",".join(["1"] * 5000), "parts"), ("1-" + "9" * 30, "not an id"),
    ("x" * 70000, "characters"), ("١٢", "not an id"), ("5-2", "backwards"), ("-1", "out of range"),
])
def test_a_bad_id_list_is_named_and_the_forget_set_starts_empty(f, why):
    scenario, ids, notices = U.from_params({"ds": "moons", "d.noise": "0.3", "f": f})
    assert ids == [] and scenario.dataset.noise == 0.3
    assert len(notices) == 1 and "parameter f=" in notices[0] and why in notices[0], notices


def test_ids_beyond_the_dataset_are_dropped_with_a_notice():
    scenario, ids, notices = U.from_params({"ds": "moons", "d.samples": "100", "f": "5,99,100,10000000000000"})
    assert ids == [5, 99] and len(notices) == 1 and "Dropped 2 forget id(s)" in notices[0]
