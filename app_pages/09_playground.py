"""The RNN Playground: TensorFlow Playground, for sequences.

widgets -> PlaygroundConfig(s) -> Playground (1-3 runs, same task, data, seed) -> ticks of training
-> probe records and checkpoints -> charts. The whole state lives in the URL (``rnnviz.playground.url``)
and, for this session, in one ``PlaygroundState`` (``rnnviz.playground.state``); ``ui.playground``
draws its parts. This file is the layout.
"""

from __future__ import annotations

import streamlit as st

from rnnviz.playground import PlaygroundConfig
from rnnviz.playground.config import short_labels
from rnnviz.playground.probe import PROBE_SIZE, reach_sentence, saturation_rule
from rnnviz.playground.session import PROBE_EVERY, VIEW_REFRESH_SECONDS
from ui import playground as ui
from ui.lesson import friendly_errors, header, seed, stop, try_this

RESTART_SECONDS = 0.5  # while playing, the live panel's loop starts this soon after the page has drawn

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

state = ui.session()
state.page_running = True  # the live panel trains one tick only while the whole page runs
state.settle()  # Pause: the live panel being stopped takes its last step before this run reads the runs
state.expire()  # the student left the page while it played: coming back does not resume
ui.open_link(state, PlaygroundConfig(seed=seed()))
ui.presets(state)
ui.controls(state)

# --- the runs -----------------------------------------------------------------------------------
own = state.vals[0]
if own["task"] == "charlm" and own["text"] == "own" and not own["own_text"].strip():
    st.info("Paste a text above (a few paragraphs at least) to train a character model on it.")
    stop()
pg = None
with friendly_errors("Change the setting named above; the rest of the page waits for a valid setup."):
    pg = state.ensure(state.configs_asked())
if pg is None:
    stop()
pg = ui.link_training(state)  # a link that carries training: the same trained runs
configs = state.configs
labels = short_labels(configs)
ui.sync_url(state, configs)
for note in configs[0].notes():
    st.warning(note)
ui.preset_box(state, pg, labels)
ui.step_if_asked(state, pg)
ui.buttons(state, pg, labels)

st.subheader("Training, live")
st.fragment(run_every=RESTART_SECONDS if state.playing else None)(ui.live_panel)(state, labels)
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
        f"**Saturated gates.** {saturation_rule(run.cfg.cell for run in pg.runs)} **Clipping** rescales the "
        "gradient g when its norm passes the threshold c:"
    )
    st.latex(r"g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert}\right)")

st.subheader("Inside the network: one example, at any saved step")
row = st.columns([1, 2, 3])  # example number | typed input | training history
ui.checkpoint_picker(state, row[2])
if state.playing:  # pickers in the page's body: a change cuts into Play's loop at once
    picks = ui.view_pickers(state, row[:2])
    ui.sync_url(state, configs)  # the example number is part of the address too
    st.fragment(run_every=VIEW_REFRESH_SECONDS)(ui.views_panel)(state, picks, labels)
    ui.teacher_panel(state, configs)
else:  # paused: a picker reruns the views (and the link naming the example), not the page
    st.fragment(ui.views_section)(state, row[:2], labels)

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
state.page_running = False
