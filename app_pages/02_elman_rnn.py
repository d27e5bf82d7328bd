"""Lesson 2: the Elman RNN, step by step. The equation with real numbers at every step, live edits of
W_hh, and the same views for stacked, bidirectional and pyramid RNNs."""

from dataclasses import asdict, replace

import streamlit as st

from rnnviz.charts import diagrams
from rnnviz.charts import elman as charts
from rnnviz.charts.sequence import distribution_bars
from rnnviz.errors import InputError
from rnnviz.lessons.bidirectional import (
    CheatConfig,
    cheat_sentences,
    leak_question,
    measure_cheat,
    reach_of_last_input,
    reach_sentence,
)
from rnnviz.lessons.bptt import (
    CUT_OUTCOMES,
    autograd,
    cut_outcome,
    delta_table,
    largest_difference,
    parse_inputs,
    scalar_chain,
)
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
from rnnviz.lessons.elman_tables import outputs_frame, states_frame
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer
from ui.export import csv_button
from ui.lesson import (
    chart,
    check,
    explain,
    follow,
    friendly_errors,
    header,
    in_fragment_rerun,
    section,
    seed,
    show_error,
    stop,
    try_this,
)
from ui.links import drop_refused, whole_number
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


def md_char(c: str) -> str:
    """A character for markdown: a visible space, markdown's special characters escaped."""
    return "␣" if c == " " else ("\\" + c if c in "\\`*_{}[]()#+-.!|<>~$" else c)


