"""``python -m explorer methods``: every registered method, what data it uses, and its presets with sources."""
from __future__ import annotations

NAME = "methods"


def add_parser(sub):
    return sub.add_parser("methods", help="list the registered unlearning methods and their presets")


def command(_args) -> int:
    from explorer.unlearning import METHODS

    for name, spec in METHODS.items():
        print(f"{name}: {spec.summary} [uses {spec.access.describe()}; "
              f"{'zero-shot' if spec.access.zero_shot else 'not zero-shot'}]")
        for preset, entry in spec.presets.items():
            print(f"    preset {preset}: {entry.source}")
    return 0
