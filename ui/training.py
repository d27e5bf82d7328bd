"""Live training in a page: Train / Continue / Reset, a progress bar and a loss chart that grows.

    trainer = session_trainer("l3", config, config.trainer)  # config: the lesson's frozen config
    training_panel("l3", max_steps=300, max_seconds=8)

One panel for every page: one trainer or several trained in turn (``trainers=``), an ``on_row`` hook
for live extras, :func:`last_result` for how the last click ended. :func:`training_panel` runs
inside ``st.fragment`` so only the panel redraws while training (:func:`panel` is the same panel for
a section that is a fragment already); when a run ends the whole page reruns once so every view
shows the trained model.

One way to hold a training slot, :func:`training_slot` (or :func:`in_slot` for a one-off job): at
most ``TRAINING_SLOTS`` runs train at once on the server, first come first served, taking turns;
others wait with a visible message, at most WAIT_SECONDS, instead of slowing everyone down.

Training is part of the view: after every run the panel writes where each run ended into the URL
(``?{key}_trained=137t,437``: a run cut by wall time at step 137, then one to step 437), so "Link to
this view" carries it. A session opening such a link gets the same trained model, bit for bit:
:func:`session_trainer` replays those runs with step budgets only (rnnviz.store.replay), or copies
the state from the server-wide :func:`trained_store` when any session has reached it before; many
sessions asking at once wait for one computation.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

from rnnviz.charts.sequence import training_curves
from rnnviz.charts.style import SERIES
from rnnviz.model import SeqModel
from rnnviz.restart import keep_note
from rnnviz.slots import TurnTaking
from rnnviz.store import (
    MAX_STEPS,
    TrainedStore,
    capture,
    click_key,
    format_runs,
    parse_runs,
    replay,
    restore,
    start_key,
    state_key,
)
from rnnviz.train import RunResult, Trainer, between_steps
from ui.export import model_box, runs_key, steps_param
from ui.lesson import chart
from ui.links import shareable
from ui.safe import plain

T = TypeVar("T")

# The server has 2 cores and torch uses 1 thread per run (app.py): two runs keep both cores busy;
# a third would only make all of them slower.
TRAINING_SLOTS = 2
WAIT_SECONDS = 60  # the longest a page waits in line for a slot before it says the server is busy
# While others wait, a Train click trains this long, then lets the next in line have the slot: with
# ten students clicking at once, each sees a first loss point within a few turns, not after every run
# before theirs (rnnviz/slots.py; README, benchmark "server").
TURN_SECONDS = 0.5
WAIT_MESSAGE = "Other students are training right now; yours starts as soon as a slot is free."
BUSY_MESSAGE = "The server is busy: try again in a minute."


@st.cache_resource
def training_slots() -> TurnTaking:
    """The server-wide limit: at most TRAINING_SLOTS trainings at once, shared by every session,
    first come first served.

    Built once and never replaced (its queue is the one thing in st.cache_resource whose state
    changes: that is its job). Pages do not take it directly: :func:`training_slot` does."""
    return TurnTaking(TRAINING_SLOTS, turn_seconds=TURN_SECONDS)


def session_ended() -> bool:
    """True once this script run has been told to stop for good: the student closed the tab (or the
    connection dropped: Streamlit then stops the run at once), or the server is shutting down.

    Streamlit (1.67) raises that stop only at an ``st.*`` call, and a run waiting in line for a slot
    or inside a long job (lesson 7's comparison, lesson 4's sweeps) makes none, so a closed tab would
    keep its slot or its place for up to a minute. There is no public call for it: this reads the
    run's request state (``script_requests._state``), pinned by tests/test_faults.py; a Streamlit
    that moves it makes this False (today's behaviour: the run ends at its next ``st.*`` call).
    A rerun request (the student moved a slider) is not an end: the job finishes first, as before."""
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None)
    return getattr(requests, "_state", None) is ScriptRequestType.STOP


def end_if_session_ended() -> None:
    """The ``check`` of rnnviz.slots: raise Streamlit's own stop (a silent end of the run) once
    :func:`session_ended`; the slot a run holds is released by its ``with`` block on the way out."""
    if session_ended():
        raise StopException()


@contextmanager
def training_slot(
    message: str | None = WAIT_MESSAGE, wait: float = WAIT_SECONDS, busy: str | None = BUSY_MESSAGE
) -> Iterator[bool]:
    """Hold one of the server's training slots for the ``with`` block: the one way every page trains.

    A free slot: yields True at once. None free: waits in line (first come first served) at most
    ``wait`` seconds, showing ``message`` meanwhile (None: waits silently; ``wait=0``: does not wait);
    when no slot frees up, shows ``busy`` (None: nothing) and yields False. Inside the block every
    :meth:`Trainer.run` given no ``between`` hook takes turns: once it has trained TURN_SECONDS while
    others wait, it hands the slot on and queues again (give ``between=take_turns(on_wait)`` to show
    those waits). A session that ends (a closed tab) leaves the line within POLL_SECONDS and ends
    its run after the step in progress, releasing the slot (tests/test_faults.py)."""
    slots = training_slots()
    waiting = None
    got = slots.acquire(blocking=False)
    if not got and wait > 0:
        waiting = st.info(message, icon=":material/hourglass_top:") if message else None
        got = slots.acquire(timeout=wait, check=end_if_session_ended)
    if not got:
        if waiting is not None:
            waiting.empty()
        if busy:
            st.warning(busy, icon=":material/hourglass_top:")
        yield False
        return
    try:  # from here on the slot is ours: any exit, a stop raised by the next st call too, frees it
        if waiting is not None:
            waiting.empty()
        with between_steps(take_turns()):
            yield True
    finally:
        slots.release()


def take_turns(on_wait: Callable[[int], None] | None = None) -> Callable[[], None]:
    """A ``between`` hook for :meth:`Trainer.run` inside :func:`training_slot`: passes the slot on
    every TURN_SECONDS while others wait; ``on_wait(ahead)`` is called before each wait; a session
    that has ended stops the run after the current step."""
    return training_slots().take_turns(TURN_SECONDS, on_wait=on_wait, check=end_if_session_ended)


def in_slot(fn: Callable[..., T], *args, **kwargs) -> T | None:
    """``fn(*args, **kwargs)`` holding a training slot (a visible, bounded wait); None when the
    server stayed busy. For one-off jobs: lesson 4's measurements, lesson 7's comparison."""
    with training_slot() as ready:
        return fn(*args, **kwargs) if ready else None


@st.cache_resource
def trained_store() -> TrainedStore:
    """The server-wide store of trained states (rnnviz/store.py: at most 64 states or 200 MB,
    least recently used evicted), shared by every session."""
    return TrainedStore()


# training-count hook for tests: replays that actually trained (not served from the store), by key
REPLAYS: Counter[str] = Counter()


def session_trainer(key: str, config, factory: Callable[[], Trainer]) -> Trainer:
    """This session's trainer for ``config``; a new one (fresh model) whenever ``config`` changes.

    ``config`` is the lesson's frozen config (a dataclass: ``asdict(config)`` is the key, so every
    setting the factory reads decides when the model is rebuilt) or a dict. When the URL says how
    far this model was trained (``{key}_trained``, written by the training panel), the trainer is
    brought there first: copied from the server's store, or trained again."""
    if is_dataclass(config):
        config = asdict(config)
    slot = f"{key}_trainer"
    held = st.session_state.get(slot)
    if held is None or held[0] != config:
        _fresh(key, config, factory)
        if held is not None:  # the settings changed: the new model is untrained, and so is the link
            _write_runs(key, ())
    trainer = st.session_state[slot][1]
    return _follow_link(key, config, factory, trainer)


