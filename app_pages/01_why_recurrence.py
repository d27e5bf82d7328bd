"""Lesson 1: why recurrence. One function reused at every step, parameter counts, usage patterns."""

import streamlit as st
import torch

import course
from rnnviz.charts import diagrams
from rnnviz.charts.sequence import distribution_bars
from rnnviz.lessons.recurrence import (
    REACH_OPTIONS,
    ExamplesConfig,
    build_examples,
    classify,
    fc_model,
    first_input_reach,
    generate,
    growth,
    growth_frame,
    one_step_as_feedforward,
    random_sequence,
    reach_answer,
    rnn_model,
    tag,
    unrolled_frame,
)
from rnnviz.model import param_count
from rnnviz.seq2seq.dates import DateTask
from rnnviz.tasks.sentiment import NEGATIVE, POSITIVE
from rnnviz.trace import trace
from ui.export import csv_button
from ui.lesson import chart, check, explain, explanation, friendly_errors, header, section, seed, try_this

P = "l1_"  # prefix of every widget and session key on this page


@st.cache_resource(show_spinner=False)
def untrained_examples(seed: int):
    """Read-only, shared by every visitor: never modify the models this returns."""
    return build_examples(ExamplesConfig(seed=seed), train=False)


@st.cache_resource(show_spinner="Training three small RNNs (once per seed, then shared by every visitor)...")
def trained_examples(seed: int):
    """Read-only, shared by every visitor: never modify the models this returns."""
    return build_examples(ExamplesConfig(seed=seed), train=True)


header(
    "Why recurrence",
    [
        "why a network that reads a whole window at once grows with the window, and an RNN does not;",
        "how one function f, reused at every step, carries the past forward in a hidden state h_t;",
        "the usage patterns (one-to-one, one-to-many, many-to-one, many-to-many), each on a real model;",
        "why an RNN unrolled in time is a deep network whose layers share their weights.",
    ],
    "Text, speech, music and sensor readings are **sequences**: their length varies, and what an item "
    "means depends on what came before it. This lesson shows the one idea that handles both.",
)

# --- 1. one function, reused -------------------------------------------------------------------
st.header("1. One function, applied at every step")
explain(
    "An RNN keeps a **hidden state** $h_t$, a vector of $H$ numbers that summarises what it has read so "
    "far. At every step the same function $f$ takes the previous state and the new input and returns the "
    "next state and an output. The weights inside $f$ are the same at every step, so the network is as "
    "big for 5 inputs as for 5,000."
)
st.latex(r"(h_t,\ y_t) = f(h_{t-1},\ x_t), \qquad h_0 = 0")
st.latex(r"h_t = \tanh(W_{hh}\,h_{t-1} + W_{xh}\,x_t + b_h), \qquad y_t = W_{hy}\,h_t + b_y")
c1, c2, c3, c4 = st.columns(4)
D = c1.slider(
    "Input size D", 1, 8, 3, key=P + "D", bind="query-params", help="Numbers in each input vector x_t."
)
H = c2.slider(
    "Hidden size H", 2, 16, 4, key=P + "H", bind="query-params", help="Numbers in the hidden state h_t."
)
K = c3.slider("Output size K", 1, 6, 2, key=P + "K", bind="query-params", help="Numbers in each output y_t.")
n = c4.slider(
    "Sequence length n", 1, 8, 4, key=P + "n", bind="query-params", help="How many steps to unroll."
)
model = rnn_model(D, H, K, seed())
xs = random_sequence(n, D, seed())
tr = trace(model, xs, jacobians=False)
n_rnn = param_count(model)
chart(
    diagrams.unrolled(
        xs.numpy(), tr.layer(0).h, tr.logits, n_rnn, title=f"The RNN unrolled over n = {n} steps"
    ),
    P + "unrolled",
)
st.caption(
    f"Every coloured cell is a real number of this (untrained) RNN run on {n} random input vectors: hover "
    f"for the exact values. Each box f holds the same W_xh ({H}x{D}), W_hh ({H}x{H}), b_h ({H}, kept by "
    f"torch as two vectors b_ih + b_hh, so {2 * H} numbers), W_hy ({K}x{H}) and b_y ({K}): {n_rnn} "
    "parameters in all, reused at every step. "
    "Change n: the picture grows, the parameter count does not."
)
steps_table = unrolled_frame(xs.numpy(), tr.layer(0).h, tr.logits)
csv_button(steps_table, "rnnviz-l1-unrolled", P + "csv_unrolled", "Download x_t, h_t, y_t per step (CSV)")

