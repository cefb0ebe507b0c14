"""Lessons: guided steps that run the real engine and ask the learner to predict before they see.

app.py lists it in the app's navigation ("Lessons", at /lessons); ``?lesson=NAME&step=K`` opens a step and
``&classroom=1`` is projector mode. Layout and wiring only: panels in explorer/ui/lessons.py, the lessons
(data) and their views in explorer/lessons.py.
"""
from explorer.ui import lessons
from explorer.ui.feedback import reported

with reported():
    lessons.page()