def _fresh(key: str, config: dict, factory: Callable[[], Trainer]) -> Trainer:
    trainer = factory()
    st.session_state[f"{key}_trainer"] = (config, trainer)
    st.session_state.pop(f"{key}_result", None)
    st.session_state.pop(shared_key(key), None)
    st.session_state[f"{key}_start"] = start_key(key, config, trainer)
    st.session_state[runs_key(key)] = ()
    return trainer


def _write_runs(key: str, runs) -> None:
    """The URL (and so "Link to this view") says how this session's model was trained."""
    param = steps_param(key)
    if runs:
        st.query_params[param] = format_runs(runs)
    elif param in st.query_params:
        del st.query_params[param]


def _follow_link(key: str, config: dict, factory, trainer: Trainer) -> Trainer:
    param = steps_param(key)
    runs = st.session_state.get(runs_key(key))  # None: not reproducible (an uploaded model)
    given = st.query_params.get_all(param)
    if not given:
        if runs:  # back on this page after another: the link says again how far it was trained
            _write_runs(key, runs)
        return trainer
    try:
        if len(given) > 1:
            raise ValueError(f"is given {len(given)} times")
        wanted = parse_runs(given[0])
    except ValueError as err:
        _write_runs(key, runs)
        st.session_state[f"{key}_link_note"] = (
            st.warning,
            f"Ignored from the link: {plain(param)}={plain(given[0][:40])} {plain(err)} (a link gives a "
            f"whole number of training steps up to {MAX_STEPS:,}, or the run ends a training panel "
            "writes, such as 120t,420). The model starts untrained.",
        )
        return trainer
    if wanted == runs:
        return trainer
    if runs is None or tuple(wanted[: len(runs)]) != runs:  # trained another way here: start over
        trainer = _fresh(key, config, factory)
    return _rebuild(key, config, factory, trainer, wanted)


