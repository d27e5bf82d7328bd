"""The Playground's streamlit side: controls, the live panel, the example views, the teacher's link.

Each function draws one part from a ``PlaygroundState`` (rnnviz/playground/state.py) and the
values it is given; the state and its transitions live there, without streamlit.

    state = session()                       # the one session key, STATE_KEY
    open_link(state, defaults)              # the URL's setup, once per link
    controls(state)                         # task / model / training / compare
    pg = state.ensure(state.configs_asked())
    buttons(state, pg, labels); live_panel(state, labels)
    views_section(state, row, labels)       # paused: pickers, views and the link, one fragment
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from rnnviz.charts.playground import VIEW_TITLES, example_figures, live_figures, share_log_y
from rnnviz.charts.style import PRESENT_WIDTH, thin_ticks
from rnnviz.errors import InputError
from rnnviz.playground import (
    Playground,
    decode,
    encode,
    example_view,
    link_notes,
    pick_example,
    typed_example,
)
from rnnviz.playground.config import LABELS, MAX_OWN_TEXT, RUN_FIELDS, TASK_KNOBS, PlaygroundConfig
from rnnviz.playground.controls import gate_caption, gate_options, layer_name, layer_options, shows, spec
from rnnviz.playground.presets import PRESETS, progress
from rnnviz.playground.state import DONE, RERUN_PAGE, PlaygroundState
from rnnviz.playground.url import HIDE_GROUPS, HIDEABLE, PARAMS
from rnnviz.tasks.corpora import decode_upload
from ui.lesson import LINK_HOOK, PRESENT_KEY, PRESENTER_FONT, chart, friendly_errors, presenting
from ui.safe import plain
from ui.training import training_slot

STATE_KEY = "pg"  # session state: this session's PlaygroundState
WIDGET_PREFIX = "pg_w"  # widget keys of the controls: pg_w{run}_{field}, pg_w_runs, pg_w_ckpt, ...
ICON_WARN = ":material/warning:"
STEP_WAIT = 20  # seconds the Step button waits in line for a training slot
STEP_BUSY = "The server is busy training for other students: try Step again in a moment."
PLAY_BUSY = "Waiting for a free training slot (other students are training)..."
NARROW_TICKS, WIDE_TICKS = 12, 30  # most labelled time steps under a half-width / full-width view
VIEW_CAPTIONS = {
    "predictions": "What the model outputs for this example at the chosen checkpoint.",
    "gradient": "‖∂L_last/∂h_t‖ (and ‖∂L_last/∂c_t‖ for LSTMs) at every step t: how much the last "
    "counted prediction depends on each earlier state.",
    "h": "Every unit (row) at every step (column); hover for the exact value.",
    "active": "The units with the largest mean |h_t|, one row each, coloured at every character or "
    "word they read.",
    "feature": "The hidden unit (h or c) most correlated with a fact of the text the model was never "
    "told about.",
}

ss = st.session_state


def session() -> PlaygroundState:
    """This session's Playground state (made on its first run)."""
    if STATE_KEY not in ss:
        ss[STATE_KEY] = PlaygroundState()
    return ss[STATE_KEY]


def forget_widgets(keys=None) -> None:
    """Widgets forget their values (all the Playground's controls by default): on this run they
    take the state's."""
    for key in [k for k in ss if str(k).startswith(WIDGET_PREFIX)] if keys is None else keys:
        ss.pop(key, None)


# --- the link -----------------------------------------------------------------------------------


