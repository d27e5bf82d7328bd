"""Lesson 6: the GRU, LSTM vs GRU, and gating along depth (highway and residual stacks, grid LSTM)."""

from dataclasses import asdict, replace

import streamlit as st
import torch

from rnnviz.charts import agreement as agreement_charts
from rnnviz.charts import gates as charts
from rnnviz.charts import grid as grid_charts
from rnnviz.charts.sequence import training_curves
from rnnviz.charts.style import CELL_COLORS
from rnnviz.errors import InputError
from rnnviz.lessons import (
    agreement_story,
    depth,
    gating,
    grid_lesson,
    gru_forms,
    gru_story,
    gru_tables,
    lstm_lesson,
    worked,
)
from rnnviz.lessons.agreement import CELLS as AGREE_CELLS
from rnnviz.lessons.agreement import AgreementLesson, accuracy_by_length
from rnnviz.lessons.agreement_clamp import clamp_number, weakest
from rnnviz.lessons.agreement_units import gate_story, number_units
from rnnviz.lessons.grid_lesson import GridLesson
from rnnviz.lessons.gru_lesson import DeepLesson, GRULesson
from rnnviz.lessons.lstm_lesson import SentenceRead
from rnnviz.model import param_count
from rnnviz.tasks.agreement import words_hint
from ui.export import csv_button
from ui.lesson import chart, check, explain, header, section, seed, show_error, try_this
from ui.pickers import prediction, sentence, stage_step_and_unit
from ui.training import panel, session_trainer, training_panel

P = "l6_"  # prefix of every widget and session key on this page
VARIANTS = {
    "gru": "GRU, torch's form (nn.GRU)",
    "gru_paper": "GRU, the paper's form (Cho et al. 2014)",
    "gru_minimal": "GRU without a reset gate",
}
CANDIDATE = {
    "gru": r"n_t = \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big)",
    "gru_paper": r"n_t = \tanh\big(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}\big)",
    "gru_minimal": r"n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} h_{t-1} + b_{hn})",
}
STAGES = {"reset": "1. reset", "update": "2. update", "candidate": "3. candidate", "output": "4. new state"}
N_COUNTRIES = 4
RACE_STEPS, RACE_SECONDS = 150, 8.0
DEEP_STEPS, DEEP_SECONDS = 100, 10.0
AGREE_STEPS, AGREE_SECONDS = 150, 8.0
AGREE_SENTENCE = "the cat which already ate the mice near the dogs"


header(
    "GRU, and gating beyond time",
    [
        "the GRU's reset gate $r_t$ and update gate $z_t$, with their equations and the real numbers of a "
        "live model; the two forms of its candidate and the GRU without a reset gate;",
        "LSTM and GRU side by side: equations, parameter counts, speed and accuracy on the same task and "
        "seed;",
        "the correct GRU update, $c_t = \\Gamma_u \\odot \\tilde c_t + (1 - \\Gamma_u) \\odot c_{t-1}$, and "
        "how it maps onto torch's $z_t$;",
        "long-range agreement (*the cat, which already ate ..., was*): GRU, LSTM and RNN trained live, the "
        "units that carry the subject's number, their update gate beside the 0/1 gate the course draws, "
        "accuracy against the clause length, and clamping those units to flip the verb;",
        "gating along depth: highway and residual connections let a deep stack learn, and a live grid LSTM "
        "(a memory cell along depth as well as time) against a stacked LSTM of about as many parameters.",
    ],
    "The GRU (Cho et al., 2014) keeps the LSTM's central trick, an update that *mixes* the old state with a "
    "candidate instead of overwriting it, with fewer parts: no separate cell, two gates instead of three. "
    "Below, a live GRU learns the same task as in lesson 5.",
)

# --- the live GRU ------------------------------------------------------------------------------
st.header("The live GRU")
explain(
    "The task is lesson 5's: a sentence starts with a country, filler words follow, then *fluent*; the model "
    "names the language. Only the first word matters."
)
c1, c2, c3 = st.columns([3, 2, 2])
cell = c1.selectbox("Cell", list(VARIANTS), format_func=VARIANTS.get, key=P + "cell", bind="query-params")
lag = c2.slider(
    "Filler words (lag)", 2, 30, 10, key=P + "lag", bind="query-params",
    help="Words between the country and 'fluent'.",
)  # fmt: skip
hidden = c3.select_slider(
    "Hidden units H", [4, 6, 8, 12, 16, 24, 32], 12, key=P + "hidden", bind="query-params"
)
lesson = GRULesson(cell=cell, lag=lag, hidden_size=hidden, n_countries=N_COUNTRIES, seed=seed())
task = lesson.task()
trainer = session_trainer("l6", lesson, lesson.trainer)
model = trainer.model
st.info(f"**The live model is: {VARIANTS[cell]}.** Its candidate is")
st.latex(CANDIDATE[cell])
training_panel("l6", RACE_STEPS, RACE_SECONDS)
if trainer.step == 0:
    start_gates = gating.batch_gates(model, task.batch(64, task.generator(7)).x)
    st.caption(
        f"The model is untrained: its weights are random. {gru_story.start_sentence(start_gates)} Every "
        "number below is real; train to change them."
    )

