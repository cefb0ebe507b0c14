"""``python -m explorer methods``: every registered method, what data it uses, its presets with sources, and
its settings with their ranges."""
from __future__ import annotations

from explorer.config.fields import settings_of
from explorer.unlearning import METHODS


def command(_args) -> int:
    for name, spec in METHODS.items():
        print(f"{name}: {spec.summary} [uses {spec.access.describe()}; "
              f"{'zero-shot' if spec.access.zero_shot else 'not zero-shot'}]")
        for preset, entry in spec.presets.items():
            print(f"    preset {preset}: {entry.source}")
        defaults = spec.default_config()
        for field, declared in settings_of(spec.config_cls).items():
            print(f"    setting {field} = {getattr(defaults, field)!r}: {declared.describe()}")
    return 0
