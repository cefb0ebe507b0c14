"""Scenario files as a careless or hostile user writes them: every wrong type, non-finite number, oversized or
deeply nested file is one line before any work, in well under a second and without large memory."""
import json
import time
import tracemalloc

import pytest

from explorer import pipeline
from explorer.cli.common import MAX_SCENARIO_BYTES, read_scenario_file
from explorer.config.scenario import ForgetSpec, Scenario, ScenarioError
from explorer.scenarios import default_scenario
from toy_data import load_dataset


def _fails_fast(fn, message):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScenarioError, match=message) as err:
            fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0 and peak < 200 * 2**20
    assert "\n" not in str(err.value)


def _validated(raw: dict):
    scenario = Scenario.from_dict(raw)
    pipeline.validate(scenario)
    return pipeline.resolve_forget(scenario, load_dataset(scenario.dataset))


CASES = [
    # the cases
    ({"forget": {"ids": [1.5, 17]}}, "whole numbers"),
    ({"forget": {"ids": [True]}}, "whole numbers"),
    ({"forget": {"ids": ["3"]}}, "whole numbers"),
    ({"forget": {"subclass": ["a", 0]}}, "sub-class"),
    ({"forget": {"ids": [1]}, "configs": {"jit": [1]}}, "configs.jit"),
    ({"forget": {"ids": [1]}, "configs": {"jit": {"passes": 1.5}}}, "jit.passes must be a whole number"),
    ({"forget": {"ids": [1]}, "configs": {"jit": {"passes": True}}}, "jit.passes must be a whole number"),
    ({"forget": {"ids": [1]}, "train": {"patience": -5}}, "train.patience"),
    ({"forget": {"ids": [1]}, "train": {"patience": 0}}, "train.patience"),
    ({"forget": {"point": [float("nan"), 0.0]}}, "finite"),
    ({"forget": {"point": [float("inf"), float("-inf")]}}, "finite"),
    # held out, of the same kinds
    ({"forget": {"ids": [float("inf")]}}, "whole numbers"),
    ({"forget": {"ids": list(range(30000))}}, "at most 20000"),
    ({"forget": {"ids": 5}}, "invalid scenario"),
    ({"forget": {"forget_class": 1.0}}, "ForgetSpec.forget_class"),
    ({"forget": {"random_fraction": float("nan")}}, "random forget fraction"),
    ({"dataset": {"samples": 1e10}}, "DatasetSpec.samples"),
    ({"dataset": {"samples": 10**9}, "forget": {"ids": [1]}}, "dataset.samples must be between 20 and 20000"),
    ({"dataset": {"noise": float("nan")}, "forget": {"ids": [1]}}, "dataset.noise must be a finite number"),
    ({"dataset": {"name": 5}}, "DatasetSpec.name"),
    ({"model": {"width": 10**7}, "forget": {"ids": [1]}}, "model.width"),
    ({"model": {"dropout": 2.0}, "forget": {"ids": [1]}}, "model.dropout"),
    ({"train": {"epochs": 10**9}, "forget": {"ids": [1]}}, "train.epochs"),
    ({"train": {"lr": float("inf")}, "forget": {"ids": [1]}}, "train.lr"),
    ({"configs": {"jit": {"perturbations": 10**7}}, "forget": {"ids": [1]}}, "jit.perturbations"),
    ({"configs": {"jit": {"sigma": 1e308}}, "forget": {"ids": [1]}}, "jit.sigma"),
    ({"configs": {"jit": {"output_space": 3}}, "forget": {"ids": [1]}}, "jit.output_space"),
    ({"method": "unsir", "configs": {"unsir": {"noise_steps": 10**6}}, "forget": {"ids": [1]}}, "unsir.noise_steps"),
    ({"compare": ["emmn"], "configs": {"emmn": {"noise_copies": 10**6}}, "forget": {"ids": [1]}}, "emmn.noise_copies"),
    ({"compare": "finetune", "forget": {"ids": [1]}}, "compare must be a list"),
    ({"presets": {"jit": 5}, "forget": {"ids": [1]}}, "presets.jit"),
    ({"configs": [], "forget": {"ids": [1]}}, "configs must be an object"),
    ({"grid_resolution": 10**6, "forget": {"ids": [1]}}, "grid_resolution"),
    ({"record_every": 0, "forget": {"ids": [1]}}, "record_every"),
    ({"seed": 2**40, "forget": {"ids": [1]}}, "seed"),
    ({"grid_resolution": 400, "configs": {"jit": {"passes": 10000}}, "model": {"width": 256}, "forget": {"ids": [1]}}, "work budget"),
]


@pytest.mark.parametrize("raw, message", CASES, ids=[str(i) for i in range(len(CASES))])
def test_a_bad_scenario_is_one_line_before_any_work(raw, message):
    _fails_fast(lambda: _validated(raw), message)


def test_a_good_scenario_still_loads():
    raw = default_scenario("moons").to_dict()
    raw["forget"]["ids"] = [1, 2]
    assert _validated(raw) == [1, 2]


def test_the_scenario_file_reader_stops_at_the_size_limit_and_at_deep_nesting(tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"forget": {"ids": list(range(400000))}}))
    assert big.stat().st_size > MAX_SCENARIO_BYTES
    _fails_fast(lambda: read_scenario_file(str(big)), "larger than 1 MB")
    _fails_fast(lambda: read_scenario_file("/dev/zero"), "not a regular file")  # a device never ends
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    _fails_fast(lambda: read_scenario_file(str(deep)), "nested too deeply")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{")
    _fails_fast(lambda: read_scenario_file(str(bad)), "cannot read scenario")


def test_forget_spec_types_are_checked_even_when_built_in_code():
    with pytest.raises(ScenarioError, match="whole numbers"):
        ForgetSpec(ids=(1.5,)).check_types()