header(
    "The Elman RNN, step by step",
    [
        "how one step h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) turns the previous state and a new input "
        "into the next state, with every number of a live model;",
        "how the output y_t = softmax(W_hy h_t + b_y) becomes a prediction of the next character;",
        "what W_hh does, by changing it and watching every view follow;",
        "stacked, bidirectional and pyramid RNNs: the same step, wired differently, and why a "
        "bidirectional RNN cheats at predicting the next character (measured);",
        "backpropagation through time on the same numbers: each dL/dh_t is its step's own term plus what "
        "flows back from t + 1, checked against torch.autograd.",
    ],
    "Type a short sequence. A small character-level RNN reads it one character at a time and, at every "
    "step, predicts the next character. Train it on your sequence, then walk through it step by step.",
)
st.latex(
    r"h_t = \tanh\big(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b_h\big), \qquad y_t = "
    r"\operatorname{softmax}(W_{hy}\,h_t + b_y)"
)
with st.expander("Where these symbols live in torch, and what x_t is"):
    st.markdown(
        "- $x_t$ is the character at step $t$ as a **one-hot** vector: all zeros except a 1 at the "
        "character's position in the vocabulary. So $W_{xh} x_t$ is simply **one column** of $W_{xh}$: "
        "each character has its own column, added to the state when that character is read.\n- $W_{xh}$ is "
        "torch's `weight_ih_l0` ($H \\times V$), $W_{hh}$ is `weight_hh_l0` ($H \\times H$), and $b_h$ = "
        "`bias_ih_l0` + `bias_hh_l0` (torch keeps two biases; only their sum matters).\n- $W_{hy}$ and "
        "$b_y$ are the output layer (`head.weight`, `head.bias`), $V \\times H$ and $V$.\n- Steps are "
        "numbered $t = 1, \\dots, T$, in the text, the equations, the tables, the chart axes and the CSV "
        "files alike; the state before the first input is the zero vector $h_0 = 0$."
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
    show_error(err, "Example: hello world")
    stop()

if arch == "stacked":
    explain(
        "**Stacked (deep) RNN**: layer $k$ reads, as its input $x_t$, the state $h^{(k-1)}_t$ of the layer "
        "below at the same step. Each layer has its own $W_{hh}$, $W_{xh}$, $b_h$; the output layer reads "
        "the top layer."
    )
    st.latex(
        r"h^{(k)}_t = \tanh\big(W^{(k)}_{hh}\,h^{(k)}_{t-1} + W^{(k)}_{xh}\,h^{(k-1)}_t + b^{(k)}_h\big)"
    )
elif arch == "bidirectional":
    explain(
        "**Bidirectional RNN**: a second RNN reads the sequence from the end to the start, starting from "
        "$\\overleftarrow{h}_{T+1} = 0$. At every step the output layer reads both states side by side, "
        "$[\\overrightarrow{h}_t; \\overleftarrow{h}_t]$, so it knows the past *and* the future of step $t$."
    )
    st.latex(
        r"\overrightarrow{h}_t = \tanh(\overrightarrow{W}_{hh}\overrightarrow{h}_{t-1} + "
        r"\overrightarrow{W}_{xh}x_t + \overrightarrow{b}_h),\quad \overleftarrow{h}_t = "
        r"\tanh(\overleftarrow{W}_{hh}\overleftarrow{h}_{t+1} + \overleftarrow{W}_{xh}x_t + "
        r"\overleftarrow{b}_h),\quad y_t = "
        r"\operatorname{softmax}(W_{hy}[\overrightarrow{h}_t;\overleftarrow{h}_t] + b_y)"
    )
    st.warning(
        "This model **cheats**, on purpose: to predict the character after step $t$, its backward state "
        "$\\overleftarrow{h}_t$ has already read that very character ($x_{t+1}$). Your sequence, repeated, "
        "may hide it: there every next character follows from enough of the ones before it, so a "
        "one-direction model can learn it too, and a low loss proves nothing. Section 1b measures the cheat "
        "on random letters, where the past tells nothing. Use a bidirectional RNN only when the whole input "
        "is known before any output is needed, e.g. tagging a whole sentence (the Playground can train "
        "one; Lesson 1's tagger reads one direction), never to generate.",
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
        r"W^{(k)}_{xh}\,[h^{(k-1)}_{2j-1};\,h^{(k-1)}_{2j}] + b^{(k)}_h\big),\qquad y = "
        r"\operatorname{softmax}(W_{hy}\,h^{(L)}_{\text{last}} + b_y)"
    )
    tokens_per_layer = pyramid_tokens(sequence, cfg.layers)
    chart(diagrams.pyramid(tokens_per_layer, title="Which steps each layer joins"), P + "pyramid")
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
    x0, y0 = sequence_ids(cfg, task)
    p0 = trace(trainer.model, x0, y0, jacobians=False).probs
    st.info(
        "The model is **untrained**: its weights are random, so its predictions are spread out: "
        + ("its one prediction gives" if task.head == "many_to_one" else "at every step it gives")
        + f" each character a probability from {p0.min():.3f} to {p0.max():.3f}, where uniform "
        f"would be 1/V = {1 / len(task.vocab):.3f}. Every number below is still real. Train it and watch "
        "the same views change.",
        icon=":material/info:",
    )


def cheat_ui() -> None:
    """1b: the cheat measured on random letters, where the past cannot predict the next letter."""
    st.subheader("1b. The cheat, measured")
    cheat_cfg = CheatConfig(seed=cfg.seed)
    explain(
        f"Train a one-direction and a bidirectional RNN (H = {cheat_cfg.hidden_size}) for "
        f"{cheat_cfg.steps} steps each on random letters, then read their held-out loss at every step "
        f"t = 1..{cheat_cfg.window} of a window. The measurement is the same on any machine: steps, not "
        "seconds, are its budget, and its result is kept for everyone who asks with the same seed."
    )
    done = st.session_state.get(P + "cheat", False)
    if not done:
        st.button(
            "Measure the cheat (trains two small RNNs)",
            key=P + "measure",
            on_click=lambda: st.session_state.update({P + "cheat": True}),
        )
        return
    with st.spinner("Training both RNNs on random letters..."):
        result = measure_cheat(cheat_cfg)
    # predict first: the question comes before the chart and the sentences that give the answer away;
    # graded on the measured per-step losses (the answer is the step where the cheat stops)
    leak = leak_question(result)
    check("02_elman_rnn.py (leakage)", leak.question, leak.options, leak.answer, leak.why, leak.hints)
    chart(
        charts.cheat_losses(
            result.single, result.bidirectional, result.chance, title="Held-out loss per step"
        ),
        P + "cheat",
    )
    said = cheat_sentences(result)
    st.markdown(said[0] + "\n" + "\n".join(said[1:3]) + "\n\n" + said[3])
    csv_button(result.frame(), "rnnviz-l2-cheat", P + "csv_cheat", "Loss per step t (CSV)")


def not_stacked_ui(model) -> None:
    """The course notes' 'two RNNs stacked', beside what the live bidirectional model computes."""
    st.subheader("1c. Course notes often write: a bidirectional RNN is two RNNs stacked")
    stacked = make_model(replace(cfg, architecture="stacked", num_layers=2), task)
    x_ids, _ = sequence_ids(cfg, task)
    r = reach_of_last_input(model, stacked, x_ids, task.vocab)
    st.markdown(reach_sentence(r, lambda c: f"'{md_char(c)}'"))
    table = r.frame(md_char(c) for c in sequence)
    fmt = {c: st.column_config.NumberColumn(format="%.2e") for c in table.columns[2:]}
    st.dataframe(table, hide_index=True, column_config=fmt)
    st.caption(
        f"How far each state moves when x_{len(sequence)} = '{md_char(sequence[-1])}' is replaced by "
        f"'{md_char(r.replaced)}'. The stacked net is a fresh two-layer one-direction RNN of the same size "
        "(the zeros hold for any weights: it never reads ahead)."
    )


if arch == "bidirectional":
    cheat_ui()
    not_stacked_ui(trainer.model)


# --- change a weight, step through, backpropagate ----------------------------------------------
@section
def bptt_view(view_model, x, y) -> None:
    """The delta table and the worked totals of the model shown in section 3 (edits included); its
    pickers (unit i, j, step t) rerun this section alone."""
    T = len(sequence)
    hand = delta_table(view_model, x, y)
    auto = autograd(view_model, x, y)
    gap = largest_difference(hand, auto)
    b1, b2, b3 = st.columns([1, 1, 2])
    for name in ("bptt_i", "bptt_j", "bptt_t"):  # a smaller H or a shorter sequence may leave them out
        top = T if name == "bptt_t" else H - 1
        low = 1 if name == "bptt_t" else 0
        if not low <= st.session_state.get(P + name, low) <= top:
            st.session_state[P + name] = min(max(int(st.session_state[P + name]), low), top)
    unit_i = b1.number_input("Unit i", 0, H - 1, 0, key=P + "bptt_i", bind="query-params")
    uj = b2.number_input(
        "Unit j (of h_(t−1))", 0, H - 1, min(1, H - 1), key=P + "bptt_j", bind="query-params"
    )
    tb = b3.slider("Step t of the vectors below", 1, T, T, key=P + "bptt_t", bind="query-params")
    table = hand.frame(task.vocab, int(unit_i), int(uj))
    st.dataframe(
        table,
        height=min(40 + 35 * T, 740),  # every step in view up to ~20 steps
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in table.columns[3:]},
    )
    st.caption(
        f"One row per step, from t = {T} back to 1, for unit i = {int(unit_i)} of h_t: own term = "
        "[W_hyᵀ(y_t − e_t)][i], from t+1 = [W_hhᵀ δ_(t+1)][i] (0 at t = T), dL/dh_t[i] = their sum, "
        "δ_t[i] = dL/dh_t[i]·(1 − h_t[i]²); the last two columns build dL/dW_hh[i, j] one step at a time."
    )
    csv_button(table, "rnnviz-l2-bptt", P + "csv_bptt", "The delta table (CSV)")
    st.latex(charts.bptt_step_latex(hand, int(tb)))
    st.latex(charts.bptt_totals_latex(hand))
    same = gap < 1e-9
    st.markdown(
        f"The table is worked by hand (numpy, float64) on the model shown in section 3, edits included, "
        f"over your {T} characters: L = {hand.loss:.4f}. torch.autograd on the same model in float64 "
        + (
            "gives the same numbers: the largest difference over every ∂L/∂h_t and every gradient is "
            f"{gap:.1e}."
            if same
            else f"differs by up to {gap:.2e}: the worked numbers are wrong; please report this."
        )
    )


