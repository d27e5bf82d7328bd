"""The frame every lesson shares: what you will learn, explanations that fold away in presenter
mode, charts sized for the room, friendly errors, a closing exercise and a check question."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.charts.style import PRESENT_DIAGRAM, PRESENT_FONT, PRESENT_WIDTH, legible, presented
from rnnviz.errors import InputError
from ui import namespace
from ui.safe import plain

PRESENT_KEY = "present"  # the sidebar toggle (app.py); also its query parameter: ?present=true
DONE_KEY = "lessons_done"  # session_state: set of page files whose check question was answered right
PRESENTER_FONT = PRESENT_FONT  # chart text in px while presenting (charts use 14 px otherwise)
PRESENTER_DIAGRAM = PRESENT_DIAGRAM  # text of a diagram (the LSTM/GRU cells' numbers) while presenting
PRESENTER_HEIGHT = 1.25  # charts grow by this factor while presenting


def presenting() -> bool:
    """True while the sidebar's presenter-mode toggle is on."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def header(title: str, learn: list[str], intro: str | None = None) -> None:
    """Title, the 'What you will learn' list, and a one-paragraph introduction (folded when presenting).
    Also notes the calling page's namespace, which app.py prunes once the run is over (ui.namespace)."""
    namespace.remember(sys._getframe(1).f_globals)
    st.title(title)
    with explanation("What you will learn"):
        st.markdown("**What you will learn**\n" + "\n".join(f"- {item}" for item in learn))
        if intro:
            st.markdown(intro)


@contextmanager
def explanation(label: str = "Explanation") -> Iterator[None]:
    """Prose a student reads alone; folded into a closed expander in presenter mode, where the
    teacher does the explaining and the charts get the room."""
    if presenting():
        with st.expander(label, expanded=False, icon=":material/menu_book:"):
            yield
    else:
        yield


def explain(*paragraphs: str, label: str = "Explanation") -> None:
    """Markdown paragraphs inside :func:`explanation`."""
    with explanation(label):
        for text in paragraphs:
            st.markdown(text)


def chart(fig, key: str | None = None, where=None, share: float = 1.0) -> None:
    """A Plotly figure across the column, every text >= 4.5:1 on white (Streamlit's theme greys the
    axes' text to 3.7:1); in presenter mode with larger text and more height. ``share``: the part of
    the page's width ``where`` spans (0.5 for one of two columns), so presenter mode knows how many
    cell numbers and level tick labels fit."""
    legible(fig)
    if presenting():  # every text, cell numbers included, >= 20 px (22 px in a diagram), lines thicker
        presented(fig, PRESENTER_FONT, PRESENTER_DIAGRAM, width=int(PRESENT_WIDTH * share))
        if fig.layout.height:
            fig.update_layout(height=int(fig.layout.height * PRESENTER_HEIGHT))
    (where or st).plotly_chart(fig, width="stretch", key=key)


LINK_HOOK = "link_refresh"  # session state: the router's writer of "Link to this view" (app.py sets it)


