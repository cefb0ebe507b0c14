"""The privacy view in a real Chromium: after Unlearn, the audit draws the exposure map (every training point, per
model) and the ROC on log-log axes on the 2D page, and the threshold slider moves the rings in the browser."""
from __future__ import annotations

import re

import pytest

from explorer.bench.browser import wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]
QUERY = "d.samples=160&t.epochs=300&c.jit.passes=12&f=5,24"
CHART = '[data-testid="stPlotlyChart"]'


def chart_with(page, text: str):
    return page.locator(CHART).filter(has_text=re.compile(re.escape(text))).first


def test_the_privacy_view_draws_the_exposure_map_and_the_roc(page, server, shots, page_errors):
    page.goto(f"{server}/?{QUERY}")
    page.get_by_text("Forget set: 2 points", exact=True).wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Unlearn").click()
    page.get_by_text("How the boundary moves under JiT").wait_for()
    wait_idle(page)
    heading = page.get_by_text("Privacy: can an attacker still tell which points were trained on?")
    heading.scroll_into_view_if_needed()
    references = page.get_by_role("spinbutton", name="reference models")
    references.fill("8")
    references.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Run privacy audit").click()
    page.get_by_text(re.compile("the forgotten points' mean score")).wait_for(timeout=300_000)
    wait_idle(page)

    exposure = chart_with(page, "retrained (LiRA)")
    exposure.scroll_into_view_if_needed()
    exposure.locator("g.scatterlayer path.point").first.wait_for()
    # three panels of 118 kept training points and 2 forgotten ones each, plus the rings
    assert exposure.locator("g.scatterlayer path.point").count() >= 3 * 120
    assert exposure.locator("g.slider-container").count() == 1
    legend = lambda: exposure.locator("g.legend").text_content()  # noqa: E731
    before = legend()
    assert re.search(r"original: \d+ called members", before), before
    rail = exposure.locator("g.slider-container rect.slider-rail-touch-rect").first.bounding_box()
    page.mouse.click(rail["x"] + rail["width"] * 0.1, rail["y"] + rail["height"] / 2)  # a low threshold
    page.wait_for_function("([el, b]) => el.textContent !== b",
                           arg=[exposure.locator("g.legend").element_handle(), before], timeout=20_000)
    assert legend() != before  # more points called members, counted in the browser
    exposure.screenshot(path=str(shots / "privacy_map.png"))

    roc = chart_with(page, "ROC per model (log-log)")
    roc.scroll_into_view_if_needed()
    roc.locator("g.scatterlayer .trace").first.wait_for()
    assert roc.locator("g.scatterlayer .trace").count() >= 4  # chance + the three models' member curves
    ticks = " ".join(roc.locator("g.xtick text").evaluate_all("els => els.map(e => e.textContent)"))
    assert "1%" in ticks and "10%" in ticks  # a log axis labelled by decade
    roc.screenshot(path=str(shots / "privacy_roc.png"))
    assert not page.get_by_text("Traceback").count()
    assert not page_errors, page_errors
