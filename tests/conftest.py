import pytest
import torch

from explorer.config.scenario import default_scenario
from explorer import pipeline


@pytest.fixture(scope="session")
def moons_trained():
    """The default moons scenario's trained original (shared: tests must not mutate it)."""
    scenario = default_scenario("moons")
    return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))


@pytest.fixture(scope="session")
def two_blobs_trained():
    scenario = default_scenario("two_blobs")
    return scenario, pipeline.train_original(scenario, device=torch.device("cpu"))