def open_link(state: PlaygroundState, defaults: PlaygroundConfig) -> None:
    """Apply the URL's setup once per link (a failing setup keeps the student's changes), then show
    what it could not use and what it hides."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k != PRESENT_KEY}  # the sidebar's
    if state.link_is_new(params):
        link = decode(params, defaults=defaults)
        state.apply_link(link)
        state.link_warnings = link.warnings
        forget_widgets()
    for warning in state.link_warnings:
        st.warning(f"From the link: {plain(warning)}.", icon=":material/link_off:")
    if state.hide:
        c1, c2 = st.columns([5, 1])
        c1.caption(
            f"This link hides some controls ({', '.join(sorted(state.hide))}) to keep the demo focused."
        )
        if c2.button("Show all controls", key="pg_unhide"):
            state.hide = set()
            st.rerun()


def _trained(state: PlaygroundState) -> tuple:
    """How far each run is trained, as the link carries it (a link's training not yet replayed
    stays in the address until it is)."""
    if state.link_trained:
        return state.link_trained[1]
    return state.playground.trained() if state.playground is not None else ()


def sync_url(state: PlaygroundState, configs) -> None:
    """Keep the address bar equal to the current state, training included, so a reload or a
    copied URL restores it."""
    params = encode(configs, state.hide, state.example or None, trained=_trained(state))
    stale = state.url_update(params)
    if stale is not None:
        for key in stale:
            st.query_params.pop(key, None)
        st.query_params.update(params)


def _load_preset(state: PlaygroundState, key: str) -> None:
    state.load_preset(key)
    forget_widgets()


def presets(state: PlaygroundState) -> None:
    if state.is_hidden("teacher"):
        return
    st.markdown("**Presets**: one click sets up a phenomenon to watch.")
    with st.container(horizontal=True):
        for key, preset in PRESETS.items():
            st.button(preset.title, key=f"pg_preset_{key}", on_click=_load_preset, args=(state, key))


def preset_box(state: PlaygroundState, pg: Playground, labels: list[str]) -> None:
    """The loaded preset's 'what to watch' and where its runs are now (while its setup is unchanged)."""
    preset = state.preset_shown()
    if preset is None:
        return
    st.info(f"**{preset.title}.** {preset.watch}", icon=":material/visibility:")
    now = progress(preset.key, pg.runs, labels)
    if now:
        st.caption(now + " (Updated when the page reruns: Pause, or any change.)")


# --- the controls -------------------------------------------------------------------------------


def control(state: PlaygroundState, run: int, field: str, group: str | None = None):
    """The widget for ``field`` of run ``run``, or its stored value when a link hides it."""
    values = state.vals[run]
    if group is not None and state.is_hidden(group, field):
        return values[field]
    key = f"{WIDGET_PREFIX}{run}_{field}"
    if key not in ss:
        ss[key] = values[field]
    kind, label, kwargs = spec(field, values[field])
    values[field] = getattr(st, kind)(label, key=key, **kwargs)
    return values[field]


def _upload_text(state: PlaygroundState) -> None:
    """An uploaded file becomes "your text" (decoded and checked by the backend)."""
    state.upload_error = None
    file = ss.get("pg_upload")
    if file is None:
        return
    try:
        text = decode_upload(file.getvalue())[:MAX_OWN_TEXT]
    except InputError as err:
        state.upload_error = str(err)
        return
    state.vals[0]["own_text"] = ss[f"{WIDGET_PREFIX}0_own_text"] = text


def _set_runs(state: PlaygroundState) -> None:
    stale = state.set_runs(ss[f"{WIDGET_PREFIX}_runs"])
    forget_widgets([f"{WIDGET_PREFIX}{i}_{f}" for i, f in stale])


def controls(state: PlaygroundState) -> None:
    """Task, model and training side by side, then the compared runs; values go into the state."""
    vals = state.vals[0]
    c_task, c_model, c_train = st.columns(3, gap="large")
    with c_task:
        if not state.is_hidden("task"):
            st.subheader("Task")
        task = control(state, 0, "task", "task")
        for knob in TASK_KNOBS[task]:
            if not shows(knob, vals):
                continue
            if knob == "own_text" and not state.is_hidden("task", knob):
                st.file_uploader("...or upload a text file", type=["txt", "py", "md", "html", "csv"],
                                 key="pg_upload", on_change=_upload_text, args=(state,))  # fmt: skip
                if state.upload_error:
                    st.error(state.upload_error)
            control(state, 0, knob, "task")
    with c_model:
        if not state.is_hidden("model"):
            st.subheader("Model")
        for field in ("cell", "num_layers", "bidirectional", "hidden_size", "embed_dim", "forget_bias"):
            if shows(field, vals):
                control(state, 0, field, "model")
    with c_train:
        if not state.is_hidden("training"):
            st.subheader("Training")
        for field in ("optimizer", "lr", "clip", "batch_size", "seed"):
            control(state, 0, field, "training")
    if state.is_hidden("compare"):
        return
    with st.expander(
        "Compare: train up to three setups on the same task, data and seed", expanded=state.runs_n > 1
    ):
        key = f"{WIDGET_PREFIX}_runs"
        if key not in ss:
            ss[key] = state.runs_n
        state.runs_n = st.radio(
            "Runs", (1, 2, 3), horizontal=True, key=key, on_change=_set_runs, args=(state,)
        )
        for i in range(1, state.runs_n):
            st.markdown(f"**Run {'ABC'[i]}** (task, batch size and seed are run A's)")
            cols, shown = st.columns(4), 0
            for field in RUN_FIELDS:
                if shows(field, {**state.vals[i], "task": task, "text": vals["text"]}):
                    with cols[shown % 4]:
                        control(state, i, field, "compare")
                    shown += 1