read = lstm_lesson.read(model, task, *sentence(P, task, (lag, seed())))
prediction(read)
x, y, tr, lt, guess = read.x, read.y, read.trace, read.layer, read.guess
TITLES = {
    "r": "r: reset gate",
    "z": "z: update gate (share of h_{t-1} kept)",
    "n": "n: candidate",
    "h": "h: state",
}


@section
def step_views(lesson: GRULesson, read: SentenceRead) -> None:
    """Everything the stage, the time step t and the unit j show: the cell diagram, the step's
    arithmetic and the miswritten update; reruns alone when one of them moves. The heatmaps of the
    whole sentence come after it: t and j do not change them."""
    cell, hidden = lesson.cell, lesson.hidden_size
    tr, lt, tokens, T = read.trace, read.layer, read.tokens, read.T
    # --- gates step by step ------------------------------------------------------------------------
    st.header("Reset and update gates, step by step")
    explain(
        "torch writes the GRU with an update gate $z_t$ that is the share of the **old** state kept. "
        "Course notes often write $\\Gamma_u$ for the share of the **new** candidate taken. They are the "
        "same gate read from the other side: $\\Gamma_u = 1 - z_t$, and the notes' $\\tilde c_t, c_t$ are "
        "torch's $n_t, h_t$ (a GRU has no separate cell)."
    )
    st.latex(
        r"r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \qquad "
        r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})"
    )
    st.latex(CANDIDATE[cell])
    st.latex(
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1} \quad\Longleftrightarrow\quad "
        r"c_t = \Gamma_u \odot \tilde c_t + (1 - \Gamma_u) \odot c_{t-1}, \;\; \Gamma_u = 1 - z_t"
    )
    stages = {k: v for k, v in STAGES.items() if cell != "gru_minimal" or k != "reset"}
    stage, t, unit = stage_step_and_unit(
        P, stages, T, hidden, gating.busiest_unit(lt), (hidden, cell), unit_help=None, fallback="update"
    )  # no reset gate to show any more: the update gate
    row_t = t - 1  # t = 1..T as printed; row t - 1 of every array holds step t (h_0 = 0 has no row)
    step = worked.worked_step(tr, row_t, unit)
    title = f"{VARIANTS[cell]}: step t={t} ('{tokens[row_t]}'), unit {unit}"
    chart(charts.cell_diagram(cell, stage, step.values, title=title), P + "diagram")
    WHAT = {
        "reset": "The reset gate decides how much of the old state the *candidate* may use: "
        "$r_t \\approx 0$ lets the candidate start afresh from $x_t$ alone.",
        "update": "The update gate decides how much of the old state survives: $z_t \\approx 1$ copies "
        "$h_{t-1}$ straight through, like an LSTM forget gate at 1 with its input gate at 0.",
        "candidate": "The candidate $n_t$ is what the new state could be, built from $x_t$ and the "
        "reset-gated old state.",
        "output": "The new state mixes old and new: $z_t$ of the old state plus $1 - z_t$ of the candidate. "
        "The GRU shows the whole state: there is no output gate.",
    }
    left, s1, s2 = st.columns([3, 1, 1])
    with left:
        explain(WHAT[stage])
    s1.metric("z_t (torch)", f"{step.values['z']:.4f}", help="share of h_{t-1} kept")
    s2.metric(
        "Γ_u = 1 - z_t (course notes)", f"{step.values['gamma_u']:.4f}", help="share of the candidate taken"
    )
    st.dataframe(step.frame(stage), hide_index=True, width="stretch")
    st.caption(
        f"The numbers of unit {unit} at step t = {t}. Steps count from t = 1 (the first word); the state "
        "before it is h_0 = 0, so at t = 1 the table's h_{t-1} is 0."
    )
    with st.expander("All steps at this (t, unit) in one table"):
        st.dataframe(step.frame(), hide_index=True, width="stretch")

    # --- the miswritten update - ------------------------------------------------------------------------
    st.header("A common mistake: the GRU update")
    explain("Course notes often write the GRU update as")
    st.latex(r"c_t = \Gamma_u * \tilde c_t + (1 + \Gamma_u) + c_{t-1} \qquad \text{(wrong)}")
    explain(
        "Two typos: a **+** where a **−** belongs, and a **+** where a **×** belongs. It is not a mix of the "
        "old and the new state at all; it adds a constant and the whole old state. The correct update is"
    )
    st.latex(r"c_t = \Gamma_u * \tilde c_t + (1 - \Gamma_u) * c_{t-1}")
    v = step.values
    m = gru_forms.miswritten_update(v)
    w1, w2, w3 = st.columns(3)
    w1.metric(
        "as often written", f"{m.wrong:.4f}", help="Γ_u c̃_t + (1 + Γ_u) + c_{t-1} with this step's numbers"
    )
    w2.metric(
        "correct formula", f"{m.right:.4f}", help="Γ_u c̃_t + (1 - Γ_u) c_{t-1} with this step's numbers"
    )
    w3.metric(
        "torch's h_t", f"{v['h']:.4f}", help="h_t of the live model at this step and unit (rnnviz.trace)"
    )
    st.caption(m.caption(unit, t))