def _rebuild(key: str, config: dict, factory, trainer: Trainer, runs) -> Trainer:
    """Bring ``trainer`` to the state ``runs`` lead to: a copy from the store, or trained here (under
    the server's slot limit, taking turns) while other sessions asking for it wait."""
    store, start, total = trained_store(), st.session_state[f"{key}_start"], runs[-1][0]
    box = st.empty()
    trained = [False]

    def compute(progress):
        for i in range(len(runs) - 1, 0, -1):  # start from the longest run prefix stored
            prefix = store.get(state_key(start, runs[:i]))
            if prefix is not None:
                restore(trainer, prefix)
                break
        with box.container():
            waiting = (
                "Other students are training right now; this link's model is rebuilt as soon as "
                "a slot is free."
            )
            with training_slot(waiting) as ready:
                if not ready:
                    return None
                bar = st.progress(0.0, text=f"Rebuilding the link's model: {total} training steps...")

                def draw(tr: Trainer, row) -> None:
                    progress.step = tr.step
                    bar.progress(
                        min(1.0, tr.step / total),
                        text=f"Rebuilding the link's model: step {tr.step} of {total}",
                    )

                def wait(ahead: int) -> None:
                    bar.progress(
                        min(1.0, trainer.step / total),
                        text=f"step {trainer.step} of {total}: taking turns...",
                    )

                REPLAYS[key] += 1
                trained[0] = True
                replay(trainer, runs, draw, take_turns(wait))
                return capture(trainer, runs)

    def follow(progress) -> None:
        box.progress(
            min(1.0, progress.step / total),
            text=f"Another student is rebuilding this link's model (step {progress.step} of {total}); "
            "you get a copy of it.",
        )

    state = store.obtain(state_key(start, runs), total, compute, follow)
    box.empty()
    if state is None:  # the server was too busy: the model stays untrained and the link says so
        trainer = _fresh(key, config, factory)
        _write_runs(key, ())
        return trainer
    restore(trainer, state)
    st.session_state[runs_key(key)] = tuple(runs)
    how = "trained again here" if trained[0] else "copied from this server's store of trained models"
    st.session_state[f"{key}_link_note"] = (
        st.caption,
        f"Trained {total} steps as the link says ({how}): every session opening this link gets these "
        "same weights.",
    )
    return trainer


def current_trainer(key: str) -> Trainer | None:
    held = st.session_state.get(f"{key}_trainer")
    return None if held is None else held[1]


def reset_trainer(key: str) -> None:
    st.session_state.pop(f"{key}_trainer", None)
    st.session_state.pop(f"{key}_result", None)
    st.session_state.pop(shared_key(key), None)
    st.session_state.pop(f"{key}_link_note", None)
    st.session_state[runs_key(key)] = ()
    _write_runs(key, ())


def _record_run(key: str, trainer: Trainer, result: RunResult) -> None:
    """After a run: the URL says where it ended; the store keeps the state for whoever follows."""
    runs = st.session_state.get(runs_key(key))
    if result.steps < 1 or runs is None:
        return
    runs = (*runs, (trainer.step, result.status == "budget"))
    st.session_state[runs_key(key)] = runs
    _write_runs(key, runs)
    start = st.session_state.get(f"{key}_start")
    if start is not None and not trained_store().has(state_key(start, runs)):
        trained_store().put(state_key(start, runs), capture(trainer, runs))


def history_figure(trainer: Trainer, metric: str = "loss", title: str | None = None, log_y: bool = False):
    return _curves(trainer.history, metric, title, log_y)


def _curves(rows, metric: str = "loss", title: str | None = None, log_y: bool = False):
    run = {
        "step": [r.step for r in rows],
        metric: [r.loss if metric == "loss" else r.metrics.get(metric) for r in rows],
    }
    runs = {"train": run}
    val = [r.metrics.get(f"val_{metric}") for r in rows]
    if rows and all(v is not None for v in val):
        runs["held out"] = {"step": run["step"], metric: val}
    return training_curves(
        runs, metric, title=title, log_y=log_y, colors={"train": SERIES[0], "held out": SERIES[1]}
    )