@section
def scalar_chain_view() -> None:
    """4b: the scalar RNN's derivative as a sum over paths, on the student's own numbers."""
    st.subheader("4b. The scalar chain, path by path")
    explain(
        "Course notes often work one number through: a scalar RNN $h_t = \\tanh(w_h h_{t-1} + w_x x_t)$, "
        "$h_0 = 0$, and the loss of the last step $L_T = \\tfrac12 (h_T - y)^2$. Its derivative with respect "
        "to $w_x$ is a **sum over paths**: $w_x$ acts at every step $k$, and the change it makes to $h_k$ "
        "reaches $h_T$ through the factors $\\partial h_s / \\partial h_{s-1} = w_h (1 - h_s^2)$ of the "
        "steps after $k$. Pick your own numbers."
    )
    st.latex(
        r"\frac{\partial L_T}{\partial w_x} = \sum_{k=1}^{T} (h_T - y)"
        r"\prod_{s=k+1}^{T} w_h (1 - h_s^2)\;(1 - h_k^2)\,x_k"
    )
    s1, s2, s3, s4 = st.columns([1, 1, 2, 1])
    w_h = s1.number_input("w_h", -5.0, 5.0, 0.8, 0.1, key=P + "sc_wh", bind="query-params")
    w_x = s2.number_input("w_x", -5.0, 5.0, 0.5, 0.1, key=P + "sc_wx", bind="query-params")
    xs_text = s3.text_input("x_1, ..., x_T", "1, -0.5, 2, 0, 1", key=P + "sc_xs", bind="query-params")
    target = s4.number_input("y", -1.0, 1.0, 0.0, 0.1, key=P + "sc_y", bind="query-params")
    with friendly_errors("Example: 1, -0.5, 2, 0, 1"):
        sc = scalar_chain(w_h, w_x, parse_inputs(xs_text), target)
        st.dataframe(
            sc.frame(),
            hide_index=True,
            column_config={c: st.column_config.NumberColumn(format="%.5f") for c in sc.frame().columns[1:]},
        )
        agree = abs(sc.total - sc.autograd) <= 1e-12 * max(1.0, abs(sc.autograd))
        st.markdown(
            f"Summed over the {len(sc.xs)} paths: ∂L_T/∂w_x = **{sc.total:.6f}**; torch.autograd gives "
            f"{sc.autograd:.6f}"
            + (" (the same)." if agree else f", a difference of {sc.total - sc.autograd:.2e}.")
        )


