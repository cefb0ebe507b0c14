import pytest
import torch

from explorer.scenarios import default_scenario
from explorer import pipeline
from explorer.engine.device import torch_threads


@pytest.fixture(scope="session")
def moons_trained():
    """The default moons scenario's trained original (shared: tests must not mutate it)."""
    scenario = default_scenario("moons")
    return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))


@pytest.fixture(scope="session")
def two_blobs_trained():
    scenario = default_scenario("two_blobs")
    return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))


@pytest.fixture(scope="session")
def small_moons():
    """120-point moons and its trained original, trained on one thread (shared: tests must not mutate it)."""
    scenario = default_scenario("moons", samples=120)
    with torch.random.fork_rng(), torch_threads(1):
        return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))
