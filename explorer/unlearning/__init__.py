"""Unlearning methods behind one registry. Importing this package registers every method, built-in ones first,
then those of installed plugins (the entry point group ``unlearning_explorer.methods``: explorer/unlearning/plugins.py)."""
from explorer.unlearning.base import (  # noqa: F401
    METHODS, DataAccess, MethodError, MethodSpec, Preset, Recorder, RunContext, UndeclaredDataError, UnlearnData,
    UnlearnResult, get_method, method_names, register, run_method,
)
from explorer.unlearning import jit, retrain  # noqa: F401,E402  (registration side effects)
# The baselines the paper compares against, registered in the order the comparison table lists them.
from explorer.unlearning import finetune, neggrad, random_labels, greedy, ssd, bad_teacher, scrub  # noqa: F401,E402,I001
from explorer.unlearning import noise  # noqa: F401,E402  (UNSIR and EMMN: whole classes only)
from explorer.unlearning.plugins import load_plugins  # noqa: E402

load_plugins()  # after the built-ins: a plugin cannot take a built-in's name
