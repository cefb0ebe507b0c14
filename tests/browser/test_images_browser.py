"""Real browser: the images page trains digits, forgets a class, and the boundary-through-an-image
view renders and animates (press its Play, see the frame change).

Starts its own `streamlit run app.py` on a free port and opens the images page. Never skips: a
missing /usr/bin/chromium or playwright fails the test.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EXPLORER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path(os.environ.get("EXPLORER_SCREENSHOTS", ROOT / "tests" / "browser" / "screenshots"))
PLANE = '[data-testid="stPlotlyChart"]:has-text("plane through forgotten image")'

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def images_server():
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    port = _free_port()
    log = open(ROOT / "tests" / "browser" / "streamlit_images.log", "w")
    proc = subprocess.Popen(
        [streamlit, "run", str(ROOT / "app.py"), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--global.developmentMode", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"streamlit did not start (see {log.name})")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def step_label(chart) -> str:
    """The slider's "step N" readout (an SVG text element)."""
    return chart.locator("text").filter(has_text=re.compile(r"^step \d+$")).first.text_content()


def test_boundary_view_renders_and_animates(images_server):
    assert Path(CHROMIUM).exists(), f"chromium not found at {CHROMIUM}: install it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright  # a missing playwright is a failure, not a skip

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(images_server + "/images")
            page.get_by_text("test accuracy").first.wait_for(timeout=180_000)
            page.get_by_role("tab", name="By class").click()
            page.get_by_role("button", name="Forget this class").click()
            page.get_by_text("Forget set: ").filter(has_not_text="Forget set: 0").first.wait_for(timeout=60_000)
            page.get_by_role("button", name="Unlearn").click()
            chart = page.locator(PLANE).first
            chart.locator("g.heatmaplayer image").first.wait_for(timeout=180_000)
            page.wait_for_timeout(500)
            chart.scroll_into_view_if_needed()
            image = chart.locator("g.heatmaplayer image").first
            before = image.get_attribute("href")
            page.screenshot(path=str(SHOTS / "images_after_unlearn.png"), full_page=True)
            assert before and before.startswith("data:image")
            label_before = step_label(chart)
            chart.locator(".updatemenu-button").filter(has_text="Play").first.click()
            deadline = time.time() + 30
            after = before
            while time.time() < deadline and after == before:
                page.wait_for_timeout(250)
                after = image.get_attribute("href")
            label_after = step_label(chart)
            chart.screenshot(path=str(SHOTS / "images_plane_after_play.png"))
            assert after != before, "pressing Play did not change the boundary heatmap"
            assert label_after != label_before, (label_before, label_after)
            assert not page.get_by_text("Traceback").count()
        finally:
            browser.close()
    assert not errors, errors
