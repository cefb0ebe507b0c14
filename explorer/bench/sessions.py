"""The load benchmark's students: each opens the link, clicks its training point, presses Unlearn and waits for
the playable animation, driven by Streamlit's own protocol (:mod:`explorer.bench.client`) or in headless
Chromium, in a client process of its own at the lowest CPU priority (:func:`client_main`). This module imports
neither torch nor the explorer's engine: the client process stays small."""
from __future__ import annotations

import asyncio
import json
import os
import re
import time
from contextlib import asynccontextmanager

from explorer.bench import client as protocol
from explorer.bench.browser import CHROMIUM, CHROMIUM_ARGS, IDLE

POINT = 10  # the training point every session clicks in the shared case
STRIDE = 37  # distinct points: session i clicks POINT + 1 + STRIDE * i (mod the training set's size)
EDITOR = '[data-testid="stPlotlyChart"]'


def session_point(i: int, n_points: int, distinct: bool) -> int:
    """The training point session ``i`` clicks: one for all, or a different one each (``STRIDE`` is prime, so
    the first ``n_points`` sessions never repeat a point when the training set's size is not a multiple of it)."""
    return (POINT + 1 + STRIDE * i) % n_points if distinct else POINT % n_points


def warmup_point(n_sessions: int, n_points: int, distinct: bool, nth: int = 0) -> int:
    """The ``nth`` point no measured session clicks: the warm-up's runs are shared with none of theirs."""
    used = {session_point(i, n_points, distinct) for i in range(n_sessions)}
    return [p for p in range(n_points) if p not in used][nth]


# ----------------------------------------------------------------------------------------------
# one session, by protocol or in a browser

@asynccontextmanager
async def outcome(out: dict, errors: list, close):
    """A session's record: ``ok`` when its steps ran without an error, any failure kept as one line (a finding,
    counted), its errors, and its connection or browser closed whatever happened."""
    try:
        yield
        out["ok"] = not errors
    except Exception as err:  # noqa: BLE001 - a session's failure is a finding, counted and kept
        errors.append(failure_line(err))
    finally:
        out["errors"] = errors
        await close()


async def protocol_session(url: str, query: str, pick, timeout_s: float) -> dict:
    """One student without a browser: open the link, click a point, press Unlearn, wait for the animation."""
    session, out, errors = protocol.Session(url, query), {"ok": False}, []
    async with outcome(out, errors, session.close):
        start = time.perf_counter()
        opened = await session.open(timeout_s)
        errors += opened.errors()
        editor = opened.selectable_chart()
        if editor is None:
            raise RuntimeError("no forget-set editor on the page")
        out["open_seconds"] = time.perf_counter() - start
        n_points = len(json.loads(editor.spec)["data"][-1]["customdata"])
        out["point"] = point = pick(n_points)
        clicked = await session.rerun([protocol.select_points(editor, [point])], timeout_s)
        errors += clicked.errors()
        await asyncio.sleep(pick.think)  # a student's way from the point to the button
        button = clicked.button("Unlearn")
        if button is None or not any(re.search(r"Forget set: 1 point\b", e.markdown.body)
                                     for e in clicked.of_type("markdown")):
            raise RuntimeError("the click did not make a one-point forget set")
        done = await session.rerun([protocol.press(button)], timeout_s)
        errors += done.errors()
        if done.animation() is None:
            raise RuntimeError("no playable animation after Unlearn")
        out.update(click_seconds=done.seconds, point_to_animation_seconds=clicked.seconds + done.seconds)
    return out


async def _idle(page, timeout_ms: float) -> None:
    await page.wait_for_function(IDLE, timeout=timeout_ms, polling=100)  # not every animation frame


