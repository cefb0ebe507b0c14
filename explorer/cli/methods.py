"""``python -m explorer methods``: every registered method (built-in or from a plugin), what data it uses, and its
presets with sources; then any plugin that could not be loaded, and why."""
from __future__ import annotations

NAME = "methods"


def add_parser(sub):
    return sub.add_parser("methods", help="list the registered unlearning methods and their presets")


def command(_args) -> int:
    from explorer.unlearning import METHODS
    from explorer.unlearning.base import BUILT_IN
    from explorer.unlearning.plugins import ERRORS

    for name, spec in METHODS.items():
        origin = "" if spec.origin == BUILT_IN else f" (from {spec.origin})"
        print(f"{name}{origin}: {spec.summary} [uses {spec.access.describe()}; "
              f"{'zero-shot' if spec.access.zero_shot else 'not zero-shot'}]")
        for preset, entry in spec.presets.items():
            print(f"    preset {preset}: {entry.source}")
    for why in ERRORS.values():
        print(f"not loaded: {why}")
    return 0
