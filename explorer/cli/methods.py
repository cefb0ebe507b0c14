"""``python -m explorer methods``: every registered method (built-in or from a plugin), what data it uses, and its
presets with sources; then any plugin that could not be loaded, and why."""
from __future__ import annotations

NAME = "methods"


def add_parser(sub):
    return sub.add_parser("methods", help="list the registered unlearning methods and their presets")
