"""Lesson 10: recurrent networks today: minGRU and minLSTM, the parallel scan, a selective linear
recurrence and linear attention as an RNN."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

from rnnviz import race
from rnnviz.charts import modern as charts
from rnnviz.charts.style import OKABE_ITO
from rnnviz.lessons import (
    lstm_lesson,
    modern_attention,
    modern_check,
    modern_lesson,
    modern_memory,
    modern_timing,
    race_report,
)
from rnnviz.lessons.modern_lesson import MIN_CELLS, ModernLesson
from ui.export import csv_button
from ui.lesson import chart, check, explain, header, presenting, section, seed, try_this
from ui.pickers import prediction, sentence
from ui.training import session_trainer, training_panel

P = "l10_"  # prefix of every widget and session key on this page
PAGE = "10_rnns_today.py"
CELL_NAMES = {"min_gru": "minGRU", "min_lstm": "minLSTM"}
MIN_STEPS, MIN_SECONDS = 200, 8.0
MEM_STEPS, MEM_SECONDS = 200, 10.0
RACE = Path(__file__).resolve().parents[1] / "assets" / "modern_race.json"  # python -m bench modern_race


def dropped(term: str) -> str:
    """A term of lesson 5/6's equations that the min cells drop: struck out, in orange (LaTeX)."""
    return "\\textcolor{" + OKABE_ITO["vermillion"] + "}{\\cancel{" + term + "}}"


def chart_pair():
    """Two half-width charts side by side; one above the other in presenter mode, where their step
    labels at 20 px would run into each other at half width."""
    return (st, st) if presenting() else st.columns(2)


@st.cache_resource(show_spinner="timing the loop and the scans on this server...")
def scan_timing() -> modern_timing.ScanTiming:
    """Measured once per server (under a second or two), then read by every session."""
    return modern_timing.measure()


header(
    "Recurrent networks today",
    [
        "minGRU and minLSTM (Feng et al., 2024): the GRU and LSTM with gates that read $x_t$ only, written "
        "beside lessons 5 and 6's equations;",
        "why that matters: the recurrence becomes linear, $h_t = a_t \\odot h_{t-1} + b_t$, and a parallel "
        "scan computes the same $h_t$ as the loop, checked on your sentence;",
        "what the loop and the scans cost on this server as $T$ grows, beside the dependent rounds each "
        "needs;",
        "a selective linear recurrence (the idea of LRU, S4D and Mamba, kept tiny): its decay $a_t$ per word "
        "and unit, its memory length, and its gradient through time beside an Elman RNN's, on lessons 4-6's "
        "task and on one where a second country must reset the memory;",
        "linear attention as an RNN: its matrix state $S_t$ step by step, and the recurrent form equal to "
        "the parallel (masked attention) form on your sentence;",
        "a race of all these cells and lessons 4-6's on the same tasks and seed, from one cached run.",
    ],
    "Around 2023 recurrent models came back: state-space models (S4, Mamba), linear recurrent units, RWKV, "
    "xLSTM. They share one trick: the gates depend on the input only, never on $h_{t-1}$, so the whole "
    "sequence can be computed without waiting step by step. This lesson takes the models of lessons 5 and "
    "6 apart to show exactly what is dropped, and what is kept.",
)

c1, c2 = st.columns(2)
lag = c1.slider(
    "Filler words (lag)", 2, 30, 10, key=P + "lag", bind="query-params",
    help="Words between the country and 'fluent': the memory task of lessons 4-6.",
)  # fmt: skip
hidden = c2.select_slider("Hidden units H", [4, 6, 8, 12, 16], 8, key=P + "hidden", bind="query-params")