step_views(lesson, read)

# --- the whole sentence: t and j do not change it, so it sits outside the step views (not redrawn) ---
st.header("Every gate over the whole sentence")
cols = st.columns(2)
for k, name in enumerate(name for name in ("r", "z", "n", "h") if name in lt.gates):
    fig = charts.gate_heatmap(
        lt.gates[name], read.tokens, name, TITLES[name], zrange=(-1, 1) if name == "h" else None
    )
    chart(fig, P + f"heat_{name}", cols[k % 2])
csv_button(read.frame(), f"gru-gates-{cell}", P + "csv_gates", "Gates and states as CSV (t, unit j)")

# --- three forms -------------------------------------------------------------------------------
st.header("Three forms of the candidate")
minimal_params, torch_params = (
    sum(term.count for term in gating.param_terms(lesson.model_config(c))) for c in ("gru_minimal", "gru")
)
for kind, note in (
    ("gru", "torch's `nn.GRU` (and cuDNN): $r_t$ multiplies the recurrent term *after* $W_{hn}$."),
    ("gru_paper", "Cho et al. (2014): $r_t$ multiplies $h_{t-1}$ *before* $W_{hn}$."),
    ("gru_minimal", f"No reset gate at all: {minimal_params:,} parameters here against {torch_params:,}."),
):
    live = " **← the live model**" if kind == cell else ""
    explain(f"**{VARIANTS[kind]}**{live}: {note}", label=VARIANTS[kind])
    st.latex(CANDIDATE[kind])
if cell != "gru_minimal":
    form = gru_forms.other_form(model, x, y, tr, guess)
    st.markdown(gru_forms.other_form_sentence(form, VARIANTS[form.cell], task.labels[guess]))

# --- LSTM vs GRU -------------------------------------------------------------------------------
st.header("LSTM vs GRU, side by side")
st.markdown(
    "| | LSTM (torch) | GRU (torch) |\n|---|---|---|\n"
    "| gates ($\\ast$ is the gate's letter) | $i_t, f_t, o_t = \\sigma(W_{i\\ast} x_t + W_{h\\ast} h_{t-1} + "
    "b_{i\\ast} + b_{h\\ast})$ | $r_t, z_t = \\sigma(W_{i\\ast} x_t + W_{h\\ast} h_{t-1} + b_{i\\ast} + "
    "b_{h\\ast})$ |\n"
    "| candidate | $g_t = \\tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})$ | "
    "$n_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{t-1} + b_{hn}))$ |\n"
    "| memory update | $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$ | "
    "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$ |\n"
    "| output | $h_t = o_t \\odot \\tanh(c_t)$ | (the state itself) |\n"
    "| states | $h_t$ and $c_t$ | $h_t$ |\n"
    "| weight blocks | 4 | 3 |"
)
lstm_cfg, gru_cfg = lesson.model_config("lstm"), lesson.model_config("gru")
weights = gru_story.weights_question(task, hidden)
section(check)(
    "06_gru.py:weights", weights.question, weights.options, weights.answer, weights.why, weights.hints
)
st.markdown(
    f"Parameter counts for this task (one-hot input of V = {task.input_size} words, so D = "
    f"{task.input_size}; H = {hidden}; O = {task.output_size} classes):"
)
st.dataframe(gru_tables.param_frame({"LSTM": lstm_cfg, "GRU": gru_cfg}), hide_index=True, width="stretch")

race = {name: replace(lesson, cell=kind) for name, kind in (("LSTM", "lstm"), ("GRU", "gru"))}
race_config = {name: asdict(cfg) for name, cfg in race.items()}  # the race's timing belongs to these
racers = {name: session_trainer(f"l6_race_{name}", cfg, cfg.trainer) for name, cfg in race.items()}