# --- a link's training ----------------------------------------------------------------------------

REPLAY_WAIT = 60  # seconds a link's replay waits in line for a training slot


class _Busy(Exception):
    """No training slot freed up: nothing is cached, the next run of the page tries again."""


@st.cache_resource(max_entries=8, show_spinner=False)
def _replayed(configs: tuple[PlaygroundConfig, ...], trained: tuple) -> Playground:
    """The runs of ``configs`` trained as ``trained`` says, once per server: sessions opening the same
    link wait for the first one's replay (Streamlit computes one cache key once) and each takes a
    deep copy (:func:`link_training`). Read-only once made. The slot is taken inside, so a session
    waiting for someone else's replay holds none."""
    with training_slot(message=None, wait=REPLAY_WAIT, busy=None) as ready:
        if not ready:
            raise _Busy
        pg = Playground.build(configs)
        pg.replay(trained)
        return pg


def link_training(state: PlaygroundState) -> Playground:
    """A link that carries training: the runs brought to its steps (the same numbers as on the
    teacher's screen), with a spinner meanwhile; the page's runs otherwise."""
    trained = state.link_training()
    if trained is None:
        return state.playground
    steps = " and ".join(f"{runs[-1][0]:,}" for runs in trained if runs)
    try:
        with st.spinner(
            f"Training the link's runs to step {steps} again (once for everyone who opens it)..."
        ):
            shared = _replayed(state.configs, trained)
    except _Busy:
        st.warning(
            "The server is busy training for other students: the link's training could not be replayed "
            "yet. The runs start untrained; reload the page in a minute to try again.",
            icon=ICON_WARN,
        )
        return state.playground
    # every session its own copy; the tasks are shared, frozen and never modified
    memo = {id(run.trainer.task): run.trainer.task for run in shared.runs}
    state.adopt(copy.deepcopy(shared, memo))
    st.caption(f"Trained as the link says: step {steps}, the same numbers as wherever the link was made.")
    return state.playground


# --- Play, Step, Reset and the live panel -------------------------------------------------------


def step_if_asked(state: PlaygroundState, pg: Playground) -> None:
    """Step was pressed: one batch for every run, waiting in line up to STEP_WAIT seconds."""
    if state.take_step_request():
        with training_slot(wait=STEP_WAIT, busy=STEP_BUSY) as ready, state.training:
            if ready:
                pg.step_batch()


def buttons(state: PlaygroundState, pg: Playground, labels: list[str]) -> None:
    b1, b2, b3, b4 = st.columns([1, 1, 1, 5])
    if state.playing:
        b1.button("Pause", key="pg_pause", on_click=state.pause, type="primary", icon=":material/pause:",
                  width="stretch")  # fmt: skip
    else:
        b1.button("Play", key="pg_play", on_click=state.play, type="primary", icon=":material/play_arrow:",
                  width="stretch", disabled=not pg.live)  # fmt: skip
    b2.button("Step", key="pg_step", on_click=state.request_step, icon=":material/skip_next:",
              width="stretch", help="Train exactly one batch.", disabled=not pg.live)  # fmt: skip
    b3.button("Reset", key="pg_reset", on_click=state.reset, icon=":material/replay:", width="stretch",
              help="Start again from the initial weights (same seed, same numbers).")  # fmt: skip
    b4.caption(" · ".join(labels))


