"""The lessons in a real Chromium: every lesson opened by its link and walked from the first step to the last
with Next, each predict step answered and revealed (the engine's verdict on the page), no error on any step;
``?classroom=1`` shows no sidebar."""
from __future__ import annotations

import re

import pytest

from explorer import lessons as L

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-stale="true"]');
}"""
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def wait_idle(page):
    page.wait_for_function(IDLE)


def wait_step(page, name: str, k: int):
    lesson = L.LESSONS[name]
    page.get_by_text(f"{lesson.title} · step {k + 1} of {len(lesson.steps)}").wait_for()
    page.get_by_role("heading", name=lesson.steps[k].title).wait_for()
    wait_idle(page)


def assert_clean(page, page_errors, where):
    assert page.locator(ERRORS).count() == 0, (where, page.locator(ERRORS).all_inner_texts())
    assert not page.get_by_text("Traceback").count(), where
    assert not page_errors, (where, page_errors)


@pytest.mark.parametrize("name", list(L.LESSONS))
def test_every_lesson_opens_by_link_and_walks_to_the_last_step(name, server, page, page_errors, shots):
    page.goto(f"{server}/?lesson={name}")  # the main link, as a teacher shares it
    lesson = L.LESSONS[name]
    for k, step in enumerate(lesson.steps):
        wait_step(page, name, k)
        assert f"lesson={name}" in page.url and f"step={k + 1}" in page.url
        if step.question:
            page.locator('[data-testid="stRadio"] [role="radiogroup"] label').first.click()  # the first choice
            page.get_by_role("button", name="Check my prediction").click()
            page.get_by_text(re.compile(r"^(Right|Not this time)")).first.wait_for()
        if step.view != "text":
            page.get_by_text("What the engine computed").wait_for()
            wait_idle(page)
            page.locator('[data-testid="stPlotlyChart"]').first.wait_for()  # the step's figure drew
        assert_clean(page, page_errors, (name, k))
        if k == 1:
            page.screenshot(path=str(shots / f"lesson_{name}_step{k + 1}.png"))
        if k < len(lesson.steps) - 1:
            page.get_by_role("button", name="Next →").click()
    assert page.get_by_role("button", name="Next →").is_disabled()


def test_classroom_mode_shows_no_sidebar(server, page, page_errors, shots):
    page.goto(f"{server}/lessons?lesson=sigmoid&step=1&classroom=1")
    wait_step(page, "sigmoid", 0)
    page.get_by_text("What the engine computed").wait_for()
    wait_idle(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]').is_visible()
    page.get_by_role("button", name="Next →").click()
    wait_step(page, "sigmoid", 1)
    assert "classroom=1" in page.url
    page.screenshot(path=str(shots / "lesson_classroom.png"))
    assert_clean(page, page_errors, "classroom")
    page.goto(f"{server}/?classroom=1&d.samples=160&t.epochs=300")  # the explorer itself in classroom mode
    page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for()
    wait_idle(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert_clean(page, page_errors, "classroom explorer")


def test_a_line_dataset_in_the_explorer_click_forgets_and_unlearn_draws_the_curve(server, page, page_errors, shots):
    page.goto(f"{server}/?ds=line&t.epochs=300&c.jit.passes=10")
    page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for()
    wait_idle(page)
    editor = page.locator('[data-testid="stPlotlyChart"]').first
    points = editor.locator("g.scatterlayer g.trace").last.locator("path.point")  # the training points
    points.first.wait_for()
    box = points.nth(7).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    editor.locator("g.hoverlayer g.hovertext").first.wait_for()
    page.mouse.click(x, y)
    page.get_by_text("Forget set: 1 point", exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Unlearn").click()
    page.get_by_text("How the boundary moves under JiT").wait_for()
    wait_idle(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(1).locator("g.slider-container").first.wait_for()
    page.screenshot(path=str(shots / "explorer_line.png"))
    assert_clean(page, page_errors, "line in the explorer")
