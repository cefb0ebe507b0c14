"""Each setting declared once, on its config field, and checked by one checker when the config is built: every
field of every config is declared, every default and preset lies inside its declaration, and a value out of
range gives the same one line from the CLI, ``--set``, a link and a scenario file."""
import dataclasses
import json

import pytest

from explorer.cli import flags, main
from explorer.config import urlstate
from explorer.config.fields import Setting, SettingError, check, settings_of
from explorer.config.model import ModelConfig
from explorer.config.scenario import SECTIONS, Scenario, ScenarioError, default_scenario
from explorer.config.training import TrainConfig
from explorer.unlearning import METHODS, get_method
from toy_data import DatasetSpec

CONFIGS = [("dataset", DatasetSpec), ("model", ModelConfig), ("train", TrainConfig), ("", Scenario),
           *[(name, spec.config_cls) for name, spec in METHODS.items()]]
LINK = {"dataset": "d", "model": "m", "train": "t"}
REGISTRY_CHECKED = {"dataset.name", "method", "device"}  # names a registry or the hardware judges, not a range


@pytest.mark.parametrize("prefix, cls", CONFIGS, ids=[f"{p or 'scenario'}-{c.__name__}" for p, c in CONFIGS])
def test_every_field_of_every_config_is_a_declared_setting(prefix, cls):
    undeclared = {f.name for f in dataclasses.fields(cls)} - set(settings_of(cls))
    assert undeclared <= ({"dataset", "model", "train", "forget", "compare", "configs", "presets"} if cls is Scenario
                          else set()), undeclared
    for name, declared in settings_of(cls).items():
        assert declared.label and declared.describe(), (cls, name)


def test_every_default_and_every_preset_was_checked_when_it_was_built():
    for _, cls in CONFIGS:
        check(cls())
    for spec in METHODS.values():
        for preset in spec.presets.values():
            check(preset.config)


def test_a_config_cannot_be_built_outside_its_declarations():
    with pytest.raises(SettingError, match="jit.passes must be between 1 and 10000 passes, got 1,000,000,000"):
        dataclasses.replace(get_method("jit").default_config(), passes=10**9)
    with pytest.raises(SettingError, match=r"scrub.msteps must be between 0 and epochs \(10\), got 11"):
        get_method("scrub").config_from({"msteps": 11})  # a rule between two fields, checked by the same checker
    with pytest.raises(SettingError, match="lf_ssd.alpha must be > 0"):  # a shared config named by its method
        get_method("lf_ssd").config_from({"alpha": 0.0})
    with pytest.raises(SettingError, match="model.dropout must be between 0 and 0.9"):
        ModelConfig(dropout=0.95)  # one bound: the declaration's (a second check once allowed up to 1)
    with pytest.raises(SettingError, match="train.epochs must be between 1 and 20000"):
        TrainConfig(epochs=50000)  # one bound: the declaration's (a second check once allowed 100,000)


@pytest.mark.parametrize("value, why", [
    (1.5, "must be a whole number, got 1.5"), (True, "must be a whole number, got True"),
    ("3", "must be a whole number, got '3'"), (float("inf"), "must be a whole number, got inf"),
    (0, "must be between 1 and 10000 passes, got 0"),
])
def test_the_checker_names_the_setting_the_limit_and_the_value_in_one_line(value, why):
    with pytest.raises(SettingError) as err:
        check(dataclasses.replace(get_method("jit").default_config(), passes=value))
    assert str(err.value) == f"jit.passes {why}"


def test_clamp_parse_and_bounds_read_the_same_declaration():
    passes = settings_of(get_method("jit").config_cls)["passes"]
    assert passes.clamp(10**9) == 10000 and passes.clamp(0) == 1 and passes.clamp(30) == 30
    lr = settings_of(TrainConfig)["lr"]
    assert lr.clamp(0.0) == 0.0 and lr.clamp(20.0) == 10.0  # an open limit has no number to clamp to
    lo, hi = lr.bounds()
    assert 0 < lo < 1e-4 and hi == 10.0
    assert settings_of(DatasetSpec)["samples"].bounds() == (20, 20000)
    assert passes.parse("1e3") == 1000 and settings_of(ModelConfig)["kind"].parse(" cnn ") == "cnn"
    with pytest.raises(SettingError, match="jit.passes must be a whole number"):
        passes.parse("2.5", "jit.passes")
    assert Setting(bool).parse("on") is True and Setting(tuple, 0, 10).parse("1,2,") == (1, 2)


