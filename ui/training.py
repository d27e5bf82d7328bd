"""Live training in a page: Train / Continue / Reset, a progress bar and a loss chart that grows.

    trainer = session_trainer("l3", config_dict, lambda: Trainer(model, task, cfg))
    training_panel("l3", max_steps=300, max_seconds=8)

Runs inside ``st.fragment`` so only the panel redraws while training; when a run ends the whole
page reruns once so every view shows the trained model. At most ``TRAINING_SLOTS`` runs train at
once on the server; others wait with a visible message instead of slowing everyone down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager

import streamlit as st

from rnnviz.charts.sequence import training_curves
from rnnviz.slots import TurnTaking
from rnnviz.train import RunResult, Trainer
from ui.export import model_box

# The server has 2 cores and torch uses 1 thread per run (app.py): two runs keep both cores busy;
# a third would only make all of them slower.
TRAINING_SLOTS = 2
WAIT_SECONDS = 60
# While others wait, a Train click trains this long, then lets the next in line have the slot: with
# ten students clicking at once, each sees a first loss point within a few turns, not after every run
# before theirs (rnnviz/slots.py; README, benchmark "server").
TURN_SECONDS = 0.5


@st.cache_resource
def training_slots() -> TurnTaking:
    """The server-wide limit: at most TRAINING_SLOTS trainings at once, shared by every session,
    first come first served.

    Built once and never replaced (its queue is the one thing in st.cache_resource whose state
    changes: that is its job)."""
    return TurnTaking(TRAINING_SLOTS)


@contextmanager
def training_slot(
    message: str = "Other students are training right now; yours starts as soon as a slot is free.",
):
    """Hold one of the server's training slots for the ``with`` block; yields False (after a warning
    on the page) when none frees up within WAIT_SECONDS, True otherwise."""
    slots = training_slots()
    waiting = None
    if not slots.acquire(blocking=False):
        waiting = st.info(message, icon=":material/hourglass_top:")
        if not slots.acquire(timeout=WAIT_SECONDS):
            waiting.empty()
            st.warning("The server is busy: try again in a minute.")
            yield False
            return
        waiting.empty()
    try:
        yield True
    finally:
        slots.release()


def session_trainer(key: str, config: dict, factory: Callable[[], Trainer]) -> Trainer:
    """This session's trainer for ``config``; a new one (fresh model) whenever ``config`` changes."""
    slot = f"{key}_trainer"
    held = st.session_state.get(slot)
    if held is None or held[0] != config:
        st.session_state[slot] = (config, factory())
        st.session_state.pop(f"{key}_result", None)
    return st.session_state[slot][1]


def current_trainer(key: str) -> Trainer | None:
    held = st.session_state.get(f"{key}_trainer")
    return None if held is None else held[1]


def reset_trainer(key: str) -> None:
    st.session_state.pop(f"{key}_trainer", None)
    st.session_state.pop(f"{key}_result", None)


def history_figure(trainer: Trainer, metric: str = "loss", title: str | None = None, log_y: bool = False):
    rows = trainer.history
    run = {
        "step": [r.step for r in rows],
        metric: [r.loss if metric == "loss" else r.metrics.get(metric) for r in rows],
    }
    runs = {"train": run}
    val = [r.metrics.get(f"val_{metric}") for r in rows]
    if rows and all(v is not None for v in val):
        runs["held out"] = {"step": run["step"], metric: val}
    return training_curves(
        runs, metric, title=title, log_y=log_y, colors={"train": "#1d4e89", "held out": "#e76f51"}
    )


def run_with_progress(
    trainer: Trainer, max_steps: int, max_seconds: float, key: str, metric: str = "loss", on_row=None
) -> RunResult | None:
    """Train under the server-wide slot limit, drawing progress and the curve as rows arrive."""
    with training_slot() as ready:
        if not ready:
            return None
        bar = st.progress(0.0, text="training...")
        chart = st.empty()
        first, seconds_before, last_draw = trainer.step, trainer.seconds, [0.0]
        done = [0.0]

        def draw(tr: Trainer, row) -> None:
            done[0] = min(
                1.0, max((tr.step - first) / max_steps, (row.seconds - seconds_before) / max_seconds)
            )
            bar.progress(done[0], text=f"step {tr.step}: loss {row.loss:.4f}")
            now = time.perf_counter()
            if now - last_draw[0] > 0.25:  # redraw at most 4 times a second
                last_draw[0] = now
                chart.plotly_chart(history_figure(tr, metric), key=f"{key}_live_{tr.step}")
            if on_row:
                on_row(tr, row)

        def wait(ahead: int) -> None:
            others = "another student" if ahead == 1 else f"{ahead} other students"
            bar.progress(done[0], text=f"step {trainer.step}: taking turns with {others}...")

        between = training_slots().take_turns(TURN_SECONDS, on_wait=wait)
        result = trainer.run(max_steps, max_seconds, callback=draw, between=between)
        bar.empty()
        chart.empty()
        return result


@st.fragment
def training_panel(
    key: str,
    max_steps: int,
    max_seconds: float,
    metric: str = "loss",
    label: str = "Train",
    on_row: Callable | None = None,
) -> None:
    """Buttons, the live run, the training history; reruns the page when a run ends.

    ``on_row(trainer, row)`` (optional) is called at every history row while training, inside the
    panel: e.g. to print a sample every few seconds (lesson 3).
    """
    trainer = current_trainer(key)
    if trainer is None:
        st.warning("No model yet: change a setting to build one.")
        return
    c1, c2, c3 = st.columns([1, 1, 3])
    go = c1.button(
        label if trainer.step == 0 else "Continue training",
        key=f"{key}_train",
        type="primary",
        help=f"Train for up to {max_steps} steps or {max_seconds:g} s, whichever comes first.",
    )
    if c2.button("Reset model", key=f"{key}_reset", help="Start again from the initial weights."):
        reset_trainer(key)  # the page's session_trainer() builds a fresh model on the rerun
        st.rerun()
    c3.caption(
        f"{trainer.step} training steps so far, {trainer.seconds:.1f} s. Budget per click: "
        f"{max_steps} steps or {max_seconds:g} s."
    )
    if go:
        result = run_with_progress(trainer, max_steps, max_seconds, key, metric, on_row=on_row)
        if result is not None:
            st.session_state[f"{key}_result"] = result
            st.rerun()
    result = st.session_state.get(f"{key}_result")
    if result is not None:
        (st.error if result.status == "diverged" else st.caption)(result.message)
    if trainer.history:
        st.plotly_chart(history_figure(trainer, metric), key=f"{key}_history")
    model_box(key, trainer)
