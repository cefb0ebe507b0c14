"""Settings widgets are generated from the config dataclasses, and the widgets map back to the scenario."""
import typing
from dataclasses import fields, replace

import pytest

from explorer.scenarios import default_scenario
from explorer.ui import settings, state
from explorer.unlearning import METHODS


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_setting_of_every_method_has_a_widget(method):
    spec = METHODS[method]
    hints = typing.get_type_hints(spec.config_cls)
    config = spec.default_config()
    for f in fields(config):
        assert settings.widget_kind(hints.get(f.name), getattr(config, f.name)), (method, f.name)


def test_a_declared_choice_is_a_select_and_every_sidebar_control_has_the_declarations_words():
    from explorer.config import declare
    from explorer.ui import explore, images

    assert settings.widget_kind(str, "probs", declare.limit("jit.output_space").choices) == "select"
    for control in [*explore.CONTROLS, *images.CONTROLS]:
        assert control.label and control.help, control.path
    for control in explore.CONTROLS:  # the 2D page words these as declared
        if control.path in ("train.lr", "model.depth", "dataset.samples", "dataset.noise"):
            declared = declare.limit(control.path)
            assert (control.label, control.help) == (declared.label, declared.help), control.path
    activation = next(c for c in explore.CONTROLS if c.path == "model.activation")
    assert activation.options() == list(declare.limit("model.activation").choices)  # the declared choices


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], ("a", "b"), None, object()])
def test_a_setting_type_without_a_widget_is_an_error(value):
    with pytest.raises(TypeError, match="no widget"):
        settings.widget_kind(None, value)


def test_paths_read_and_replace_nested_fields():
    s = default_scenario("moons")
    assert settings.get_path(s, "train.epochs") == s.train.epochs
    t = settings.with_path(s, "model.width", 7)
    assert t.model.width == 7 and t.dataset == s.dataset and s.model.width != 7
    assert settings.with_path(s, "seed", 5).seed == 5


class FakeState(dict):
    """What st.session_state offers the settings module: a mapping."""


@pytest.fixture
def session(monkeypatch):
    fake = FakeState()
    monkeypatch.setattr(state.st, "session_state", fake)
    return fake


@pytest.mark.parametrize("method, preset, configs", [
    ("jit", "explorer", {"jit": {"sigma": 0.7, "passes": 3}}),
    ("scrub", None, {"scrub": {"alpha": 0.25, "lr_decay_epochs": (2, 4)}}),
    ("neggrad", None, {}),
])
def test_widgets_from_a_scenario_give_the_scenario_back(session, method, preset, configs):
    controls = [settings.Control("dataset.samples", "samples", ""), settings.Control("train.lr", "lr", ""),
                settings.Control("model.width", "width", "")]
    base = default_scenario("moons")
    scenario = replace(base, dataset=replace(base.dataset, samples=123), method=method, configs=configs,
                       presets={method: preset} if preset else {})
    settings.set_widgets("t", scenario, controls, settings.runnable_methods())
    assert session[state.widget_key("t", "dataset.samples")] == 123
    back = settings.scenario_from_widgets("t", base, controls)
    preset = preset or settings.default_preset(method)  # a method's widgets start at its "explorer" preset
    assert back == replace(scenario, presets={method: preset} if preset else {})


def test_a_tuple_setting_is_edited_as_text_and_a_bad_one_is_one_line(session):
    base = replace(default_scenario("moons"), method="scrub")
    settings.set_widgets("t", base, [], ["scrub"])
    assert session[state.widget_key("t", "configs.scrub.lr_decay_epochs")] == "5,8,9"
    session[state.widget_key("t", "configs.scrub.lr_decay_epochs")] = "5, x"
    with pytest.raises(ValueError, match="scrub setting lr_decay_epochs"):
        settings.scenario_from_widgets("t", base, [])
