import numpy as np
import pytest
import torch

from explorer.engine.models import build_model, predict_proba
from explorer.config.model import ModelConfig
from explorer.engine.training import train
from explorer.config.training import TrainConfig, default_train_config
from toy_data import default_spec, load_dataset

CPU = torch.device("cpu")


@pytest.mark.parametrize("name, min_test_acc", [
    ("moons", 0.95), ("circles", 0.95), ("blobs", 0.95), ("xor", 0.93), ("spiral", 0.9), ("two_blobs", 0.95),
])
def test_2d_training_converges(name, min_test_acc):
    data = load_dataset(default_spec(name))
    model = build_model(ModelConfig(), 2, data.n_classes, seed=0)
    trained, history = train(model, data.x_train, data.y_train, default_train_config(False), CPU)
    assert history.converged, f"{name} stopped at the epoch cap without converging"
    assert history.train_acc >= 0.97
    assert (predict_proba(trained, data.x_test).argmax(1) == data.y_test).mean() >= min_test_acc
    assert history.loss[-1] < history.loss[0] / 5


def test_two_blobs_model_fits_the_high_information_target():
    data = load_dataset(default_spec("two_blobs"))
    model = build_model(ModelConfig(), 2, 2, seed=0)
    trained, _ = train(model, data.x_train, data.y_train, default_train_config(False), CPU)
    target = data.named_points["high_information_target"]
    assert predict_proba(trained, data.x_train[target:target + 1]).argmax() == 1


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_digits_training_reaches_high_accuracy(kind):
    data = load_dataset(default_spec("digits"))
    model = build_model(ModelConfig(kind=kind, width=64), 64, 10, data.image_shape, seed=0)
    trained, history = train(model, data.x_train, data.y_train, default_train_config(True), CPU)
    assert (predict_proba(trained, data.x_test).argmax(1) == data.y_test).mean() >= 0.93


def test_same_seed_same_weights_and_the_input_model_is_untouched():
    data = load_dataset(default_spec("moons"))
    model = build_model(ModelConfig(), 2, 2, seed=5)
    before = [p.detach().clone() for p in model.parameters()]
    cfg = TrainConfig(epochs=50)
    a, _ = train(model, data.x_train, data.y_train, cfg, CPU)
    b, _ = train(model, data.x_train, data.y_train, cfg, CPU)
    for pa, pb, p0, p in zip(a.parameters(), b.parameters(), before, model.parameters()):
        assert torch.equal(pa, pb)
        assert torch.equal(p0, p)
    other = build_model(ModelConfig(), 2, 2, seed=6)
    assert not torch.equal(next(other.parameters()), next(model.parameters()))


def test_minibatch_training_is_deterministic_too():
    data = load_dataset(default_spec("moons"))
    model = build_model(ModelConfig(), 2, 2, seed=0)
    cfg = TrainConfig(epochs=5, batch_size=32)
    a, _ = train(model, data.x_train, data.y_train, cfg, CPU)
    b, _ = train(model, data.x_train, data.y_train, cfg, CPU)
    assert all(torch.equal(pa, pb) for pa, pb in zip(a.parameters(), b.parameters()))


def test_progress_callback_and_history():
    data = load_dataset(default_spec("moons"))
    calls = []
    _, history = train(build_model(ModelConfig(), 2, 2), data.x_train, data.y_train, TrainConfig(epochs=60, patience=1000),
                       CPU, progress=lambda e, total, loss: calls.append((e, total, loss)))
    assert history.epochs_run == 60 and len(history.loss) == 60 and not history.converged
    assert calls and calls[-1][0] == 60 and all(np.isfinite(c[2]) for c in calls)
    assert history.seconds > 0


@pytest.mark.parametrize("bad", [dict(lr=0), dict(epochs=0), dict(batch_size=-1), dict(optimizer="lion")])
def test_bad_training_settings_are_refused(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad).validate()


@pytest.mark.parametrize("bad", [dict(kind="rnn"), dict(activation="swishy"), dict(depth=-1), dict(width=0)])
def test_bad_model_settings_are_refused(bad):
    with pytest.raises(ValueError):
        build_model(ModelConfig(**bad), 2, 2)


def test_cnn_needs_images():
    with pytest.raises(ValueError, match="image"):
        build_model(ModelConfig(kind="cnn"), 2, 2)
