"""Unlearning methods behind one registry. Importing this package registers every method."""
from explorer.unlearning.base import (  # noqa: F401
    METHODS, DataAccess, MethodSpec, Preset, Recorder, RunContext, UnlearnData, UnlearnResult,
    get_method, method_names, register, run_method,
)
from explorer.unlearning import jit, retrain  # noqa: F401,E402  (registration side effects)
