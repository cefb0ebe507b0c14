"""A page's state: one typed object per page, widget keys derived from scenario field paths, and at most
eight session-state keys written by hand anywhere in the app layer."""
import ast
from pathlib import Path

import pytest

from explorer.ui.state import PAGE_KEYS, Bounded, field_path, widget_key

ROOT = Path(__file__).resolve().parents[2]
APP_LAYER = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "explorer" / "ui").glob("*.py"))]
MAX_HAND_WRITTEN_KEYS = 8


@pytest.mark.parametrize("page, path", [("2d", "train.epochs"), ("img", "configs.jit.sigma"), ("2d", "ui.unlearn"),
                                        ("img", "presets.scrub")])
def test_widget_keys_come_from_field_paths_and_back(page, path):
    assert field_path(widget_key(page, path)) == (page, path)


@pytest.mark.parametrize("key", ["explore", "images", ":x", "2d:", "plain"])
def test_keys_that_are_not_widget_keys_have_no_path(key):
    assert field_path(key) is None


def test_bounded_forgets_the_oldest():
    cache = Bounded(2)
    for k in "abc":
        cache[k] = k
    assert list(cache) == ["b", "c"]


def _session_state_keys(tree: ast.AST) -> set[str]:
    """String keys read or written through ``st.session_state`` (subscript, get/pop/setdefault, ``in``)."""
    def is_state(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "session_state"

    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_state(node.value) and isinstance(node.slice, ast.Constant):
            keys.add(node.slice.value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_state(node.func.value)
                and node.args and isinstance(node.args[0], ast.Constant)):
            keys.add(node.args[0].value)
        if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
                and any(is_state(c) for c in node.comparators)):
            keys.add(node.left.value)
    return keys


def test_the_app_layer_writes_few_session_keys_by_hand_and_every_widget_key_is_derived():
    keys, literal_widget_keys = set(), []
    for path in APP_LAYER:
        tree = ast.parse(path.read_text())
        keys |= _session_state_keys(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "key" and isinstance(kw.value, (ast.Constant, ast.JoinedStr)):
                        literal_widget_keys.append(f"{path.name}:{node.lineno}")
    keys |= set(PAGE_KEYS)
    assert len(keys) <= MAX_HAND_WRITTEN_KEYS, sorted(keys)
    assert not literal_widget_keys, f"widget keys not made by widget_key(): {literal_widget_keys}"


def test_pages_are_wiring():
    """app.py and pages/*.py hold layout and wiring only: no figures, no models, no session state of their own."""
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        text = path.read_text()
        tree = ast.parse(text)
        imported = {a.name.split(".")[0] if isinstance(n, ast.Import) else (n.module or "")
                    for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        assert imported <= {"streamlit", "explorer.ui", "explorer.ui.feedback", "explorer.ui.text"}, (path, imported)
        assert "session_state" not in text and len(text.splitlines()) <= 60, path
