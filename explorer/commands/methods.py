"""``python -m explorer methods``: every registered method (loading the registry loads torch), its data access and
presets, then any plugin that could not be loaded."""
from __future__ import annotations

from explorer.unlearning import METHODS
from explorer.unlearning.base import BUILT_IN
from explorer.unlearning.plugins import ERRORS


def command(_args) -> int:
    for name, spec in METHODS.items():
        origin = "" if spec.origin == BUILT_IN else f" (from {spec.origin})"
        print(f"{name}{origin}: {spec.summary} [uses {spec.access.describe()}; "
              f"{'zero-shot' if spec.access.zero_shot else 'not zero-shot'}]")
        for preset, entry in spec.presets.items():
            print(f"    preset {preset}: {entry.source}")
    for why in ERRORS.values():
        print(f"not loaded: {why}")
    return 0