def in_fragment_rerun() -> bool:
    """True while a fragment reruns alone (a widget inside a :func:`section` changed)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def section(body: Callable, run_every: float | None = None) -> Callable:
    """A lesson section as a fragment: a widget inside it reruns this section alone, not the page
    (and so does a timer, every ``run_every`` seconds: a Play button).

    Its widgets keep their keys and URL binding (Streamlit 1.67 updates the address bar from a
    fragment's rerun too). "Link to this view" is written by the router after a full run; a section's
    own rerun writes it again through the router's writer, if it left one under ``LINK_HOOK``. The
    section calls the writer at the end of every run, full ones too: Streamlit 1.67 lets a fragment
    write to a container outside it (the sidebar's link box) only if it wrote there during the last
    full run (the router's own write after the page still comes last, so the full link stands).
    Everything the section shows must come from its arguments and its own widgets: a widget outside
    it does not rerun it (it reruns the page, and the section with it)."""

    @functools.wraps(body)
    def run(*args, **kwargs):
        try:
            return body(*args, **kwargs)
        finally:  # also when the section ends the page (ui.lesson.stop): its next rerun may write
            refresh = st.session_state.get(LINK_HOOK)
            if callable(refresh):
                refresh()

    return st.fragment(run, run_every=run_every)


def follow(key: str, basis, value) -> None:
    """Put widget ``key`` back to ``value`` whenever ``basis`` (what its default is made of) has changed
    since the last run: a new model starts at its own busiest unit, a new text at its own sequence.

    The widget keeps one key, and so one URL parameter, for good; on a session's first run nothing is
    reset, so the value a shared link gives stands. Setting ``key + "_basis"`` to None forces the reset.
    """
    mark = key + "_basis"
    if st.session_state.get(mark, basis) != basis:
        st.session_state[key] = value
    st.session_state[mark] = basis


def show_error(err: Exception | str, hint: str | None = None) -> None:
    """The one way a page shows a refused input: a red box with the message as plain text (user text
    in it never becomes Markdown) and, below it, what to do (``hint``, the page's own Markdown)."""
    st.error(plain(err) + (f"\n\n{hint}" if hint else ""), icon=":material/error:")


@contextmanager
def friendly_errors(hint: str | None = None, *, then_stop: bool = False) -> Iterator[None]:
    """Show an InputError raised inside the block with :func:`show_error` instead of a traceback;
    the page goes on after the block, or ends there (:func:`stop`) with ``then_stop``."""
    try:
        yield
    except InputError as err:
        show_error(err, hint)
        if then_stop:
            stop()


def try_this(*tasks: str) -> None:
    """The closing exercise on the live model."""
    st.divider()
    st.subheader("Try this")
    st.markdown("\n".join(f"{n}. {task}" for n, task in enumerate(tasks, 1)))


def check(
    lesson: str, question: str, options: list[str], answer: int, why: str, hints: dict[int, str]
) -> bool:
    """A short check question with feedback; a right answer marks ``lesson`` (its page file, e.g.
    "05_lstm.py") done for this session, which the home page shows.

    ``hints`` maps a wrong option's index to what that choice misses; ``why`` explains the answer.
    """
    if not 0 <= answer < len(options):
        raise ValueError(f"answer {answer} is not one of the {len(options)} options")
    st.subheader("Check yourself")
    st.session_state[f"check_{lesson}_answer"] = answer  # computed from the live model: tests read it
    choice = st.radio(
        question, range(len(options)), format_func=options.__getitem__, index=None, key=f"check_{lesson}"
    )
    if choice is None:
        st.caption("Pick an answer to see whether it is right, and why.")
        return False
    if choice == answer:
        st.success(f"Right. {why}", icon=":material/check_circle:")
        done = st.session_state.setdefault(DONE_KEY, set())
        done.add(lesson)
        return True
    st.error(
        f"Not quite. {hints.get(choice, 'Look at the live model above again.')}", icon=":material/cancel:"
    )
    return False


def lessons_done() -> set[str]:
    """Page files of the lessons this session has completed (check question answered right)."""
    return set(st.session_state.get(DONE_KEY, set()))


def seed() -> int:
    """The global seed from the sidebar (app.py), 0 when a page runs on its own."""
    return int(st.session_state.get("seed", 0))


ROUTED_KEY = "routed"  # session state: set by app.py on each run it routes to a page


class PageStop(Exception):
    """Raised by :func:`stop`; app.py catches it so its own work after the page still runs."""


def stop() -> None:
    """End the page here (after an error message, say), like st.stop(), but let the router finish:
    st.stop() would also drop what app.py writes after the page (the link note, Link to this view)."""
    if st.session_state.get(ROUTED_KEY) and not in_fragment_rerun():
        raise PageStop
    st.stop()  # the page runs on its own (a test opening the file directly), or a fragment ends its rerun
