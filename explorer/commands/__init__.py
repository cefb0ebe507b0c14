"""What each command of ``python -m explorer`` does once its command line has parsed and passed the light layer's
checks (:mod:`explorer.cli`): one module per command, loaded by name, which imports the engine at its top."""
