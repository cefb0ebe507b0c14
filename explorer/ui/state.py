"""A page's state: one typed object per page under one session key, and widget keys derived from the
scenario's field paths (``widget_key("2d", "train.epochs") == "2d:train.epochs"`` and back).

These are the only session-state keys the app writes by hand; everything else a page remembers is a
field of its state object, and every widget's key comes from :func:`widget_key`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import streamlit as st

from explorer.config.selection import ForgetState

PAGE_KEYS = ("explore", "images", "atlas", "lessons")  # the session keys of the pages' state objects
T = TypeVar("T")


def widget_key(page: str, path: str) -> str:
    """The widget key of scenario field ``path`` (or of a page-only control under ``ui.``) on ``page``."""
    return f"{page}:{path}"


def field_path(key: str) -> tuple[str, str] | None:
    """(page, path) of a widget key made by :func:`widget_key`, else None."""
    page, sep, path = key.partition(":")
    return (page, path) if sep and page and path else None


def widget_value(page: str, path: str, default: Any = None) -> Any:
    return st.session_state.get(widget_key(page, path), default)


def set_widget(page: str, path: str, value: Any) -> None:
    st.session_state[widget_key(page, path)] = value


def page_state(name: str, make: Callable[[], T]) -> T:
    """The page's state object, created on the session's first visit."""
    if name not in PAGE_KEYS:
        raise KeyError(f"unknown page state {name!r}")
    if name not in st.session_state:
        st.session_state[name] = make()
    return st.session_state[name]


class Bounded(dict):
    """A dict that forgets its oldest entries beyond ``size`` (per-session caches of figures and sweeps)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        while len(self) > self.size:
            del self[next(iter(self))]


@dataclass
class Shown:
    """A finished run as a page shows it: what it was run with and the figures built from it."""

    key: str  # the scenario and forget set it was run with (stale when they change)
    outcome: Any  # RunOutcome (2D) or ImageRun (images)
    scenario: Any
    figures: dict = field(default_factory=dict)


@dataclass
class ExploreState:
    """Everything the 2D explorer remembers between reruns besides its widgets."""

    forget: ForgetState = field(default_factory=ForgetState)
    notices: list[str] = field(default_factory=list)  # what the URL had that could not be used
    flash: str | None = None  # a one-line error raised in a callback, shown on the next run
    initialized: bool = False
    base: Any = None  # the scenario the URL gave: its fields without a widget (seeds, grid, probe) stay
    scenario: Any = None  # the last scenario the widgets described
    synced: dict | None = None  # the URL parameters the page last wrote (a different link came from elsewhere)
    hold_url: bool = False  # leave the address alone this run (explorer/ui/links.py may reload it)
    trained_key: str | None = None
    n_train: int = 0
    result: Shown | None = None
    figure2: dict | None = None
    figure3: dict | None = None  # the paper's Figure 3 (1-D), as last shown
    sweeps: Bounded = field(default_factory=lambda: Bounded(8))
    info: Bounded = field(default_factory=lambda: Bounded(4))
    edit: Any = None  # "Edit data" mode and the uploaded data file (explorer/ui/edit.py's EditState)


@dataclass
class ImagesState:
    """Everything the images page remembers between reruns besides its widgets."""

    forget: ForgetState = field(default_factory=ForgetState)
    scenario: Any = None  # the last scenario the widgets described
    note: str | None = None  # the last change to the forget set, in words
    trained_key: str | None = None
    map_last: tuple | None = None  # the last map selection applied (a rerun repeats the event)
    maps: Bounded = field(default_factory=lambda: Bounded(2))
    result: Shown | None = None
    sweep: tuple | None = None  # (JiT's output space or None for another method, SweepResult)
    upload: Any = None  # the .npz of images uploaded on this page (the dataset "file"), a DataFile
    upload_error: str | None = None  # why the last upload was refused, one line


@dataclass
class AtlasState:
    """What the atlas page remembers between reruns besides its widgets."""

    atlases: Bounded = field(default_factory=lambda: Bounded(4))  # scenario JSON -> Atlas (cached per scenario)
    chosen: int | None = None  # the point last clicked on the map


@dataclass
class LessonState:
    """Where the learner is in the lessons: the lesson, the step, and the answers given (revealed)."""

    lesson: str | None = None
    step: int = 0
    notices: list[str] = field(default_factory=list)  # what the link had that could not be used
    answers: dict = field(default_factory=dict)  # (lesson, step) -> the chosen answer's key, once checked
    initialized: bool = False
