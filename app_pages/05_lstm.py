"""Lesson 5: the LSTM. Four steps with real numbers, gate heatmaps, saturation, clamps, variants."""

from dataclasses import asdict

import numpy as np
import streamlit as st

from rnnviz.charts import gates as charts
from rnnviz.charts.sequence import over_time
from rnnviz.charts.style import COLORS
from rnnviz.lessons import gating, lstm_backward, lstm_lesson, lstm_memory, lstm_story, worked
from rnnviz.lessons.lstm_lesson import (
    HIDDEN_SIZES,
    LAGS,
    N_COUNTRIES,
    VARIANTS,
    LSTMLesson,
    SentenceRead,
    per_step_frame,
)
from rnnviz.trace import GateClamp
from ui.export import csv_button
from ui.lesson import (
    chart,
    check,
    explain,
    follow,
    friendly_errors,
    header,
    section,
    seed,
    try_this,
)
from ui.pickers import prediction, sentence, stage_step_and_unit
from ui.training import session_trainer, training_panel

P = "l5_"  # prefix of every widget and session key on this page
D = LSTMLesson()  # the defaults
STAGES = {
    "forget": "1. forget",
    "input": "2. input",
    "update": "3. update",
    "output": "4. output",
}
GATE_TITLES = {
    "i": "i: input gate (how much of g to write)",
    "f": "f: forget gate (how much of c_{t-1} to keep)",
    "g": "g: candidate (what could be written)",
    "o": "o: output gate (how much of tanh(c_t) to show)",
    "c": "c: cell state (the memory)",
    "h": "h: hidden state (what the next step and the head see)",
}
STEPS_PER_CLICK, SECONDS_PER_CLICK = 150, 8.0
CLAMP_UNITS = {"all": "all units", "one": "only unit j (chosen above)"}


header(
    "LSTM: a cell with gates",
    [
        "the four steps of an LSTM cell (forget, input + candidate, update the cell, output), each with its "
        "equation and the real numbers of a live model;",
        "why a memory across many steps is easier to learn in the cell state $c_t$, which is only edited, "
        "than in a state that is rewritten at every step;",
        "what training does to the gates (how many end near 0 or near 1), and what happens when you force a "
        "gate open or shut;",
        "the backward pass of one step written out on real numbers, and a common mistake in the output "
        "equation;",
        "two variants, peepholes and coupled gates, on the same data.",
    ],
    "An Elman RNN rewrites its whole state at every step, so a memory across many steps is hard to learn and "
    "fragile (lesson 4 measures how far each cell gets, and with what help). "
    "An LSTM adds a second state, the **cell** $c_t$, that is only *edited*: a **forget gate** $f_t$ decides "
    "how much of the old cell to keep, an **input gate** $i_t$ how much of a **candidate** $g_t$ to write, "
    "and an **output gate** $o_t$ how much of the cell to show as $h_t$. Gates are numbers between 0 and 1, "
    "one per unit, computed from $x_t$ and $h_{t-1}$ at every step (the candidate $g_t$ is a tanh, between "
    "-1 and 1).",
)

# --- the task and the live model ---------------------------------------------------------------
st.header("The task and the live model")
explain(
    "The model reads a sentence that starts with a country, then some filler words, then *fluent*, and must "
    "name the language: *Spain moved to sea school ... fluent* → **Spanish**. Only the first word matters, "
    f"so the LSTM has to hold it in memory across all the filler. Guessing gives {1 / N_COUNTRIES:.0%} "
    "accuracy."
)
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
cell = c1.selectbox("Cell", list(VARIANTS), format_func=VARIANTS.get, key=P + "cell", bind="query-params")
lag = c2.slider(
    "Filler words (lag)", *LAGS, D.lag, key=P + "lag", bind="query-params",
    help="Words between the country and 'fluent'.",
)  # fmt: skip
hidden = c3.select_slider("Hidden units H", HIDDEN_SIZES, D.hidden, key=P + "hidden", bind="query-params")
forget_bias = c4.checkbox(
    "Forget bias +1",
    D.forget_bias,
    key=P + "fbias",
    bind="query-params",
    help="Start the forget-gate bias at 1 (common practice): f_t starts near sigma(1) = 0.73, so from the "
    "start each step keeps about 73% of the cell instead of 50% (over 10 steps 0.73^10 = 4% instead of "
    "0.5^10 = 0.1%). (The coupled variant has no forget-gate bias of its own.)",
)
with friendly_errors(then_stop=True):
    lesson = LSTMLesson(cell=cell, lag=lag, hidden=hidden, forget_bias=forget_bias, seed=seed())
