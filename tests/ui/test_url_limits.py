"""Hostile and careless links on the 2D page: out-of-range values clamp with a notice that is the checker's line
and what the page used instead, one bad value drops only itself, huge id ranges are clipped at once, a valid setting never breaks
the page. A fresh AppTest per test."""
import time

import pytest

from explorer.config.echo import MAX_LINE, as_text, for_markdown
from explorer.ui.state import widget_key

pytestmark = pytest.mark.timeout(300)


def K(path: str) -> str:
    return widget_key("2d", path)


def notices(at) -> list[str]:
    return [w.value for w in at.warning]


def forget_count(at) -> str:
    return next(m.value for m in at.markdown if "Forget set:" in m.value).lstrip("# ").strip()


def test_out_of_range_values_clamp_to_the_limit_with_a_notice_and_reach_the_widgets(start):
    at = start({"d.classes": "99", "d.test_fraction": "0.99", "c.jit.passes": "1000000000", "f": "1,2"})
    text = " ".join(notices(at))
    for notice in ("dataset.classes must be between 2 and 10 classes, got 99; using 10.",
                   "dataset.test_fraction must be between 0.05 and 0.9, got 0.99; using 0.9.",
                   "jit.passes must be between 1 and 10000 passes, got 1,000,000,000; using 10000."):
        assert notice in text, text
    assert at.number_input(key=K("dataset.classes")).value == 10
    assert at.slider(key=K("dataset.test_fraction")).value == 0.9
    assert at.number_input(key=K("configs.jit.passes")).value == 10000
    assert forget_count(at) == "Forget set: 2 points"
    assert not at.error


def test_one_infinite_number_drops_only_itself_and_keeps_the_forget_set(start):
    at = start({"d.samples": "inf", "f": "3,17", "d.noise": "0.3"})
    assert any("d.samples" in n for n in notices(at))
    assert forget_count(at) == "Forget set: 2 points"
    assert at.number_input(key=K("dataset.noise")).value == 0.3


def test_settings_without_a_widget_survive_in_the_link(start):
    at = start({"m.dropout": "0.25", "t.optimizer": "sgd", "t.patience": "50", "t.batch_size": "32"})
    assert not notices(at) and not at.error
    params = {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}
    assert (params.get("m.dropout"), params.get("t.optimizer"), params.get("t.patience"),
            params.get("t.batch_size")) == ("0.25", "sgd", "50", "32")


def test_a_device_the_page_cannot_use_is_named_not_dropped_silently(start):
    at = start({"device": "cpu:5"})
    assert any("device" in n for n in notices(at))


def test_a_5kb_link_of_huge_id_ranges_is_clipped_at_once(start):
    f = ",".join(f"{i * 100000}-{i * 100000 + 99999}" for i in range(300))
    assert len(f) > 5000
    started = time.perf_counter()
    at = start({"f": f})
    assert time.perf_counter() - started < 60  # the whole page, training included
    assert any("Dropped" in n and "forget id" in n for n in notices(at))
    # the forget set is the whole training set at most, never millions of ids
    assert int(forget_count(at).split()[2]) <= 160


def test_two_blobs_without_noise_renders_the_editor(start):
    at = start({"ds": "two_blobs", "d.noise": "0"})
    assert not at.error, [e.value for e in at.error]
    assert at.get("plotly_chart")


def test_a_run_over_the_work_budget_is_one_line_before_any_work_and_keeps_the_forget_set(start):
    at = start({"grid": "400", "c.jit.passes": "10000", "m.width": "256", "f": "1"})
    button = next(b for b in at.button if b.label == "Unlearn")
    started = time.perf_counter()
    button.click().run()
    assert time.perf_counter() - started < 30
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "work budget" in errors[0] and "\n" not in errors[0], errors
    assert forget_count(at) == "Forget set: 1 point"


# Text from a link is text: every notice made literal by one helper (the rendering itself is checked in Chromium,
# tests/browser/test_notices_browser.py), cut short, the forget set kept.
HOSTILE = {
    "d.noise": "**bold** __strong__",
    "m.activation": "[Sign in](https://evil.example/login)",
    "t.optimizer": "![](http://127.0.0.1:9/pixel.png)",
    "c.jit.output_space": "<img src=x onerror=alert(1)>",
    "cmp": "$x^2$ and `ticks` :smile: me@evil.example",
    "d.seed": "A" * 70_000,
    "t.epochs": "1e308",
}


def test_link_values_are_shown_as_literal_text_and_short(start):
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
