"""Real-browser fixtures: `streamlit run app.py` on a free localhost port, driven by Debian's Chromium.

Never skips: a missing /usr/bin/chromium (or playwright) is a test failure, so CI cannot pass by
accident without a browser. ``.ci/run`` installs chromium.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from explorer.bench.browser import chromium, serve_app

ARTIFACTS = Path(os.environ.get("EXPLORER_BROWSER_ARTIFACTS", Path(tempfile.gettempdir()) / "explorer-browser"))
SHOTS = Path(os.environ.get("EXPLORER_SCREENSHOTS", ARTIFACTS / "screenshots"))


@pytest.fixture(scope="module")
def server():
    try:
        with serve_app(ARTIFACTS / "streamlit.log") as (url, _):
            yield url
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def browser():
    # Module scope: a sync Playwright left running would break other modules that start their own.
    try:
        with chromium() as b:
            yield b
    except RuntimeError as err:
        pytest.fail(f"{err}; browser tests must run, not skip")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


# Opening a page's own URL (e.g. /images) makes Streamlit's frontend probe for its base path there first;
# those two 404s are how it finds the server, not a fault of the page.
BASE_PATH_PROBES = ("/_stcore/health", "/_stcore/host-config")


@pytest.fixture
def page_errors(page) -> list[str]:
    """Every error the page throws or logs, and every failed request, from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 and not r.url.endswith(BASE_PATH_PROBES) else None)
    return errors
