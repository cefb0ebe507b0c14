"""Pick the compute device once; everything else receives it explicitly."""
from __future__ import annotations

import ctypes
from contextlib import contextmanager

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def tune_cpu_allocator() -> bool:
    """On glibc, keep freed activation buffers of up to 32 MB in the heap instead of returning them
    to the OS. JiT's batched forward allocates ~10 MB of activations per step (N·B images through the
    CNN); with glibc's defaults each step paid mmap/munmap page faults, which made one big batch
    slower than 25 small ones. Idempotent; returns False where there is no glibc (macOS, Windows)."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED is None:
        try:
            libc = ctypes.CDLL("libc.so.6")
            m_trim_threshold, m_mmap_threshold = -1, -3
            _ALLOCATOR_TUNED = bool(libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
                                    and libc.mallopt(m_trim_threshold, 256 * 1024 * 1024))
        except (OSError, AttributeError):
            _ALLOCATOR_TUNED = False
    return _ALLOCATOR_TUNED


_ALLOCATOR_TUNED: bool | None = None


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` prefers CUDA, then Apple MPS, then CPU. An explicit name must be usable here."""
    tune_cpu_allocator()  # CPU-side buffers matter on every device (data, metrics, CPU fallbacks)
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = name.split(":")[0]
    if kind not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)} (or cuda:N)")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
    if kind == "mps" and not mps_available():
        raise ValueError("device 'mps' was asked for but Apple MPS is not available; use --device auto or cpu")
    return torch.device(name)


def page_devices() -> list[str]:
    """The devices a page offers: auto and cpu, and cuda / mps where this machine has them."""
    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if mps_available() else [])


def device_label(device: torch.device) -> str:
    """Human-readable name, e.g. 'cuda (NVIDIA H200)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        n = torch.get_num_threads()
        return f"cpu ({n} thread{'' if n == 1 else 's'})"
    return str(device)


@contextmanager
def torch_threads(n: int | None = 1):
    """Run a block with ``n`` intra-op threads, restoring the process-wide setting afterwards.

    The explorer's models are tiny: one thread avoids synchronisation overhead, and on a busy
    2-core machine it was 10x faster or more. ``None`` leaves the setting alone.
    """
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
