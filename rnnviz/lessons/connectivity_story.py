"""Lesson 4, connectivity: the sentences under the charts, each computed from a ConnectivityRun.

The measure is r = C[T, 1] / C[T, T]: how strongly the final prediction reads the first word
(the country) against the last one (the query word), on the sentence shown. A cell "connects the
answer to the first word" when r >= REACH; the page states the threshold.
"""

from __future__ import annotations

import numpy as np

from rnnviz.lessons.connectivity_run import ConnectivityRun
from rnnviz.lessons.memory_lag import CELL_NAMES, LAG_CELLS

REACH = 1e-6  # r at or above this: the answer is connected to the first word
GOOD = 0.95  # held-out accuracy that counts as remembering


def _names(cells: list[str]) -> str:
    names = [f"the {CELL_NAMES[c]}" for c in cells]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _verb(cells: list[str], one: str, many: str) -> str:
    return one if len(cells) == 1 else many


def answer_story(run: ConnectivityRun, k: int) -> str:
    """Which cells connect the answer to the first word at checkpoint ``k``, and what that does not mean."""
    step = run.steps[k]
    r = {c: run.ratio(c, k) for c in LAG_CELLS}
    values = ", ".join(f"{CELL_NAMES[c]} {r[c]:.2g}" for c in sorted(LAG_CELLS, key=lambda c: -r[c]))
    yes = [c for c in LAG_CELLS if r[c] >= REACH]
    no = [c for c in LAG_CELLS if r[c] < REACH]
    when = "at the initial weights (step 0)" if step == 0 else f"after {step} training steps"
    if step > 0 and set(yes) == {"lstm", "gru"}:
        head = "**Only the trained gated cells connect the answer to the first word**"
    elif step > 0 and len(yes) == 1 and yes[0] != "rnn_tanh":
        head = f"**Only the trained {CELL_NAMES[yes[0]]} connects the answer to the first word**"
    elif not yes:
        head = "**None of the three connects the answer to the first word**"
    elif not no:
        head = "**All three connect the answer to the first word**"
    else:
        head = (
            f"**{_names(yes).capitalize()} {_verb(yes, 'connects', 'connect')} the answer to the first word; "
            f"{_names(no)} {_verb(no, 'does', 'do')} not**"
        )
    text = (
        f"{head} {when}: C[T, 1] / C[T, T] = {values} (connected means at least {REACH:.0e}: a small "
        "change of the country's input x_1 moves the answer's logit at least a millionth as much as the same "
        "change of the query word's x_T)."
    )
    blind = [c for c in no if run.acc[c][k] >= GOOD]
    if blind:
        n = run.config.eval_sentences
        first, *rest = blind
        also = "".join(f"; {_names([c])} {100 * run.acc[c][k]:.0f}%" for c in rest)
        text += (
            f" Yet {_names([first])} answers {100 * run.acc[first][k]:.0f}% of {n} held-out sentences right"
            f"{also}: the country is remembered, but a small change of x_1 barely moves the answer's logit. "
            "Remembering a word and passing a gradient back to it are not the same thing."
        )
    return text


def training_story(run: ConnectivityRun) -> str:
    """C[T, 1] / C[T, T] at the first and the last checkpoint of each cell, and its peak in between."""
    first, last = run.steps[0], run.steps[-1]
    lines, rose, fell = [], [], []
    for c in LAG_CELLS:
        ratios = np.array([run.ratio(c, k) for k in range(len(run.steps))])
        a, b = ratios[0], ratios[-1]
        (rose if b > a else fell).append(c)
        line = f"- {CELL_NAMES[c]}: {a:.2g} at step {first} → {b:.2g} at step {last}"
        top = int(np.argmax(ratios))
        if 0 < top < len(ratios) - 1 and ratios[top] > 10 * max(a, b):
            line += f" (highest, {ratios[top]:.2g}, at step {run.steps[top]})"
        lines.append(line)
    if not fell:
        head = (
            "Over training, every cell's answer reaches further back: C[T, 1] / C[T, T] rose for all three."
        )
    elif not rose:
        head = "Over training, no cell's answer reaches further back: C[T, 1] / C[T, T] fell for all three."
    else:
        head = (
            f"Over training, the answer of {_names(rose)} reaches further back (C[T, 1] / C[T, T] rose); "
            f"that of {_names(fell)} does not (it fell)."
        )
    return head + "\n" + "\n".join(lines)


def map_story(run: ConnectivityRun, k: int) -> str:
    """The many-to-many maps at checkpoint ``k``: each cell's weakest row's reach to the first word."""
    parts = []
    for c in LAG_CELLS:
        m = run.maps[c][k]  # (T, T)
        diag = np.diag(m)[1:]
        col = m[1:, 0]
        ratio = np.divide(
            col, diag, out=np.full_like(col, np.inf), where=diag > 0
        )  # C[s, 1] / C[s, s], s >= 2
        s = int(np.argmin(ratio)) + 2
        parts.append(
            f"{CELL_NAMES[c]} {ratio[s - 2]:.2g} (at s = {s}, accuracy {100 * run.acc_every[c][k]:.0f}%)"
        )
    return (
        f"At step {run.steps[k]}, the weakest row's C[s, 1] / C[s, s] over s = 2..T: {', '.join(parts)} "
        "(accuracy over every step of the held-out sentences)."
    )
