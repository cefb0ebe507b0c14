"""``run``'s setting flags are generated from the declarations: one per declared field of the data, model and
training configs and of the scenario, each help with its range and unit; an out-of-range value gets the one
checker's line from the flag, from a scenario file and (JiT) from ``--set``; parsing loads no engine."""
import copy
import math
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from explorer.cli import build_parser, flags, main
from explorer.commands.run import apply_sets
from explorer.config import declare
from explorer.config.scenario import Scenario, ScenarioError
from explorer.scenarios import default_scenario
from explorer.config.model import ModelConfig
from explorer.config.training import TrainConfig
from explorer.stages import validate
from explorer.config.dataset import DatasetSpec

ROOT = Path(__file__).resolve().parents[2]
# Fields that are not one value: chosen by their own flags (--data-file, --forget-*, --compare, --set,
# --preset) or by editing data in the app.
STRUCTURED = {"edits", "file", "dataset", "model", "train", "forget", "compare", "configs", "presets", "audit"}


def run_help() -> str:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices["run"].format_help()


def test_every_field_of_the_data_model_training_and_scenario_configs_has_a_flag_with_its_range():
    text = run_help()
    by_path = {flag.path: flag for flag in flags.SCENARIO_FLAGS}
    for prefix, cls in (("dataset.", DatasetSpec), ("model.", ModelConfig), ("train.", TrainConfig), ("", Scenario)):
        for field in fields(cls):
            if field.name in STRUCTURED:
                continue
            flag = by_path.get(prefix + field.name)
            assert flag is not None, f"no flag for {prefix}{field.name}"
            assert f"--{flag.name}" in text
            if flag.declared.lo is not None or flag.declared.choices:
                described = " ".join(flag.declared.describe().split())
                assert described in " ".join(text.split()), (flag.name, described)


def test_todays_flag_names_still_parse():
    names = ["--samples", "--noise", "--classes", "--seed", "--test-fraction", "--model", "--depth", "--width",
             "--activation", "--epochs", "--lr", "--weight-decay", "--batch-size", "--sigma", "--eta",
             "--perturbations", "--passes", "--jit-batch-size", "--output-space", "--reduction",
             "--detach-perturbed", "--clamp-to-batch-range", "--accumulate-grads", "--train-mode", "--seeds",
             "--device", "--record-every", "--grid-resolution", "--lipschitz-sigma", "--lipschitz-space", "--method"]
    text = run_help()
    assert all(name in text for name in names), [n for n in names if n not in text]


def _outside(declared: declare.Limit):
    """A value its declaration refuses: past the top, else below the bottom, else a word for a choice."""
    if declared.choices:
        return "nope"
    if declared.hi is not None:
        return declared.kind(declared.hi * 2 + 1)
    return declared.kind(declared.lo - 1) if declared.lo is not None else None


def _cli_line(capsys, flag: flags.Flag, value) -> str:
    assert main(["run", "--forget-ids", "1", f"--{flag.name}={value}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err.strip().removeprefix("error: ")


SCENARIO_CASES = [f for f in flags.SCENARIO_FLAGS if f.declared.kind is not bool and _outside(f.declared) is not None]
JIT_CASES = [f for f in flags.JIT_FLAGS if f.declared.kind is not bool]


@pytest.mark.parametrize("flag", SCENARIO_CASES, ids=lambda f: f.name)
def test_an_out_of_range_setting_gets_the_same_line_from_the_flag_and_a_scenario_file(flag, capsys):
    value = _outside(flag.declared)
    line = _cli_line(capsys, flag, value)
    assert line.startswith(f"{flag.path} must be ")
    raw = copy.deepcopy(default_scenario("moons").to_dict())
    head, _, name = flag.path.rpartition(".")
    (raw[head] if head else raw)[name] = value
    with pytest.raises(ScenarioError) as refused:
        validate(Scenario.from_dict(raw))
    assert str(refused.value) == line


@pytest.mark.parametrize("flag", JIT_CASES, ids=lambda f: f.name)
def test_a_jit_setting_out_of_range_gets_the_same_line_from_the_flag_set_and_a_scenario_file(flag, capsys):
    value = _outside(flag.declared)
    line = _cli_line(capsys, flag, value)
    assert line.startswith(f"{flag.path} must be ")
    name = flag.path.partition(".")[2]
    with pytest.raises(ScenarioError) as by_set:
        apply_sets(default_scenario("moons"), [f"jit.{name}={value}"])
    assert str(by_set.value) == line
    raw = {**default_scenario("moons").to_dict(), "configs": {"jit": {name: value}}}
    with pytest.raises(ScenarioError) as by_file:
        validate(Scenario.from_dict(raw))
    assert str(by_file.value) == line


@pytest.mark.parametrize("flag", [f for f in [*flags.SCENARIO_FLAGS, *flags.JIT_FLAGS] if f.declared.kind is float],
                         ids=lambda f: f.name)
def test_a_non_finite_number_is_refused_by_its_flag(flag, capsys):
    assert _cli_line(capsys, flag, math.inf) == f"{flag.path} must be a finite number, got inf"


def test_parsing_and_refusing_load_neither_torch_nor_scikit_learn():
    code = ("import sys\n"
            "from explorer.cli import main\n"
            "assert main(['run', '--forget-ids', '1', '--sigma', 'inf']) == 2\n"
            "try:\n"
            "    main(['run', '--help'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'scipy') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
