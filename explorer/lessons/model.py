"""The shapes of a lesson (no Streamlit, no engine): questions, steps, lessons, what a step's view computed, and
how a lesson is linked to. The lessons themselves are data in :mod:`explorer.lessons.catalog`; each step's view is
computed by :mod:`explorer.lessons.steps`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explorer.config.echo import shown


@dataclass(frozen=True)
class Question:
    """Asked before the step runs; ``choices`` are (key, label); the view's numbers pick the right key."""

    prompt: str
    choices: tuple[tuple[str, str], ...]

    def label(self, key: str) -> str:
        return dict(self.choices)[key]


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    scenario: str  # a key of SCENARIOS
    view: str  # a key of VIEWS
    forget: tuple[str, ...] = ()  # forget-set words (FORGET_SETS) or named training points of the dataset
    question: Question | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]


@dataclass
class Outcome:
    """What the engine computed for one step: figures (caption, figure), facts, and for a question the
    right choice and one sentence why, with the numbers."""

    figures: list[tuple[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    answer: str | None = None
    why: str = ""
    numbers: dict[str, float] = field(default_factory=dict)
    more: list[tuple[str, Any]] = field(default_factory=list)  # shown on request (one click): (caption, figure)



LESSONS: dict[str, "Lesson"] = {}  # filled by explorer.lessons.catalog, in the order the page lists them


def judge(step: Step, choice: str, outcome: Outcome) -> tuple[bool, str]:
    """Whether ``choice`` is what the engine's numbers say, and the sentence that says so."""
    if step.question is None or outcome.answer is None:
        raise ValueError(f"step {step.title!r} asks nothing")
    right = choice == outcome.answer
    lead = "Right" if right else f"Not this time: the engine says “{step.question.label(outcome.answer)}”"
    return right, f"{lead}: {outcome.why}."


def link(name: str, step: int = 0, classroom: bool = False) -> str:
    """The query string that opens lesson ``name`` at ``step`` (0-based here, 1-based in the link)."""
    return f"?lesson={name}&step={step + 1}" + ("&classroom=1" if classroom else "")


def parse_link(params: dict) -> tuple[str | None, int, list[str]]:
    """(lesson name or None, 0-based step, notices) from query parameters; bad values fall back, with a notice."""
    notices = []
    name = params.get("lesson")
    if isinstance(name, list):
        name = name[-1] if name else None
    if name is None:
        return None, 0, notices
    if name not in LESSONS:
        notices.append(f"There is no lesson {shown(name)}; the lessons are: {', '.join(LESSONS)}.")
        return None, 0, notices
    raw = params.get("step", "1")
    raw = raw[-1] if isinstance(raw, list) else raw
    try:
        step = int(raw) - 1
    except (TypeError, ValueError):
        notices.append(f"Ignored step={shown(raw)}: not a number; starting at step 1.")
        return name, 0, notices
    n = len(LESSONS[name].steps)
    if not 0 <= step < n:
        notices.append(f"Lesson {shown(name)} has steps 1 to {n}; showing step {min(max(step, 0), n - 1) + 1}.")
        step = min(max(step, 0), n - 1)
    return name, step, notices
