"""Errors reach the page as one line: the user's mistakes as they are, anything else with its type."""
from explorer.config.scenario import ScenarioError
from explorer.ui.feedback import error_line


def test_a_user_error_is_its_first_line():
    assert error_line("Unlearning", ScenarioError("the forget set is empty\nmore")) == \
        "Unlearning failed: the forget set is empty"
    assert error_line("", ValueError("bad σ")) == "bad σ"
    assert error_line("Training", FloatingPointError("diverged at epoch 3")) == "Training failed: diverged at epoch 3"


def test_anything_else_names_its_type_and_never_shows_a_traceback():
    line = error_line("Sweep", RuntimeError("boom\nTraceback (most recent call last):"))
    assert line == "Sweep failed: RuntimeError: boom" and "\n" not in line
    assert error_line("", KeyError("x")) == "Something failed: KeyError: 'x'"