def time_race() -> None:
    with st.spinner("timing 20 training steps of each, three rounds..."):
        ms = gating.time_steps({n: tr.model for n, tr in racers.items()}, task, steps=20, seed=seed())
    st.session_state[P + "race_ms"] = (race_config, ms)


training_panel(
    P + "race",
    RACE_STEPS,
    RACE_SECONDS,
    label="Train both (same task, same seed)",
    trainers={name: f"l6_race_{name}" for name in racers},
    reset_label="Reset both",
    note=f"Each click trains both for up to {RACE_STEPS} steps or {RACE_SECONDS:g} s, then times 20 steps "
    "of each.",
    after=time_race,
    on_reset=lambda: st.session_state.pop(P + "race_ms", None),
)
held = st.session_state.get(P + "race_ms")
ms = held[1] if held and held[0] == race_config else None
st.dataframe(gru_tables.race_frame(racers, task, ms, seed()), hide_index=True, width="stretch")
if ms:
    counts = {name: param_count(racer.model) for name, racer in racers.items()}
    st.markdown(gru_story.speed_sentence(ms, counts, hidden, lesson.batch_size))
if any(r.history for r in racers.values()):
    runs = {
        name: {"step": [row.step for row in r.history], "acc": [row.metrics["acc"] for row in r.history]}
        for name, r in racers.items()
    }
    chart(
        training_curves(
            runs,
            "acc",
            title="Training accuracy, same batches",
            colors={"LSTM": CELL_COLORS["lstm"], "GRU": CELL_COLORS["gru"]},
        ),
        P + "race_curves",
    )

# --- long-range agreement ----------------------------------------------------------------------
st.header("Long-range agreement: the cat, which already ate ..., was full")


def _cached(key: str, basis, compute):
    """``compute()`` once per ``basis`` (the models' configs and training steps) in this session."""
    held = st.session_state.get(key)
    if held is None or held[0] != basis:
        held = (basis, compute())
        st.session_state[key] = held
    return held[1]


@st.cache_resource(max_entries=16, show_spinner=False)
def _untrained_agreement(seed_: int):
    """The number units and the length curve of the three untrained models (their config and seed
    fix every weight): computed once a server, not once a session."""
    configs = {name: AgreementLesson(cell=cell, seed=seed_) for name, cell in AGREE_CELLS.items()}
    task = configs["GRU"].task()
    models = {name: cfg.model() for name, cfg in configs.items()}
    found = {n: number_units(m, task) for n, m in models.items()}
    return found, {n: accuracy_by_length(m, task) for n, m in models.items()}


