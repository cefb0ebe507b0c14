"""What the AppTest flows share: one way to start a page from a link's parameters."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
FAST = {"d.samples": "160", "t.epochs": "300", "c.jit.passes": "10"}  # a small 2D scenario that trains in seconds


@pytest.fixture(scope="session")
def start():
    """``start(params=None, *, page="app.py", fast=True, timeout=300, **more) -> AppTest``: a fresh run of ``page``
    (the 2D explorer and its navigation by default, or ``pages/images.py``) opened with a link's query parameters
    (``params`` and ``more``, over :data:`FAST` unless ``fast=False``); it has raised nothing."""
    def run(params=None, *, page: str = "app.py", fast: bool = True, timeout: int = 300, **more) -> AppTest:
        at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
        for key, value in {**(FAST if fast else {}), **(params or {}), **more}.items():
            at.query_params[key] = value
        at.run()
        assert not at.exception, at.exception
        return at

    return run
