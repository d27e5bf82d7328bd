"""The sentence, stage, time step t and unit j the gate lessons (5 and 6) work through.

Steps count from 1, as everywhere in the app: t = 1 is the first word (the country), and the state
before it is h_0 = 0 (and c_0 = 0 for an LSTM). The picker returns that 1-based t; the page turns it
into the 0-based row of its arrays in one place.

A select_slider keeps one identity (one URL parameter) as its range changes, so a link's t and j
stand; a shorter sentence moves t to its last word, and a new model starts at its busiest unit.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.errors import InputError
from rnnviz.lessons import gating
from rnnviz.lessons.lstm_lesson import SentenceRead
from ui.lesson import follow, show_error
from ui.safe import plain


def stage_step_and_unit(
    prefix: str,
    stages: dict[str, str],
    T: int,
    hidden: int,
    busiest: int,
    model_basis,
    unit_help: str | None,
    fallback: str | None = None,
) -> tuple[str, int, int]:
    """The three pickers of the gate lessons' step views, in one row: the stage of the cell
    ``<prefix>stage`` (keys of ``stages``, shown by their values), then t and j
    (:func:`time_step_and_unit`). Returns (stage, t, j), t counted from 1.

    A stage the cell does not have (a link's ``reset`` on the GRU without a reset gate, or a stage
    held from another cell) becomes ``fallback`` (default: the first stage) before the radio reads it.
    """
    c1, c2, c3 = st.columns([3, 2, 2])
    if st.session_state.get(prefix + "stage") not in (None, *stages):
        st.session_state[prefix + "stage"] = fallback or next(iter(stages))
    stage = c1.radio(
        "Stage of the cell",
        list(stages),
        format_func=stages.get,
        horizontal=True,
        key=prefix + "stage",
        bind="query-params",
    )
    t, unit = time_step_and_unit(prefix, c2, c3, T, hidden, busiest, model_basis, unit_help)
    return stage, t, unit


def time_step_and_unit(
    prefix: str, where_t, where_unit, T: int, hidden: int, busiest: int, model_basis, unit_help: str | None
) -> tuple[int, int]:
    """Draw the pickers ``<prefix>t`` (t = 1..T) in ``where_t`` and ``<prefix>unit`` in ``where_unit``.

    Returns (t, j) with t counted from 1. ``busiest`` is the unit to start at whenever ``model_basis``
    (what the model is built from) changes.
    """
    held = st.session_state.get(prefix + "t", 1)
    if isinstance(held, int) and held > T:  # a shorter sentence: stay on its last word
        st.session_state[prefix + "t"] = T
    elif isinstance(held, int) and held < 1:  # below the first word: go to the first word
        st.session_state[prefix + "t"] = 1
    t = where_t.select_slider(
        "Time step t", list(range(1, T + 1)), min(2, T), key=prefix + "t", bind="query-params",
        help="t = 1 is the first word (the country); the state before it is h_0 = 0.",
    )  # fmt: skip
    follow(prefix + "unit", model_basis, busiest)  # a new model starts at its own remembering unit
    unit = where_unit.select_slider(
        "Unit j", list(range(hidden)), busiest, key=prefix + "unit", bind="query-params", help=unit_help
    )
    return t, unit


def sentence(prefix: str, task, basis):
    """The sentence box of the gate lessons (5 and 6), ``<prefix>text``; returns its (x, y).

    It starts at the task's example sentence, and goes back to it whenever ``basis`` (what the task
    is made of) changes; a sentence the task cannot read is refused with a message and the example
    is shown instead."""
    example = task.decode(task.example(0).x[0])
    follow(prefix + "text", basis, example)  # a new task brings its own example sentence
    text = st.text_input(
        "The sentence the model reads (edit it: any words of the task's vocabulary)",
        example,
        key=prefix + "text",
        bind="query-params",
        help="Countries: "
        + ", ".join(task.countries)
        + ". Filler words: "
        + ", ".join(task.vocab[len(task.countries) : -1]),
    )
    try:
        return gating.read_sentence(task, text)
    except InputError as err:
        show_error(err, f"The views below show the example sentence instead: {plain(example)}")
        return gating.read_sentence(task, example)


def prediction(read: SentenceRead) -> None:
    """What the model says about the sentence, how sure it is, and the right answer (lessons 5 and 6)."""
    m1, m2, m3 = st.columns(3)
    m1.metric("The model says", read.said, help="The class with the highest probability at the last step.")
    m2.metric(f"p({read.said})", f"{read.p_guess:.3f}")
    m3.metric(
        "Right answer" if read.right is not None else "Right answer (none: the first word is no country)",
        read.right if read.right is not None else "-",
    )