async def browser_session(browser, url: str, query: str, pick, timeout_s: float) -> dict:
    """One student in Chromium: open the link, click a point, press Unlearn, wait until ▶ and the slider show."""
    ms = timeout_s * 1000
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    out: dict = {"ok": False}
    async with outcome(out, errors, context.close):
        start = time.perf_counter()
        await page.goto(f"{url}/?{query}", timeout=ms)
        await page.get_by_text(re.compile(r"Forget set: \d+ points?")).wait_for(timeout=ms)
        await _idle(page, ms)
        points = page.locator(EDITOR).first.locator("g.scatterlayer path.point")
        await points.first.wait_for(timeout=ms)
        out["open_seconds"] = time.perf_counter() - start
        out["point"] = point = pick(await points.count())
        box = await points.nth(point).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await page.mouse.move(x, y)
        await page.locator(EDITOR).first.locator("g.hoverlayer g.hovertext").first.wait_for(timeout=ms)
        clicked = time.perf_counter()
        await page.mouse.click(x, y)
        await page.get_by_text(re.compile(r"^Forget set: 1 points?$")).wait_for(timeout=ms)
        await _idle(page, ms)
        await asyncio.sleep(pick.think)
        pressed = time.perf_counter()
        await page.get_by_role("button", name="Unlearn").click(timeout=ms)
        await page.get_by_text("How the boundary moves under").wait_for(timeout=ms)
        await _idle(page, ms)
        player = page.locator(EDITOR).nth(1)
        await player.locator("g.slider-container text.slider-label").first.wait_for(timeout=ms)
        await player.locator("g.updatemenu-button").first.wait_for(timeout=ms)  # ▶ Play is drawn
        done = time.perf_counter()
        out.update(click_seconds=done - pressed, point_to_animation_seconds=done - clicked)
        alerts = await page.locator('[data-testid="stAlertContentError"]').all_text_contents()
        if alerts:
            errors.append("error on the page: " + alerts[0][:200])
    return out


def failure_line(err: Exception) -> str:
    """A session's failure in one line: its type and the first 200 characters of its message."""
    text = str(err)
    return f"{type(err).__name__}: {text.splitlines()[0][:200] if text else ''}"


async def _sessions(kind: str, url: str, query: str, picks, timeout_s: float) -> list[dict]:
    if kind == "protocol":
        return await asyncio.gather(*(protocol_session(url, query, pick, timeout_s) for pick in picks))
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(browser_session(browser, url, query, pick, timeout_s) for pick in picks))
        finally:
            await browser.close()


class Pick:
    """Session i's point (warm-up session i's, with ``warmup_of`` the number of measured sessions), and the seconds
    it waits between the click on it and the press of Unlearn (none: at once), picklable for the client process."""

    def __init__(self, i: int, distinct: bool, warmup_of: int | None = None, think: float = 0.0):
        self.i, self.distinct, self.warmup_of, self.think = i, distinct, warmup_of, think

    def __call__(self, n_points: int) -> int:
        if self.warmup_of is not None:
            return warmup_point(self.warmup_of, n_points, self.distinct, self.i)
        return session_point(self.i, n_points, self.distinct)


def lowest_priority(kind: str) -> str:
    """Put this process (and what it starts) at the lowest CPU priority: nice 19 and, for browsers on Linux, the
    SCHED_IDLE policy. Chromium running as root sets its own processes' nice values (the browser and GPU
    processes to −8, renderers to 0, measured), which undoes nice 19; it does not change the policy, and a
    SCHED_IDLE thread runs only when no other thread wants the CPU. (The protocol client needs little CPU, and
    a SCHED_IDLE client would also wait behind everything else on a busy machine, inflating the latencies it
    times.) Returns what it set."""
    os.nice(19)
    if kind != "browser":
        return "nice 19"
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return "nice 19, SCHED_IDLE"
    except (AttributeError, OSError):  # not Linux
        return "nice 19"


def client_main(results, kind, url, query, picks, timeout_s, cores) -> None:
    """The client process: lowest priority, on ``cores`` when given; runs the sessions, sends their results."""
    lowest_priority(kind)
    if cores:
        os.sched_setaffinity(0, cores)
    try:
        results.put(("ok", asyncio.run(_sessions(kind, url, query, picks, timeout_s))))
    except BaseException as err:  # noqa: BLE001 - reported to the parent in one line
        results.put(("error", f"{type(err).__name__}: {err}"))
