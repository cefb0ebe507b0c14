"""Methods from outside the package: the example plugin (installed by the test set-up, `make test`) everywhere a
built-in method is, and misbehaving plugins, loaded through a real entry point, each refused in one line while
the rest of the run is kept."""
from dataclasses import dataclass
import importlib.metadata
import json
import sys
import textwrap

import pytest

from explorer.cli import main
from explorer.config import declare
from explorer.unlearning import METHODS, DataAccess, get_method, method_names, plugins, register
from explorer.unlearning.base import BUILT_IN, ORIGIN

QUICK = ["--samples", "160", "--epochs", "200", "--forget-ids", "3,17", "--passes", "3"]


def test_the_example_plugin_is_installed_and_registered():
    try:
        dist = importlib.metadata.distribution("uniform-forget")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("the example plugin is not installed: run `make test` (or pip install -e examples/uniform_forget)")
    assert any(ep.group == plugins.GROUP and ep.name == "uniform_forget" for ep in dist.entry_points)
    spec = get_method("uniform_forget")
    assert spec.origin == "plugin uniform-forget" and spec.access.zero_shot and "gentle" in spec.presets
    assert "uniform_forget" in method_names(zero_shot_only=True) and not plugins.ERRORS


def test_the_example_plugin_runs_as_the_method_and_compared(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", *QUICK, "--method", "uniform_forget", "--set", "uniform_forget.steps=5", "--compare", "jit",
                 "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["models"]) == {"original", "retrain", "uniform_forget", "jit"}
    entry = report["models"]["uniform_forget"]
    assert len(entry["trajectory"]) == 6 and entry["avg_gap"] is not None and entry["verdict"]["sentence"]
    assert report["scenario"]["configs"]["uniform_forget"] == {"steps": 5}
    assert main(["run", *QUICK, "--compare", "uniform_forget", "--preset", "explorer", "--out", str(out)]) == 0
    assert "uniform_forget" in json.loads(out.read_text())["models"]
    capsys.readouterr()
    assert main(["methods"]) == 0
    listing = capsys.readouterr().out
    assert "uniform_forget (from plugin uniform-forget): Uniform" in listing and "preset gentle" in listing


ONE_METHOD = """
from dataclasses import dataclass
from explorer.unlearning import DataAccess, register

@dataclass(frozen=True)
class C:
    {setting}

@register("{name}", config=C, access=DataAccess(), summary="{summary}")
def method(model, data, config, ctx):
    return None
"""
FAKE = {
    "peek_plugins.py": '''
        from dataclasses import dataclass

        from explorer.unlearning import DataAccess, Preset, register


        @dataclass(frozen=True)
        class Steps:
            steps: int = 3


        P = {"default": Preset(Steps(), "a test plugin")}


        @register("peeker", config=Steps, access=DataAccess(forget_inputs=True), presets=P,
                  summary="Peeker: reads retain data it never declared")
        def peeker(model, data, config, ctx):
            return data.retain_x


        @register("wrong_return", config=Steps, access=DataAccess(), presets=P, summary="Wrong: returns the model")
        def wrong_return(model, data, config, ctx):
            return model


        @register("raiser", config=Steps, access=DataAccess(), presets=P, summary="Raiser: fails")
        def raiser(model, data, config, ctx):
            raise RuntimeError("boom\\nand a second line")
    ''',
    "broken_plugin.py": "raise ImportError('needs a package that is not installed')\n",
    "taken_plugin.py": ONE_METHOD.format(name="jit", setting="steps: int = 1", summary="an impostor"),
    "undeclared_plugin.py": ONE_METHOD.format(name="wobbly", setting="wobble: float = 1.0", summary="no range"),
    "empty_plugin.py": "x = 1\n",
}
ENTRY_POINTS = {"peek": "peek_plugins", "broken": "broken_plugin", "taken": "taken_plugin",
                "undeclared": "undeclared_plugin", "empty": "empty_plugin"}


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """A distribution with one good and four bad entry points on sys.path, loaded as the registry loads plugins;
    the registry, the declarations and the loader's memory are restored afterwards."""
    for name, text in FAKE.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    info = tmp_path / "fake_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{plugins.GROUP}]\n" + "".join(f"{k} = {v}\n" for k, v in ENTRY_POINTS.items()))
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = (dict(METHODS), dict(declare.SECTIONS), dict(plugins.ERRORS), set(plugins.LOADED))
    added = plugins.load_plugins()
    yield added
    for registry, old in zip((METHODS, declare.SECTIONS, plugins.ERRORS), saved):
        registry.clear()
        registry.update(old)
    plugins.LOADED.clear()
    plugins.LOADED.update(saved[3])
    for module in [m[:-3] for m in FAKE]:
        sys.modules.pop(module, None)
    assert ORIGIN["now"] == BUILT_IN