task = lesson.task()
trainer = session_trainer("l5", asdict(lesson), lesson.build_trainer)
model = trainer.model
training_panel("l5", STEPS_PER_CLICK, SECONDS_PER_CLICK)
batch = task.batch(64, task.generator(7))  # one fixed batch: the histograms and the check question
before = gating.batch_gates(gating.model_at(trainer, 0), batch.x)
after = gating.batch_gates(model, batch.x)
start = lstm_story.start_sentence(lstm_story.gate_means(before), forget_bias, cell == "lstm_coupled")
if trainer.step == 0:
    st.info(
        f"This model is **untrained**: its weights are random. {start} Every view below already shows its "
        "real numbers; press **Train** (a few seconds) and watch the gates take sides."
    )

read = lstm_lesson.read(model, task, *sentence(P, task, (lag, seed())))
prediction(read)
x, y, tokens, T = read.x, read.y, read.tokens, read.T
tr, lt, guess = read.trace, read.layer, read.guess
effects: dict[GateClamp, gating.Intervention] = {}  # the clamps traced on this read: t and j reuse them
# the float64 replay every backward step reads (standard LSTM): once per read, not at each t or j
back_layer = lstm_backward.float64_layer(model, x, y) if cell == "lstm" else None


@section
def step_views(read: SentenceRead) -> None:
    """Everything the time step t and the unit j show: the four steps, the backward step, the output
    without its tanh and the clamp; reruns alone when t or j moves. The views of the whole sentence
    (heatmaps, step sizes, gradients, saturation) come after it: t and j do not change them, so a step
    of t neither rebuilds nor redraws them."""
    tr, lt, tokens, T = read.trace, read.layer, read.tokens, read.T
    st.header("The four steps, one at a time")
    stage, t, unit = stage_step_and_unit(
        P, STAGES, T, hidden, gating.busiest_unit(lt), (hidden, cell),
        unit_help="Starts at the unit with the largest |c| at the last step: a candidate for the one that "
        "remembers (clamp it below to test).",
    )  # fmt: skip
    row_t = t - 1  # t = 1..T as printed; row t - 1 of every array holds step t (h_0 = c_0 = 0 have no row)
    step = worked.worked_step(tr, row_t, unit)
    peep = cell == "lstm_peephole"
    EQUATIONS = {
        "forget": [
            r"f_t = 1 - i_t"
            if cell == "lstm_coupled"
            else r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}"
            + (r" + w_{cf} \odot c_{t-1})" if peep else ")"),
        ],
        "input": [
            r"i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}"
            + (r" + w_{ci} \odot c_{t-1})" if peep else ")"),
            r"g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})",
        ],
        "update": [r"c_t = f_t \odot c_{t-1} + i_t \odot g_t"],
        "output": [
            r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}"
            + (r" + w_{co} \odot c_t)" if peep else ")"),
            r"h_t = o_t \odot \tanh(c_t)",
        ],
    }
    WHAT = {
        "forget": "The forget gate looks at $x_t$ and $h_{t-1}$ and decides, unit by unit, how much of the "
        "old cell $c_{t-1}$ survives: $f_t = 1$ keeps it all, $f_t = 0$ wipes it.",
        "input": "The candidate $g_t$ (a tanh, between -1 and 1) is what *could* be written; the input gate "
        "$i_t$ decides how much of it actually is.",
        "update": "The cell is edited, not rewritten: keep a share of the old value, add a share of the new. "
        "This sum is why gradients can flow back through $c$ for many steps.",
        "output": "The output gate decides how much of the (squashed) cell shows up in $h_t$, the state the "
        "next step's gates and the prediction head read.",
    }
    title = f"{VARIANTS[cell]}: step t={t} ('{tokens[row_t]}'), unit {unit}"
    chart(charts.cell_diagram(cell, stage, step.values, title=title), P + "diagram")
    left, right = st.columns([2, 3])
    with left:
        explain(WHAT[stage])
    with right:
        for eq in EQUATIONS[stage]:
            st.latex(eq)
    st.dataframe(step.frame(stage), hide_index=True, width="stretch")
    st.caption(
        "σ is the sigmoid, ⊙ multiplies unit by unit. The table fills the equations with the numbers of unit "
        f"{unit} at step {t}; 'value' is the exact number from the trace. torch keeps two biases per gate "
        "(b_i· and b_h·), so both appear. Steps count from t = 1 (the first word); the state before it is "
        "h_0 = c_0 = 0, so at t = 1 the table's c_{t-1} and h_{t-1} are 0."
    )
    with st.expander("All four steps at this (t, unit) in one table"):
        st.dataframe(step.frame(), hide_index=True, width="stretch")

    # --- the backward step -------------------------------------------------------------------------
    st.header("One step of the backward pass, on real numbers")
    explain(
        f"The step at t = {t} (the picker above) receives $dL/dh_t$ (what the head and step t+1 ask of "
        "$h_t$) and $dL/dc_{t+1}$ (from the next cell), and hands back $dL/dh_{t-1}$ and $dL/dc_{t-1}$. "
        "Each line is computed from the lines above it with this step's numbers (float64); a test checks "
        "every one against torch's autograd. σ' = σ(1 - σ) is the sigmoid's slope."
    )
    st.latex(
        r"\frac{\partial L}{\partial c_t} = \frac{\partial L}{\partial h_t} \odot o_t \odot (1 - \tanh^2 "
        r"c_t) + f_{t+1} \odot \frac{\partial L}{\partial c_{t+1}}, \quad "
        r"\frac{\partial L}{\partial o_t} = \frac{\partial L}{\partial h_t} \odot \tanh c_t"
    )
    st.latex(
        r"\frac{\partial L}{\partial f_t} = \frac{\partial L}{\partial c_t} \odot c_{t-1}, \quad "
        r"\frac{\partial L}{\partial i_t} = \frac{\partial L}{\partial c_t} \odot g_t, \quad "
        r"\frac{\partial L}{\partial g_t} = \frac{\partial L}{\partial c_t} \odot i_t"
    )
    if cell == "lstm":
        back = lstm_backward.step_of(back_layer, row_t, unit)  # from the one float64 replay
        st.dataframe(
            back.frame().style.format({"value": "{:.4g}", "norm over units": "{:.4g}"}),
            hide_index=True, width="stretch", height=35 * (len(back.rows) + 1) + 3,
        )  # fmt: skip
        b1, b2 = st.columns(2)
        b1.metric("share of dL/dc_(t-1) along the cell (f_t)", f"{back.share_f:.0%}")
        b2.metric("share through h_(t-1)", f"{back.share_h:.0%}")
        st.markdown(lstm_backward.share_sentence(back))
        st.caption(
            f"Unit {unit}'s numbers in the middle column, the norm over all {hidden} units on the right. "
            "Shares are projections of each term onto the total dL/dc_(t-1), so they add up to 100%."
        )
    else:
        st.info(
            "The backward step is written out for the standard LSTM: with coupled gates or peepholes "
            "$c_{t-1}$ also reaches the gates, which adds terms. Switch the **Cell** to the LSTM to see it."
        )

    # --- the output without its tanh ---------------------------------------------------------------
    st.header("A common mistake: the output without its tanh")
    explain("Course notes often write the LSTM's output as")
    st.latex(r"a_t = \Gamma_o \odot c_t \qquad \text{(wrong: the tanh is missing)}")
    explain(
        "where the correct one (torch's, and this model's) is $h_t = o_t \\odot \\tanh(c_t)$. The cell $c_t$ "
        "is not bounded (it adds $i_t g_t$ at every step), so without the tanh the output can leave (-1, 1). "
        "Both, with the live model's $o_t$ and $c_t$:"
    )
    bare = lstm_story.without_tanh(lt)
    w1, w2, w3, w4 = st.columns(4)
    w1.metric("max |h_t| = max |o_t tanh(c_t)|", f"{bare.max_h:.3f}")
    w2.metric("max |Γ_o c_t| (no tanh)", f"{bare.max_wrong:.3f}")
    w3.metric(f"h_t at t={t}, unit {unit}", f"{step.values['h']:.4f}")
    w4.metric(
        f"Γ_o c_t at t={t}, unit {unit}", f"{step.values['o'] * step.values['c']:.4f}",
        help="The same step's o_t times c_t, as the wrong formula writes it.",
    )  # fmt: skip
    st.markdown(lstm_story.tanh_sentence(bare))
    if cell == "lstm":
        target = y if y is not None else read.guess
        st.markdown(
            lstm_story.replay_sentence(
                lstm_story.replay(model, x),
                lstm_story.replay(model, x, with_tanh=False),
                target,
                task.labels[target],
            )
        )

    intervention(read, t, unit)


