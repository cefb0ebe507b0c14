"""Benchmarks, not tests: scripts that measure and report ratios (``python -m explorer bench``).

``engine`` — JiT's batched engine against the published code's loop and the compute floor, and each
method's time; ``app`` — the 2D page from pressing Unlearn to a built animation, in CPU-seconds per stage;
``images`` — the images page's training and unlearning; ``seeds`` — K training seeds against one on the page's
run path; ``audit`` — the privacy audit's reference models batched against one by one; ``load`` — a classroom's
sessions against a real server (``client`` speaks Streamlit's protocol, ``sessions`` are the students, ``procs``
reads /proc). Nothing
outside this package imports it except the CLI's ``bench``. The engine's names load on first use, so a load
client process (which imports ``sessions``) does not import torch."""
from importlib import import_module

_ENGINE = ("METHOD_CASES", "engine_vs_loop", "method_scenario", "reference_loop_loss", "format_table", "run_all")


def __getattr__(name: str):
    if name in _ENGINE:
        return getattr(import_module("explorer.bench.engine"), name)
    raise AttributeError(f"module 'explorer.bench' has no attribute {name!r}")
