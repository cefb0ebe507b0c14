"""Guided lessons (no Streamlit): each lesson is a few steps of text, a preloaded scenario and forget set, the one
view the step needs, and optionally a question the learner answers before the engine runs.

:mod:`~explorer.lessons.model` holds the shapes and links, :mod:`~explorer.lessons.catalog` the lessons' text as
data, :mod:`~explorer.lessons.steps` the engine computing each view. A step's view returns its figures, the facts it
measured (sentences with the numbers) and, for a question, which choice the numbers make right and why. Nothing
is tuned to make a claim come true: the reveal states what was computed, including when JiT does not do what the
paper's figures suggest.
"""
from explorer.lessons import catalog  # noqa: F401  (fills LESSONS)
from explorer.lessons import odd_point  # noqa: F401  (its scenario and views, into the steps' tables)
from explorer.lessons import seed_cloud  # noqa: F401  (the two-retrainings step's scenario and view)
from explorer.lessons.model import LESSONS, Lesson, Outcome, Question, Step, judge, link, parse_link
from explorer.lessons.steps import FORGET_SETS, SCENARIOS, VIEWS, Engine, compute, forget_ids, local_engine, scenario

__all__ = ["LESSONS", "Lesson", "Outcome", "Question", "Step", "judge", "link", "parse_link", "FORGET_SETS",
           "SCENARIOS", "VIEWS", "Engine", "compute", "forget_ids", "local_engine", "scenario"]
