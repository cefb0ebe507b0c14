"""Benchmarks, not tests: scripts that measure and report ratios (``python -m explorer bench``).

``engine`` — JiT's batched engine against the published code's loop and the compute floor, and each
method's time; ``app`` — the 2D page from pressing Unlearn to a built animation; ``images`` — the images
page's training and unlearning; ``seeds`` — K training seeds against one on the page's run path. Nothing outside this package imports it except the CLI's ``bench``."""
from explorer.bench.engine import (METHOD_CASES, engine_vs_loop, method_scenario, reference_loop_loss,  # noqa: F401
                                   format_table, run_all)
