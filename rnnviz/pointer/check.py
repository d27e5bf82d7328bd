"""The pointer lesson's check question: where will the live model point first on the student's input?

The options name roles (the right first answer, the largest value / highest point, the first input,
END, another position); the answer is the role of the live model's own argmax at step s = 1, so
the question asks the student to predict the model, not the task.

>>> import numpy as np
>>> q = first_pointer_question("sort", np.array([[0.5], [0.1], [0.9]]), [2, 1, 3, 0], 2)
>>> q.options[q.answer]
't = 2: the smallest number (the right first answer)'
"""

from __future__ import annotations

import numpy as np

from rnnviz.questions import Question
from rnnviz.tasks.point_sets import END


def first_pointer_question(
    task: str, x: np.ndarray, target: list[int], first: int, at_step: int | None = None
) -> Question:
    """``first``: the model's choice at step 1 (END = 0, else a position 1 .. T), the model shown
    (``at_step``: the training step of its weights)."""
    T = x.shape[0]
    right = target[0]
    if task == "sort":
        top = int(np.argmax(x[:, 0])) + 1
        roles = [(right, "the smallest number (the right first answer)"), (top, "the largest number")]
    else:
        top = int(np.lexsort((-x[:, 0], x[:, 1]))[-1]) + 1  # highest y (then smallest x)
        roles = [(right, "the lowest point (the right first answer)"), (top, "the highest point")]
    roles.append((1, "the first input in the list"))
    options, positions = [], []
    for t, name in roles:
        if t not in positions:
            positions.append(t)
            options.append(f"t = {t}: {name}")
    options.append("end: it stops at once")
    positions.append(END)
    options.append("another position")
    answer = positions.index(first) if first in positions else len(options) - 1
    taken = "end" if first == END else f"t = {first}"
    why = f"At step s = 1 the model's largest weight is on {taken}." + (
        " That is where the right answer starts."
        if first == right
        else f" The right answer starts at t = {right}: this model does not (yet) start there."
    )
    hints = {
        i: f"At step 1 the model's largest weight is on {taken}, not here."
        for i in range(len(options))
        if i != answer
    }
    return Question(
        question=f"Your input has T = {T}. At output step s = 1, where does the pointer network "
        + ("" if at_step is None else f"(its weights after training step {at_step}) ")
        + "put its largest weight? Predict, then look at row s = 1 of the pointer matrix below.",
        options=options,
        answer=answer,
        why=why,
        hints=hints,
    )
