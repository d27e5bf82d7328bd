"""The RNN Playground: TensorFlow Playground, for sequences.

widgets -> PlaygroundConfig(s) -> Playground (1-3 runs, same task, data, seed) -> ticks of training
-> probe records and checkpoints -> charts. The whole state lives in the URL (``rnnviz.playground.url``).
"""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from rnnviz.cells import CELLS
from rnnviz.charts.playground import VIEW_TITLES, example_figures, live_figures, share_log_y, thin_ticks
from rnnviz.errors import InputError
from rnnviz.playground import (
    PRESETS,
    Link,
    Playground,
    PlaygroundConfig,
    compare_runs,
    decode,
    encode,
    example_view,
    link_notes,
    model_at,
    pick_example,
    typed_example,
)
from rnnviz.playground.config import (
    CELL_NAMES,
    INT_LIMITS,
    LABELS,
    MAX_OWN_TEXT,
    MAX_RUNS,
    RUN_FIELDS,
    TASK_KNOBS,
    TASK_NAMES,
    TASK_TITLES,
    TEXTS,
    short_labels,
    title,
)
from rnnviz.playground.presets import progress
from rnnviz.playground.probe import PROBE_SIZE, gate_names, reach_sentence
from rnnviz.playground.session import (
    FIRST_TICK_SECONDS,
    PLAY_RUN_SECONDS,
    PROBE_EVERY,
    TICK_SECONDS,
    VIEW_REFRESH_SECONDS,
    Pacer,
)
from rnnviz.playground.url import FIELD_PARAM, HIDE_GROUPS, HIDEABLE, PARAMS, link_is_new
from rnnviz.tasks.corpora import decode_upload
from ui.lesson import PRESENT_KEY, chart, friendly_errors, header, seed, stop, try_this
from ui.safe import plain
from ui.training import training_slots

