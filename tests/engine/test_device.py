import pytest
import torch

from explorer.engine import device as dev


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert dev.pick_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(dev, "mps_available", lambda: True)
    assert dev.pick_device("auto").type == "mps"
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    assert dev.pick_device("auto").type == "cpu"


def test_explicit_devices(monkeypatch):
    assert dev.pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA"):
        dev.pick_device("cuda")
    monkeypatch.setattr(dev, "mps_available", lambda: False)
    with pytest.raises(ValueError, match="MPS"):
        dev.pick_device("mps")
    with pytest.raises(ValueError, match="unknown device"):
        dev.pick_device("tpu")


def test_device_label_names_the_device():
    assert dev.device_label(torch.device("cpu")).startswith("cpu (")


@pytest.mark.cuda  # deselected by default (no GPU in CI); run with `pytest -m cuda` on a GPU machine
def test_jit_runs_on_cuda_and_matches_cpu():
    from explorer.engine.models import build_model
    from explorer.config.model import ModelConfig
    from explorer.unlearning.jit import jit_loss
    from explorer.config.jit import JiTConfig
    assert torch.cuda.is_available(), "the cuda tests need a CUDA GPU"
    gpu_device = dev.pick_device("auto")
    assert gpu_device.type == "cuda"
    model = build_model(ModelConfig(), 2, 2, seed=0)
    x, noise = torch.randn(8, 2), torch.randn(5, 8, 2)
    cpu = jit_loss(model, x, noise, JiTConfig()).item()
    gpu = jit_loss(model.to(gpu_device), x.to(gpu_device), noise.to(gpu_device), JiTConfig()).item()
    assert gpu == pytest.approx(cpu, rel=1e-4)
