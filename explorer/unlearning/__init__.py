"""Unlearning methods behind one registry. Importing this package registers every method: each module of the
package (a name without a leading underscore) is imported and registers its methods with ``@register``, so
adding a method is one module. The comparison table lists the methods in :data:`FIRST` order, then the others
by module name."""
import importlib
import pkgutil

from explorer.unlearning.base import (  # noqa: F401
    METHODS, DataAccess, MethodSpec, Preset, Recorder, RunContext, UnlearnData, UnlearnResult,
    get_method, method_names, register, run_method,
)

# JiT and the reference first, then the baselines the paper compares against, in its order.
FIRST = ("jit", "retrain", "finetune", "neggrad", "random_labels", "greedy", "ssd", "bad_teacher", "scrub", "noise")


def _discover() -> None:
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name != "base"]
    for name in sorted(names, key=lambda n: (FIRST.index(n) if n in FIRST else len(FIRST), n)):
        importlib.import_module(f"{__name__}.{name}")


_discover()
