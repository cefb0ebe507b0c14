"""One declaration per setting, one checker, one message: every declared field of the data, model, training, scenario
and JiT configs (read from the declarations, not listed by hand) gets a value outside its declaration through each
entrance — its CLI flag, ``--set PATH=VALUE``, a link (explorer/config/urlstate.py) and a scenario file (read by
``Scenario.from_dict`` and by the CLI's ``--scenario``) — and each entrance answers with the checker's one line (a
link clamps a number and says so after that line: "…; using 400.")."""
import json
from dataclasses import fields

import pytest

from explorer.cli import flags, main
from explorer.commands.run import apply_sets
from explorer.config import declare, urlstate
from explorer.config.dataset import DatasetSpec
from explorer.config.jit import JiTConfig
from explorer.config.model import ModelConfig
from explorer.config.scenario import Scenario, ScenarioError
from explorer.config.training import TrainConfig
from explorer.scenarios import default_scenario
from explorer.stages import validate

CONFIGS = (DatasetSpec, ModelConfig, TrainConfig, Scenario, JiTConfig)
LINK_SECTIONS = {attr: short for short, attr in urlstate.SECTIONS.items()}  # dataset: d, model: m, train: t


def _declared() -> list[tuple[str, declare.Limit]]:
    return [(declare.path_of(cls.section, f.name), f.metadata["limit"]) for cls in CONFIGS for f in fields(cls)
            if "limit" in f.metadata]


def _outside(declared: declare.Limit):
    """A value the declaration refuses (past the top, else below the bottom; a word that is not a choice), or None
    where none exists: a switch takes any true/false, free text (dataset, method, device names) is checked against
    its registry when the run is built, not by a range."""
    if declared.choices:
        return "nope"
    if declared.kind in (int, float) and declared.hi is not None:
        return declared.kind(declared.hi * 2 + 1)
    if declared.kind in (int, float) and declared.lo is not None:
        return declared.kind(declared.lo - 1)
    return None


CASES = [(path, declared) for path, declared in _declared() if _outside(declared) is not None]
FREE = [path for path, declared in _declared() if _outside(declared) is None]


def test_the_cases_cover_every_declared_field_but_switches_and_free_text():
    assert len(CASES) >= 30
    assert all(declare.limit(path).kind in (bool, str) for path in FREE), FREE
    assert {"dataset.name", "method", "device"} <= set(FREE)


def _flag(path: str) -> flags.Flag:
    return next(f for f in [*flags.SCENARIO_FLAGS, *flags.JIT_FLAGS] if f.path == path)


def _one_line(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip().removeprefix("error: ")


def _link_key(path: str, declared: declare.Limit) -> str:
    head, _, name = path.rpartition(".")
    if head == "jit":
        return f"c.jit.{name}"
    return f"{LINK_SECTIONS[head]}.{name}" if head else (declared.link or name)


def _scenario_file(path: str, value) -> dict:
    raw = default_scenario("moons").to_dict()
    head, _, name = path.rpartition(".")
    if head == "jit":
        raw["configs"] = {"jit": {name: value}}
    else:
        (raw[head] if head else raw)[name] = value
    return raw


@pytest.mark.parametrize("path, declared", CASES, ids=[path for path, _ in CASES])
def test_a_value_outside_its_declaration_gets_the_checkers_line_from_every_entrance(path, declared, capsys, tmp_path):
    value = _outside(declared)
    with pytest.raises(declare.SettingError) as checked:
        declare.check(path, value)
    line = str(checked.value)
    assert line.startswith(f"{path} must be ") and "\n" not in line

    # 1. the CLI flag, parsed in-process
    assert _one_line(capsys, ["run", "--forget-ids", "1", f"--{_flag(path).name}={value}"]) == line

    # 2. --set PATH=VALUE
    with pytest.raises(ScenarioError) as by_set:
        apply_sets(default_scenario("moons"), [f"{path}={value}"])
    assert str(by_set.value) == line
    assert _one_line(capsys, ["run", "--forget-ids", "1", "--set", f"{path}={value}"]) == line

    # 3. a link: the notice begins with the checker's line and says what the page did instead
    _, _, notices = urlstate.from_params({"ds": "moons", "f": "1", _link_key(path, declared): str(value)})
    assert len(notices) == 1 and notices[0].startswith(line + ("; using " if declared.kind in (int, float) else " ("))
    assert notices[0].endswith("using the default." if declared.choices else ".")

    # 4. a scenario file: Scenario.from_dict (with the run's checks) and the CLI's --scenario reader
    raw = _scenario_file(path, value)
    with pytest.raises(ScenarioError) as by_file:
        validate(Scenario.from_dict(raw))
    assert str(by_file.value) == line
    file = tmp_path / "scenario.json"
    file.write_text(json.dumps(raw))
    assert _one_line(capsys, ["run", "--scenario", str(file), "--forget-ids", "1"]) == line


def test_run_help_lists_every_declared_field_with_its_range_and_unit(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for path, declared in _declared():
        flag = _flag(path)
        assert f"--{flag.name}" in text, path
        if declared.kind in (int, float) or declared.choices:
            assert f"({declared.describe()})" in text, (path, declared.describe())
        if declared.help:
            assert " ".join(declared.help.removesuffix(".").split()).replace("%%", "%")[:40] in text, path