@section
def agreement_views(seed_: int) -> None:
    """The agreement race: training, the number units, the GRU's z_t against the drawn gate, accuracy
    against the clause length, and the clamp; reruns alone when its sentence or clamp moves."""
    configs = {name: AgreementLesson(cell=cell, seed=seed_) for name, cell in AGREE_CELLS.items()}
    trainers = {name: session_trainer(f"l6_agree_{name}", c, c.trainer) for name, c in configs.items()}
    task, first = configs["GRU"].task(), configs["GRU"]
    explain(
        "The GRU's motivating story: in *the cat, which already ate the mice near the dogs, was full* the "
        "verb must agree with *cat*, not with the nouns in between. The update gate is drawn as a switch: "
        "write the subject's number at *cat* and keep it, untouched, until *was*. Here three models learn "
        "exactly this, on the same sentences with the same seed and budget: a GRU, an LSTM and an Elman "
        f"RNN, each with H = {first.hidden_size}. Each sentence is *the*, a subject (singular or plural) and "
        f"a clause of {task.min_length} to {task.max_length} words whose every noun has the subject's "
        f"opposite number with chance {task.attractors:.0%}; the model predicts the verb's number "
        "(*was / is* or *were / are*).",
        "In torch's form $h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$, **keep is $z_t = 1$** and write "
        "is $z_t = 0$ (the notes' $\\Gamma_u = 1 - z_t$ the other way round, as above).",
    )
    panel(
        P + "agree",
        AGREE_STEPS,
        AGREE_SECONDS,
        label="Train GRU, LSTM and RNN",
        trainers={name: f"l6_agree_{name}" for name in trainers},
        reset_label="Reset the three",
        note=f"Each click trains the GRU, the LSTM and the RNN for up to {AGREE_STEPS} steps or "
        f"{AGREE_SECONDS:g} s each, on the same batches.",
    )
    basis = ({n: asdict(c) for n, c in configs.items()}, {n: t.step for n, t in trainers.items()})
    if all(t.step == 0 for t in trainers.values()):
        found, curves = _untrained_agreement(seed_)
    else:
        found = _cached(
            P + "agree_units", basis, lambda: {n: number_units(t.model, task) for n, t in trainers.items()}
        )
        curves = _cached(
            P + "agree_curves",
            basis,
            lambda: {n: accuracy_by_length(t.model, task) for n, t in trainers.items()},
        )

    text = st.text_input(
        "Your sentence, without its verb (words of the task)",
        AGREE_SENTENCE,
        key=P + "agree_text",
        bind="query-params",
        help=words_hint(),
    )
    gru, units = trainers["GRU"].model, found["GRU"].units
    try:
        story = gate_story(gru, task, text, units)
    except InputError as err:
        show_error(err, f"The views below read the example sentence instead: *{AGREE_SENTENCE}*")
        text = AGREE_SENTENCE
        story = gate_story(gru, task, text, units)

    st.subheader("Which units carry the number")
    st.latex(
        r"r_j = \frac{\operatorname{cov}(h_{T,j},\, s)}{\operatorname{std}(h_{T,j})\,\operatorname{std}(s)}"
        r"\qquad s = 0 \text{ (singular)}, 1 \text{ (plural)}"
    )
    for name in trainers:
        st.markdown(agreement_story.units_sentence(found[name], name))
    with st.expander("r_j of every unit, per model"):
        cols = st.columns(len(found))
        for col, (name, f) in zip(cols, found.items(), strict=True):
            col.caption(name)
            col.dataframe(f.frame(), hide_index=True, width="stretch")

    st.subheader("The GRU's update gate on the number units, word by word")
    st.latex(
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}, \qquad \text{kept}_j = \prod_{t=s+1}^{T} z_{t,j}"
    )
    st.caption("kept_j: the share of h_{s,j} that reaches the verb along the keep path (s: the subject).")
    title = agreement_story.gate_title(units, found["GRU"].clear)
    chart(agreement_charts.gate_vs_ideal(story.tokens, story.z, units, story.ideal, title), P + "agree_gate")
    st.markdown(agreement_story.gate_sentence(story, found["GRU"].clear))
    with st.expander("z_t and Γ_u per word, as a table"):
        st.dataframe(story.frame(), hide_index=True, width="stretch")
    question = agreement_story.gate_question(story, found["GRU"].clear)
    if question is not None:
        check("06_gru.py:agreement", question.question, question.options, question.answer, question.why,
              question.hints)  # fmt: skip

    st.subheader("Accuracy against the clause length")
    trained = (task.min_length, task.max_length)
    chart(agreement_charts.accuracy_vs_length(curves, trained, "Held-out accuracy, 256 sentences per length"),
          P + "agree_curve")  # fmt: skip
    st.markdown(agreement_story.curve_sentence(curves, trained))
    steps = ", ".join(f"{n} {t.step}" for n, t in trainers.items())
    st.caption(
        f"Trained on clauses of {trained[0]} to {trained[1]} words; the longer ones were never seen. The "
        f"curves are of this budget: Adam at learning rate {first.lr:g} for all three, steps so far {steps}."
    )

    st.subheader("Intervention: clamp the number units")
    explain(
        "Swap the subject for its other number (*cat* → *cats*) and record what the number units hold then. "
        "Now read your sentence again with those units **clamped** to the recorded values and every other "
        "unit free. If they really carry the number, the verb flips. For the GRU the clamp sets "
        "$z_t = 0$ and $n_t = h'_t$ on those units, so $h_t = h'_t$; for the LSTM $f_t = 0$, $i_t = 1$, "
        "$g_t = c'_t$, $o_t = o'_t$; for the RNN $h_t = h'_t$. A control clamps as many units least tied "
        "to the number."
    )
    where = st.radio(
        "Clamp",
        ["all", "subject"],
        format_func={"all": "at every word from the subject on", "subject": "at the subject only (then the "
                     "cell's own gates carry it)"}.get,
        key=P + "agree_where",
        horizontal=True,
        bind="query-params",
    )  # fmt: skip
    for name, trainer in trainers.items():
        f = found[name]
        out = clamp_number(trainer.model, task, text, f.units, where)
        control_units = weakest(f.r, len(f.units))
        control = clamp_number(trainer.model, task, text, control_units, where)
        control_r = float(max(abs(f.r[j]) for j in control_units))
        st.markdown(agreement_story.clamp_sentence(name, out, control, control_r))


agreement_views(seed())

