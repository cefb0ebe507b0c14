"""Real browser: the atlas page computes a small atlas, a click on its map picks a point, and the point's
link opens the 2D explorer with that point as its forget set.

Uses conftest.py's `streamlit run app.py` server and Debian's Chromium. Never skips.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

MAP = '[data-testid="stPlotlyChart"]:has-text("Leave-one-out influence")'


def test_compute_a_small_atlas_and_open_a_point_in_the_explorer(server, page, page_errors):
    page.goto(server + "/atlas")
    field = page.get_by_role("spinbutton", name="Samples")
    field.fill("24")
    field.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value === '24')")
    page.get_by_role("button", name="Compute the atlas").click()
    chart = page.locator(MAP).first
    point = chart.locator("g.scatterlayer path.point").nth(4)
    point.wait_for(timeout=300_000)
    page.get_by_text(re.compile(r"ρ = [+-]\d")).first.wait_for()  # the scatter plots carry Spearman's ρ
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    chart.locator("g.hoverlayer g.hovertext").first.wait_for()  # hover shows the point's numbers
    page.mouse.click(x, y)
    link = page.get_by_role("link", name=re.compile(r"Forget point \d+ in the 2D explorer"))
    # the click picked a point: its link names it (the page starts at the first point's id)
    first = link.text_content()
    page.wait_for_function("(before) => [...document.querySelectorAll('a')].some(a => "
                           "/Forget point \\d+ in the 2D explorer/.test(a.textContent) && a.textContent !== before)",
                           arg=first, timeout=60_000)
    chosen = re.search(r"Forget point (\d+)", link.text_content()).group(1)
    link.click()
    page.get_by_text("Forget set: 1 point", exact=True).wait_for(timeout=180_000)
    query = parse_qs(urlparse(page.url).query)
    assert query["f"] == [chosen]
    assert query.get("samples", ["24"]) == ["24"]
    assert not page_errors, page_errors