# --- 2. parameter counts ----------------------------------------------------------------------
st.header("2. A fully connected network grows with n; an RNN does not")
explain(
    "The alternative is a network that reads all $n$ inputs at once: concatenate $x_1, \\dots, x_n$ into one "
    "vector of $nD$ numbers and feed it to a hidden layer of $H$ units. Its first weight matrix has $nD$ "
    "columns, so it grows with $n$, it cannot read an $(n{+}1)$-th input at all, and it learns what a word "
    "means separately for every position it can stand in."
)
st.latex(
    r"\text{fully connected: } \underbrace{nDH + H}_{\text{hidden layer}}"
    r" + \underbrace{KH + K}_{\text{output}}"
    r"\qquad \text{RNN: } \underbrace{HD + HH + 2H}_{W_{xh},\ W_{hh},\ b_{ih},\ b_{hh}}"
    r" + \underbrace{KH + K}_{W_{hy},\ b_y}"
)
n_max = max(60, n)
counts = growth(range(1, n_max + 1), D, H, K)
chart(
    diagrams.param_growth(counts, mark_n=n, title=f"Parameters for D = {D}, H = {H}, K = {K}"), P + "growth"
)
m1, m2, m3 = st.columns(3)
n_fc = param_count(fc_model(n, D, H, K))
m1.metric(f"Fully connected over n = {n}", f"{n_fc:,}")
m2.metric("RNN, any n", f"{n_rnn:,}")
m3.metric(f"Fully connected over n = {n_max}", f"{param_count(fc_model(n_max, D, H, K)):,}")
with explanation("Where these numbers come from"):
    st.caption(
        "The three numbers above are counted on real torch modules (nn.Linear layers and the RNN above); "
        "the curve is the formula, and the tests check that both agree. torch keeps two bias vectors b_ih "
        "and b_hh; the lesson writes their sum as b_h."
    )
csv_button(growth_frame(counts), "rnnviz-l1-parameters", P + "csv_growth", "Download the counts per n (CSV)")

# --- 3. usage patterns ------------------------------------------------------------------------
st.header("3. Usage patterns")
explain(
    "The same recurrent cell serves different jobs depending on **where inputs go in and where outputs are "
    "read**. Each tab runs a real small RNN (tanh cell, $H = 24$ or $48$) from this course's tasks."
)
trained = st.session_state.get(P + "trained", False)
if trained:
    ex = trained_examples(seed())
    st.success(
        f"Trained: sentiment {ex.steps['sentiment']} steps, tagging {ex.steps['tagging']} steps, "
        f"character model {ex.steps['lm']} steps (seed {seed()}).",
        icon=":material/check_circle:",
    )
else:
    ex = untrained_examples(seed())
    b1, b2 = st.columns([1, 3])
    b1.button(
        "Train these examples",  # the full label was cut with "..." in a quarter column; help says the rest
        key=P + "train",
        type="primary",
        on_click=lambda: st.session_state.update({P + "trained": True}),
        help="A few hundred steps per model, once per seed; then every visitor gets the trained models.",
    )
    b2.info(
        "These models are **untrained**: their weights are random, so their outputs are guesses. The "
        "shapes of the patterns are already right. Train them (once per seed, shared by everyone) to see "
        "real answers."
    )

tabs = st.tabs(
    ["one-to-one", "one-to-many", "many-to-one", "many-to-many, aligned", "many-to-many, unaligned"],
    key=P + "pattern",
    bind="query-params",
)


@section
def one_to_one(ex) -> None:
    """Tab 1 of section 3; its settings rerun it alone."""
    explain(
        "**One input, one output**: a plain classifier. Run the sentiment RNN for a single step: with "
        "$h_0 = 0$ the term $W_{hh} h_0$ vanishes, so the RNN is just a feedforward net "
        "$y = \\operatorname{softmax}(W_{hy} \\tanh(W_{xh} x_1 + b_h) + b_y)$, where $x_1$ is the word's "
        "vector (its row of the embedding the model learns)."
    )
    polar = sorted(POSITIVE + NEGATIVE)
    word = st.selectbox("One word", polar, index=polar.index("good"), key=P + "word", bind="query-params")
    left, right = st.columns([2, 3])
    res = classify(ex.sentiment, ex.sentiment_task, word)
    chart(diagrams.usage_pattern([word], [f"{res.label} ({res.probs.max():.0%})"]), P + "p11", left)
    chart(
        distribution_bars(res.probs, ex.sentiment_task.labels, title="y: the one output"),
        P + "p11_bars",
        right,
    )
    p_ff, p_rnn = one_step_as_feedforward(ex.sentiment, ex.sentiment_task, word)
    best = int(p_rnn.argmax())
    st.caption(
        "As a feedforward net, softmax(W_hy tanh(W_xh x_1 + b_h) + b_y) gives "
        f"p({ex.sentiment_task.labels[best]}) = {p_ff[best]:.6f}; the RNN run for one step gives "
        f"{p_rnn[best]:.6f}."
    )


