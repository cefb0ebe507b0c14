"""One way to open a page from a link's parameters, for every AppTest flow."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
FAST = {"d.samples": "160", "t.epochs": "300", "c.jit.passes": "10"}  # a small 2D scenario that trains in seconds


def open_page(params=None, *, page: str = "app.py", fast: bool = True, timeout: int = 300, **more) -> AppTest:
    """A fresh run of ``page`` (the app and its navigation by default, or ``pages/images.py``) opened with a link's
    query parameters (``params`` and ``more``, over :data:`FAST` when ``fast``); it has raised nothing."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    for key, value in {**(FAST if fast else {}), **(params or {}), **more}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at