# --- minGRU and minLSTM ------------------------------------------------------------------------
st.header("minGRU and minLSTM: the gates read $x_t$ only")
explain(
    "Take lesson 6's GRU and delete every term that reads $h_{t-1}$ inside a gate or the candidate. The "
    "reset gate has nothing left to reset and goes too; the candidate loses its $\\tanh$ (Feng et al. drop "
    "it: $h_t$ is still a mix of $h_{t-1}$ and $n_t$, so $|h_t|$ never exceeds the largest $|n_t|$ so far, "
    "and without the squashing $n_t$ is one linear map of $x_t$). What stays is the update, the mix of old "
    "and new. The terms struck out in orange are the ones minGRU drops:"
)
st.markdown(
    "| | GRU (lesson 6, torch's form) | minGRU |\n|---|---|---|\n"
    "| update gate | $z_t = \\sigma(W_{iz} x_t + b_{iz} + " + dropped("W_{hz} h_{t-1} + b_{hz}") + ")$ | "
    "$z_t = \\sigma(W_{iz} x_t + b_{iz})$ |\n"
    "| reset gate | $" + dropped("r_t = \\sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})") + "$ | "
    "none (it only scaled $W_{hn} h_{t-1}$) |\n"
    "| candidate | $n_t = \\tanh\\big(W_{in} x_t + b_{in} + "
    + dropped("r_t \\odot (W_{hn} h_{t-1} + b_{hn})")
    + "\\big)$ | "
    "$n_t = W_{in} x_t + b_{in}$ (no $\\tanh$) |\n"
    "| new state | $h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$ | the same |\n"
    "| as $h_t = a_t \\odot h_{t-1} + b_t$ | not linear in $h_{t-1}$ ($z_t$, $n_t$ read it) | "
    "$a_t = z_t$, $b_t = (1 - z_t) \\odot n_t$ |"
)
explain(
    "The same surgery on lesson 5's LSTM: no $W_{h\\ast} h_{t-1}$ anywhere, no output gate, no separate "
    "cell $c_t$. The forget and input gates are normalised so that they sum to 1, which keeps $h_t$ a "
    "weighted average of the old state and the candidate: $|h_t|$ never exceeds the largest $|g_t|$ so far, "
    "however long the sequence. Struck out in orange, what minLSTM drops:"
)
st.markdown(
    "| | LSTM (lesson 5, torch) | minLSTM |\n|---|---|---|\n"
    "| forget gate | $f_t = \\sigma(W_{if} x_t + b_{if} + " + dropped("W_{hf} h_{t-1} + b_{hf}") + ")$ | "
    "$f_t = \\sigma(W_{if} x_t + b_{if})$, $\\; f'_t = f_t / (f_t + i_t)$ |\n"
    "| input gate | $i_t = \\sigma(W_{ii} x_t + b_{ii} + " + dropped("W_{hi} h_{t-1} + b_{hi}") + ")$ | "
    "$i_t = \\sigma(W_{ii} x_t + b_{ii})$, $\\; i'_t = i_t / (f_t + i_t)$ |\n"
    "| candidate | $g_t = \\tanh(W_{ig} x_t + b_{ig} + " + dropped("W_{hg} h_{t-1} + b_{hg}") + ")$ | "
    "$g_t = W_{ig} x_t + b_{ig}$ (no $\\tanh$) |\n"
    "| memory | $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$ | $h_t = f'_t \\odot h_{t-1} + i'_t \\odot g_t$ "
    "(no $c_t$) |\n"
    "| output | $o_t = \\sigma(\\dots)$, $\\; h_t = o_t \\odot \\tanh(c_t)$ | none: no $o_t$, no $\\tanh$ |\n"
    "| as $h_t = a_t \\odot h_{t-1} + b_t$ | not linear in $h_{t-1}$ | "
    "$a_t = f'_t$, $b_t = i'_t \\odot g_t$ |"
)
explain(
    "Feng et al. write minGRU's gate as the share of the *candidate* taken; here $z_t$ keeps lesson 6's "
    "meaning, the share of the *old state* kept, so the update reads exactly as in lesson 6."
)

cell = st.selectbox(
    "Live model", list(MIN_CELLS), format_func=CELL_NAMES.get, key=P + "cell", bind="query-params"
)
lesson = ModernLesson(cell=cell, lag=lag, hidden_size=hidden, seed=seed())
task = lesson.task()
trainer = session_trainer("l10", lesson, lesson.trainer)
model = trainer.model
explain(
    f"The live {CELL_NAMES[cell]} reads the memory task of lessons 4-6: a country, {lag} filler words, "
    "then *fluent*; it must name the country's language. It starts untrained; **Train** trains it here."
)
training_panel("l10", MIN_STEPS, MIN_SECONDS)
x, y = sentence(P, task, (lag, seed()))
read = lstm_lesson.read(model, task, x, y)
prediction(read)


