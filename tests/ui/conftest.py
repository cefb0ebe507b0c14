"""What the AppTest flows share: the ``start`` fixture (tests/ui/apptest.py's ``open_page``)."""
import pytest

from tests.ui.apptest import open_page


@pytest.fixture(scope="session")
def start():
    """``start(params=None, *, page="app.py", fast=True, timeout=300, **more) -> AppTest``: a page opened from a
    link's parameters, having raised nothing (:func:`tests.ui.apptest.open_page`)."""
    return open_page