@section
def weights_and_steps(x, y) -> None:
    """Sections 2 to 4: the edited copy of W_hh, the step-through views and the backward pass on it.
    A change of s, W_hh[i, j] or the step t reruns these sections, not the page (training, section 1)."""
    if st.session_state.pop(P + "play_toggled", False) and in_fragment_rerun():
        st.rerun()  # Play and Pause start and stop the step views' timer, which only a full run resets
    st.header("2. Change W_hh")
    explain(
        "$W_{hh}$ is the only thing that carries information from one step to the next. Scale it, or change "
        "entry $W_{hh}[i, j]$ (how much unit $j$ of $h_{t-1}$ pushes unit $i$ of $h_t$), and every view "
        "below follows. The trained weights stay safe: edits apply to a copy."
    )
    model_cfg = trainer.model.cfg

    def restore() -> None:
        st.session_state[P + "scale"] = 1.0
        st.session_state[P + "w_basis"] = None  # the next run puts W_hh[i, j] back to its trained value

    e1, e2, e3, e4, e5 = st.columns([3, 2, 1, 1, 2])
    scale = e1.slider(
        "Scale every W_hh by s", 0.0, MAX_SCALE, 1.0, 0.05, key=P + "scale", bind="query-params"
    )
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
    # ?l2_edit_i=inf stops an int st.number_input (int(inf)): refused before the widgets read the URL
    drop_refused({P + name: whole_number(0, 2**31 - 1) for name in ("edit_i", "edit_j", "bptt_i", "bptt_j")})
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
    changed = abs(value - round(trained, 4)) > 1e-9  # the box shows 4 decimals of the trained value
    try:
        # an unchanged box keeps the trained weight itself, not its 4-decimal rounding
        edit = WeightEdit(
            scale=scale,
            layer=k_edit,
            direction=d_edit,
            row=int(i),
            col=int(j),
            value=value if changed else None,
        )
        view_model = edited(trainer.model, edit)
        tr = trace(view_model, x, y, jacobians=False)
    except InputError as err:
        show_error(err, "Press 'Restore the trained weights' to start again.")
        stop()
    if scale != 1.0 or changed:
        st.caption(f"Showing the edited copy: W_hh[{i}, {j}] = {value:.4f}, then every W_hh times {scale:g}.")

    # --- step through ------------------------------------------------------------------------------
    st.header("3. Step through the sequence")
    T = len(sequence)
    if st.session_state.get(P + "t", 1) > T:  # steps count from 1 to T
        st.session_state[P + "t"] = T
    playing = st.session_state.get(P + "playing", False)

    def toggle_play() -> None:
        now = not st.session_state.get(P + "playing", False)
        st.session_state[P + "playing"] = now
        st.session_state[P + "play_toggled"] = True
        if now:
            if st.session_state.get(P + "t", 1) >= T:
                st.session_state[P + "t"] = 1
            st.session_state[P + "show_first"] = True  # the first run of a play shows the current step

    st.button(
        "Pause" if playing else "Play",
        key=P + "play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=toggle_play,
        help=f"Move the time step forward by one every {PLAY_SECONDS:g} s until the end of the sequence.",
    )

    def hidden_states(t: int, lengths: list[int]) -> None:
        """The heatmaps of h over time, step t (1..T) marked: per layer, or both directions and their join."""
        tokens, i = list(sequence), t - 1  # i: the 0-based row of step t
        heat = charts.states_heatmap
        if arch == "bidirectional":
            left, right = st.columns(2)
            chart(heat(tr.layer(0, 0).h, tokens, "h", "forward states h→", (-1, 1), i), P + "heat_f", left)
            chart(heat(tr.layer(0, 1).h, tokens, "h", "backward states h←", (-1, 1), i), P + "heat_b", right)
            both = concat_directions(tr)
            title = "[h→_t; h←_t]: the vector the output layer reads at each step"
            chart(
                charts.concat_heatmap(tr.layer(0, 0).h, tr.layer(0, 1).h, tokens, i, title=title),
                P + "heat_cat",
            )
            st.caption(
                f"At step {t} the output layer reads {both.shape[1]} numbers: the forward state (top half), "
                f"which has read '{sequence[:t]}', and the backward state (bottom half), which has read "
                f"'{sequence[i:]}'."
            )
            return
        for k in range(cfg.layers):
            labels = (
                [s.replace(" ", "␣") for s in pyramid_tokens(sequence, cfg.layers)[k]]
                if arch == "pyramid"
                else tokens
            )
            mark = layer_step(i, k, lengths) if arch == "pyramid" else i
            title = f"h of layer {k + 1}" + (f": {lengths[k]} steps" if arch == "pyramid" else "")
            chart(heat(tr.layer(k).h, labels, "h", title, (-1, 1), mark), P + f"heat_{k}")

    def step_views() -> None:
        """Everything that depends on the time step t; reruns alone while playing."""
        finished = False
        if st.session_state.get(P + "playing", False):
            if not st.session_state.pop(P + "show_first", False):
                st.session_state[P + "t"] = min(st.session_state.get(P + "t", 1) + 1, T)
            if st.session_state[P + "t"] >= T:
                st.session_state[P + "playing"], finished = False, True
        t = st.slider("Time step t", 1, T, key=P + "t", bind="query-params", help="Or press Play above.")
        i = t - 1  # the 0-based row of step t in the trace's arrays
        shown = [f"**[{md_char(c)}]**" if n == t else md_char(c) for n, c in enumerate(sequence, 1)]
        st.markdown(f"Step {t} reads x_{t} = '{md_char(sequence[i])}':&nbsp;&nbsp; " + " ".join(shown))
        lengths = [len(tr.layer(k).h) for k in range(cfg.layers)]
        hidden_states(t, lengths)
        d1, d2, _ = st.columns([1, 1, 2])
        with d1:
            csv_button(
                states_frame(tr, cfg), "rnnviz-l2-hidden-states", P + "csv_h", "Hidden states h_t (CSV)"
            )
        with d2:
            csv_button(
                outputs_frame(tr, cfg, task.vocab, y),
                "rnnviz-l2-predictions",
                P + "csv_y",
                "Predictions y_t (CSV)",
            )

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
        step = layer_step(i, e_layer, lengths) if arch == "pyramid" else i  # 0-based row in that layer
        terms = None
        if step is None:
            st.info(f"Step {t} was dropped before layer {e_layer + 1}: it had no partner to pair with.")
        else:
            terms = step_terms(tr, step, e_layer, e_dir)
            char = task.vocab[terms.x_index] if terms.x_index is not None and e_layer == 0 else None
            st.latex(charts.hidden_step_latex(terms, char, layered=cfg.layers > 1))
            notes = []
            if H > charts.MAX_ROWS:
                notes.append(
                    f"H = {H}: the matrices show their first {charts.MAX_ROWS} rows and columns only."
                )
            if arch == "pyramid" and e_layer > 0:
                j = step + 1  # steps of every layer count from 1
                notes.append(
                    f"Layer {e_layer + 1} step {j} reads x_{j} = [h_{2 * j - 1}; h_{2 * j}] of layer "
                    f"{e_layer}: the characters '{pyramid_tokens(sequence, cfg.layers)[e_layer][step]}'."
                )
            elif e_layer > 0:
                notes.append(f"Here x_{t} is h_{t} of layer {e_layer}, the layer below, at the same step.")
            if notes:
                st.caption(" ".join(notes))

        if tr.head == "many_to_one":
            out = output_terms(view_model, tr)
            target, title = int(y), "y: the character after the sequence"
            st.latex(charts.output_latex(out, task.vocab, None, layers=cfg.layers))
        else:
            out = output_terms(view_model, tr, i)
            target, title = int(y[i]), f"y_{t}: what comes after '{sequence[i]}'?"
            st.latex(charts.output_latex(out, task.vocab, t, arch == "bidirectional", layers=cfg.layers))
        left, right = st.columns(2)
        if terms is not None:
            title_h = f"The terms of h_{step + 1}" + (f" of layer {e_layer + 1}" if cfg.layers > 1 else "")
            chart(charts.step_contributions(terms, title=title_h + ", unit by unit"), P + "contrib", left)
        chart(distribution_bars(out.probs, task.vocab, highlight=target, title=title), P + "bars", right)
        right.caption(
            f"Red bar: the true next character ('{md_char(task.vocab[target]).replace(chr(10), '↵')}'), "
            f"given p = {out.probs[target]:.3f}."
            + (
                " The pyramid predicts once, from the top layer's last step: t does not change it."
                if tr.head == "many_to_one"
                else ""
            )
        )
        if finished:
            st.rerun()  # a full run stops the timer and relabels the button

    section(step_views, run_every=PLAY_SECONDS if playing else None)()

    # --- backpropagation through time ------------------------------------------------------------
    st.header("4. Backpropagation through time, on these numbers")
    explain(
        "Training needs the gradient of the loss with respect to every weight. Here the loss is the sum over "
        "the steps, $L = \\sum_{t=1}^{T} L_t$ with $L_t = -\\log y_t[x_{t+1}]$ (training averages it over "
        "the steps of a window, which divides the loss and every gradient by the number of steps). Going "
        "**backwards** from $t = T$, each $\\partial L / \\partial h_t$ is the step's own loss term plus "
        "flows back from $t + 1$; through the tanh it becomes $\\delta_t$, and every weight's gradient adds "
        "up one term per step, because the same weights are used at every step. $e_t$ is the one-hot vector "
        "of the true next character."
    )
    st.latex(
        r"\frac{\partial L}{\partial h_t} = \underbrace{W_{hy}^\top (y_t - e_t)}_{\text{own term}} + "
        r"\underbrace{W_{hh}^\top \delta_{t+1}}_{\text{from } t+1},\quad \delta_t = "
        r"\frac{\partial L}{\partial h_t} \odot (1 - h_t^2),\quad \delta_{T+1} = 0"
    )
    st.latex(
        r"\frac{\partial L}{\partial W_{hh}} = \sum_t \delta_t h_{t-1}^\top,\quad "
        r"\frac{\partial L}{\partial W_{xh}} = \sum_t \delta_t x_t^\top,\ "
        r"\frac{\partial L}{\partial b_h} = \sum_t \delta_t"
    )
    if arch != "single":
        st.info(
            "The worked backward pass is for the one-layer RNN: choose 'one layer' in section 1 to see it."
        )
    else:
        bptt_view(view_model, x, y)
        scalar_chain_view()


