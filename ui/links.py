"""Untrusted links: a query parameter a widget cannot take is dropped before the widget reads it.

A link is typed, pasted and edited by hand, so its values can be anything. Streamlit seeds a bound
widget from the URL before the script sees the value, and some values stop the run instead of
falling back (``?seed=inf`` reaches ``int(float("inf"))`` inside ``st.number_input``). So the
router checks the parameters it binds against a rule each, removes the ones that break it, and
says which were ignored.
"""

import re
from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def whole_number(low: int, high: int) -> Callable[[str], bool]:
    """A rule: digits only (no sign, point, exponent or inf), between ``low`` and ``high``."""

    def rule(value: str) -> bool:
        return re.fullmatch(r"\d{1,20}", value) is not None and low <= int(value) <= high

    rule.__doc__ = f"a whole number from {low} to {high}"
    return rule


def boolean(value: str) -> bool:
    """true or false"""
    return value.lower() in ("true", "false")


def refused(params: Mapping[str, list[str]], rules: Mapping[str, Callable[[str], bool]]) -> dict[str, str]:
    """The parameters of ``params`` (name -> every value given) that break their rule: name -> why."""
    bad = {}
    for name, rule in rules.items():
        values = params.get(name, [])
        if len(values) > 1:
            bad[name] = f"given {len(values)} times"
        elif values and not rule(values[0]):
            bad[name] = f"{values[0][:40]!r} is not {rule.__doc__}"
    return bad


def drop_refused(rules: Mapping[str, Callable[[str], bool]]) -> dict[str, str]:
    """Remove from the URL every parameter that breaks its rule, before any widget reads it."""
    params = {name: st.query_params.get_all(name) for name in rules if name in st.query_params}
    bad = refused(params, rules)
    for name in bad:
        del st.query_params[name]  # the address bar and "Link to this view"
    if bad:
        # A bound widget seeds itself from the query string the run started with, not from
        # st.query_params, and Streamlit (1.67) has no public call to change that copy. Without
        # this, ?seed=inf still reaches st.number_input. tests/test_app.py pins it.
        ctx = get_script_run_ctx()
        with ctx.session_state.query_params() as qp:
            for name in bad:
                qp._initial_query_params.pop(name, None)
    return bad
