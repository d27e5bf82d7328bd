"""Lesson 2: the Elman RNN, step by step. The equation with real numbers at every step, live edits of
W_hh, and the same views for stacked, bidirectional and pyramid RNNs."""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from rnnviz.charts import diagrams
from rnnviz.charts import elman as charts
from rnnviz.charts.sequence import distribution_bars, unit_heatmap
from rnnviz.errors import InputError
from rnnviz.lessons.elman import (
    MAX_SCALE,
    MAX_SEQUENCE,
    ElmanConfig,
    WeightEdit,
    concat_directions,
    edited,
    layer_step,
    make_model,
    make_task,
    output_terms,
    pyramid_tokens,
    sequence_ids,
    step_terms,
)
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer
from ui.export import csv_button
from ui.lesson import chart as lesson_chart
from ui.lesson import check, explain, follow, header, seed, try_this
from ui.training import session_trainer, training_panel

P = "l2_"  # prefix of every widget and session key on this page
ARCH = {
    "single": "one layer",
    "stacked": "stacked (deep)",
    "bidirectional": "bidirectional",
    "pyramid": "pyramid (LAS)",
}
STEPS_PER_CLICK, SECONDS_PER_CLICK = 150, 6.0
PLAY_SECONDS = 1.0  # time between steps while playing


def chart(fig, key: str, where=None) -> None:
    lesson_chart(fig, key=P + key, where=where)


def md_char(c: str) -> str:
    """A character for markdown: a visible space, markdown's special characters escaped."""
    return "␣" if c == " " else ("\\" + c if c in "\\`*_{}[]()#+-.!|<>~$" else c)


header(
    "The Elman RNN, step by step",
    [
        "how one step h_t = tanh(W_hh h_{t-1} + W_xh x_t + b) turns the previous state and a new input "
        "into the next state, with every number of a live model;",
        "how the output y_t = softmax(W_hy h_t + b_y) becomes a prediction of the next character;",
        "what W_hh does, by changing it and watching every view follow;",
        "stacked, bidirectional and pyramid RNNs: the same step, wired differently.",
    ],
    "Type a short sequence. A small character-level RNN reads it one character at a time and, at every "
    "step, predicts the next character. Train it on your sequence, then walk through it step by step.",
)
st.latex(
    r"h_t = \tanh\big(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b\big), \qquad y_t = "
    r"\operatorname{softmax}(W_{hy}\,h_t + b_y)"
)
with st.expander("Where these symbols live in torch, and what x_t is"):
    st.markdown(
        "- $x_t$ is the character at step $t$ as a **one-hot** vector: all zeros except a 1 at the "
        "character's position in the vocabulary. So $W_{xh} x_t$ is simply **one column** of $W_{xh}$: "
        "each character has its own column, added to the state when that character is read.\n- $W_{xh}$ is "
        "torch's `weight_ih_l0` ($H \\times V$), $W_{hh}$ is `weight_hh_l0` ($H \\times H$), and $b$ = "
        "`bias_ih_l0` + `bias_hh_l0` (torch keeps two biases; only their sum matters).\n- $W_{hy}$ and "
        "$b_y$ are the output layer (`head.weight`, `head.bias`), $V \\times H$ and $V$.\n- Steps are "
        "numbered from 0, like the chart axes, so the state before step 0 is the zero vector $h_{-1} = 0$."
    )

# --- the model ---------------------------------------------------------------------------------
st.header("1. Your sequence and your model")
c1, c2, c3, c4 = st.columns([3, 2, 3, 2])
sequence = c1.text_input(
    "Your sequence",
    "hello world",
    max_chars=MAX_SEQUENCE,
    key=P + "sequence",
    bind="query-params",
    help="The model learns to predict each next character of it (the sequence repeats, separated by ↵).",
)
H = c2.slider(
    "Hidden size H",
    2,
    16,
    6,
    key=P + "H",
    bind="query-params",
    help="Up to 8, the equation shows every number.",
)
arch = c3.radio(
    "Architecture", list(ARCH), format_func=ARCH.get, horizontal=True, key=P + "arch", bind="query-params"
)
layers = c4.slider(
    "Layers", 2, 3, 2, key=P + "layers", bind="query-params", disabled=arch not in ("stacked", "pyramid")
)
try:
    cfg = ElmanConfig(sequence=sequence, hidden_size=H, architecture=arch, num_layers=layers, seed=seed())
    task = make_task(cfg)