def shared_key(key: str) -> str:
    """Session state: True when this session's last run of panel ``key`` was computed by another
    session's identical click (followed live, or served from the store) and copied here."""
    return f"{key}_shared"


SHARED_NOTE = (
    "This run was computed once for everyone: another session's identical click (the same model, "
    "state and budget) trained it, and this model holds a copy of its weights."
)


def last_result(key: str) -> RunResult | None:
    """How the last Train click of panel trainer ``key`` ended (None before the first, or after a
    reset or a change of settings)."""
    return st.session_state.get(f"{key}_result")


def run_with_progress(
    trainer: Trainer,
    max_steps: int,
    max_seconds: float,
    key: str,
    metric: str = "loss",
    on_row: Callable | None = None,
    title: str | None = None,
) -> RunResult | None:
    """Train under the server-wide slot limit, drawing progress and the curve as rows arrive.

    A click is computed once for the whole server: when other sessions at the same state (same
    settings, seed and runs so far: the link's key) click the same run while it is under way, or
    clicked it before, they follow its progress live and receive its weights and result byte for byte
    (rnnviz.store.click_key) instead of training again. A page with ``on_row`` extras (which record
    while training) and a model loaded from a file train here."""
    st.session_state[shared_key(key)] = False
    start = st.session_state.get(f"{key}_start")
    runs = st.session_state.get(runs_key(key))
    if (
        on_row is not None
        or start is None
        or runs is None
        or trainer.diverged
        or current_trainer(key) is not trainer
    ):
        return _train_here(trainer, max_steps, max_seconds, key, metric, on_row, title)
    ran: list[RunResult] = []
    first = trainer.step

    def compute(progress):
        result = _train_here(trainer, max_steps, max_seconds, key, metric, None, title, progress)
        if result is None:  # the server stayed busy: nothing to share
            return None
        ran.append(result)
        ends = (*runs, (trainer.step, result.status == "budget")) if result.steps >= 1 else runs
        return capture(trainer, ends, result=result)

    bar, live, last_draw = st.empty(), st.empty(), [0.0]

    def follow(progress) -> None:
        row = progress.row
        if row is None:
            bar.progress(
                0.0, text="Another student started this same run: it is computed once for you both..."
            )
            return
        done = min(1.0, (row.step - first) / max_steps)
        shared = "another student's click on this same model: computed once, you get a copy"
        bar.progress(done, text=f"step {row.step}: loss {row.loss:.4f} ({shared})")
        now = time.perf_counter()
        if progress.history is not None and now - last_draw[0] > 1.0:
            last_draw[0] = now
            chart(_curves(list(progress.history), metric, title), f"{key}_follow_{row.step}", live)

    state = trained_store().obtain(click_key(start, runs, max_steps, max_seconds), max_steps, compute, follow)
    bar.empty()
    live.empty()
    if ran:  # this session computed it: its trainer is there already
        return ran[0]
    if state is None:
        return None
    restore(trainer, state)
    st.session_state[shared_key(key)] = True  # the panel says so under the run's result
    return state.result


def _train_here(
    trainer, max_steps, max_seconds, key, metric, on_row, title, progress=None
) -> RunResult | None:
    with training_slot() as ready:
        if not ready:
            return None
        bar = st.progress(0.0, text="training...")
        live = st.empty()
        first, seconds_before, last_draw = trainer.step, trainer.seconds, [0.0]
        done = [0.0]
        if progress is not None:
            progress.history = trainer.history  # followers draw the same curve

        def draw(tr: Trainer, row) -> None:
            if progress is not None:  # sessions following this run see the same row
                progress.step, progress.row = tr.step, row
            done[0] = min(
                1.0, max((tr.step - first) / max_steps, (row.seconds - seconds_before) / max_seconds)
            )
            bar.progress(done[0], text=f"step {tr.step}: loss {row.loss:.4f}")
            now = time.perf_counter()
            if now - last_draw[0] > 0.25:  # redraw at most 4 times a second
                last_draw[0] = now
                chart(history_figure(tr, metric, title), f"{key}_live_{tr.step}", live)
            if on_row:
                on_row(tr, row)

        def wait(ahead: int) -> None:
            others = "another student" if ahead == 1 else f"{ahead} other students"
            bar.progress(done[0], text=f"step {trainer.step}: taking turns with {others}...")

        result = trainer.run(max_steps, max_seconds, callback=draw, between=take_turns(wait))
        bar.empty()
        live.empty()
        return result