def _number(v: float) -> str:
    """A loss for a metric box: 3 decimals, or powers of ten once it is tiny."""
    if not np.isfinite(v):
        return "–"
    return f"{v:.3f}" if abs(v) >= 0.01 or v == 0 else f"{v:.1e}"


def _newest(pg: Playground) -> int:
    return max(s for run in pg.runs for s, _ in run.trainer.checkpoints)


def _shown_step(state: PlaygroundState, pg: Playground) -> int:
    return state.shown_step(_newest(pg), ss.get(f"{WIDGET_PREFIX}_ckpt"))


def draw_live(state: PlaygroundState, pg: Playground, labels: list[str], slots: dict, n: int) -> None:
    """Step counter, metrics and the charts over training, into the panel's empty slots."""
    with slots["top"].container():
        cols = st.columns([1, *[2] * len(pg.runs)])
        cols[0].metric("Step", pg.step)
        rate = state.rate(pg.step)
        if rate is not None:
            cols[0].caption(f"{rate:.0f} steps/s while playing")
        for col, run, label in zip(cols[1:], pg.runs, labels, strict=True):
            rows = run.trainer.history
            col.markdown(f"**{label}**")
            now = rows[-1].metrics if rows else run.initial
            m1, m2, m3 = col.columns(3)
            m1.metric("loss", _number(rows[-1].loss) if rows else "-")
            m2.metric("held-out loss", _number(now.get("val_loss", float("nan"))))
            acc = now.get("val_acc", float("nan"))
            m3.metric("held-out accuracy", f"{acc:.0%}" if np.isfinite(acc) else "–")
            if not rows:
                col.caption("Untrained (step 0): press Play or Step.")
            if run.diverged:
                col.warning(f"{run.diverged}: this run stopped; Reset starts it again.", icon=ICON_WARN)
        if state.msg:
            st.caption(state.msg)
    acc_title = "accuracy (|ŷ - y| < 0.04)" if pg.configs[0].task == "adding" else "accuracy"
    data = {label: run.live_data() for run, label in zip(pg.runs, labels, strict=True)}
    for name, fig in live_figures(data, acc_title, _shown_step(state, pg)).items():
        chart(fig, f"pg_live_{name}_{n}", slots[name])  # presenter mode: larger text, as every lesson


def live_panel(state: PlaygroundState, labels: list[str]) -> None:
    """The live panel (run as a fragment): drawn once while paused; while playing, ticks of training
    redrawn in place (PlaygroundState.play_loop decides when)."""
    pg = state.playground
    if pg is None:  # reset in a run of the panel alone: the page rebuilds the runs
        st.rerun()
    n_runs = len(pg.runs)
    slots = {"top": st.empty()}
    for col, name in zip(st.columns(3), ("loss", "acc", "grad"), strict=True):
        slots[name] = col.empty()
    heat_cols = st.columns(n_runs if n_runs > 1 else 2)
    sat_cols = st.columns(n_runs) if n_runs > 1 else heat_cols[1:]
    for i in range(n_runs):
        slots[f"heat_{i}"], slots[f"sat_{i}"] = heat_cols[i].empty(), sat_cols[i].empty()
    whole_page = state.page_running

    def train(seconds: float):
        with training_slot(message=None, wait=0, busy=None) as ready, state.training:
            return pg.tick(seconds) if ready else None

    def busy() -> None:
        (st if whole_page else slots["top"]).caption(PLAY_BUSY)

    outcome = state.play_loop(
        pg, train, lambda n: draw_live(state, pg, labels, slots, n), busy, whole_page=whole_page
    )
    if not whole_page:  # the address, and "Link to this view", follow the training while Play is on
        sync_url(state, pg.configs)
        refresh = ss.get(LINK_HOOK)
        if callable(refresh):
            refresh()
    if outcome == RERUN_PAGE:
        st.rerun()
    elif outcome != DONE:
        st.rerun(scope="fragment")


# --- the example views --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Picks:
    typed: str  # the student's own input ("" = the numbered example)
    layer: int
    direction: int
    gate: str


