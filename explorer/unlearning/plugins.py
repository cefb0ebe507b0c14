"""Methods from outside the package. Every installed distribution that declares an entry point in the group
``unlearning_explorer.methods`` is imported when the registry loads, and importing it registers its methods with
the same decorator, typed config, presets and data-access declaration as the built-in ones
(:func:`explorer.unlearning.register`); from then on a plugin method is a method like any other: the CLI's
``methods``, ``--method`` and ``--compare``, both pages' pickers and settings, the comparison table and the atlas.

A plugin that fails to import or whose registration is refused (a taken name, a config field without a declared
range, ...) is left out with one line in :data:`ERRORS` (``python -m explorer methods`` prints it); the package and
every other method load as usual. At run time a plugin method that raises, returns something other than a
trajectory, or reads data it did not declare is refused in one line (explorer/unlearning/base.py).

    # pyproject.toml of a plugin
    [project.entry-points."unlearning_explorer.methods"]
    my_method = "my_package.my_module"     # the module whose import registers the method
"""
from __future__ import annotations

import logging
from importlib.metadata import entry_points

from explorer.unlearning.base import BUILT_IN, METHODS, ORIGIN

GROUP = "unlearning_explorer.methods"
ERRORS: dict[str, str] = {}  # entry point name -> why it did not load (one line)
LOADED: set[str] = set()  # entry points already imported (loading again registers nothing new)


def load_plugins() -> list[str]:
    """Import every entry point of :data:`GROUP`; the names of the methods they registered."""
    added: list[str] = []
    for ep in entry_points(group=GROUP):
        if ep.value in LOADED:
            continue
        LOADED.add(ep.value)
        origin = f"plugin {ep.dist.name if ep.dist is not None else ep.name}"
        before = dict(METHODS)
        ORIGIN["now"] = origin
        try:
            ep.load()
            new = [n for n in METHODS if n not in before]
            if not new:
                raise ValueError("it registered no method: decorate a function with explorer.unlearning.register")
            added += new
        except Exception as err:  # noqa: BLE001 - one broken plugin must not stop the explorer
            METHODS.clear()
            METHODS.update(before)  # nothing half-registered stays
            text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            ERRORS[ep.name] = f"{origin} ({ep.value}) was not loaded: {text}"
            logging.getLogger("explorer").warning(ERRORS[ep.name])
        finally:
            ORIGIN["now"] = BUILT_IN
    return added