def panel(
    key: str,
    max_steps: int,
    max_seconds: float,
    metric: str = "loss",
    label: str = "Train",
    on_row: Callable | None = None,
    *,
    trainers: dict[str, str] | None = None,
    title: str | None = None,
    reset_label: str | None = None,
    note: str | None = None,
    after: Callable[[], None] | None = None,
    on_reset: Callable[[], None] | None = None,
) -> None:
    """The training panel: Train / Continue and Reset buttons, the live run (progress bar, the curve
    growing, ``on_row`` extras), how the run ended, the history; reruns the page when a run ends.

    One trainer: ``key`` is its :func:`session_trainer` key. Several (``trainers``, display name ->
    trainer key): ``key`` names the panel's buttons (``{key}_train``, ``{key}_reset``); one click
    trains each in turn, then calls ``after()`` (lesson 6 times its race there) before the rerun, and
    the page draws their curves together. ``on_row(trainer, row)`` is called at every history row
    while training, inside the panel: a sample every few seconds (lesson 3), the gradient heatmap
    (lesson 4). ``note`` replaces the budget caption. Every run writes where it ended into the URL.

    Plain function, for a page section that is already a fragment; :func:`training_panel` is the
    same panel as its own fragment."""
    several = trainers is not None
    keys = dict(trainers) if several else {"": key}
    held = {name: current_trainer(k) for name, k in keys.items()}
    if any(tr is None for tr in held.values()):
        st.warning("No model yet: change a setting to build one.")
        return
    first = next(iter(held.values()))
    c1, c2, c3 = st.columns([2, 1, 3] if several else [1, 1, 3])
    budget = f"up to {max_steps} steps or {max_seconds:g} s"
    go = c1.button(
        label if several or first.step == 0 else "Continue training",
        key=f"{key}_train",
        type="primary",
        help=f"Train {'each model ' if several else ''}for {budget}, whichever comes first.",
    )
    reset_help = "Start again from the initial weights."
    if c2.button(reset_label or "Reset model", key=f"{key}_reset", help=reset_help):
        for k in keys.values():
            reset_trainer(k)  # the page's session_trainer() builds a fresh model on the rerun
        if on_reset:
            on_reset()
        st.rerun()
    if note:
        c3.caption(note)
    elif several:
        c3.caption(f"Each click trains each model for {budget}.")
    else:
        c3.caption(
            f"{first.step} training steps so far, {first.seconds:.1f} s. Budget per click: "
            f"{max_steps} steps or {max_seconds:g} s."
        )
    if go:
        for name, k in keys.items():
            if several:
                st.caption(f"training the {name}...")
            trainer = held[name]
            result = run_with_progress(trainer, max_steps, max_seconds, k, metric, on_row, title)
            if result is None:  # the server stayed busy: the warning says so
                return
            st.session_state[f"{k}_result"] = result
            st.session_state.pop(f"{k}_link_note", None)
            _record_run(k, trainer, result)
        if after:
            after()
        st.rerun()
    for name, k in keys.items():
        if note_ := st.session_state.get(f"{k}_link_note"):
            note_[0](note_[1])
        if (result := last_result(k)) is not None:
            text = f"{name}: {result.message}" if several else result.message
            (st.error if result.status == "diverged" else st.caption)(text)
            if st.session_state.get(shared_key(k)):
                st.caption(SHARED_NOTE)
    if not several and first.history:
        chart(history_figure(first, metric, title), f"{key}_history")
    if note_ := restart_note(keys.values(), not several and isinstance(first.model, SeqModel)):
        st.caption(note_)
    if not several:
        model_box(key, first)


def restart_note(keys, download: bool) -> str | None:
    """What a server restart or a long disconnection does to the models of trainer ``keys``, and
    how to keep them (rnnviz.restart.keep_note): said before it happens, once they are trained."""
    trainers = [current_trainer(k) for k in keys]
    params = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    _, left_out = shareable(st.context.url or "/", params)
    return keep_note(
        max(tr.step for tr in trainers if tr is not None),
        in_link=all(st.session_state.get(runs_key(k)) is not None for k in keys),
        left_out=left_out,
        ttl_seconds=st.get_option("server.disconnectedSessionTTL"),
        models=len(trainers),
        download=download,
    )


# one panel redrawing alone while it trains: the page's other sections do not rerun on a click
training_panel = st.fragment(panel)
