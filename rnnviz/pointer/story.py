"""The sentences the pointer page prints, computed from the numbers it shows.

>>> answer_sentence("pointer network", [2, 1, 0], [2, 1, 0])
'The pointer network answers **t = 2, 1, end**: right at every step.'
>>> answer_sentence("pointer network", [2, 2, 0], [2, 1, 0])
'The pointer network answers **t = 2, 2, end**; the answer is **t = 2, 1, end**. Wrong at step s = 2.'
>>> baseline_sentence([4, 1, 0], [2, 3, 1, 0], n_train=5, T=3).split(". It ")[-1]
'wrote position 4, which your input of T = 3 does not have: its vocabulary always offers 1 .. 5.'
>>> sharpening_sentence([0, 100, 200], [0.21, 0.6, 0.93], 1 / 6)
'Mean largest weight: 0.21 at step 0 (uniform: 0.17), 0.93 at step 200: the pointer sharpened.'
"""

from __future__ import annotations

import pandas as pd

from rnnviz.tasks.point_sets import END


def written(p: list[int]) -> str:
    return "t = " + ", ".join("end" if t == END else ("?" if t < 0 else str(t)) for t in p)


def answer_sentence(who: str, answer: list[int], target: list[int]) -> str:
    """What ``who`` answered, and at which steps s (from 1) it differs from the target."""
    head = f"The {who} answers **{written(answer)}**"
    wrong = [s for s in range(1, max(len(answer), len(target)) + 1)
             if s > len(answer) or s > len(target) or answer[s - 1] != target[s - 1]]  # fmt: skip
    if not wrong:
        return head + ": right at every step."
    steps = ", ".join(map(str, wrong[:8])) + (" ..." if len(wrong) > 8 else "")
    plural = "s" if len(wrong) > 1 else ""
    return f"{head}; the answer is **{written(target)}**. Wrong at step{plural} s = {steps}."


def baseline_sentence(
    answer: list[int] | None, target: list[int], n_train: int, T: int, step: int | None = None
) -> str:
    """What the fixed-vocabulary model wrote for an input of length T, whether it could write the
    right answer at all, and which positions it wrote that the input does not have (its vocabulary
    holds 1 .. n_train whatever T is)."""
    if answer is None:
        return ""
    who = "fixed-vocabulary seq2seq" + (f" (its latest weights, step {step})" if step is not None else "")
    out = answer_sentence(who, answer, target)
    need = max(target)
    if need > n_train:
        out += (
            f" It **cannot** write this answer: it needs position t = {need}, and its output layer "
            f"has one unit per position 1 .. {n_train} (plus end), fixed when it was built."
        )
    missing = sorted({t for t in answer if t > T})
    if missing:
        out += (
            f" It wrote position{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))}, which your "
            f"input of T = {T} does not have: its vocabulary always offers 1 .. {n_train}."
        )
    return out


def sharpening_sentence(steps: list[int], values: list[float], chance: float) -> str:
    """First and last checkpoint's mean largest weight, and whether it rose (sharpened)."""
    if len(steps) < 2:
        return (
            f"Mean largest weight {values[0]:.2f} (uniform: {chance:.2f}). Train to add checkpoints and "
            "watch it change."
        )
    first, last = values[0], values[-1]
    if last > first + 0.05:
        trend = "the pointer sharpened"
    elif last < first - 0.05:
        trend = "the pointer got flatter"
    else:
        trend = "it has hardly changed"
    return (
        f"Mean largest weight: {first:.2f} at step {steps[0]} (uniform: {chance:.2f}), {last:.2f} at step "
        f"{steps[-1]}: {trend}."
    )


def _span(shares) -> str:
    """'0%' or '4% to 30%': the range of a column of shares, as percentages."""
    lo, hi = f"{100 * shares.min():.0f}%", f"{100 * shares.max():.0f}%"
    return lo if lo == hi else f"{lo} to {hi}"


def length_sentences(frame: pd.DataFrame, n_train: int, vocab_rows: int) -> list[str]:
    """Per model: exact match at the training length and at the longest tested; the baseline's share
    of writable answers beyond the training length, and the size of its output layer."""
    out = []
    longest = int(frame["T"].max())
    for model, rows in frame.groupby("model", sort=False):
        rows = rows.set_index("T")
        at_train = 100 * rows.loc[n_train, "exact"] if n_train in rows.index else float("nan")
        out.append(
            f"**{model}**: exact match {at_train:.0f}% at the training length T = {n_train}, "
            f"{100 * rows.loc[longest, 'exact']:.0f}% at T = {longest}; per step "
            f"{100 * rows.loc[n_train, 'per_step']:.0f}% and {100 * rows.loc[longest, 'per_step']:.0f}%."
        )
        if rows["writable"].min() < 1:
            beyond = rows[rows.index > n_train]
            out.append(
                f"Its output layer $W_y$ has {vocab_rows} rows (`<pad>`, `<sos>`, end, positions "
                f"1 .. {n_train}): "
                f"of the test answers at T = {int(beyond.index.min())} .. {longest}, "
                f"{_span(beyond['writable'])} use only positions it can write."
            )
    return out
