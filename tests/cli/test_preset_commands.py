"""Every preset of every method runs from the plain ``python -m explorer run`` command on the data its source
used (digits for the image presets, the 2D default for the rest): no budget refusal, no flag to learn first.
Each one goes through the command's own parsing and the work budget; the cheap ones are run for real."""
from __future__ import annotations

import json

import pytest

from explorer import pipeline
from explorer.cli import main
from explorer.cli.run import add_parser
from explorer.commands.run import scenario_from_args
from explorer.config import limits
from explorer.unlearning import METHODS

CLASS_ONLY = {name for name, spec in METHODS.items() if spec.access.class_level_only}
# Presets from this explorer (its own calibration, the paper's 2D Figure 2) use the 2D default; every other
# preset reproduces an image benchmark's script: digits, as the README's preset table runs them.
TWO_D = ("this explorer", "arXiv 2402.01401 Figure 2")


def _dataset(source: str) -> str:
    return "moons" if source.startswith(TWO_D) else "digits"


def _argv(method: str, preset: str, dataset: str) -> list[str]:
    argv = ["--dataset", dataset, "--method", method, "--preset", preset]
    if dataset == "digits":
        return argv + ["--model", "cnn", "--forget-class", "3"]
    return argv + (["--forget-class", "0"] if method in CLASS_ONLY else ["--forget-ids", "3,17,42"])


CASES = [(m, p, _dataset(spec.presets[p].source)) for m, spec in METHODS.items() for p in spec.presets]


def _scenario(argv):
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return scenario_from_args(parser.parse_args(["run", *argv]))


@pytest.mark.parametrize("method, preset, dataset", CASES, ids=[f"{m}/{p}@{d}" for m, p, d in CASES])
def test_every_preset_fits_the_budget_from_the_plain_command(method, preset, dataset):
    scenario = _scenario(_argv(method, preset, dataset))
    data = pipeline.load_data(scenario)
    pipeline.validate(scenario)
    ids = pipeline.resolve_forget(scenario, data)  # the budget check every entrance runs: raises when over
    assert pipeline.work(scenario, data, len(ids)).total <= limits.WORK_BUDGET


CHEAP = [(m, p, d) for m, p, d in CASES if d == "moons"]


@pytest.mark.parametrize("method, preset, dataset", CHEAP, ids=[f"{m}/{p}@{d}" for m, p, d in CHEAP])
def test_the_2d_presets_run_from_the_plain_command(method, preset, dataset, tmp_path):
    out = tmp_path / "report.json"
    assert main(["run", *_argv(method, preset, dataset), "--threads", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["models"][method]["metrics"]["test_acc"] is not None
