"""The explorer in a real Chromium: click, box select, Unlearn, Play, reload from the URL."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]
FAST = "d.samples=160&t.epochs=300&c.jit.passes=12"
EDITOR = '[data-testid="stPlotlyChart"]'


IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-stale="true"]');
}"""


def wait_idle(page):
    """The script finished and no element is stale (a rerun's output is all on the page)."""
    page.wait_for_function(IDLE)


def open_app(page, url, query=FAST):
    page.goto(f"{url}/?{query}")
    page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for()
    wait_idle(page)
    editor_points(page).first.wait_for()


def editor_points(page):
    return page.locator(EDITOR).first.locator("g.scatterlayer path.point")


def click_point(page, i):
    box = editor_points(page).nth(i).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.locator(EDITOR).first.locator("g.hoverlayer g.hovertext").first.wait_for()  # plotly knows the point
    page.mouse.click(x, y)


def expect_forget(page, n):
    page.get_by_text(f"Forget set: {n} point" + ("" if n == 1 else "s"), exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    editor_points(page).first.wait_for()


def unlearn(page):
    """Press Unlearn and wait for the animation: (the player chart, its slider's current-step label)."""
    page.get_by_role("button", name="Unlearn").click()
    page.get_by_text("How the boundary moves under JiT").wait_for()
    wait_idle(page)
    player = page.locator(EDITOR).nth(1)
    player.scroll_into_view_if_needed()
    current = player.locator("g.slider-container text.slider-label").first
    current.wait_for()
    return player, current


def test_click_toggle_unlearn_and_play(page, server, shots, page_errors):
    open_app(page, server)
    assert editor_points(page).count() == 120
    click_point(page, 10)
    expect_forget(page, 1)
    click_point(page, 40)
    expect_forget(page, 2)
    click_point(page, 10)  # clicking a forgotten point again removes it
    expect_forget(page, 1)
    assert "f=40" in page.url
    player, current = unlearn(page)
    assert current.text_content().strip() == "step 0"
    plot_before = player.locator("g.cartesianlayer").first.inner_html()
    player.screenshot(path=str(shots / "animation_step0.png"))
    player.locator("g.updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function(
        "el => !el.textContent.trim().endsWith(' 0')", arg=current.element_handle(), timeout=20_000)
    assert current.text_content().strip() != "step 0"
    # the frame really changed on the plot (metric markers move with the step; the heatmap and boundary
    # follow the model, which may barely move for a point deep inside its class)
    page.wait_for_function("([el, before]) => el.innerHTML !== before",
                           arg=[player.locator("g.cartesianlayer").first.element_handle(), plot_before], timeout=20_000)
    player.screenshot(path=str(shots / "animation_playing.png"))
    page.screenshot(path=str(shots / "page_after_unlearn.png"))
    assert not page.get_by_text("Traceback").count()
    assert not page_errors, page_errors


def forget_count(page) -> int:
    return int(re.search(r"Forget set: (\d+) points?", page.inner_text("body")).group(1))


def drag(page, tool: str, path):
    """Pick ``tool`` (select = box, lasso) in the editor's toolbar and drag along ``path`` (fractions of the plot)."""
    chart = page.locator(EDITOR).first
    chart.hover()
    chart.locator(f'.modebar-btn[data-val="{tool}"]').first.click(force=True)
    r = chart.locator(".nsewdrag").first.bounding_box()
    at = lambda fx, fy: (r["x"] + fx * r["width"], r["y"] + fy * r["height"])  # noqa: E731
    page.mouse.move(*at(*path[0]))
    page.mouse.down()
    for point in path[1:]:
        page.mouse.move(*at(*point), steps=3)
    page.mouse.up()


def wait_count_above(page, n: int) -> int:
    page.wait_for_function(f"() => {{ const m = /Forget set: (\\d+) points?/.exec(document.body.innerText); "
                           f"return m && +m[1] > {n}; }}", timeout=30_000)
    wait_idle(page)
    return forget_count(page)


def unforgotten_point(page) -> int:
    """Index of a point that is not forgotten (forgotten points are drawn as crosses)."""
    symbols = editor_points(page).evaluate_all("els => els.map(e => e.getAttribute('d') || '')")
    crosses = {i for i, d in enumerate(symbols) if "A" not in d}  # circles are drawn with arcs, crosses without
    return next(i for i in range(len(symbols)) if i not in crosses and i % 7 == 3)


def test_click_keeps_working_after_box_lasso_and_pan(page, server, page_errors):
    open_app(page, server)
    drag(page, "select", [(0.05 + 0.04 * k, 0.05 + 0.05 * k) for k in range(11)])
    n = wait_count_above(page, 0)
    assert n >= 2
    click_point(page, unforgotten_point(page))
    n = wait_count_above(page, n)  # a click right after a box selection
    drag(page, "lasso", [(0.55, 0.55), (0.95, 0.55), (0.95, 0.95), (0.55, 0.95), (0.55, 0.56)])
    n = wait_count_above(page, n)
    click_point(page, unforgotten_point(page))
    n = wait_count_above(page, n)  # a click right after a lasso selection
    chart = page.locator(EDITOR).first
    chart.hover()
    chart.locator('.modebar-btn[data-val="pan"]').first.click(force=True)
    for _ in range(2):  # Pan, then two clicks in a row: each one counts
        click_point(page, unforgotten_point(page))
        n = wait_count_above(page, n)
    assert not page_errors, page_errors


def test_a_new_dataset_empties_the_forget_set_and_undo_restores_it(page, server, page_errors):
    open_app(page, server)
    click_point(page, 3)
    expect_forget(page, 1)
    click_point(page, 20)
    expect_forget(page, 2)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="spiral").click()
    expect_forget(page, 0)
    page.get_by_role("button", name="Undo").click()
    expect_forget(page, 2)
    assert not page_errors, page_errors