# --- gating along depth ------------------------------------------------------------------------
st.header("Gating in depth: highway and residual connections")
explain(
    "Turn the GRU's update 90 degrees: instead of mixing the state of the *previous step* with a candidate, "
    "mix the activation of the *previous layer* with a new one. That is a **highway layer**. Drop the gate "
    "and simply add the new part to the old, and it becomes a **residual connection**. Both give the "
    "gradient a road through depth that skips the squashing nonlinearities, as the LSTM cell and the GRU "
    "update do through time."
)
st.latex(r"\text{GRU (time):}\quad h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t")
st.latex(
    r"\text{highway (depth):}\quad h = \tanh(W_l a_{l-1} + b_l),\;\; "
    r"z = \sigma(W_{zl} a_{l-1} + b_{zl}),\;\; "
    r"a_l = z \odot a_{l-1} + (1 - z) \odot h"
)
st.latex(
    r"\text{residual:}\quad a_l = a_{l-1} + \tanh(W_l a_{l-1} + b_l) \qquad "
    r"\text{plain:}\quad a_l = \tanh(W_l a_{l-1} + b_l)"
)
explain(
    "The live experiment: points of the square, class 1 inside a ring. Three deep tanh networks with the "
    "*same* $W_l$ (same seed), wired plain, residual or highway, trained on the same batches."
)


@section
def deep_views(seed_: int) -> None:
    """The three deep stacks: their settings, training, gradient per layer and accuracy; reruns alone
    when one of its settings moves."""
    c1, c2, c3 = st.columns(3)
    n_layers = c1.slider("Layers L", 4, 40, 20, key=P + "depth", bind="query-params")
    width = c2.select_slider("Units per layer", [8, 16, 32], 16, key=P + "width", bind="query-params")
    quantity = c3.radio(
        "Gradient to show",
        ["||dL/da_l||", "||dL/dW_l||"],
        key=P + "grad_kind",
        horizontal=True,
        bind="query-params",
    )
    rings = depth.Rings()
    deep_trainers = {}
    for kind in depth.DEEP_KINDS:
        deep_cfg = DeepLesson(kind=kind, depth=n_layers, width=width, seed=seed_)
        deep_trainers[kind] = session_trainer(f"l6_deep_{kind}", deep_cfg, deep_cfg.trainer)
    panel(
        P + "deep",
        DEEP_STEPS,
        DEEP_SECONDS,
        label="Train all three",
        trainers={f"{kind} stack": f"l6_deep_{kind}" for kind in depth.DEEP_KINDS},
        reset_label="Reset all three",
        note=f"Each click trains each network for up to {DEEP_STEPS} steps or {DEEP_SECONDS:g} s.",
    )
    probe = rings.batch(256, torch.Generator().manual_seed(seed_ + 11))
    norms = {kind: depth.depth_gradients(tr.model, probe)[quantity] for kind, tr in deep_trainers.items()}
    left, right = st.columns(2)
    chart(charts.depth_gradient_chart(norms, quantity, title="Gradient per layer"), P + "depth_grads", left)
    with right:
        if any(tr.history for tr in deep_trainers.values()):
            runs = {
                kind: {"step": [row.step for row in tr.history], "loss": [row.loss for row in tr.history]}
                for kind, tr in deep_trainers.items()
            }
            chart(
                training_curves(runs, "loss", title="Training loss", colors=charts.KIND_COLORS),
                P + "deep_curves",
            )
        else:
            ratio = {kind: n[0] / n[-1] for kind, n in norms.items()}
            st.markdown(gru_story.depth_sentence(ratio, n_layers))
    st.dataframe(gru_tables.deep_frame(deep_trainers, rings, seed_), width="stretch")
    per_layer = gru_tables.per_layer_frame(norms, quantity)
    csv_button(per_layer, "gradient-per-layer", P + "csv_depth", "Gradients per layer as CSV")


deep_views(seed())

