"""Notices in real Chromium: what a link holds is shown as text (no bold, link, image, HTML or math rendered,
nothing fetched), and a link past Streamlit's 1,000-parameter limit keeps its forget set with a notice, even as
the very first link a fresh server sees."""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]
FAST = {"d.samples": "160", "t.epochs": "300", "c.jit.passes": "12"}
HOSTILE = {
    "d.noise": "**bold** _em_ ~~strike~~",
    "m.activation": "[Sign in](https://evil.example/login)",
    "t.optimizer": "![x](http://127.0.0.1:9/pixel.png)",
    "c.jit.output_space": "<b>html</b><img src=http://127.0.0.1:9/x.png>",
    "cmp": "$x^2$ `t` :smile: :red[r] www.evil.example me@evil.example",
}
ALERTS = '[data-testid="stAlert"]'
RENDERED = "a, img, strong, em, del, b, .katex, [data-testid='stIconMaterial']"


def link(params: dict) -> str:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())


def test_a_link_past_the_server_limit_keeps_its_forget_set_and_its_text_stays_text(page, server, page_errors):
    junk = {f"junk{i}": "1" for i in range(1100)}  # over Streamlit's 1,000 parameters: it would drop them all
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/?{link({**junk, **FAST, **HOSTILE, 'f': '3,17'})}")  # the fresh server's first link
    page.get_by_text("Forget set: 2 points", exact=True).wait_for(timeout=180_000)
    page.get_by_text(re.compile("over the server's limit of 1,000 parameters")).wait_for()
    alerts = page.locator(ALERTS).filter(has_text=re.compile("[Ii]gnored|This link"))  # the link's notices
    text = "\n".join(alerts.all_inner_texts())
    for raw in HOSTILE.values():
        assert raw in text, (raw, text)  # every character shown as the link held it
    rendered = alerts.locator(RENDERED)
    # nothing rendered as a link, image, emphasis, math or icon
    assert rendered.count() == 0, rendered.first.evaluate("e => e.outerHTML")
    assert not [u for u in requests if urlsplit(u).netloc in ("127.0.0.1:9", "evil.example")]  # nothing fetched
    assert not [e for e in page_errors if "127.0.0.1:9" in e]