with tabs[0]:
    one_to_one(ex)


@section
def one_to_many(ex) -> None:
    """Tab 2 of section 3; its settings rerun it alone."""
    explain(
        "**One input, many outputs**: generation. A character model "
        + ("trained" if trained else "(untrained until you train the examples) for text")
        + " of nested markup reads a start (one character, or a few), then every character it draws is "
        "**fed back** as the next input (dotted arrows)."
    )
    c1, c2 = st.columns([2, 1])
    prime = c1.text_input("Start with", "<", key=P + "prime", bind="query-params", max_chars=40)
    if c2.button("Draw another sample", key=P + "resample"):
        st.session_state[P + "sample_seed"] = st.session_state.get(P + "sample_seed", 0) + 1
    with friendly_errors("The markup text uses < > / letters, spaces and line breaks."):
        s = generate(ex.lm, ex.lm_task, prime, 60, seed() + st.session_state.get(P + "sample_seed", 0))
        gen = ex.lm_task.decode(torch.tensor(s.ids))
        shown = max(1, 10 - len(prime))
        ins = [*prime, *gen[: shown - 1]][-10:]
        outs = ([None] * (len(prime) - 1) + list(gen[:shown]))[-10:]
        chart(diagrams.usage_pattern(ins, outs, feedback=True), P + "p1n")
        st.code(s.text, language=None)
        st.caption(
            "The start, then 60 drawn characters (temperature 0.7). The diagram shows the first steps."
        )


with tabs[1]:
    one_to_many(ex)


@section
def many_to_one(ex) -> None:
    """Tab 3 of section 3; its settings rerun it alone."""
    explain(
        "**Many inputs, one output**: the sentiment RNN reads a whole review word by word and gives one "
        "answer, read from the last state $h_T$. The label depends on the whole sentence: *not*, *but* "
        "and word order."
    )
    review = st.text_input("A review", "the movie was not good", key=P + "review", bind="query-params")
    with friendly_errors("Use words such as: the movie film food was not very good bad but i loved hated"):
        res = classify(ex.sentiment, ex.sentiment_task, review)
        outs = [None] * (len(res.words) - 1) + [f"{res.label} ({res.probs.max():.0%})"]
        left, right = st.columns([3, 2])
        chart(diagrams.usage_pattern(list(res.words), outs), P + "pn1", left)
        bars = distribution_bars(res.probs, ex.sentiment_task.labels, title="y_T after the last word")
        chart(bars, P + "pn1_bars", right)
        rule = res.rule_label or "no sentiment word in the last clause"
        st.caption(f"The rules this task was generated by say: **{rule}**. The model says: **{res.label}**.")


with tabs[2]:
    many_to_one(ex)


@section
def many_to_many(ex) -> None:
    """Tab 4 of section 3; its settings rerun it alone."""
    explain(
        "**Many inputs, as many outputs, aligned**: tagging. One tag per word, read right after that "
        "word ($y_t$ from $h_t$). *I like cake* is Pronoun Verb Noun; in *they swim like fish* the same "
        "*like* is a Preposition, and only the words before it can tell the model which."
    )
    sentence = st.text_input("A sentence", "I like cake", key=P + "sentence", bind="query-params")
    with friendly_errors("Use simple words such as: i you we they like eat the a big cake fish in river"):
        res = tag(ex.tagging, ex.tagging_task, sentence)
        left, right = st.columns([2, 1])  # room for three table columns at 1280 px
        chart(diagrams.usage_pattern(list(res.words), list(res.tags)), P + "pnn", left)
        table = res.frame()
        fmt = {"p(tag)": st.column_config.NumberColumn(format="%.3f", width="small")}
        right.dataframe(table, hide_index=True, column_config=fmt, width="stretch")
        with right:
            csv_button(table, "rnnviz-l1-tags", P + "csv_tags", "Download the tags (CSV)")