def checkpoint_picker(state: PlaygroundState, where) -> None:
    """The training-history slider, in ``where``. It stays in the page's body (a move reruns the
    page), because the live charts mark the checkpoint it picks too."""
    pg = state.playground
    steps = sorted({s for run in pg.runs for s, _ in run.trainer.checkpoints})
    ckpt = f"{WIDGET_PREFIX}_ckpt"
    if state.ckpt_follow or ss.get(ckpt) not in steps:
        ss[ckpt] = steps[-1]  # follow training until the student picks an earlier step
    state.ckpt_last = steps[-1]
    if len(steps) > 1:
        label = "Training history: the views show the checkpoint at step"
        where.select_slider(label, steps, key=ckpt, on_change=lambda: state.pick_checkpoint(ss[ckpt]))
    else:
        where.caption("Training history: only the initial weights so far (step 0).")


def view_pickers(state: PlaygroundState, row) -> Picks:
    """The example (number or typed, into the two columns of ``row``), layer and gate pickers."""
    pg, configs = state.playground, state.configs
    task = pg.runs[0].trainer.task
    c1, c2 = row
    if not state.is_hidden("example"):
        if f"{WIDGET_PREFIX}_ex" not in ss:
            ss[f"{WIDGET_PREFIX}_ex"] = state.example
        help_ = "Held-out examples, the same for everyone."
        state.example = c1.number_input("Example number", 0, 9999, key=f"{WIDGET_PREFIX}_ex", help=help_)
        if task.input_kind == "tokens":
            hint = "Enter to apply; empty = the example"
            c2.text_input("...or type your own input", key=f"{WIDGET_PREFIX}_typed", placeholder=hint)
    layers, gates = layer_options(configs), gate_options(configs)
    for key, options in ((f"{WIDGET_PREFIX}_gate", gates), (f"{WIDGET_PREFIX}_layer", layers)):
        if key in ss and ss[key] not in options:  # the runs changed under the picker
            del ss[key]
    c1, c2 = st.columns([1, 3]) if len(layers) > 1 else (None, st.container())
    layer, direction = (0, 0)
    if len(layers) > 1:
        two_way = any(c.bidirectional for c in configs)
        layer, direction = c1.selectbox(
            "Layer", layers, key=f"{WIDGET_PREFIX}_layer", format_func=lambda o: layer_name(o, two_way)
        )
    gate = c2.radio("Gate to show", gates, horizontal=True, key=f"{WIDGET_PREFIX}_gate")
    typed = ss.get(f"{WIDGET_PREFIX}_typed", "").strip() if not state.is_hidden("example") else ""
    return Picks(typed, layer, direction, gate)


def views_section(state: PlaygroundState, row, labels: list[str]) -> None:
    """While paused, as one fragment: the pickers, the views and the teacher's link (which names
    the example), so a picker reruns these alone, not the page."""
    picks = view_pickers(state, row)
    sync_url(state, state.configs)  # the example number is part of the address too
    views_panel(state, picks, labels)
    teacher_panel(state, state.configs)


def _view(run, index: int, task, example, step: int):
    return example_view(run.trainer.model_at(index), task, example, step)