@section
def loop_and_scan(model, task, x, hidden: int) -> None:
    """The equality the lesson is about, on the student's sentence; the unit picker reruns it alone."""
    st.subheader("The loop and the scan compute the same $h_t$")
    explain(
        "Because $a_t$ and $b_t$ read only $x_t$, they are computed for every $t$ at once. What is left, "
        "$h_t = a_t \\odot h_{t-1} + b_t$ with $h_0 = 0$, unrolls to a sum no step has to wait for:"
    )
    st.latex(
        r"h_t = \sum_{k=1}^{t} \Big(\prod_{s=k+1}^{t} a_s\Big) \odot b_k"
        r"\;=\; e^{a^*_t} \odot \sum_{k=1}^{t} e^{\log b_k - a^*_k},\qquad a^*_t = \sum_{s=1}^{t} \log a_s"
    )
    explain(
        "The **loop** computes $h_1, h_2, \\dots$ one after the other, as lessons 2-6 did. The **doubling "
        "scan** (Hillis and Steele) combines neighbours, then pairs 2 apart, 4 apart, ...: "
        "$\\lceil \\log_2 T \\rceil$ rounds, each over the whole sequence. The **log-space scan** (Heinsen, "
        "2023, as Feng et al. use it) is the formula on the right: a cumulative sum of $\\log a_t$ and a "
        "log-cumsum-exp, which stays finite for long sequences where the products of $a_s$ would underflow "
        "($b_k$'s sign is carried separately). The live model trains with it."
    )
    both = modern_lesson.loop_vs_scan(model, task, x)
    unit = st.select_slider("Unit j", list(range(hidden)), 0, key=P + "unit", bind="query-params")
    diff = both.max_diff()
    m1, m2, m3 = st.columns(3)
    m1.metric(
        "max |log-space scan - loop|", f"{diff['log']:.1e}", help="over every step t and unit j, float64"
    )
    m2.metric(
        "max |doubling scan - loop|", f"{diff['doubling']:.1e}", help="over every step t and unit j, float64"
    )
    m3.metric("rounds: loop / doubling", f"{both.rounds()['loop']} / {both.rounds()['doubling']}")
    st.markdown(modern_lesson.equality_sentence(both))
    st.dataframe(
        both.frame(unit),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * both.T, 640),  # every step of the default sentence without scrolling
        column_config={"|log scan - loop|": st.column_config.NumberColumn(format="%.1e")},
    )
    st.caption(
        f"Unit {unit}, every step of your sentence in float64 (a copy of the live model's weights). Steps "
        "count from t = 1; the state before the first word is h_0 = 0."
    )


loop_and_scan(model, task, x, hidden)

# --- time against T ----------------------------------------------------------------------------
st.header("What the scan buys: time against $T$")
timing = scan_timing()
explain(
    "The same three computations of $h_t = a_t \\odot h_{t-1} + b_t$ on random $a_t, b_t$ "
    f"(H = {timing.H} units, one sequence), timed on this server for T = "
    f"{', '.join(str(t) for t in timing.Ts)}."
)
chart(charts.scan_timing(timing.Ts, timing.ms, timing.rounds), P + "timing")
for line in modern_timing.timing_sentences(timing):
    st.markdown(line)
st.caption(
    f"What the chart measures: CPU wall time of one call (the best of {timing.repeats}), "
    f"{timing.threads_text()}, "
    "measured once on this server, the first time the page was opened, and shared by every visitor; "
    "other work on the machine makes it noisier. It is not a GPU. The right panel is counted, not "
    "measured: the dependent rounds are what a machine with enough parallel units would still have to do "
    "one after the other. The doubling scan's log depth pays off there (a GPU runs its rounds in parallel); "
    "on this CPU what pays is doing the loop's work in a few compiled passes instead of T Python steps."
)
with st.expander("The measurement as a table"):
    st.dataframe(timing.frame(), hide_index=True, width="stretch")