# --- intervention ------------------------------------------------------------------------------
@section
def intervention(read: SentenceRead, t: int, unit: int) -> None:
    """Clamp a gate on a span of steps: the prediction, the state, and step t's arithmetic with the
    clamp; reruns alone when its own settings move (and with the step views when t or j does)."""
    x, y, tokens, T, row_t = read.x, read.y, read.tokens, read.T, t - 1
    st.header("Intervention: clamp a gate")
    explain(
        "Force a gate to a value on a span of steps and see what the model predicts. Clamping $f = 1$ makes "
        "the cell purely additive, $c_t = c_{t-1} + i_t \\odot g_t$; clamping $f = 0$ after the first word "
        "wipes the cell's copy of the country, so whatever still reaches *fluent* must travel through $h$. "
        "The replay (rnnviz.trace) can do this; torch's fused LSTM cannot."
    )
    gates_here = ("f", "i", "o", "g")
    c1, c2, c3, c4 = st.columns([1, 2, 3, 2])
    gate = c1.selectbox("Gate", gates_here, key=P + "clamp_gate", bind="query-params")
    low = -1.0 if gate == "g" else 0.0
    held_at = 0.0 if gate == "f" else 1.0
    follow(P + "clamp_value", gate, held_at)  # each gate starts at its telling value
    levels = [round(low + 0.05 * k, 2) for k in range(round((1.0 - low) / 0.05) + 1)]  # low, ..., 1.0
    value = c2.select_slider(f"Clamp {gate} to", levels, held_at, key=P + "clamp_value", bind="query-params")
    follow(P + "clamp_span", T, (min(2, T), T))  # a new sentence: after the first word to its end
    span = c3.select_slider(
        "On steps (from, to)", list(range(1, T + 1)), (min(2, T), T), key=P + "clamp_span",
        bind="query-params",
        help="Steps t = 1..T, both ends included; t = 1 is the first word.",
    )  # fmt: skip
    which = c4.radio(
        "Units", list(CLAMP_UNITS), format_func=CLAMP_UNITS.get, key=P + "clamp_units", bind="query-params"
    )
    span = sorted(span)  # a link may hold the two ends in either order
    # steps span[0]..span[1] (1-based, both included) are the rows span[0] - 1 .. span[1] - 1
    clamp = GateClamp(gate, value, span[0] - 1, span[1], None if which == "all" else (unit,))
    with friendly_errors("Pick a span inside the sentence."):
        if clamp not in effects:  # a step of t or j keeps the clamp: its two traces stand
            effects[clamp] = gating.intervene(model, x, y, (clamp,))
        effect = effects[clamp]
        free_p, held_p = effect.base.probs, effect.clamped.probs
        m1, m2, m3 = st.columns(3)
        target = y if y is not None else read.guess
        m1.metric(f"p({task.labels[target]}) free", f"{free_p[target]:.3f}")
        m2.metric(
            f"p({task.labels[target]}) clamped",
            f"{held_p[target]:.3f}",
            f"{held_p[target] - free_p[target]:+.3f}",
        )
        m3.metric(
            "loss clamped", f"{effect.clamped.loss:.3f}", f"{effect.loss_change:+.3f}", delta_color="inverse"
        )
        left, right = st.columns(2)
        chart(charts.clamp_bars(free_p, held_p, task.labels, y), P + "clamp_bars", left)
        state = "h" if gate == "o" else "c"  # o acts on h directly; f, i and g on the cell
        free_s, held_s = (getattr(tr_.layer(0), state)[:, unit] for tr_ in (effect.base, effect.clamped))
        names = {f"{state} (unit {unit}) free": free_s, f"{state} (unit {unit}) clamped": held_s}
        chart(
            over_time(
                names, tokens, title=f"{state} of unit {unit}", y_title=f"{state}_t",
                colors=dict(zip(names, (COLORS[state], COLORS["loss"]), strict=True)),
                dash={list(names)[1]: "dash"}, mark_step=row_t,
            ),
            P + "clamp_state", right,
        )  # fmt: skip
        held_step = worked.worked_step(effect.clamped, row_t, unit, (clamp,))
        stages = ("output",) if gate == "o" else (charts.GATE_STAGE[gate], "update")
        outside = lstm_memory.clamp_position(t, span, gate)
        st.markdown(f"Step t={t}, unit {unit}, **with the clamp**{outside} (change t above to move it):")
        st.dataframe(held_step.frame(stages), hide_index=True, width="stretch")


