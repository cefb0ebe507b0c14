"""Edit data in a real Chromium: a click on empty plane adds a point (the training set grows by one and the
retrained original bends), the added point is forgotten and Unlearn animates, the link reloads the edited data in a
fresh browser; an uploaded CSV becomes the data."""
from __future__ import annotations

import re

import numpy as np
import pytest

from explorer.figures.edit import CELLS
from tests.browser.test_app_browser import (EDITOR, click_point, editor_points, expect_forget, open_app, unlearn,
                                            wait_idle)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def training_count(page) -> int:
    return int(re.search(r"Training data: (\d+) points", page.inner_text("body")).group(1))


def expect_count(page, n: int) -> None:
    page.get_by_text(re.compile(rf"^Training data: {n} points")).first.wait_for(timeout=180_000)
    wait_idle(page)
    editor_points(page).first.wait_for()


def wait_points(page, n: int) -> None:
    page.wait_for_function(f"""() => {{
        const chart = document.querySelector('{EDITOR}');
        return chart && chart.querySelectorAll('g.scatterlayer path.point').length === {n}; }}""", timeout=60_000)
    wait_idle(page)


def heatmap(page) -> str:
    """The editor's background: the original model's classes and confidence, drawn as one image."""
    return page.locator(EDITOR).first.locator("g.heatmaplayer image").first.get_attribute("href")


def click_empty_plane(page, fx: float, fy: float) -> str:
    """Click the plane at fractions (fx, fy) of the plot area, once Plotly shows the cell it will add at."""
    chart = page.locator(EDITOR).first
    r = chart.locator(".nsewdrag").first.bounding_box()
    x, y = r["x"] + fx * r["width"], r["y"] + fy * r["height"]
    page.mouse.move(x, y)
    label = chart.locator("g.hoverlayer g.hovertext").first
    label.wait_for()
    text = label.text_content()
    page.mouse.click(x, y)
    return text


def test_click_empty_plane_adds_a_point_forget_it_unlearn_and_reload_the_link(page, browser, server, shots,
                                                                             page_errors):
    open_app(page, server)
    assert training_count(page) == 120
    before = heatmap(page)
    page.get_by_text("Edit data", exact=True).click()
    wait_points(page, 120 + CELLS * CELLS)  # the training points and the invisible cells that make the plane clickable
    assert "click: add a class-0 point" in click_empty_plane(page, 0.04, 0.06)  # top left: no moons point there
    expect_count(page, 121)
    assert heatmap(page) != before  # the original retrained on the edited data, and its regions moved
    assert re.search(r"ea=[-\d.]+(%3A|:)[-\d.]+(%3A|:)0", page.url)
    page.screenshot(path=str(shots / "edit_added_point.png"))
    page.get_by_text("Choose what to forget", exact=True).click()
    wait_points(page, 121)  # no clickable cells outside edit mode: the training points alone
    click_point(page, 120)  # the added point: the last id
    expect_forget(page, 1)
    assert re.search(r"f=120(&|$)", page.url)
    player, current = unlearn(page)
    player.locator("g.updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function("el => !el.textContent.trim().endsWith(' 0')", arg=current.element_handle(), timeout=30_000)
    url = page.url
    fresh_context = browser.new_context(viewport={"width": 1400, "height": 1000})  # a fresh browser session
    fresh = fresh_context.new_page()
    fresh.set_default_timeout(120_000)
    fresh.goto(url)
    fresh.get_by_text("Forget set: 1 point", exact=True).wait_for()
    expect_count(fresh, 121)
    wait_idle(fresh)
    assert fresh.url == url  # the same edited data and forget set: the page rewrote nothing
    fresh_context.close()
    assert not page_errors, page_errors


def test_an_uploaded_csv_becomes_the_data(page, server, tmp_path, page_errors):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    rows = "".join(f"{a:.3f},{b:.3f},{int(a * b > 0)}\r\n" for a, b in x)
    path = tmp_path / "my_points.csv"
    path.write_bytes(("\ufeffx1,x2,label\r\n" + rows).encode())
    open_app(page, server)
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(path))
    expect_count(page, 60)  # 80 rows, a quarter for the test set
    assert "ds=file" in page.url and re.search(r"data=[0-9a-f]{64}", page.url) and "d.noise" not in page.url
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n" + "1,2,0\n" * 6 + "1,abc,1\n" + "3,4,1\n" * 6)
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("row 8, column x2: 'abc' is not a number").wait_for()
    assert training_count(page) == 60  # the data as it was
    assert not page_errors, page_errors
