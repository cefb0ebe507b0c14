"""Adding a dataset is one decorated function: the pages, the CLI and the defaults read the registry."""
import numpy as np
import pytest

from toy_data import DATASETS, INFO, image_dataset_names, toy_dataset_names
from toy_data.base import DEFAULTS, register_dataset, split


@pytest.fixture
def tiny_images():
    @register_dataset("tiny_images", title="tiny 4×4 stripes", images=True, samples=80, noise=0.0, classes=2,
                      about="Horizontal vs vertical stripes, made up for this test.")
    def make(spec):
        rng = np.random.default_rng(spec.seed)
        y = np.arange(spec.samples) % 2
        x = np.stack([np.tile([[1, 0, 1, 0]], (4, 1)) if c else np.tile([[1], [0], [1], [0]], (1, 4)) for c in y])
        x = (x + 0.1 * rng.standard_normal(x.shape)).reshape(len(y), -1).astype(np.float32)
        return split("tiny_images", x, y, spec, 2, image_shape=(1, 4, 4), class_names=["vertical", "horizontal"])
    yield "tiny_images"
    for table in (DATASETS, DEFAULTS, INFO):
        table.pop("tiny_images", None)


def test_a_new_image_dataset_reaches_the_images_page_the_cli_and_the_defaults(tiny_images):
    from explorer.cli import main
    from explorer.scenarios import default_scenario
    from explorer.ui.images import CONTROLS
    from toy_data.images import IMAGE_DATASETS

    assert tiny_images in image_dataset_names() and tiny_images in IMAGE_DATASETS
    assert tiny_images not in toy_dataset_names()
    picker = next(c for c in CONTROLS if c.path == "dataset.name")
    assert tiny_images in picker.options() and picker.format_func(tiny_images) == "tiny 4×4 stripes"
    assert default_scenario(tiny_images).model.kind == "cnn"
    assert main(["run", "--dataset", tiny_images, "--forget-class", "1", "--epochs", "5", "--passes", "1",
                 "--threads", "1", "--out", "/dev/null"]) == 0