step_views(read)

# --- heatmaps ----------------------------------------------------------------------------------
st.header("Every gate over the whole sentence")
explain(
    "Each heatmap shows one quantity for every unit (rows) at every step (columns), with the words along "
    "the time axis. Gates use one fixed scale from 0 to 1, $g$ and $h$ from -1 to 1, $c$ a scale "
    "symmetric around 0. Hover for exact values."
)
c_max = float(max(1.0, np.abs(lt.c).max()))
ranges = {"g": (-1, 1), "h": (-1, 1), "c": (-c_max, c_max)}
for pair in (("i", "f"), ("g", "o"), ("c", "h")):
    for col, name in zip(st.columns(2), pair, strict=True):
        values = lt.c if name == "c" else lt.gates[name]
        chart(charts.gate_heatmap(values, tokens, name, GATE_TITLES[name], zrange=ranges.get(name)),
              P + f"heat_{name}", col)  # fmt: skip
csv_button(read.frame(), f"lstm-gates-{cell}", P + "csv_gates", "Gates and states as CSV (t, unit j)")
explain(
    "Look at the forget gate after training: is $f_t$ near 1 on some units through the filler words? "
    "$c_{t-1}$ survives each step on those units, and what was written at the country (step 1) can still "
    "be read at *fluent*. The intervention above tests it."
)

