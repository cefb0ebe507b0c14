"""The one exception of bad user input, apart from the scenario that raises it most: the command line's parse
layer catches it without importing the engine (explorer/config/scenario.py imports torch through the configs)."""


class ScenarioError(ValueError):
    """Bad user input; the message is one line meant for the user."""


# Where a study's independent jobs may run (explorer/studies/runner.py runs them): named here so that the
# command line offers the choices before the runner, which imports torch, loads.
BACKENDS = ("auto", "serial", "threads", "processes", "ray")
