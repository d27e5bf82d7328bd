"""The frame every lesson shares: what you will learn, friendly errors, a closing exercise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from rnnviz.errors import InputError


def header(title: str, learn: list[str], intro: str | None = None) -> None:
    """Title, the 'What you will learn' list, and a one-paragraph introduction."""
    st.title(title)
    st.markdown("**What you will learn**\n" + "\n".join(f"- {item}" for item in learn))
    if intro:
        st.markdown(intro)


@contextmanager
def friendly_errors(hint: str | None = None) -> Iterator[None]:
    """Show an InputError as a red box (plus a hint) instead of a traceback; the page goes on."""
    try:
        yield
    except InputError as err:
        st.error(str(err) + (f"\n\n{hint}" if hint else ""), icon=":material/error:")


def try_this(*tasks: str) -> None:
    """The closing exercise on the live model."""
    st.divider()
    st.subheader("Try this")
    st.markdown("\n".join(f"{n}. {task}" for n, task in enumerate(tasks, 1)))


def seed() -> int:
    """The global seed from the sidebar (app.py), 0 when a page runs on its own."""
    return int(st.session_state.get("seed", 0))