x, y = sequence_ids(cfg, task)
weights_and_steps(x, y)

try_this(
    "Untrained, step through 'hello world': does the prediction after the first 'l' differ from the one "
    "after the second? Train, and compare again. Which part of the equation lets the model tell them apart?",
    "Set the scale of W_hh to 0. The model forgets everything before the current character: which "
    "predictions break? Then try 2 or 3 and watch the heatmap saturate at ±1.",
    "Change one entry W_hh[i, j] by a lot and find the step where the contributions chart changes first.",
    "Switch to bidirectional and measure the cheat (section 1b): at which step of a window does it stop "
    "working, and why exactly there?",
    "In the delta table, find the step whose 'from t+1' part is largest. Set s = 0.5 in section 2: what "
    "happens to that column, and to dL/dW_hh?",
    "Switch to pyramid with 3 layers and a 12-character sequence: how many steps does the top layer read, "
    "and which characters has each of them seen?",
)
if arch == "single":
    # the right answer is what the delta table of this very model shows with W_hh = 0
    cut_answer = cut_outcome(trainer.model, x, y)
    check(
        "02_elman_rnn.py",
        "Predict, then try it: in section 2 set the scale of W_hh to s = 0. What will the delta table of "
        "section 4 show?",
        list(CUT_OUTCOMES),
        cut_answer,
        "With W_hh = 0 the term W_hh^T δ_(t+1) is a zero matrix times δ_(t+1), so nothing flows back from "
        "t + 1: each ∂L/∂h_t is its own step's term W_hy^T (y_t − e_t). But ∂L/∂W_hh = Σ δ_t h_(t−1)^T asks "
        "how the loss would change if W_hh grew, and h_(t−1) = tanh(W_xh x_(t−1) + b_h) is not zero: the "
        "gradient still says which way to grow W_hh back. Set s = 0 and read the 'from t+1' column.",
        {
            0: "The 'from t+1' part vanishes, but dL/dW_hh = Σ δ_t h_(t−1)^T multiplies δ_t by h_(t−1), and "
            "h_(t−1) = tanh(W_xh x_(t−1) + b_h) is not zero.",
            2: "The backward pass multiplies by W_hh^T at every step: look at the 'from t+1' column.",
            3: "W_hh acts between every pair of neighbouring steps, not only at the end.",
        },
    )
else:
    st.info("The check question is about the one-layer RNN's backward pass: choose 'one layer' to answer it.")