except InputError as err:
    st.error(f"{err}\n\nExample: hello world", icon=":material/error:")
    st.stop()

if arch == "stacked":
    explain(
        "**Stacked (deep) RNN**: layer $k$ reads, as its input $x_t$, the state $h^{(k-1)}_t$ of the layer "
        "below at the same step. Each layer has its own $W_{hh}$, $W_{xh}$, $b$; the output layer reads the "
        "top layer."
    )
    st.latex(r"h^{(k)}_t = \tanh\big(W^{(k)}_{hh}\,h^{(k)}_{t-1} + W^{(k)}_{xh}\,h^{(k-1)}_t + b^{(k)}\big)")
elif arch == "bidirectional":
    explain(
        "**Bidirectional RNN**: a second RNN reads the sequence from the end to the start. At every step the "
        "output layer reads both states side by side, $[\\overrightarrow{h}_t; \\overleftarrow{h}_t]$, so it "
        "knows the past *and* the future of step $t$."
    )
    st.latex(
        r"\overrightarrow{h}_t = \tanh(\overrightarrow{W}_{hh}\overrightarrow{h}_{t-1} + "
        r"\overrightarrow{W}_{xh}x_t + \overrightarrow{b}),\quad \overleftarrow{h}_t = "
        r"\tanh(\overleftarrow{W}_{hh}\overleftarrow{h}_{t+1} + \overleftarrow{W}_{xh}x_t + "
        r"\overleftarrow{b}),\quad y_t = "
        r"\operatorname{softmax}(W_{hy}[\overrightarrow{h}_t;\overleftarrow{h}_t] + b_y)"
    )
    st.warning(
        "This model **cheats**, on purpose: to predict the character after step $t$, its backward state "
        "$\\overleftarrow{h}_t$ has already read that very character ($x_{t+1}$). Train it and the loss "
        "drops to almost 0: it learns to copy, not to predict. Use a bidirectional RNN only when the whole "
        "input is "
        "known before any output is needed, e.g. tagging (Lesson 1 and the Playground), never to generate.",
        icon=":material/warning:",
    )
elif arch == "pyramid":
    explain(
        "**Pyramid RNN** (Listen, Attend and Spell): between layers, neighbouring steps are **concatenated "
        "in pairs**, so each layer has half the steps of the one below: $T, T/2, T/4$. Long inputs (speech "
        "has hundreds of frames a second) become short enough for the layers above. A shorter output means "
        "this model predicts **once per sequence** (many-to-one): here, the character that follows a "
        "window of your sequence."
    )
    st.latex(
        r"h^{(k)}_j = \tanh\big(W^{(k)}_{hh}\,h^{(k)}_{j-1} + "
        r"W^{(k)}_{xh}\,[h^{(k-1)}_{2j};\,h^{(k-1)}_{2j+1}] + b^{(k)}\big),\qquad y = "
        r"\operatorname{softmax}(W_{hy}\,h^{(L)}_{\text{last}} + b_y)"
    )
    tokens_per_layer = pyramid_tokens(sequence, cfg.layers)
    chart(diagrams.pyramid(tokens_per_layer, title="Which steps each layer joins"), "pyramid")
    if len(sequence) % 2:
        st.caption("A grey box has no partner (odd number of steps): the halving drops it.")

trainer = session_trainer(
    P + "model",
    asdict(cfg),
    lambda: Trainer(make_model(cfg, task), task, TrainConfig(lr=0.03, batch_size=16, seed=cfg.seed)),
)
st.markdown(
    f"Training text: your sequence followed by ↵, repeated ({len(task.vocab)} different characters, so "
    f"$x_t$ and $y_t$ have $V = {len(task.vocab)}$ entries). Each click trains on random windows of it."
)
training_panel(P + "model", STEPS_PER_CLICK, SECONDS_PER_CLICK)
if trainer.step == 0:
    st.info(
        "The model is **untrained**: its weights are random, so its predictions are close to uniform. Every "
        "number below is still real. Train it and watch the same views change.",
        icon=":material/info:",
    )

