"""How a page reports work and failure: one progress bar helper, one "error in one line" helper, and
:func:`notice`, through which every notice, warning and error a page shows passes (what a link, a file or a
field supplied is shown as text: explorer/config/echo.py)."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import streamlit as st

from explorer.config.echo import for_markdown
from explorer.pipeline import one_line
from explorer.config.scenario import ScenarioError

log = logging.getLogger("explorer.app")


@contextmanager
def progress(text: str):
    """A progress bar for the block; yields ``report(label, fraction)`` and removes the bar afterwards."""
    bar = st.progress(0.0, text=f"{text}…")

    def report(label: str, fraction: float) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{label}…")
    try:
        yield report
    finally:
        bar.empty()


USER_ERRORS = (ScenarioError, ValueError, FloatingPointError)  # bad input or settings: the message says it all


def error_line(what: str, err: BaseException) -> str:
    """``what`` failed, in one line: bad input or settings (a diverging training run included) as the message
    says it, anything else with its type (and logged with its traceback for the server's log, never the page)."""
    if isinstance(err, USER_ERRORS):
        return f"{what} failed: {one_line(err)}" if what else one_line(err)
    log.exception("%s failed", what or "the page")
    return f"{what or 'Something'} failed: {type(err).__name__}: {one_line(err)}".rstrip(": ")


KINDS = {"warning": st.warning, "error": st.error, "info": st.info, "caption": st.caption}


def notice(text, kind: str = "warning") -> None:
    """One line in a coloured box (``kind``: warning, error, info, or caption for a plain line), shown exactly as
    text and at most a few hundred characters long, whatever it quotes."""
    KINDS[kind](for_markdown(text))


@contextmanager
def reported(what: str = ""):
    """Run the block; a failure becomes one ``st.error`` line and the block is abandoned, the page goes on."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the page must never show a traceback
        notice(error_line(what, err), "error")
