"""The time step t and unit j the gate lessons (5 and 6) work through, as two select_sliders.

A select_slider keeps one identity (one URL parameter) as its range changes, so a link's t and j
stand; a shorter sentence moves t to its last word, and a new model starts at its busiest unit.
"""

from __future__ import annotations

import streamlit as st

from ui.lesson import follow


def time_step_and_unit(
    prefix: str, where_t, where_unit, T: int, hidden: int, busiest: int, model_basis, unit_help: str | None
) -> tuple[int, int]:
    """Draw the pickers ``<prefix>t`` in ``where_t`` and ``<prefix>unit`` in ``where_unit``; return (t, j).

    ``busiest`` is the unit to start at whenever ``model_basis`` (what the model is built from) changes.
    """
    if st.session_state.get(prefix + "t", 0) > T - 1:  # a shorter sentence: stay on its last word
        st.session_state[prefix + "t"] = T - 1
    t = where_t.select_slider(
        "Time step t", list(range(T)), min(1, T - 1), key=prefix + "t", bind="query-params",
        help="0 is the country.",
    )  # fmt: skip
    follow(prefix + "unit", model_basis, busiest)  # a new model starts at its own remembering unit
    unit = where_unit.select_slider(
        "Unit j", list(range(hidden)), busiest, key=prefix + "unit", bind="query-params", help=unit_help
    )
    return t, unit