# --- change a weight ---------------------------------------------------------------------------
st.header("2. Change W_hh")
explain(
    "$W_{hh}$ is the only thing that carries information from one step to the next. Scale it, or change one "
    "entry $W_{hh}[i, j]$ (how much unit $j$ of $h_{t-1}$ pushes unit $i$ of $h_t$), and every view below "
    "follows. The trained weights stay safe: edits apply to a copy."
)
model_cfg = trainer.model.cfg


def restore() -> None:
    st.session_state[P + "scale"] = 1.0
    st.session_state[P + "w_basis"] = None  # the next run puts W_hh[i, j] back to its trained value


e1, e2, e3, e4, e5 = st.columns([3, 2, 1, 1, 2])
scale = e1.slider("Scale every W_hh by s", 0.0, MAX_SCALE, 1.0, 0.05, key=P + "scale", bind="query-params")
where = [(k, d) for k in range(model_cfg.num_layers) for d in range(model_cfg.directions)]


def where_name(kd: tuple[int, int]) -> str:
    side = ("", "") if model_cfg.directions == 1 else (" forward", " backward")
    return f"layer {kd[0] + 1}{side[kd[1]]}"


k_edit, d_edit = e2.selectbox(
    "Which W_hh",
    where,
    format_func=where_name,
    key=P + "edit_where",
    bind="query-params",
    disabled=len(where) == 1,
)
for name in ("edit_i", "edit_j"):  # a smaller H (or a link's i, j) may leave them out of range
    if not 0 <= st.session_state.get(P + name, 0) <= H - 1:
        st.session_state[P + name] = min(max(int(st.session_state[P + name]), 0), H - 1)
i = e3.number_input("i", 0, H - 1, 0, key=P + "edit_i", bind="query-params")
j = e4.number_input("j", 0, H - 1, 1 if H > 1 else 0, key=P + "edit_j", bind="query-params")
trained = float(trainer.model.layers[k_edit].params(d_edit)["weight_hh"][i, j].detach())
# the entry shows the model's own value again whenever it is another entry or another model
follow(P + "w", (id(trainer), trainer.step, k_edit, d_edit, i, j), round(trained, 4))
value = e5.number_input(
    f"W_hh[{i}, {j}]",
    -10.0,
    10.0,
    round(trained, 4),
    0.1,
    format="%.4f",
    key=P + "w",
    bind="query-params",
    help=f"Trained value: {trained:.4f}",
)
st.button("Restore the trained weights", key=P + "restore", on_click=restore)
try:
    edit = WeightEdit(scale=scale, layer=k_edit, direction=d_edit, row=int(i), col=int(j), value=value)
    view_model = edited(trainer.model, edit)
    x, y = sequence_ids(cfg, task)
    tr = trace(view_model, x, y, jacobians=False)
except InputError as err:
    st.error(f"{err}\n\nPress 'Restore the trained weights' to start again.", icon=":material/error:")
    st.stop()
if scale != 1.0 or abs(value - round(trained, 4)) > 1e-9:
    st.caption(f"Showing the edited copy: W_hh[{i}, {j}] = {value:.4f}, then every W_hh times {scale:g}.")

# --- step through ------------------------------------------------------------------------------
st.header("3. Step through the sequence")
T = len(sequence)
if st.session_state.get(P + "t", 0) > T - 1:
    st.session_state[P + "t"] = T - 1
playing = st.session_state.get(P + "playing", False)


def toggle_play() -> None:
    now = not st.session_state.get(P + "playing", False)
    st.session_state[P + "playing"] = now
    if now:
        if st.session_state.get(P + "t", 0) >= T - 1:
            st.session_state[P + "t"] = 0
        st.session_state[P + "show_first"] = True  # the first run of a play shows the current step


st.button(
    "Pause" if playing else "Play",
    key=P + "play",
    icon=":material/pause:" if playing else ":material/play_arrow:",
    on_click=toggle_play,
    help=f"Move the time step forward by one every {PLAY_SECONDS:g} s until the end of the sequence.",
)


def states_table() -> pd.DataFrame:
    """h_t of every layer and direction, one row per (layer, direction, step): what the heatmaps show."""
    rows = []
    for lt in tr.layers:
        labels = pyramid_tokens(sequence, cfg.layers)[lt.layer] if arch == "pyramid" else list(sequence)
        for step, h in enumerate(lt.h):
            row = {"layer": lt.layer + 1, "direction": ("forward", "backward")[lt.direction], "t": step}
            rows.append({**row, "x_t": labels[step], **{f"h_t[{u}]": v for u, v in enumerate(h)}})
    return pd.DataFrame(rows)