# --- c slow, h fast ----------------------------------------------------------------------------
st.header("Does c change slowly and h fast?")
explain(
    "Course notes often say the cell is the slow, long-term memory and $h$ the fast, working one. The "
    "reason given is in "
    "the equations: the cell is *edited*, $c_t - c_{t-1} = i_t \\odot g_t - (1 - f_t) \\odot c_{t-1}$, "
    "so where $f_t \\approx 1$ and $i_t \\approx 0$ it stands still; $h_t = o_t \\odot \\tanh(c_t)$ is "
    "recomputed at every step through the output gate. Left: how far each state moves per step on this "
    "sentence."
)
changes = gating.state_changes(lt)
left, right = st.columns(2)
chart(
    over_time(
        changes, tokens, title="Step size of c and h", y_title="norm of the change",
        colors=dict(zip(changes, (COLORS["c"], COLORS["h"]), strict=True)),
        dash={name: "dot" for name in changes if name.startswith("||h")},
    ),
    P + "changes", left,
)  # fmt: skip
st.markdown(lstm_memory.slogan_sentence(lt, changes))
paths = lstm_story.cell_gradient_paths(lt)
DIRECT = "||f_(t+1) ⊙ dL/dc_(t+1)||"
explain(
    "Right: the gradient of the loss at the last step with respect to $c_t$ and $h_t$, back through the "
    "sentence (log scale). The cell reaches the loss by two roads, so its gradient has two terms:",
)
st.latex(
    r"\frac{\partial L}{\partial c_{t-1}} = \underbrace{f_t \odot \frac{\partial L}{\partial c_t}}"
    r"_{\text{along the cell}} + \underbrace{o_{t-1} \odot (1 - \tanh^2 c_{t-1}) \odot "
    r"\frac{\partial L}{\partial h_{t-1}}}"
    r"_{\text{through } h_{t-1}}"
)
explain(
    'Only the first term is "multiplied by $f_t$ and nothing else" (no weight matrix, no tanh slope): '
    "where $f \\approx 1$ it passes unchanged. The chart shows the total $\\|dL/dc_t\\|$ and, dashed, "
    "its direct term along the cell alone."
    + (
        " With peepholes the gates read $c$ as well, which adds more terms."
        if cell == "lstm_peephole"
        else ""
    )
)
st.markdown(lstm_story.paths_sentence(paths, cell == "lstm_peephole"))
grads = {"||dL/dc_t||": lt.grad_c_norm, DIRECT: paths[DIRECT], "||dL/dh_t||": lt.grad_h_norm}
chart(
    over_time(
        {k: np.where(v > 0, v, np.nan) for k, v in grads.items()}, tokens,
        title="Gradient, back through time", y_title="gradient norm", log_y=True,
        colors={"||dL/dc_t||": COLORS["c"], DIRECT: COLORS["f"], "||dL/dh_t||": COLORS["h"]},
        dash={"||dL/dh_t||": "dot", DIRECT: "dash"},
    ),
    P + "grads", right,
)  # fmt: skip
per_step = per_step_frame(tokens, **changes, **grads)
csv_button(per_step, f"lstm-per-step-{cell}", P + "csv_steps", "Step sizes and gradient norms as CSV (per t)")

