"""Lesson 7's predict-first question, its options and answer computed from the live weights.

"When the decoder writes the month's first digit (output step s = 4), which input position gets
the largest weight alpha_{t,s}?" Four positions are offered: the true argmax and three others
from other parts of the input, in input order, so the answer's place gives nothing away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.questions import Question

MONTH_STEP = 4  # 'dd-mm...': s = 4 writes the month's first digit (s counts from 1)


def _name(src: list[str], t: int) -> str:
    return f"$t={t + 1}$: '{'␣' if src[t] == ' ' else src[t]}'"


@dataclass(frozen=True)
class StepQuestion(Question):
    s: int  # the output step asked about (from 1)


def largest_weight_question(src: list[str], out: list[str], alpha: np.ndarray) -> StepQuestion:
    """The question for one traced input (``alpha`` (S, T), ``out`` the tokens written)."""
    S, T = alpha.shape
    s = MONTH_STEP if S >= MONTH_STEP else 1
    row = alpha[s - 1]
    best = int(row.argmax())
    # three other positions spread over the input: the lightest of each third not holding the answer
    thirds = np.array_split(np.arange(T), 3)
    others = []
    for part in thirds:
        part = [int(t) for t in part if t != best and t not in others]
        if part:
            others.append(min(part, key=lambda t: (row[t], t)))
    others = [t for t in dict.fromkeys(others)][:3]
    positions = sorted([best, *others])
    what = "the month's first digit" if s == MONTH_STEP else "its first character"
    options = [_name(src, t) for t in positions]
    hints = {
        i: f"At $s={s}$ that position gets $\\alpha = {row[t]:.3f}$; the largest weight is "
        f"{row[best]:.3f}. Look at row {s} of the heatmap below."
        for i, t in enumerate(positions)
        if t != best
    }
    return StepQuestion(
        s=s,
        question=(
            f"Predict before you look at the heatmap: when the decoder writes {what} (output step $s={s}$, "
            f"it writes '{out[s - 1]}'), which input position gets the largest weight $\\alpha_{{t,{s}}}$?"
        ),
        options=options,
        answer=positions.index(best),
        why=f"$\\alpha_{{{best + 1},{s}}} = {row[best]:.3f}$, the largest of row {s}: the score "
        f"$\\mathrm{{score}}_{{{best + 1},{s}}}$ is the largest, and the softmax keeps "
        "the order of the scores.",
        hints=hints,
    )
