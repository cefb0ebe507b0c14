"""Unlearning methods behind one registry. Importing this package registers every method: each module of the
package (a name without a leading underscore) is imported and registers its methods with ``@register``, so adding
a method is one module (README, "Adding a method"); then those of installed plugins (the entry point group
``unlearning_explorer.methods``: explorer/unlearning/plugins.py). The comparison table lists the methods in
:data:`FIRST` order, then the others by module name."""
import importlib
import pkgutil

from explorer.unlearning.base import (  # noqa: F401
    METHODS, DataAccess, MethodError, MethodSpec, Preset, Recorder, RunContext, UndeclaredDataError, UnlearnData,
    UnlearnResult, get_method, method_names, register, run_method,
)
from explorer.unlearning.plugins import load_plugins

# JiT and the reference first, then the baselines the paper compares against, in the order the table lists them;
# UNSIR and EMMN (noise: whole classes only) last.
FIRST = ("jit", "retrain", "finetune", "neggrad", "random_labels", "greedy", "ssd", "bad_teacher", "scrub", "noise")
NOT_METHODS = ("base", "plugins")


def _discover() -> None:
    found = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in NOT_METHODS]
    for name in sorted(found, key=lambda n: (FIRST.index(n) if n in FIRST else len(FIRST), n)):
        importlib.import_module(f"{__name__}.{name}")


_discover()
load_plugins()  # after the built-ins: a plugin cannot take a built-in's name
