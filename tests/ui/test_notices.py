"""Notices on the pages show what a link supplied as text: every warning reaches Streamlit made literal by
explorer/config/echo.py (the real rendering is checked in Chromium: tests/browser/test_notices_browser.py), cut
to a few hundred characters, and the link's forget set is kept."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer.config.echo import MAX_LINE, as_text, for_markdown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
FAST = {"d.samples": "160", "t.epochs": "300", "c.jit.passes": "10"}
pytestmark = pytest.mark.timeout(300)

HOSTILE = {
    "d.noise": "**bold** __strong__",
    "m.activation": "[Sign in](https://evil.example/login)",
    "t.optimizer": "![](http://127.0.0.1:9/pixel.png)",
    "c.jit.output_space": "<img src=x onerror=alert(1)>",
    "cmp": "$x^2$ and `ticks` :smile: me@evil.example",
    "d.seed": "A" * 70_000,
    "t.epochs": "1e308",
}


def start(params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in {**FAST, **params}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_link_values_are_shown_as_literal_text_and_short():
    at = start({**HOSTILE, "f": "3,17"})
    warnings = [w.value for w in at.warning]
    assert len(warnings) >= len(HOSTILE) - 1, warnings
    for markdown in warnings:
        assert for_markdown(as_text(markdown)) == markdown  # made literal by the one helper
        assert len(markdown) < MAX_LINE + 80
    text = "\n".join(as_text(w) for w in warnings)  # what the reader sees
    for raw in ("**bold**", "[Sign in](https://evil.example/login)", "![](http://127.0.0.1:9/pixel.png)",
                "<img src=x onerror=alert(1)>", "$x^2$ and `ticks` :smile: me@evil.example"):
        assert raw in text, (raw, text)  # shown as the characters the link held
    assert "70,000 characters" in text  # the 70 KB value: its first characters and its length
    assert "1e+308" in text and "0" * 30 not in text  # never a 309-digit number
    forget = next(m.value for m in at.markdown if "Forget set:" in m.value)
    assert "2 points" in forget