# --- grid LSTM ---------------------------------------------------------------------------------
st.header("The grid LSTM: memory along time and along depth")
explain(
    "A stacked LSTM has a memory cell only along time: between layers, only $h$ travels. A **grid LSTM** "
    "(Kalchbrenner, Danihelka and Graves, 2015) gives every dimension its own LSTM: each block at step $t$, "
    "layer $l$ reads $(h^T_{t-1,l}, c_{t-1,l})$ from the previous step and $(h^D_{t,l-1}, m_{t,l-1})$ from "
    "the layer below, and applies one LSTM transform along time and one along depth, each with its own gates "
    "$i, f, g, o$ (written $i', f', g', o'$ for depth), both reading $[h^D_{t,l-1}; h^T_{t-1,l}]$. "
    "Depth gets the same gated, additive road that time has. The weights are tied along time (every "
    "step shares them) and untied along depth (each layer has its own), as in a stacked LSTM; layer 1 reads "
    "$h^D_{t,0} = x_t$ with $m_{t,0} = 0$, and $h^T_{0,l} = c_{0,l} = 0$. Below, a live grid LSTM and a "
    "stacked LSTM "
    "(torch.nn.LSTM) of about as many parameters learn the same copy task, with the same seed and batches."
)
st.latex(  # one transform per line: side by side they were 934 px in an 820-px column at 1280 px
    r"\begin{aligned} \text{time:}\;\; c_{t,l} &= f \odot c_{t-1,l} + i \odot g, & h^T_{t,l} &= o \odot "
    r"\tanh(c_{t,l}) \\ \text{depth:}\;\; m_{t,l} &= f' \odot m_{t,l-1} + i' \odot g', & h^D_{t,l} &= o' "
    r"\odot \tanh(m_{t,l}) \end{aligned}"
)
GRID_STEPS, GRID_SECONDS = 200, 20.0
GRID_KEYS = {"grid LSTM": "l6_grid_net", "stacked LSTM": "l6_grid_stack"}


def _pick(label: str, key: str, top: int, default: int, where) -> int:
    """A slider from 1 (or 0 for units) to ``top`` whose held value is kept inside when ``top`` shrinks."""
    low = 0 if key.endswith("unit") else 1
    if top <= low:  # one choice only (a one-layer grid): a slider needs two ends
        where.caption(f"{label}: {low}, the only one")
        return low
    if st.session_state.get(key) is not None and not low <= st.session_state[key] <= top:
        st.session_state[key] = min(max(st.session_state[key], low), top)
    return where.slider(label, low, top, min(default, top), key=key, bind="query-params")


@section
def grid_views(seed_: int) -> None:
    """The grid LSTM against the stacked LSTM: settings, training, scores, both memories and one depth
    step's arithmetic; reruns alone when one of its settings moves."""
    layers = st.slider(
        "Layers L (both models)", 1, grid_lesson.MAX_LAYERS, 4, key=P + "grid_layers", bind="query-params"
    )
    try:
        cfg = GridLesson(layers=layers, seed=seed_)
    except InputError as err:
        show_error(err, f"Choose 1 to {grid_lesson.MAX_LAYERS} layers.")
        return
    task = cfg.task()
    factories = {"grid LSTM": cfg.grid_trainer, "stacked LSTM": cfg.stacked_trainer}
    trainers = {name: session_trainer(GRID_KEYS[name], cfg, factories[name]) for name in grid_lesson.MODELS}
    counts = {name: param_count(tr.model) for name, tr in trainers.items()}
    example = task.decode(task.example().x[0])
    st.markdown(
        f"The task: read {task.length} symbols (of an alphabet of {task.n_symbols}), wait {task.lag} "
        f"blanks, then write them back after '=' (T = {task.seq_len} steps; e.g. `{example}`). The grid "
        f"LSTM has L = {layers} layers of H = {cfg.hidden_size} units: **{counts['grid LSTM']:,} "
        f"parameters**. The stacked LSTM has L = {layers} layers of H = {cfg.stacked_hidden()}, the size "
        f"closest to it: **{counts['stacked LSTM']:,} parameters**."
    )
    panel(
        P + "grid",
        GRID_STEPS,
        GRID_SECONDS,
        label="Train the grid and the stacked LSTM",
        trainers=GRID_KEYS,
        reset_label="Reset both",
        note=f"Each click trains each model for up to {GRID_STEPS} steps or {GRID_SECONDS:g} s.",
    )
    basis = (asdict(cfg), {n: tr.step for n, tr in trainers.items()})
    scores = _cached(P + "grid_scores", basis, lambda: grid_lesson.score(
        {n: tr.model for n, tr in trainers.items()}, task, seed_
    ))  # fmt: skip
    steps = {n: tr.step for n, tr in trainers.items()}
    st.markdown(grid_lesson.result_sentence(scores, steps, task.chance))
    st.dataframe(scores.frame(trainers, counts), hide_index=True, width="stretch")
    if any(tr.history for tr in trainers.values()):
        runs = {
            name: {
                "step": [row.step for row in tr.history],
                "acc": [row.metrics["acc"] for row in tr.history],
            }
            for name, tr in trainers.items()
        }
        colors = {"grid LSTM": CELL_COLORS["gru"], "stacked LSTM": CELL_COLORS["lstm"]}
        chart(
            training_curves(
                runs, "acc", title="Training accuracy on the recall steps, same batches", colors=colors
            ),
            P + "grid_curves",
        )
    memory = grid_lesson.read_memory(trainers["grid LSTM"].model, task)
    st.subheader("The live grid's two memories, on a test example")
    c1, c2, c3 = st.columns(3)
    unit = _pick("Unit j", P + "grid_unit", cfg.hidden_size - 1, 0, c1)
    t = _pick("Step t", P + "grid_t", task.seq_len, task.length, c2)
    layer = _pick("Layer l", P + "grid_l", layers, layers, c3)
    shared = (
        st.radio(
            "Colour scale", ["shared by m and c", "each its own"], key=P + "grid_scale", horizontal=True,
            bind="query-params",
        )
        == "shared by m and c"
    )  # fmt: skip
    fig = grid_charts.memory_maps(
        memory.m[:, :, unit], memory.c[:, :, unit], memory.tokens, unit, (t, layer), shared
    )
    chart(fig, P + "grid_mem")
    st.markdown(memory.sentence(unit))
    st.caption(memory.scale_sentence(unit))
    question = grid_lesson.depth_question(memory, t, layer, unit)
    if question:  # asked before the step's arithmetic below gives it away
        q = question
        check("06_gru.py:grid", q.question, q.options, q.answer, q.why, q.hints)
    st.markdown("**The block outlined in the chart, written out:**")
    v = memory.depth_step(t, layer, unit)
    below = f"m_{{{t},{layer - 1}}}"
    st.latex(
        f"m_{{{t},{layer}}} = f' \\, {below} + i' \\, g' = {v['f']:.4f} \\times {v['m_below']:+.4f} + "
        f"{v['i']:.4f} \\times {v['g']:+.4f} = {v['m']:+.4f}"
    )
    st.latex(
        f"h^D_{{{t},{layer}}} = o' \\tanh(m_{{{t},{layer}}}) = {v['o']:.4f} \\times \\tanh({v['m']:+.4f}) "
        f"= {v['h']:+.4f}"
    )
    st.caption(
        f"Unit {unit} at step t = {t} (symbol {memory.tokens[t - 1]!r}), layer l = {layer}: the depth "
        "transform's gates, read from the live grid on the test example above."
        + (
            " Layer 1 reads $m_{t,0} = 0$: its depth memory starts from nothing at every step."
            if layer == 1
            else ""
        )
    )
    with st.expander("The structure of this grid (its first steps)"):
        st.caption(
            f"The {layers}-layer grid of this section, drawn for its first {min(4, task.seq_len)} steps."
        )
        chart(charts.grid_lstm_diagram(steps=min(4, task.seq_len), layers=layers), P + "grid_lstm")