# --- a selective linear recurrence -------------------------------------------------------------
st.header("Choosing what to remember: a selective linear recurrence")
explain(
    "A diagonal linear recurrence with an input-dependent decay, the idea shared by LRU, S4D and Mamba's "
    "selective scan, kept tiny: each unit keeps a share $a_t$ of its state and adds what $x_t$ writes. "
    "Because $a_t$ depends on the word, the model can hold its memory on some words and drop it on others."
)
st.latex(
    r"a_t = e^{-\operatorname{softplus}(W_{ia} x_t + b_{ia})} \in (0, 1],\qquad b_t = W_{ib} x_t + b_{ib},"
    r"\qquad h_t = a_t \odot h_{t-1} + b_t"
)
st.latex(
    r"\frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(a_t)\quad\Longrightarrow\quad"
    r"\frac{\partial L}{\partial h_1} = \Big(\prod_{t=2}^{T} a_t\Big) \odot \frac{\partial L}{\partial h_T}"
)
explain(
    "No weight matrix multiplies the gradient on its way back: the factor per step is $a_t$ itself "
    "(compare lesson 4, where the Elman RNN's factor is $\\operatorname{diag}(1 - h_t^2)\\, W_{hh}$). "
    "A unit with $a_t$ near 1 keeps both its memory and its gradient for about $1 / (1 - a_t)$ steps. "
    "Below, the selective recurrence and an Elman RNN of the same size learn the same task from the same "
    "seed and batches."
)
PAIR_TASKS = {
    "first_word": "the first country counts (lessons 4-6)",
    "latest_country": "the latest country counts (a second one must reset the memory)",
}
pair_task = st.radio(
    "Task of the two models", list(PAIR_TASKS), format_func=PAIR_TASKS.get, horizontal=True,
    key=P + "pair_task", bind="query-params",
    help="On the second task half the training sentences name a second country among the fillers, and "
    "the answer is the language of the latest one.",
)  # fmt: skip
pair = {
    "selective recurrence": replace(lesson, cell="selective", task_name=pair_task),
    "Elman RNN": replace(lesson, cell="rnn_tanh", task_name=pair_task),
}
suffix = "" if pair_task == "first_word" else "_reset"  # each task keeps its own two trained models
keys = {"selective recurrence": "l10_sel" + suffix, "Elman RNN": "l10_elman" + suffix}
pair_trainers = {name: session_trainer(keys[name], cfg, cfg.trainer) for name, cfg in pair.items()}
pair_task_ = pair["selective recurrence"].task()
training_panel(
    P + "mem",
    MEM_STEPS,
    MEM_SECONDS,
    label="Train both (same task, same seed)",
    trainers=keys,
    reset_label="Reset both",
    note=f"Each click trains both for up to {MEM_STEPS} steps or {MEM_SECONDS:g} s.",
)
pair_y = modern_memory.pair_target(pair_task_, x)
mem = modern_memory.memory_read(
    pair_trainers["selective recurrence"].model, pair_trainers["Elman RNN"].model, pair_task_, x, pair_y
)
steps_now = {name: tr.step for name, tr in pair_trainers.items()}
st.caption(
    f"Training steps so far: selective recurrence {steps_now['selective recurrence']}, Elman RNN "
    f"{steps_now['Elman RNN']}. On your sentence the selective recurrence says {mem.said}, the Elman RNN "
    f"{mem.elman_said}"
    + (f"; the right answer on this task is {pair_task_.labels[pair_y]}." if pair_y is not None else ".")
)
left, right = chart_pair()
chart(charts.decay_heatmap(mem.a, mem.tokens, "a_t: the share of h_(t-1) kept"), P + "decay", left)
chart(
    charts.memory_heatmap(mem.memory, mem.tokens, "Memory length 1/(1 - a_t), in steps"), P + "memory", right
)
for line in modern_memory.gate_sentences(mem):
    st.markdown(line)
chart(
    charts.gradient_through_time(
        mem.grad, mem.elman_grad, mem.tokens, "Gradient through time, same sentence"
    ),
    P + "grad",
)
st.markdown(modern_memory.gradient_sentence(mem))
csv_button(
    mem.frame(), "selective-recurrence", P + "csv_memory", "a_t, b_t, h_t and dL/dh_t as CSV (t, unit j)"
)

# --- linear attention is an RNN ----------------------------------------------------------------
st.header("Linear attention is an RNN")
explain(
    "Attention (lesson 7) lets step $t$ read every earlier step $s \\le t$ with a weight from the query "
    "$q_t$ and the key $k_s$. Replace softmax's $e^{q_t \\cdot k_s}$ by a product of features, "
    "$\\varphi(q_t) \\cdot \\varphi(k_s)$ with $\\varphi(x) = \\mathrm{elu}(x) + 1 > 0$ "
    "(Katharopoulos et al., 2020), and the sum over $s$ can be carried forward step by step in a matrix "
    "state $S_t$: attention becomes a recurrence, and the state no longer grows with $t$."
)
st.latex(
    r"\text{parallel (masked attention):}\quad out_t = \frac{\sum_{s \le t} \big(\varphi(q_t) \cdot "
    r"\varphi(k_s)\big)\, v_s}{\sum_{s \le t} \varphi(q_t) \cdot \varphi(k_s)}"
)
st.latex(
    r"\text{recurrent:}\quad S_t = S_{t-1} + \varphi(k_t)\, v_t^{\top},\quad z_t = z_{t-1} + \varphi(k_t),"
    r"\quad S_0 = 0,\; z_0 = 0"
)
st.latex(r"out_t = \frac{S_t^{\top} \varphi(q_t)}{z_t \cdot \varphi(q_t)}")