def test_reload_from_url_gives_the_same_forget_set(page, server, page_errors):
    open_app(page, server, FAST + "&ds=blobs&d.classes=3")
    click_point(page, 7)
    expect_forget(page, 1)
    click_point(page, 33)
    expect_forget(page, 2)
    url = page.url
    assert "f=7%2C33" in url or "f=7,33" in url
    ids_text = page.get_by_text(re.compile(r"^ids ")).first.text_content()
    fresh = page.context.new_page()
    fresh.goto(url)
    fresh.get_by_text("Forget set: 2 points", exact=True).wait_for()
    assert fresh.get_by_text(re.compile(r"^ids ")).first.text_content() == ids_text
    wait_idle(fresh)
    assert fresh.url == url  # the app rewrote nothing: same scenario, same forget set
    fresh.close()


def test_the_sweep_panel_sweeps_another_method_over_its_own_settings(page, server, page_errors):
    """The sweep panel's method picker in a real browser: neggrad over its first two settings, epochs × lr, 2×2 cells,
    drawn as heatmaps."""
    open_app(page, server, FAST + "&f=3,10")
    unlearn(page)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="σ×η sweep")
    panel.locator("summary").first.click()
    picker = panel.locator('[data-testid="stSelectbox"]').first  # the sweep's method
    picker.wait_for()
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name="neggrad", exact=True).click()
    panel.get_by_role("textbox", name="lr values", exact=True).wait_for()
    wait_idle(page)
    for label, values in (("lr values", "0.01, 0.02"), ("epochs values", "1, 2")):
        box = panel.get_by_role("textbox", name=label, exact=True)
        box.fill(values)
        box.press("Enter")
        wait_idle(page)
    panel.get_by_role("button", name="Run sweep").click()
    panel.locator("text.gtitle").first.wait_for(timeout=120_000)
    wait_idle(page)
    assert "neggrad over epochs×lr (2×2 cells" in panel.locator("text.gtitle").first.text_content()
    assert panel.locator("g.hm").count() == 4  # heatmaps of forget, retain, test accuracy and the gap to retrain
    assert not page.get_by_text("Traceback").count()
    assert not page_errors, page_errors