grid_views(seed())

try_this(
    "Train the GRU, then find a unit and a filler word where $z_t$ is near 1. Check in the table that $h_t "
    "\\approx h_{t-1}$ there, and that $\\Gamma_u = 1 - z_t$ is near 0.",
    "Switch between the torch form and the paper's form: which numbers in the candidate step change? Then "
    "train the GRU without a reset gate: does this task need $r_t$?",
    "Press **Train both**: which model reaches 100% first, and how do the parameter counts compare with the "
    "4 : 3 ratio of weight blocks?",
    "Set 30 layers and train all three stacks: which one's layer-1 gradient is largest, and which one "
    "learns?",
    "In the agreement section, train the three models, then type a sentence whose clause is full of nouns of "
    "the other number: does the GRU still get the verb right? Clamp its number units at the subject only: "
    "does the flipped number survive to the verb?",
    "Train the grid and the stacked LSTM at 2 and at 6 layers: which one is ahead at each depth, and at "
    "which layers does unit j's depth memory $m$ grow?",
)
section(check)(  # answering reruns the question alone
    "06_gru.py",
    "At some step and unit the live GRU shows $z_t = 0.9$. How much of the candidate $n_t$ goes into $h_t$, "
    "and what is the notes' $\\Gamma_u$ there?",
    [
        "10% of $n_t$, and $\\Gamma_u = 0.1$",
        "90% of $n_t$, and $\\Gamma_u = 0.9$",
        "10% of $n_t$, and $\\Gamma_u = 0.9$",
        "90% of $n_t$, and $\\Gamma_u = 0.1$",
    ],
    0,
    "torch's $h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$ keeps 90% of the old state and takes 10% of "
    "the candidate; the notes' $\\Gamma_u = 1 - z_t = 0.1$ is that share of the candidate.",
    {
        1: "$z_t$ is the share of the **old** state $h_{t-1}$ kept, not of the candidate.",
        2: "10% is right, but $\\Gamma_u = 1 - z_t$ *is* the candidate's share, read from the notes' side.",
        3: "$\\Gamma_u = 0.1$ is right, and $h_t = (1 - z_t) \\odot n_t + \\dots$ gives the candidate "
        "the same share.",
    },
)
