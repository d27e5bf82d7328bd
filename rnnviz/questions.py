"""A check question built from a live model's numbers: what every lesson's predict-first question is.

A lesson's question builder (e.g. ``rnnviz.lessons.lstm_story.filler_question``) reads the model,
computes which option is right, and returns a :class:`Question`; the page hands its fields to
``ui.lesson.check``, which grades the student's choice against ``answer``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    question: str  # what the student is asked (Markdown, LaTeX allowed)
    options: list[str]
    answer: int  # index into options, computed from the live numbers
    why: str  # shown with a right answer: the numbers that make it right
    hints: dict[int, str]  # wrong option -> what that choice misses
