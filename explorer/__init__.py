"""Unlearning explorer: train small classifiers, forget chosen samples with JiT and friends,
compare with a model retrained without them."""

__version__ = "0.1.0"