def outputs_table() -> pd.DataFrame:
    """y_t, the predicted distribution over the next character, one row per step (one row for the pyramid)."""
    probs = tr.probs.reshape(-1, len(task.vocab))
    steps = [len(sequence) - 1] if tr.head == "many_to_one" else range(len(sequence))
    targets = [int(y)] if tr.head == "many_to_one" else [int(v) for v in y]
    return pd.DataFrame(
        {
            "t": steps,
            "x_t": [sequence[t] for t in steps],
            "next character": [task.vocab[c] for c in targets],
            "p(next character)": [p[c] for p, c in zip(probs, targets, strict=True)],
            **{f"y_t[{c!r}]": probs[:, n] for n, c in enumerate(task.vocab)},
        }
    )


def hidden_states(t: int, lengths: list[int]) -> None:
    """The heatmaps of h over time, step t marked: per layer, or both directions and their concatenation."""
    tokens = list(sequence)
    if arch == "bidirectional":
        left, right = st.columns(2)
        chart(unit_heatmap(tr.layer(0, 0).h, tokens, "h", "forward states h→", (-1, 1), t), "heat_f", left)
        chart(unit_heatmap(tr.layer(0, 1).h, tokens, "h", "backward states h←", (-1, 1), t), "heat_b", right)
        both = concat_directions(tr)
        title = "[h→_t; h←_t]: the vector the output layer reads at each step"
        chart(charts.concat_heatmap(tr.layer(0, 0).h, tr.layer(0, 1).h, tokens, t, title=title), "heat_cat")
        st.caption(
            f"At step {t} the output layer reads {both.shape[1]} numbers: the forward state (top half), "
            f"which has read '{sequence[: t + 1]}', and the backward state (bottom half), which has read "
            f"'{sequence[t:]}'."
        )
        return
    for k in range(cfg.layers):
        labels = (
            [s.replace(" ", "␣") for s in pyramid_tokens(sequence, cfg.layers)[k]]
            if arch == "pyramid"
            else tokens
        )
        mark = layer_step(t, k, lengths) if arch == "pyramid" else t
        title = f"h of layer {k + 1}" + (f": {lengths[k]} steps" if arch == "pyramid" else "")
        chart(unit_heatmap(tr.layer(k).h, labels, "h", title, (-1, 1), mark), f"heat_{k}")