def test_a_plugin_that_cannot_load_or_register_is_left_out_in_one_line(fake_plugins, capsys):
    assert fake_plugins == ["peeker", "wrong_return", "raiser"]
    errors = plugins.ERRORS
    assert "needs a package that is not installed" in errors["broken"]
    assert "registers 'jit', a name built-in already uses" in errors["taken"]
    assert get_method("jit").origin == BUILT_IN  # the built-in is untouched
    assert "wobble have no declared range" in errors["undeclared"] and "wobbly" not in METHODS
    assert "registered no method" in errors["empty"]
    assert all("\n" not in e and e.startswith("plugin fake-plugins") for e in errors.values())
    assert main(["methods"]) == 0
    listing = capsys.readouterr().out
    assert "peeker (from plugin fake-plugins)" in listing and sum(
        line.startswith("not loaded: plugin fake-plugins") for line in listing.splitlines()) == 4


def test_a_plugin_reading_undeclared_data_is_refused_and_the_rest_of_the_run_is_kept(fake_plugins, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", *QUICK, "--compare", "peeker,wrong_return,raiser,uniform_forget", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {"original", "retrain", "jit", "uniform_forget"} == set(report["models"])
    refused = report["refused"]
    assert refused["peeker"] == ("peeker read retain data (retain_x) without declaring it (it declares forget inputs); "
                                 "declare DataAccess(retain=True)")
    assert refused["wrong_return"].startswith("wrong_return returned MLP, not a recorded Trajectory")
    assert refused["raiser"] == "raiser (from plugin fake-plugins) failed: RuntimeError: boom"
    capsys.readouterr()
    assert main(["run", *QUICK, "--method", "peeker"]) == 2  # the main method: the run's failure, one line
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "peeker read retain data (retain_x) without declaring it" in err


def test_the_example_plugin_is_on_both_pages_with_its_settings_and_in_the_table():
    from explorer.ui.state import widget_key
    from tests.ui.apptest import open_page
    from tests.ui.test_explore import K, select, unlearn

    at = open_page()
    assert any("uniform_forget" in str(o) for o in at.selectbox(key=K("method")).options)
    at.selectbox(key=K("method")).set_value("uniform_forget").run()
    at.number_input(key=K("configs.uniform_forget.steps")).set_value(4).run()
    assert at.selectbox(key=K("presets.uniform_forget")).options == ["(defaults)", "gentle"]
    select(at, [3])
    unlearn(at)
    table = at.dataframe[0].value
    assert list(table["method"]) == ["original", "retrain", "uniform_forget"]
    assert table.loc[2, "zero-shot"] == "yes" and table.loc[2, "sees"] == "forget inputs"
    images = open_page(page="pages/images.py", fast=False)
    assert any("uniform_forget" in str(o) for o in images.selectbox(key=widget_key("img", "method")).options)
    assert "uniform_forget" in images.multiselect(key=widget_key("img", "compare")).options


@pytest.mark.parametrize("name", ["audit", "model"])
def test_a_method_may_not_take_the_name_of_a_settings_section(name):
    """``audit.references`` and ``model.width`` keep meaning the audit's and the model's settings."""
    @dataclass(frozen=True)
    class Taker:
        epochs: int = 1

    with pytest.raises(ValueError, match=f"'{name}' already names the {name} settings"):
        register(name, config=Taker, access=DataAccess(forget_inputs=True), summary="a taker")(lambda *a: None)
    assert name not in METHODS