ss = st.session_state
ICON_WARN = ":material/warning:"
RESTART_SECONDS = 0.5  # while playing, the live panel's loop starts this soon after the page has drawn
MAX_PLAY_SECONDS = 300  # Play pauses itself after this long, so a forgotten tab frees the server
STEP_WAIT = 20  # seconds the Step button waits for a free training slot
LR_CHOICES = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0)
CLIP_CHOICES = (None, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
BATCH_CHOICES = (8, 16, 32, 64, 128, 256)
FB_CHOICES = tuple(x / 2 for x in range(11))
OTHER_CELLS = ("rnn_tanh", "gru", "lstm")  # what a newly added compared run starts with
NARROW_TICKS, WIDE_TICKS = 12, 30  # most labelled time steps under a half-width / full-width view


# --- state: values of every control, kept apart from widget keys so hidden controls keep theirs


def apply_link(link: Link) -> None:
    """Put a decoded link's (or preset's) settings into the controls."""
    first = dataclasses.asdict(link.configs[0])
    ss.pg_vals = [first, *(dataclasses.asdict(c) for c in link.configs[1:])]
    ss.pg_vals += [dict(first) for _ in range(MAX_RUNS - len(ss.pg_vals))]
    ss.pg_runs_n = len(link.configs)
    ss.pg_hide = set(link.hide)
    ss.pg_ex = link.example or 0
    ss.pg_playing = False
    for key in [k for k in ss if str(k).startswith("pg_w")]:
        del ss[key]  # widgets pick up the new values on this run


def load_preset(key: str) -> None:
    apply_link(Link(PRESETS[key].configs, frozenset(ss.get("pg_hide", ()))))
    ss.pg_preset = key


def spec(field: str, current) -> tuple[str, str, dict]:
    """(streamlit widget, label, keyword arguments) of the control for ``field``."""
    fmt = {"format_func": lambda x: f"{x:g}"}
    sliders = {
        "lag": "Lag: steps to remember across",
        "n_countries": "Countries (classes)",
        "n_symbols": "Symbols in the alphabet",
        "length": "Symbols to copy",
        "depth": "Deepest nesting of tags",
        "seq_len": "Characters per training window (T)",
        "num_layers": "Layers",
        "hidden_size": "Hidden size H",
        "embed_dim": "Embedding size (0 = one-hot)",
    }
    if field in sliders:
        lo, hi = INT_LIMITS[field]
        return "slider", sliders[field], {"min_value": lo, "max_value": hi}
    if field == "lr":  # the link's value joins the usual choices
        return "select_slider", "Learning rate", {"options": sorted({*LR_CHOICES, current}), **fmt}
    if field == "batch_size":
        return "select_slider", "Batch size", {"options": sorted({*BATCH_CHOICES, current})}
    if field == "clip":
        clips = [None, *sorted({c for c in (*CLIP_CHOICES, current) if c is not None})]
        off = {"format_func": lambda c: "off" if c is None else f"{c:g}"}
        return "select_slider", "Gradient clipping (max norm)", {"options": clips, **off}
    return {
        "task": ("selectbox", "Task", {"options": TASK_NAMES, "format_func": TASK_TITLES.get}),
        "text": ("selectbox", "Text", {"options": list(TEXTS), "format_func": TEXTS.get}),
        "cell": ("selectbox", "Cell", {"options": CELL_NAMES, "format_func": title}),
        "ambiguous": ("toggle", "Ambiguous words (fish, watch, light, ...)", {}),
        "bidirectional": ("toggle", "Bidirectional", {}),
        "n_train": ("number_input", "Fixed training sentences (0 = fresh ones every batch)",
                    {"min_value": 0, "max_value": INT_LIMITS["n_train"][1], "step": 100}),
        "own_text": ("text_area", "Your text", {"max_chars": MAX_OWN_TEXT, "height": 120,
                     "help": "Paste a few paragraphs; Ctrl+Enter applies."}),
        "forget_bias": ("select_slider", "Forget-gate bias at start", {"options": FB_CHOICES, **fmt,
                        "help": "Added to b_f at the start: f begins near σ(bias), keeping c."}),
        "optimizer": ("radio", "Optimizer", {"options": ("adam", "sgd"), "horizontal": True}),
        "seed": ("number_input", "Seed", {"min_value": 0, "max_value": INT_LIMITS["seed"][1], "step": 1}),
    }[field]  # fmt: skip


def control(run: int, field: str, group: str | None = None):
    """The widget for ``field`` of run ``run``, or its stored value when a link hides it."""
    values = ss.pg_vals[run]
    if group is not None and is_hidden(group, field):
        return values[field]
    key = f"pg_w{run}_{field}"
    if key not in ss:
        ss[key] = values[field]
    kind, label, kwargs = spec(field, values[field])
    values[field] = getattr(st, kind)(label, key=key, **kwargs)
    return values[field]


def has_c(run: int) -> bool:
    """Does run ``run``'s cell have a cell state c (and so a forget-gate bias)?"""
    return CELLS[ss.pg_vals[run]["cell"]].has_cell_state


def is_hidden(group: str, field: str | None = None) -> bool:
    return group in ss.pg_hide or (field is not None and FIELD_PARAM[field] in ss.pg_hide)


def sync_url(configs) -> None:
    """Keep the address bar equal to the current state, so a reload or a copied URL restores it."""
    params = encode(configs, ss.pg_hide, ss.pg_ex or None)
    old = ss.get("pg_qs") or {}
    if params != old:
        # only this page's own parameters: the sidebar's (e.g. ?present=true) belong to its widgets
        for key in old.keys() - params.keys():
            st.query_params.pop(key, None)
        st.query_params.update(params)
        ss.pg_qs = params


def upload_text() -> None:
    """An uploaded file becomes "your text" (decoded and checked by the backend)."""
    ss.pg_upload_error = None
    file = ss.get("pg_upload")
    if file is None:
        return
    try:
        text = decode_upload(file.getvalue())
    except InputError as err:
        ss.pg_upload_error = str(err)
        return
    text = text[:MAX_OWN_TEXT]
    ss.pg_vals[0]["own_text"] = ss.pg_w0_own_text = text


def start_playing() -> None:
    ss.pg_playing, ss.pg_play_t0, ss.pg_play_step0 = True, time.perf_counter(), None
    ss.pg_alive, ss.pg_msg = time.perf_counter(), None


def pause() -> None:
    ss.pg_playing = False


def reset() -> None:
    ss.pop("pg_pg", None)
    ss.pg_playing = False
    ss.pg_msg = None


def add_runs() -> None:
    """A newly compared run starts as run A with another cell, so the first comparison is by cell."""
    cells = [ss.pg_vals[0]["cell"]]
    for i in range(1, ss.pg_w_runs):
        if ss.pg_vals[i]["cell"] in cells or all(ss.pg_vals[i][f] == ss.pg_vals[0][f] for f in RUN_FIELDS):
            ss.pg_vals[i].update({f: ss.pg_vals[0][f] for f in RUN_FIELDS})
            ss.pg_vals[i]["cell"] = next(c for c in OTHER_CELLS if c not in cells)
            for f in RUN_FIELDS:
                ss.pop(f"pg_w{i}_{f}", None)
        cells.append(ss.pg_vals[i]["cell"])


def train_under_slot(pg: Playground, blocking: bool):
    """One tick (or one Step) under the server-wide limit of concurrent trainings; None when busy."""
    slots = training_slots()
    if not (slots.acquire(timeout=STEP_WAIT) if blocking else slots.acquire(blocking=False)):
        return None
    try:
        if blocking:
            return pg.step_batch()
        first = ss.get("pg_play_step0") is None  # the first tick after Play: a loss point at once
        return pg.tick(FIRST_TICK_SECONDS if first else TICK_SECONDS)
    finally:
        slots.release()


# --- page ---------------------------------------------------------------------------------------

header(
    "RNN Playground",
    [
        "how the task, the cell, its size and the training settings decide what a recurrent network learns;",
        "to read training as it happens: loss and accuracy, gradients flowing back through time, "
        "saturated gates, and what one example looks like inside the network at any saved step;",
        "to compare up to three setups on the same data and seed, and to share a setup as a link.",
    ],
    "TensorFlow Playground, for sequences. Pick a task and a model, press **Play**, and watch it "
    "train; **Step** trains exactly one batch. Everything starts untrained: until you press Play, "
    "every view shows a freshly initialised model, which already tells you something (how far back "
    "its gradients reach, which gates start saturated).",
)

ss.pg_page_running = True  # the live panel trains one tick only while the whole page runs
if ss.get("pg_playing") and time.perf_counter() - ss.get("pg_alive", 0.0) > PLAY_RUN_SECONDS + 5:
    ss.pg_playing = False  # the student left the page while it played: coming back does not resume
params = {k: v for k, v in st.query_params.to_dict().items() if k != PRESENT_KEY}  # the sidebar's toggle
if link_is_new(ss, params):  # once per link: a failing setup keeps the student's changes
    link = decode(params, defaults=PlaygroundConfig(seed=seed()))
    apply_link(link)
    ss.pg_link_warnings = link.warnings
    ss.pg_preset = None
for warning in ss.get("pg_link_warnings", ()):
    st.warning(f"From the link: {plain(warning)}.", icon=":material/link_off:")
if ss.pg_hide:
    c1, c2 = st.columns([5, 1])
    c1.caption(f"This link hides some controls ({', '.join(sorted(ss.pg_hide))}) to keep the demo focused.")
    if c2.button("Show all controls", key="pg_unhide"):
        ss.pg_hide = set()
        st.rerun()

if not is_hidden("teacher"):
    st.markdown("**Presets**: one click sets up a phenomenon to watch.")
    with st.container(horizontal=True):
        for key, preset in PRESETS.items():
            st.button(preset.title, key=f"pg_preset_{key}", on_click=load_preset, args=(key,))

# --- controls -----------------------------------------------------------------------------------
c_task, c_model, c_train = st.columns(3, gap="large")
with c_task:
    if not is_hidden("task"):
        st.subheader("Task")
    task = control(0, "task", "task")
    text = ss.pg_vals[0]["text"]
    for knob in TASK_KNOBS[task]:
        if (knob, text) not in (
            ("depth", "stdlib"),
            ("depth", "own"),
            ("own_text", "markup"),
            ("own_text", "stdlib"),
        ):
            if knob == "own_text" and not is_hidden("task", knob):
                st.file_uploader("...or upload a text file", type=["txt", "py", "md", "html", "csv"],
                                 key="pg_upload", on_change=upload_text)  # fmt: skip
                if ss.get("pg_upload_error"):
                    st.error(ss.pg_upload_error)
            control(0, knob, "task")
with c_model:
    if not is_hidden("model"):
        st.subheader("Model")
    for field in ("cell", "num_layers", "bidirectional", "hidden_size", "embed_dim", "forget_bias"):
        if (field != "embed_dim" or task != "adding") and (field != "forget_bias" or has_c(0)):
            control(0, field, "model")
with c_train:
    if not is_hidden("training"):
        st.subheader("Training")
    for field in ("optimizer", "lr", "clip", "batch_size", "seed"):
        control(0, field, "training")

if not is_hidden("compare"):
    title_ = "Compare: train up to three setups on the same task, data and seed"
    with st.expander(title_, expanded=ss.pg_runs_n > 1):
        if "pg_w_runs" not in ss:
            ss.pg_w_runs = ss.pg_runs_n
        ss.pg_runs_n = st.radio("Runs", (1, 2, 3), horizontal=True, key="pg_w_runs", on_change=add_runs)
        for i in range(1, ss.pg_runs_n):
            st.markdown(f"**Run {'ABC'[i]}** (task, batch size and seed are run A's)")
            cols = st.columns(4)
            fields = [
                f
                for f in RUN_FIELDS
                if (f != "embed_dim" or task != "adding") and (f != "forget_bias" or has_c(i))
            ]
            for j, field in enumerate(fields):
                with cols[j % 4]:
                    control(i, field, "compare")

# --- the runs -----------------------------------------------------------------------------------
built = None
if task == "charlm" and ss.pg_vals[0]["text"] == "own" and not ss.pg_vals[0]["own_text"].strip():
    st.info("Paste a text above (a few paragraphs at least) to train a character model on it.")
    stop()
with friendly_errors("Change the setting named above; the rest of the page waits for a valid setup."):
    base = PlaygroundConfig(**ss.pg_vals[0])
    changes = [{f: ss.pg_vals[i][f] for f in RUN_FIELDS} for i in range(1, ss.pg_runs_n)]
    configs = compare_runs(base, *changes)
    held = ss.get("pg_pg")
    if held is None or held[0] != configs:
        ss.pg_pg = (configs, Playground.build(configs))
        ss.pg_playing, ss.pg_msg, ss.pg_views = False, None, {}
    built = ss.pg_pg
if built is None:
    stop()
pg: Playground = ss.pg_pg[1]
labels = short_labels(configs)
sync_url(configs)
for note in configs[0].notes():
    st.warning(note)
if ss.get("pg_preset") in PRESETS and PRESETS[ss.pg_preset].configs == configs:
    preset = PRESETS[ss.pg_preset]
    st.info(f"**{preset.title}.** {preset.watch}", icon=":material/visibility:")
    now = progress(ss.pg_preset, pg.runs, labels)
    if now:
        st.caption(now + " (Updated when the page reruns: Pause, or any change.)")

if ss.pop("pg_step_request", False):
    if train_under_slot(pg, blocking=True) is None:
        st.warning("The server is busy training for other students: try Step again in a moment.")

b1, b2, b3, b4 = st.columns([1, 1, 1, 5])
if ss.pg_playing:
    b1.button(
        "Pause", key="pg_pause", on_click=pause, type="primary", icon=":material/pause:", width="stretch"
    )
else:
    b1.button(
        "Play",
        key="pg_play",
        on_click=start_playing,
        type="primary",
        icon=":material/play_arrow:",
        width="stretch",
        disabled=not pg.live,
    )
b2.button(
    "Step",
    key="pg_step",
    on_click=lambda: ss.update(pg_step_request=True),
    icon=":material/skip_next:",
    width="stretch",
    help="Train exactly one batch.",
    disabled=not pg.live,
)
b3.button(
    "Reset",
    key="pg_reset",
    on_click=reset,
    icon=":material/replay:",
    width="stretch",
    help="Start again from the initial weights (same seed, same numbers).",
)
b4.caption(" · ".join(labels))


def number(v: float) -> str:
    """A loss for a metric box: 3 decimals, or powers of ten once it is tiny."""
    if not np.isfinite(v):
        return "–"
    return f"{v:.3f}" if abs(v) >= 0.01 or v == 0 else f"{v:.1e}"


def shown_step(pg: Playground) -> int:
    """The checkpoint step the views show: the newest while following training, else the slider's."""
    newest = max(s for run in pg.runs for s, _ in run.trainer.checkpoints)
    return newest if ss.get("pg_ckpt_follow", True) else ss.get("pg_w_ckpt", newest)


def draw_live(pg: Playground, slots: dict, n: int) -> None:
    """Step counter, metrics and the charts over training, into the panel's empty slots."""
    mark_step = shown_step(pg)
    with slots["top"].container():
        cols = st.columns([1, *[2] * len(pg.runs)])
        cols[0].metric("Step", pg.step)
        if ss.pg_playing and ss.get("pg_play_step0") is not None:
            rate = (pg.step - ss.pg_play_step0) / max(1e-9, time.perf_counter() - ss.pg_play_t0)
            cols[0].caption(f"{rate:.0f} steps/s while playing")
        for col, run, label in zip(cols[1:], pg.runs, labels, strict=True):
            rows = run.trainer.history
            col.markdown(f"**{label}**")
            now = rows[-1].metrics if rows else run.initial
            m1, m2, m3 = col.columns(3)
            m1.metric("loss", number(rows[-1].loss) if rows else "-")
            m2.metric("held-out loss", number(now.get("val_loss", float("nan"))))
            acc = now.get("val_acc", float("nan"))
            m3.metric("held-out accuracy", f"{acc:.0%}" if np.isfinite(acc) else "–")
            if not rows:
                col.caption("Untrained (step 0): press Play or Step.")
            if run.diverged:
                col.warning(f"{run.diverged}: this run stopped; Reset starts it again.", icon=ICON_WARN)
        if ss.get("pg_msg"):
            st.caption(ss.pg_msg)
    acc_title = "accuracy (|ŷ - y| < 0.04)" if configs[0].task == "adding" else "accuracy"
    data = {label: run.live_data() for run, label in zip(pg.runs, labels, strict=True)}
    for name, fig in live_figures(data, acc_title, mark_step).items():
        chart(fig, f"pg_live_{name}_{n}", slots[name])  # presenter mode: larger text, as every lesson


def live_panel() -> None:
    """While playing, inside a run of the whole page: one tick (the page must finish drawing).
    In a run of this fragment alone: ticks for PLAY_RUN_SECONDS, redrawn in place when the Pacer
    says so, then the fragment reruns itself at once (queued widget actions run in between).
    Training never waits for the browser to draw; Pause (a whole-page rerun) cuts in within a tick."""
    pg: Playground = ss.pg_pg[1]
    n_runs = len(pg.runs)
    slots = {"top": st.empty()}
    for col, name in zip(st.columns(3), ("loss", "acc", "grad"), strict=True):
        slots[name] = col.empty()
    heat_cols = st.columns(n_runs if n_runs > 1 else 2)
    sat_cols = st.columns(n_runs) if n_runs > 1 else heat_cols[1:]
    for i in range(n_runs):
        slots[f"heat_{i}"], slots[f"sat_{i}"] = heat_cols[i].empty(), sat_cols[i].empty()
    pacer, n = Pacer(), 0

    def draw() -> None:
        nonlocal n
        start = time.perf_counter()
        draw_live(pg, slots, n)
        n += 1
        pacer.drew(time.perf_counter() - start)

    whole_page = ss.get("pg_page_running", False)
    if not ss.pg_playing or not (whole_page or ss.get("pg_play_step0") is None):
        draw()  # paused; or a restart of the loop, drawn at once so the charts never blink
    start = time.perf_counter()
    while ss.pg_playing and (n == 0 or time.perf_counter() - start < PLAY_RUN_SECONDS):
        first = ss.get("pg_play_step0") is None
        tick = train_under_slot(pg, blocking=False)
        ss.pg_alive = time.perf_counter()
        if first:
            ss.pg_play_step0 = pg.step - (tick.steps[0] if tick else 0)
        if tick is None:
            busy = "Waiting for a free training slot (other students are training)..."
            if whole_page:
                draw()
                st.caption(busy)
                return
            slots["top"].caption(busy)
            time.sleep(0.5)
            continue
        stop = None
        if not pg.live:
            stop = "Every run has diverged: press Reset to start again."
        elif time.perf_counter() - ss.pg_play_t0 > MAX_PLAY_SECONDS:
            stop = f"Paused after {MAX_PLAY_SECONDS // 60} minutes of training: press Play to go on."
        if stop:
            ss.pg_playing = False
            ss.pg_msg = " ".join(filter(None, [ss.get("pg_msg"), stop]))
            st.rerun()
        if first or whole_page or pacer.due():
            draw()
        if whole_page:
            return
    if ss.pg_playing:
        st.rerun(scope="fragment")


st.subheader("Training, live")
st.fragment(run_every=RESTART_SECONDS if ss.pg_playing else None)(live_panel)()
with st.expander("How to read these charts"):
    st.markdown(
        f"**Gradient through time.** Every {PROBE_EVERY} steps the Playground replays {PROBE_SIZE} "
        "held-out sequences and measures how strongly the loss $L$ at the last step that counts (step $T$ "
        "here) reaches back to each earlier hidden state $h_t$, $t = 1 \\dots T$. By the chain rule that is "
        "a product of one Jacobian per step, in this order (gradients as row vectors; the factors are "
        "matrices and do not commute):"
    )
    st.latex(
        r"\frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial h_T}\,"
        r"\frac{\partial h_T}{\partial h_{T-1}}\,\frac{\partial h_{T-1}}{\partial h_{T-2}} \cdots"
        r"\frac{\partial h_{t+1}}{\partial h_t}"
        r"\qquad\text{or, as columns:}\quad \nabla_{h_t} L = "
        r"\Big(\frac{\partial h_{t+1}}{\partial h_t}\Big)^{\!\top} \cdots"
        r"\Big(\frac{\partial h_T}{\partial h_{T-1}}\Big)^{\!\top} \nabla_{h_T} L"
    )
    st.markdown(
        "For an LSTM the state is the pair $(h_t, c_t)$ and each factor is the Jacobian of the pair. "
        "The cell state adds a path of its own: $\\partial L/\\partial c_t$ (the chart's ‖∂L/∂c_t‖) is "
        "what comes back along the cell, multiplied by $f_{t+1}$ and nothing else, plus what comes "
        "through $h_t = o_t \\odot \\tanh c_t$. For $t < T$, $\\partial L/\\partial h_t$ comes back "
        "through the gates of step $t+1$, whose pre-activations are "
        "$a_{t+1} = W_{xh} x_{t+1} + W_{hh} h_t + b_h$ (rows i, f, g, o; a peephole LSTM's gates also "
        "read $c_t$, one more path)."
    )
    st.latex(
        r"\frac{\partial L}{\partial c_t} = \frac{\partial L}{\partial c_{t+1}} \odot f_{t+1}"
        r" + \frac{\partial L}{\partial h_t} \odot o_t \odot (1 - \tanh^2 c_t),\qquad"
        r"\frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial a_{t+1}}\, W_{hh}"
    )
    st.markdown(
        "Each step back multiplies by one more factor, so when the factors are mostly smaller than 1 the "
        "gradient shrinks with the distance (dark rows near $t = 1$: a vanishing gradient), and when they "
        "are larger it grows. The factors change from step to step, so the fall is geometric only on "
        "average. Measured on the runs, newest probe:"
    )
    for run, label in zip(pg.runs, labels, strict=True):
        if run.probe.records:
            st.markdown("- " + reach_sentence(label, run.probe.records[-1]))
    st.markdown(
        "**Saturated gates.** The share of gate values where the gate's nonlinearity is flat: a sigmoid "
        "gate (i, f, o, r, z) below 0.05 or above 0.95, a tanh value (g, n, or h of a tanh RNN) beyond "
        "±0.95, a ReLU unit at 0. Little gradient passes there. **Clipping** rescales the gradient g "
        "when its norm passes the threshold c:"
    )
    st.latex(r"g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert}\right)")


def view_controls() -> dict:
    """The example, checkpoint, layer and gate pickers. They sit outside the fragments, so a
    change reruns the page at once, even while Play is on."""
    runs, task = pg.runs, pg.runs[0].trainer.task
    steps = sorted({s for run in runs for s, _ in run.trainer.checkpoints})
    if ss.get("pg_ckpt_follow", True) or ss.get("pg_w_ckpt") not in steps:
        ss.pg_w_ckpt = steps[-1]  # follow training until the student picks an earlier step
    ss.pg_ckpt_last = steps[-1]
    c1, c2, c3 = st.columns([1, 2, 3])
    if not is_hidden("example"):
        if "pg_w_ex" not in ss:
            ss.pg_w_ex = ss.pg_ex
        help_ = "Held-out examples, the same for everyone."
        ss.pg_ex = c1.number_input("Example number", 0, 9999, key="pg_w_ex", help=help_)
        if task.input_kind == "tokens":
            hint = "Enter to apply; empty = the example"
            c2.text_input("...or type your own input", key="pg_w_typed", placeholder=hint)
    if len(steps) > 1:
        follow = lambda: ss.update(pg_ckpt_follow=ss.pg_w_ckpt == ss.pg_ckpt_last)  # noqa: E731
        label = "Training history: the views show the checkpoint at step"
        c3.select_slider(label, steps, key="pg_w_ckpt", on_change=follow)
    else:
        c3.caption("Training history: only the initial weights so far (step 0).")
    n_layers = max(c.num_layers for c in configs)
    two_way = any(c.bidirectional for c in configs)
    layer_opts = [(k, d) for k in range(n_layers) for d in range(2 if two_way else 1)]
    gates = []
    for c in configs:
        gates += [*gate_names(c.cell), *(["c"] if CELLS[c.cell].has_cell_state else [])]
    gates = list(dict.fromkeys(gates))
    for key, options in (("pg_w_gate", gates), ("pg_w_layer", layer_opts)):
        if key in ss and ss[key] not in options:  # the runs changed under the picker
            del ss[key]
    c1, c2 = st.columns([1, 3]) if len(layer_opts) > 1 else (None, st.container())
    layer, direction = (0, 0)
    if len(layer_opts) > 1:
        name = lambda o: f"layer {o[0] + 1}" + ((" forward", " backward")[o[1]] if two_way else "")  # noqa: E731
        layer, direction = c1.selectbox("Layer", layer_opts, key="pg_w_layer", format_func=name)
    gate = c2.radio("Gate to show", gates, horizontal=True, key="pg_w_gate")
    typed = ss.get("pg_w_typed", "").strip() if not is_hidden("example") else ""
    return {"typed": typed, "layer": layer, "direction": direction, "gate": gate}


def views_panel(picks: dict) -> None:
    """One example through the checkpoint the slider picks (or the newest, while following
    training), for every run side by side."""
    pg: Playground = ss.pg_pg[1]
    runs, task = pg.runs, pg.runs[0].trainer.task
    source = configs[0].text if configs[0].task == "charlm" else None
    typed, layer, direction, gate = picks["typed"], picks["layer"], picks["direction"], picks["gate"]
    newest = max(s for run in runs for s, _ in run.trainer.checkpoints)
    chosen = shown_step(pg)
    example = None
    with friendly_errors():
        example = typed_example(task, typed, source) if typed else pick_example(task, ss.pg_ex, source)
    if example is None:
        return
    following = " (the newest: the views follow training)" if chosen == newest else ""
    st.caption(f"The example, through the checkpoint at step {chosen}{following}:")
    st.code(example.text, language=None, wrap_lines=True)
    views = []
    for i, run in enumerate(runs):
        index = max((j for j, (s, _) in enumerate(run.trainer.checkpoints) if s <= chosen), default=0)
        step = run.trainer.checkpoints[index][0]
        key = (i, id(run), step, typed or ss.pg_ex)
        if key not in ss.pg_views:
            if len(ss.pg_views) > 4 * MAX_RUNS:
                ss.pg_views = {}
            ss.pg_views[key] = example_view(model_at(run.trainer, index), task, example, step)
        views.append(ss.pg_views[key])
    figs = [example_figures(v, lab[:1], layer, direction, gate) for v, lab in zip(views, labels, strict=True)]
    names = [n for n in VIEW_TITLES if any(n in f for f in figs)]
    titles = {**VIEW_TITLES, "gate": f"Gate {gate}" if gate != "h" else "h_t (this cell has no gates)"}
    captions = {
        "predictions": "What the model outputs for this example at the chosen checkpoint.",
        "gradient": "‖∂L_last/∂h_t‖ (and ‖∂L_last/∂c_t‖ for LSTMs) at every step t: how much the last "
        "counted prediction depends on each earlier state.",
        "h": "Every unit (row) at every step (column); hover for the exact value.",
        "gate": "The gate for every unit at every step: near 0 it shuts, near 1 it lets through (c is "
        "the LSTM's cell state).",
        "active": "The units with the largest mean |h_t|, one row each, coloured at every character or "
        "word they read.",
        "feature": "The hidden unit (h or c) most correlated with a fact of the text the model was never "
        "told about.",
    }

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
            if narrow:  # step labels on a slant, so words fit under a half-width chart
                fig.update_xaxes(tickangle=-45)
            thin_ticks(fig, NARROW_TICKS if narrow else WIDE_TICKS)  # labels that do not overlap
            chart(fig, f"pg_view_{name}_{i}")

    if len(views) == 1:  # one run: short sequences two views to a row, long ones full width
        wide = len(views[0].tokens) > 40
        rows = [["predictions", "gradient"], ["h", "gate"], ["active"], ["feature"]]
        for row in rows:
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


st.subheader("Inside the network: one example, at any saved step")
picks = view_controls()
sync_url(configs)  # the example number is part of the address too
st.fragment(run_every=VIEW_REFRESH_SECONDS if ss.pg_playing else None)(views_panel)(picks)

# --- for teachers ---------------------------------------------------------------------------------
if not is_hidden("teacher"):
    with st.expander("For teachers: share this setup as a link"):
        st.markdown(
            "The link below starts everyone on exactly this setup (same seed, same numbers). Hide the "
            "controls that do not matter today: a hidden control keeps the link's value."
        )
        names = {g: f"{g} (whole group)" for g in HIDE_GROUPS} | {
            p: LABELS.get(PARAMS[p], p) for p in HIDEABLE if p not in HIDE_GROUPS
        }
        hide = st.multiselect(
            "Hide in the link",
            list(HIDEABLE),
            default=sorted(ss.pg_hide),
            key="pg_w_linkhide",
            format_func=lambda p: names[p],
        )
        with_example = st.checkbox(
            "Open on the example number shown above", key="pg_w_linkex", value=bool(ss.pg_ex)
        )
        query = urlencode(encode(configs, hide, ss.pg_ex if with_example else None), safe=",")
        st.code(f"{st.context.url or ''}?{query}", language=None, wrap_lines=True)
        for note in link_notes(configs):
            st.caption(note)

try_this(
    "Load **Vanishing gradient at a long lag** and press Play. Watch the gradient heatmap: the rows near "
    "t = 1 stay dark. Now switch the cell to LSTM with forget-gate bias 3 and press Play again: how far "
    "back does the gradient reach now, and does the loss fall?",
    "Load **Exploding gradient without clipping** and press Play: run A (no clipping) stops with a NaN "
    "loss, run B trains. Look at the gradient-norm chart just before A stops.",
    "Load **LSTM remembers what the RNN forgets**, play for about 1000 steps, then move the training-history "
    "slider back and forth: when does the LSTM's held-out accuracy jump, and what does its f gate do over "
    "the 30 blanks of the example?",
    "Load **A unit that learns bracket depth**, play for a few hundred steps, and compare the tracking "
    "unit at step 0 and now. Type your own markup as the example, e.g. <b><i>hi</i></b>.",
)
ss.pg_page_running = False
