"""Each method prices its own work: the estimate registered with it (``register(..., work=...)``) is the one the
work budget reads, before any run starts."""
from __future__ import annotations

from dataclasses import dataclass, replace

from explorer import pipeline
from explorer.config import limits
from explorer.config.declare import SECTIONS, Settings
from explorer.config.jit import JiTConfig
from explorer.scenarios import default_scenario
from explorer.unlearning import METHODS, DataAccess, register
from explorer.unlearning.base import BUILT_IN
from toy_data import load_dataset


def test_every_built_in_method_registers_its_own_estimate():
    missing = [name for name, spec in METHODS.items()
               if spec.origin == BUILT_IN and name != "retrain" and name not in limits.WORK]
    assert not missing


def test_jit_counts_its_perturbations_its_passes_and_the_step_guard():
    cfg = JiTConfig(passes=10, perturbations=25, batch_size=8, max_step_change=0.0)
    forwards, steps = limits.method_work("jit", cfg, 300, 20, 2)
    assert (forwards, steps) == (10 * 20 * 28, 10 * 3)  # N + 3 forwards a sample; 3 batches of 8 per pass
    guarded, _ = limits.method_work("jit", replace(cfg, max_step_change=0.05), 300, 20, 2)
    assert guarded - forwards == 10 * 20 * 2 * 26  # the guard's two forwards of x and its N perturbations


def test_a_new_method_is_priced_by_the_estimate_it_registers():
    @dataclass(frozen=True)
    class CostlyConfig(Settings, section="costly_probe"):
        epochs: int = 1

    def costly(model, data, config, ctx):
        raise AssertionError("never run: only priced")

    register("costly_probe", config=CostlyConfig, access=DataAccess(forget_inputs=True), summary="a probe",
             work=lambda cfg, n_train, n_forget, n_classes: (1e12, 1))(costly)
    try:
        scenario = replace(default_scenario("moons"), method="costly_probe")
        work = pipeline.work(scenario, load_dataset(scenario.dataset), 5)
        assert work.parts["costly_probe"] > limits.WORK_BUDGET  # the registered estimate, not the default one
        assert limits.method_work("costly_probe", CostlyConfig(), 300, 5, 2) == (1e12, 1)
    finally:
        METHODS.pop("costly_probe", None)
        limits.WORK.pop("costly_probe", None)
        SECTIONS.pop("costly_probe", None)
    assert limits.method_work("costly_probe", CostlyConfig(), 300, 5, 2) == limits.default_work(CostlyConfig(), 300, 5, 2)