def _bad_value(declared: Setting):
    """A value out of the declaration's range (or outside its choices), or None when it has no range."""
    if declared.choices:
        return "nope"
    if declared.kind is bool:
        return 2
    if declared.kind is tuple:
        return (int(declared.hi) + 1,)
    if declared.hi is not None:
        return declared.kind(declared.hi * 2 + 1)
    return None


def _text(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _cases():
    for prefix, cls in CONFIGS:
        for name, declared in settings_of(cls).items():
            path = f"{prefix}.{name}" if prefix else name
            bad = _bad_value(declared)
            if path not in REGISTRY_CHECKED and bad is not None and prefix != "retrain":
                yield pytest.param(prefix, name, path, declared, bad, id=path)


@pytest.mark.parametrize("prefix, name, path, declared, bad", list(_cases()))
def test_a_value_out_of_range_gives_the_same_line_from_the_cli_set_a_link_and_a_scenario_file(
        prefix, name, path, declared, bad, capsys, tmp_path):
    why = declared.problem(bad)
    assert why
    message = f"{path} {why.split(', got')[0]}"  # the declaration's words; each entrance adds how it got the value
    method = prefix not in ("", *SECTIONS)

    # the CLI: a generated flag, or --set for any method's setting
    flag = next((f for f in flags.SCENARIO_FLAGS + flags.JIT_FLAGS if f.path == path), None)
    if flag is not None and declared.kind is not bool:
        argv = ["run", f"--{flag.name}", _text(bad)]
    else:
        argv = ["run", "--forget-ids", "1"] + (["--method", prefix] if prefix != "jit" else []) + \
               ["--set", f"{path}={_text(bad).lower()}"] if method else None
    if argv is not None:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err

    # a link: clamped with a notice that quotes the declaration, or dropped alone with its line
    key = f"c.{path}" if method else f"{LINK[prefix]}.{name}" if prefix else next(
        k for k, v in urlstate.TOP.items() if v == name)
    if not (prefix == "model" and name == "kind"):  # the 2D page refuses the CNN before any range
        _, _, notices = urlstate.from_params({"ds": "moons", key: _text(bad)})
        # clamped to 1000, SCRUB's msteps still breaks its rule (at most epochs): the rule's line, then
        said = f"{path} must be between 0 and epochs" if path == "scrub.msteps" else message
        assert len(notices) == 1 and said in notices[0] and key in notices[0], notices

    # a scenario file
    raw = default_scenario("moons").to_dict()
    raw["forget"]["ids"] = [1]
    if method:
        raw["method"] = prefix
        raw["configs"] = {prefix: {name: list(bad) if isinstance(bad, tuple) else bad}}
    elif prefix:
        raw[prefix][name] = bad
    else:
        raw[name] = bad
    file = tmp_path / "scenario.json"
    file.write_text(json.dumps(raw))
    assert main(["run", "--scenario", str(file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_a_scenario_built_in_code_is_refused_in_one_line():
    with pytest.raises(SettingError, match="grid_resolution must be between 10 and 400 cells per side, got 5"):
        dataclasses.replace(default_scenario("moons"), grid_resolution=5)
    with pytest.raises(ScenarioError, match="invalid scenario: record_every must be between 1 and 100000"):
        Scenario.from_dict({"record_every": 0})


def test_run_help_lists_a_generated_flag_with_its_range_for_every_field(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    generated = flags.SCENARIO_FLAGS + flags.JIT_FLAGS
    for prefix, cls in CONFIGS[:4] + [("jit", get_method("jit").config_cls)]:
        for name, declared in settings_of(cls).items():
            path = f"{prefix}.{name}" if prefix else name
            flag = next(f for f in generated if f.path == path)
            assert f"--{flag.name}" in text and declared.describe() in text, path
    for today in ("--sigma", "--eta", "--perturbations", "--passes", "--jit-batch-size", "--output-space",
                  "--reduction", "--detach-perturbed", "--clamp-to-batch-range", "--accumulate-grads", "--train-mode",
                  "--samples", "--noise", "--classes", "--seed", "--test-fraction", "--model", "--depth", "--width",
                  "--activation", "--epochs", "--lr", "--weight-decay", "--batch-size", "--device", "--record-every",
                  "--grid-resolution", "--lipschitz-sigma", "--lipschitz-space", "--dataset", "--method"):
        assert f"{today} " in text or f"{today}," in text, today
