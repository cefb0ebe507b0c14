"""Real browser: the images page trains digits, forgets a class, and the boundary-through-an-image
view renders and animates (press its Play, see the frame change).

Uses conftest.py's `streamlit run app.py` server and Debian's Chromium, and opens the images page.
Never skips: a missing /usr/bin/chromium or playwright fails the test.
"""
from __future__ import annotations

import re

import pytest

PLANE = '[data-testid="stPlotlyChart"]:has-text("plane through forgotten image")'

pytestmark = pytest.mark.browser


def step_label(chart) -> str:
    """The slider's "step N" readout (an SVG text element)."""
    return chart.locator("text").filter(has_text=re.compile(r"^step \d+$")).first.text_content()


def test_boundary_view_renders_and_animates(server, page, shots, page_errors):
    """Uses the shared fixtures of conftest.py: `streamlit run app.py` and Debian's Chromium."""
    page.goto(server + "/images")
    page.get_by_text("test accuracy").first.wait_for(timeout=180_000)
    page.get_by_role("tab", name="By class").click()
    page.get_by_role("button", name="Forget this class").click()
    page.get_by_text("Forget set: ").filter(has_not_text="Forget set: 0").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Unlearn").click()
    chart = page.locator(PLANE).first
    chart.locator("g.heatmaplayer image").first.wait_for(timeout=180_000)
    chart.scroll_into_view_if_needed()
    image = chart.locator("g.heatmaplayer image").first
    before = image.get_attribute("href")
    page.screenshot(path=str(shots / "images_after_unlearn.png"), full_page=True)
    assert before and before.startswith("data:image")
    label_before = step_label(chart)
    chart.locator(".updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_function("([el, before]) => el.getAttribute('href') !== before",
                           arg=[image.element_handle(), before], timeout=30_000)
    after = image.get_attribute("href")
    label_after = step_label(chart)
    chart.screenshot(path=str(shots / "images_plane_after_play.png"))
    assert after != before, "pressing Play did not change the boundary heatmap"
    assert label_after != label_before, (label_before, label_after)
    assert not page.get_by_text("Traceback").count()
    assert not page_errors, page_errors


def forget_heading(page, n: int):
    page.get_by_text(f"Forget set: {n} image" + ("" if n == 1 else "s"), exact=True).wait_for(timeout=60_000)


def test_the_map_takes_a_click_and_a_typed_value_keeps_the_open_tab(server, page, page_errors):
    page.goto(server + "/images")
    page.get_by_text("test accuracy").first.wait_for(timeout=180_000)
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator("g.scatterlayer")).first
    point = chart.locator("g.scatterlayer path.point").nth(5)
    point.wait_for()
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    chart.locator("g.hoverlayer g.hovertext").first.wait_for()
    page.mouse.click(x, y)  # the map's default tool: a click selects
    forget_heading(page, 1)
    page.get_by_role("tab", name="Random").click()
    field = page.get_by_role("spinbutton", name="share of the training set (%)")
    field.fill("7.5")
    field.press("Enter")
    page.get_by_role("tab", name="Random", selected=True).wait_for()
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-stale="true"]');
    }""")
    assert page.get_by_role("tab", name="Random", selected=True).count() == 1  # not thrown back to "By map"
    assert not page_errors, page_errors
