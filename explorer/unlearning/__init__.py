"""Unlearning methods behind one registry. Importing this package registers every method."""
from explorer.unlearning.base import (  # noqa: F401
    METHODS, DataAccess, MethodSpec, Preset, Recorder, RunContext, UnlearnData, UnlearnResult,
    get_method, method_names, register, run_method,
)
from explorer.unlearning import jit, retrain  # noqa: F401,E402  (registration side effects)
# The baselines the paper compares against, registered in the order the comparison table lists them.
from explorer.unlearning import finetune, neggrad, random_labels, greedy, ssd, bad_teacher, scrub  # noqa: F401,E402,I001
from explorer.unlearning import noise  # noqa: F401,E402  (UNSIR and EMMN: whole classes only)