# --- saturation --------------------------------------------------------------------------------
st.header("Gate saturation: before and after training")
explain(
    "A gate is most useful as a switch: near 0 (shut) or near 1 (open). These histograms count the gate "
    "values of 64 sentences at every step and unit, for the initial weights (grey) and the current ones. "
    f"At the start: {start[0].lower()}{start[1:]}"
)
chart(charts.gate_histograms(before, after, ("i", "f", "g", "o")), P + "histograms")
st.dataframe(lstm_story.saturation_frame(before, after).style.format("{:.1%}"), width="stretch")
if trainer.step == 0:
    st.caption("Before and after are the same model until you train it.")

# --- variants ----------------------------------------------------------------------------------
st.header("Variants on the same data")
explain(
    "Switch the **Cell** at the top: the task, the sentence and the seed stay the same, so every view above "
    "compares like with like. (The variants train through the step-by-step replay, not torch's fused "
    "kernel.)"
)
v1, v2 = st.columns(2)
with v1:
    st.subheader("Peephole connections")
    explain("The gates also *look at the cell* through diagonal weights $w_c$ (Gers and Schmidhuber, 2000):")
    st.latex(r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf} + w_{cf} \odot c_{t-1})")
    st.latex(r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho} + w_{co} \odot c_t)")
    explain(
        "In the views: the gates can react to the size of the memory itself, e.g. close $i$ once $c$ is full."
    )
with v2:
    st.subheader("Coupled input and forget gates")
    explain("Forget exactly as much as you write: no forget-gate weights of their own.")
    st.latex(r"f_t = 1 - i_t, \qquad c_t = (1 - i_t) \odot c_{t-1} + i_t \odot g_t")
    explain("In the views: the $f$ heatmap is the mirror image of $i$.")
    st.markdown(lstm_story.saving_sentence(lstm_story.coupled_saving(task, hidden)))
st.markdown(lstm_memory.coupling_sentence(lt, VARIANTS[cell], cell == "lstm_coupled"))
st.dataframe(lesson.sizes_frame(), width="stretch")

try_this(
    "Train the LSTM, then set t to a filler word and keep the unit shown at the start: is $f_t$ near 1 "
    "there? Read the update row: how much of $c_{t-1}$ survives?",
    "Clamp $f$ to 0 on steps 2 to the end (after the country) for all units. Does the model still know "
    "the country? Now clamp it only on the remembering unit: which units carry the memory?",
    "Clamp $f$ to 1 and check in the table that $c_t = c_{t-1} + i_t g_t$ with the numbers shown.",
    "Raise the lag to 30 and train again; then switch to the coupled variant and compare the $f$ heatmap "
    "with the $i$ heatmap.",
)
question = lstm_story.filler_question(after)
check("05_lstm.py", question.question, question.options, question.answer, question.why, question.hints)
