"""The engine tests' shared trained model: a small moons scenario trained with one thread."""
import pytest
import torch

from explorer import pipeline
from explorer.scenarios import default_scenario


@pytest.fixture(scope="module")
def small():
    scenario = default_scenario("moons", samples=120)
    with torch.random.fork_rng():
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            trained = pipeline.train_original(scenario, device=torch.device("cpu"))
        finally:
            torch.set_num_threads(before)
    return scenario, trained