with tabs[3]:
    many_to_many(ex)


@section
def sequence_to_sequence(ex) -> None:
    """Tab 5 of section 3; its settings rerun it alone."""
    explain(
        "**Many inputs, a different number of outputs**: translation. An **encoder** RNN reads the whole "
        "input first; a **decoder** RNN then writes the output, one token at a time, each fed back in. "
        "Nothing lines up: the number of words in and of characters out differ. The example below shows "
        "the task (dates in words to digits) with the target its rules give; the model that learns it is "
        "trained in Lesson 7."
    )
    phrase = st.text_input("A date in words", "twenty one march", key=P + "phrase", bind="query-params")
    with friendly_errors():
        target = DateTask().parse(phrase)
        words = phrase.split()[:8]
        chart(
            diagrams.usage_pattern(
                [*words, *[None] * len(target)], [*[None] * len(words), *target], encoder_steps=len(words)
            ),
            P + "pseq",
        )
        st.caption(
            f"Target for *{phrase}*: `{target}` (from the task's rules, not from a model): {len(words)} "
            f"word{'s' * (len(words) != 1)} in, {len(target)} characters out."
        )
    lesson7 = next((le for le in course.available() if le.file == "07_attention.py"), None)
    if lesson7:
        st.page_link(lesson7.path, label="Train the encoder-decoder in Lesson 7", icon=lesson7.icon)


with tabs[4]:
    sequence_to_sequence(ex)

# --- 4. feedforward vs recurrent -----------------------------------------------------------------
st.header("4. Feedforward versus recurrent")
explain(
    "Turn the unrolled RNN by 90 degrees and it looks like a deep feedforward network: one layer per time "
    "step. Two differences matter. A feedforward net has **different weights in every layer** and gets its "
    "input only at the bottom; the RNN uses **the same $W_{hh}$, $W_{xh}$, $b_h$ at every level** and gets a "
    "new input $x_t$ at each. Training an RNN is training a deep net with tied weights, which is why "
    "gradients through many steps can vanish or explode (Lesson 4)."
)


@section
def unrolled_as_layers(D: int, H: int) -> None:
    """Section 4's picture at L layers (its slider reruns it alone), with section 1's sizes."""
    L = st.columns([1, 2])[0].slider("Layers = time steps", 2, 6, 4, key=P + "L", bind="query-params")
    chart(diagrams.feedforward_vs_recurrent(L, D, H), P + "ffrnn")
    st.caption(f"Sizes from section 1: D = {D}, H = {H}. Hover a box for its weights.")


unrolled_as_layers(D, H)

try_this(
    "In section 1, set n to 8 and then to 1: which picture changes, and which number in section 2 does not?",
    "Double H. By what factor does the RNN's parameter count grow, and why roughly by four for large H?",
    "Train the examples, then make the review *the food was not bad* and *the food was bad but the music "
    "was great*. Does the model follow the rules? Try a word order the generator never produces.",
    "Tag *we fish in the river* and *they eat fish*: the same word gets two tags. What must the hidden "
    "state have remembered for the second *fish*?",
)
moved = first_input_reach(model, xs)  # the answer is measured on section 1's RNN, not assumed
moves = ", ".join(f"y_{t} by {v:.3g}" for t, v in enumerate(moved, 1))
check(
    "01_why_recurrence.py",
    f"Predict: if the first input x_1 of the RNN in section 1 were set to zero, with x_2..x_{n} kept as "
    f"they are, which of its {n} outputs y_1..y_{n} would change?",
    list(REACH_OPTIONS),
    reach_answer(moved),
    f"h_1 = tanh(W_xh x_1 + b_h) goes into h_2 through W_hh, h_2 into h_3, and so on, so x_1 reaches every "
    f"later output. Measured on this RNN with x_1 = 0: {moves}. The change usually fades with distance; "
    "how fast it fades is Lesson 4.",
    {
        0: "Only y_1 would change if every step were its own fully connected network, with no state. Here "
        "h_1 is carried into h_2 through W_hh: follow the arrows of the unrolled picture.",
        2: "The weights are the same, but the inputs are not: x_1 enters h_1, and h_1 every later step.",
        3: "This RNN gives an output at every step (y_t from h_t), and h_1 already depends on x_1.",
    },
)