@section
def linear_attention(x, tokens: list[str], vocab_size: int, seed_: int) -> None:
    """S_t at the chosen step; the t slider reruns this section alone."""
    read = modern_attention.attention_read(*modern_attention.projections(x, vocab_size, seed=seed_), tokens)
    explain(
        f"On your sentence ({read.T} words), each word gets its own query, key and value "
        f"({read.S.shape[1]} and {read.S.shape[2]} numbers) from seeded random projections: a layer "
        "that has not been trained, since the two forms agree for any numbers."
    )
    held = st.session_state.get(P + "att_t")
    if isinstance(held, int) and not 1 <= held <= read.T:  # a shorter sentence: its last word
        st.session_state[P + "att_t"] = read.T
    t = st.select_slider(
        "Step t", list(range(1, read.T + 1)), read.T, key=P + "att_t", bind="query-params",
        help="t = 1 is the first word; S_0 = 0 and z_0 = 0 before it.",
    )  # fmt: skip
    left, right = chart_pair()
    zmax = float(np.abs(read.S).max()) or 1.0  # one colour range for every t: S_t's growth is visible
    chart(
        charts.state_heatmap(read.S[t - 1], zmax, f"S_t after t = {t} ('{read.tokens[t - 1]}')"),
        P + "S",
        left,
    )
    chart(
        charts.state_norms(read.norms(), read.tokens, t - 1, "||S_t|| over the sentence"), P + "S_norm", right
    )
    st.metric(
        "max |recurrent - parallel| (float64)", f"{read.max_diff():.1e}", help="over every step and column"
    )
    for line in modern_attention.state_sentences(read, t):
        st.markdown(line)
    with st.expander("Both forms' outputs as a table"):
        st.dataframe(read.frame(), hide_index=True, width="stretch")


linear_attention(x, [task.vocab[int(i)] for i in x], len(task.vocab), seed())

# --- the race ----------------------------------------------------------------------------------
st.header("The race: every cell on the same tasks and seed")
race_report_ = race_report.load(RACE)
if race_report_ is None:
    st.caption(
        "This copy of rnnviz has no race report (assets/modern_race.json); `python -m bench modern_race` "
        "runs the race and writes it (several minutes)."
    )
else:
    recipe = race_report_["recipe"]
    explain(
        f"Lessons 4-6's cells and this lesson's, each trained from scratch with one recipe (H = "
        f"{recipe['hidden_size']} units, Adam at {recipe['lr']:g}, batches of {recipe['batch_size']}, "
        f"{recipe['steps']} steps, seed {race_report_['seed']}) on the memory task at lags "
        f"{', '.join(str(lag) for lag in race_report_['lags'])} (with lesson 4's curriculum on the lag) and "
        "as a character model of lesson 3's markup. The same H gives different parameter counts: each "
        "legend entry states its own. Run once offline and cached: the numbers below are that run's."
    )

    @section
    def race_view(report: dict) -> None:
        """The race's curves; the axis picker reruns this section alone."""
        x = st.radio(
            "Against", list(charts.RACE_X), format_func=charts.RACE_X.get, horizontal=True,
            key=P + "race_x", bind="query-params",
        )  # fmt: skip
        chart(charts.race_memory(report, x, "Remember the first word: held-out accuracy"), P + "race_mem")
        chart(charts.race_markup(report, x, "Markup text: held-out bits per character"), P + "race_markup")

    race_view(race_report_)
    st.caption(
        "Lines that reach the same accuracy lie on top of each other (each cell has its own marker); the "
        "sentences below give every cell's final figure."
    )
    for line in race.summary(race_report_):
        st.markdown(line)
    st.markdown(race_report.seconds_sentence(race_report_))
    with st.expander("Parameters of each cell"):
        st.dataframe(race_report.params_frame(race_report_), hide_index=True, width="stretch")


try_this(
    "Train the minGRU, then type a sentence of your own: does the largest difference between the loop and "
    "the scan stay at rounding level? Switch to the minLSTM: what changes in the table's $a_t$ column?",
    "In the timing chart, read how much longer the loop takes at T = 4096 than at T = 16, and compare it "
    "with how many more dependent rounds it needs.",
    "Train both models of the last section, then find a filler word where some unit's $a_t$ is near 1: "
    "what is its memory length, and how does the selective model's gradient at t = 1 compare with the "
    "Elman RNN's?",
    "Put a second country in the middle of the sentence: does the selective model's $a_t$ drop there? "
    "Switch the two models to the task where the latest country counts, train them, and look again.",
)
# predict a_t at a second country (run on the changed sentence); a sentence with under two fillers
# asks which unit keeps its memory longest instead
question = modern_check.reset_question(pair_trainers["selective recurrence"].model, pair_task_, x)
question = question or modern_memory.longest_memory_question(mem)
if question is not None:
    section(check)(PAGE, question.question, question.options, question.answer, question.why, question.hints)
else:
    st.caption("The check question needs at least one filler word in the sentence.")