def step_views() -> None:
    """Everything that depends on the time step t; reruns alone while playing."""
    finished = False
    if st.session_state.get(P + "playing", False):
        if not st.session_state.pop(P + "show_first", False):
            st.session_state[P + "t"] = min(st.session_state.get(P + "t", 0) + 1, T - 1)
        if st.session_state[P + "t"] >= T - 1:
            st.session_state[P + "playing"], finished = False, True
    t = st.slider("Time step t", 0, T - 1, key=P + "t", bind="query-params", help="Or press Play above.")
    shown = [f"**[{md_char(c)}]**" if n == t else md_char(c) for n, c in enumerate(sequence)]
    st.markdown(f"Step {t} reads x_{t} = '{md_char(sequence[t])}':&nbsp;&nbsp; " + " ".join(shown))
    lengths = [len(tr.layer(k).h) for k in range(cfg.layers)]
    hidden_states(t, lengths)
    d1, d2, _ = st.columns([1, 1, 2])
    with d1:
        csv_button(states_table(), "rnnviz-l2-hidden-states", P + "csv_h", "Hidden states h_t (CSV)")
    with d2:
        csv_button(outputs_table(), "rnnviz-l2-predictions", P + "csv_y", "Predictions y_t (CSV)")

    st.subheader(f"The step t = {t} in numbers")
    c1, c2 = st.columns(2)
    e_layer, e_dir = 0, 0
    if cfg.layers > 1:
        layer_names = {k: f"layer {k + 1}" for k in range(cfg.layers)}
        e_layer = c1.radio(
            "Layer shown",
            list(layer_names),
            format_func=layer_names.get,
            horizontal=True,
            key=P + "eq_layer",
            bind="query-params",
        )
    if arch == "bidirectional":
        dir_names = {0: "forward →", 1: "backward ←"}
        e_dir = c2.radio(
            "Direction shown",
            [0, 1],
            format_func=dir_names.get,
            horizontal=True,
            key=P + "eq_dir",
            bind="query-params",
        )
    step = layer_step(t, e_layer, lengths) if arch == "pyramid" else t
    terms = None
    if step is None:
        st.info(f"Step {t} was dropped before layer {e_layer + 1}: it had no partner to pair with.")
    else:
        terms = step_terms(tr, step, e_layer, e_dir)
        char = task.vocab[terms.x_index] if terms.x_index is not None and e_layer == 0 else None
        st.latex(charts.hidden_step_latex(terms, char, layered=cfg.layers > 1))
        notes = []
        if H > charts.MAX_ROWS:
            notes.append(f"H = {H}: the matrices show their first {charts.MAX_ROWS} rows and columns only.")
        if arch == "pyramid" and e_layer > 0:
            notes.append(
                f"Layer {e_layer + 1} step {step} reads x_{step} = [h_{2 * step}; h_{2 * step + 1}] of layer "
                f"{e_layer}: the characters '{pyramid_tokens(sequence, cfg.layers)[e_layer][step]}'."
            )
        elif e_layer > 0:
            notes.append(f"Here x_{step} is h_{step} of layer {e_layer}, the layer below, at the same step.")
        if notes:
            st.caption(" ".join(notes))

    if tr.head == "many_to_one":
        out = output_terms(view_model, tr)
        target, title = int(y), "y: the character after the sequence"
        st.latex(charts.output_latex(out, task.vocab, None, layers=cfg.layers))
    else:
        out = output_terms(view_model, tr, t)
        target, title = int(y[t]), f"y_{t}: what comes after '{sequence[t]}'?"
        st.latex(charts.output_latex(out, task.vocab, t, arch == "bidirectional", layers=cfg.layers))
    left, right = st.columns(2)
    if terms is not None:
        chart(charts.step_contributions(terms, title=f"The terms of h_{step}, unit by unit"), "contrib", left)
    chart(distribution_bars(out.probs, task.vocab, highlight=target, title=title), "bars", right)
    right.caption(
        f"Red bar: the true next character ({task.vocab[target]!r}), given p = {out.probs[target]:.3f}."
        + (
            " The pyramid predicts once, from the top layer's last step: t does not change it."
            if tr.head == "many_to_one"
            else ""
        )
    )
    if finished:
        st.rerun()  # a full run stops the timer and relabels the button


st.fragment(step_views, run_every=PLAY_SECONDS if playing else None)()

try_this(
    "Untrained, step through 'hello world': does the prediction after the first 'l' differ from the one "
    "after the second? Train, and compare again. Which part of the equation lets the model tell them apart?",
    "Set the scale of W_hh to 0. The model forgets everything before the current character: which "
    "predictions break? Then try 2 or 3 and watch the heatmap saturate at ±1.",
    "Change one entry W_hh[i, j] by a lot and find the step where the contributions chart changes first.",
    "Switch to bidirectional and train: how low does the loss go, and why is that too good to be true?",
    "Switch to pyramid with 3 layers and a 12-character sequence: how many steps does the top layer read, "
    "and which characters has each of them seen?",
)
check(
    "02_elman_rnn.py",
    "In section 2, set the scale of W_hh to s = 0. What is h_t computed from then?",
    [
        "From every character read so far, as before: only the sizes of the numbers change.",
        "From x_t and b alone: h_t = tanh(W_xh x_t + b), so the same character always gives the same state.",
        "From nothing: every h_t becomes the zero vector.",
        "From h_{t-1} alone: the input no longer matters.",
    ],
    1,
    "With W_hh = 0 the term W_hh h_{t-1} vanishes, so h_t = tanh(W_xh x_t + b) is the column of W_xh of the "
    "current character plus the bias. Both 'l's of 'hello' then get the same state and the same prediction: "
    "W_hh is the only path from the past to the present.",
    {
        0: "Look at the equation in section 3 with s = 0: the W_hh h_{t-1} term is a zero matrix times "
        "h_{t-1}. Where else could the past enter?",
        2: "Only the recurrent term vanishes: W_xh x_t + b is still there, and tanh of it is not zero.",
        3: "It is the other way round: s scales W_hh, the matrix that multiplies h_{t-1}.",
    },
)
