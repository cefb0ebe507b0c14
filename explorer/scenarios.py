"""Each dataset's default scenario: the MLP for 2D toys, the CNN for images, and the JiT preset the dataset starts
from. Apart from explorer/config/scenario.py because it reads the dataset registry (toy_data, which imports
scikit-learn), which the scenario's declarations and checks do not need."""
from __future__ import annotations

from explorer.config.jit import default_preset
from explorer.config.model import ModelConfig
from explorer.config.scenario import Scenario
from explorer.config.training import default_train_config
from toy_data import default_spec, image_dataset_names
from toy_data.files import FILE, is_images


def default_scenario(dataset: str = "moons", **dataset_overrides) -> Scenario:
    """Sensible defaults for a dataset: the MLP for 2D toys, the CNN for images."""
    spec = default_spec(dataset, **dataset_overrides)
    image = spec.name in image_dataset_names() or (spec.name == FILE and is_images(spec))
    model = ModelConfig(kind="cnn", width=64) if image else ModelConfig()
    train = default_train_config(image, seed=spec.seed)
    return Scenario(dataset=spec, model=model, train=train, presets={"jit": default_preset(spec.name)})