def views_panel(state: PlaygroundState, picks: Picks, labels: list[str]) -> None:
    """One example through the checkpoint the slider picks (or the newest, while following
    training), for every run side by side."""
    pg, configs = state.playground, state.configs
    if pg is None:
        return
    task = pg.runs[0].trainer.task
    source = configs[0].text if configs[0].task == "charlm" else None
    chosen = _shown_step(state, pg)
    example = None
    with friendly_errors():
        example = (
            typed_example(task, picks.typed, source)
            if picks.typed
            else pick_example(task, state.example, source)
        )
    if example is None:
        return
    following = " (the newest: the views follow training)" if chosen == _newest(pg) else ""
    st.caption(f"The example, through the checkpoint at step {chosen}{following}:")
    st.code(example.text, language=None, wrap_lines=True)
    which = ("typed", picks.typed) if picks.typed else ("ex", state.example)
    views = []
    for i, run in enumerate(pg.runs):
        ckpts = run.trainer.checkpoints
        index = max((j for j, (s, _) in enumerate(ckpts) if s <= chosen), default=0)
        step = ckpts[index][0]
        make = functools.partial(_view, run, index, task, example, step)
        views.append(state.views.get((i, step, which), make))
    # presenter mode: tokens written in cells at 20 px, each line as long as the chart's width holds
    # (full width for one run, a column each when runs are compared)
    fit = dict(text_px=PRESENTER_FONT, width_px=PRESENT_WIDTH // len(views)) if presenting() else {}
    figs = [
        example_figures(v, lab[:1], picks.layer, picks.direction, picks.gate, **fit)
        for v, lab in zip(views, labels, strict=True)
    ]
    names = [n for n in VIEW_TITLES if any(n in f for f in figs)]
    gate = picks.gate
    titles = {**VIEW_TITLES, "gate": f"Gate {gate}" if gate != "h" else "h_t (this cell has no gates)"}
    # the gate view's caption depends on the gate and the runs' cells (a sigmoid gate shuts near 0;
    # minGRU's n, minLSTM's g and the selective b have no nonlinearity)
    captions = {**VIEW_CAPTIONS, "gate": gate_caption(configs, gate)}

    def show(name: str, i: int, with_title: bool, narrow: bool) -> None:
        if with_title:
            st.markdown(f"**{titles[name]}**")
            st.caption(captions[name])
        fig = figs[i].get(name)
        if fig is None:
            st.caption(f"{labels[i][:1]}: nothing to show for this run.")
        elif isinstance(fig, str):
            st.markdown(fig)
        else:
            thin_ticks(fig, NARROW_TICKS if narrow else WIDE_TICKS)  # labels that do not overlap
            if narrow:  # step labels on a slant, so words fit under a half-width chart
                fig.update_xaxes(tickangle=-45)
            chart(fig, f"pg_view_{name}_{i}")

    if len(views) == 1:  # one run: short sequences two views to a row, long ones full width
        wide = len(views[0].tokens) > 40
        for row in (["predictions", "gradient"], ["h", "gate"], ["active"], ["feature"]):
            row = [n for n in row if n in names]
            for group in [[n] for n in row] if wide else [row]:
                for col, name in zip(st.columns(len(group)) if group else [], group, strict=True):
                    with col:
                        show(name, 0, True, len(group) > 1)
        return
    share_log_y([f["gradient"] for f in figs if not isinstance(f.get("gradient"), str | None)])
    for name in names:  # compared runs: one row per view, one column per run
        st.markdown(f"**{titles[name]}**")
        st.caption(captions[name])
        for i, col in enumerate(st.columns(len(views))):
            with col:
                show(name, i, False, True)


# --- for teachers -------------------------------------------------------------------------------


def teacher_panel(state: PlaygroundState, configs) -> None:
    """The setup as a link, with the controls it hides and, if asked, the example shown."""
    if state.is_hidden("teacher"):
        return
    with st.expander("For teachers: share this setup as a link"):
        st.markdown(
            "The link below starts everyone on exactly this setup (same seed, same numbers). Hide the "
            "controls that do not matter today: a hidden control keeps the link's value."
        )
        names = {g: f"{g} (whole group)" for g in HIDE_GROUPS} | {
            p: LABELS.get(PARAMS[p], p) for p in HIDEABLE if p not in HIDE_GROUPS
        }
        hide = st.multiselect("Hide in the link", list(HIDEABLE), default=sorted(state.hide),
                              key=f"{WIDGET_PREFIX}_linkhide", format_func=lambda p: names[p])  # fmt: skip
        if (ex_key := f"{WIDGET_PREFIX}_linkex") not in ss:  # on for a link that named an example; a
            ss[ex_key] = bool(state.example)  # default that never changes after (its value= would, per run)
        with_example = st.checkbox("Open on the example number shown above", key=ex_key)
        trained = _trained(state)
        with_training = any(trained) and st.checkbox(
            f"Start everyone at this training (step {state.playground.step:,}: the server trains it again, "
            "once, to the same numbers)",
            key=f"{WIDGET_PREFIX}_linktrained",
        )
        query = urlencode(
            encode(configs, hide, state.example if with_example else None, trained if with_training else ()),
            safe=",",
        )
        st.code(f"{st.context.url or ''}?{query}", language=None, wrap_lines=True)
        for note in link_notes(configs):
            st.caption(note)
