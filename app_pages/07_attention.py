"""Lesson 7: sequence to sequence and attention, on dates in words -> digits and toy image captions."""

import math
from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.charts import attention as charts
from rnnviz.charts import beam as beam_charts
from rnnviz.charts.sequence import distribution_bars
from rnnviz.lessons.attention_lesson import CaptionsLesson, DatesLesson
from rnnviz.seq2seq.beam import search_tree
from rnnviz.seq2seq.beam_eval import WIDTHS, beam_vs_greedy
from rnnviz.seq2seq.captions import object_sentence
from rnnviz.seq2seq.dates import LONGEST, MAX_TYPED_WORDS, SHORTEST, WORDS, DateTask
from rnnviz.seq2seq.evaluate import CompareConfig, compare_attention
from rnnviz.seq2seq.exposure import NAMES as SAMPLING_NAMES
from rnnviz.seq2seq.exposure import SamplingConfig, SamplingResult, compare_sampling
from rnnviz.seq2seq.focus import focus, position_sentence
from rnnviz.seq2seq.mistakes import written_softmax
from rnnviz.seq2seq.predict import largest_weight_question
from rnnviz.seq2seq.sampling import own_probability
from rnnviz.seq2seq.trace import trace_caption, trace_date
from rnnviz.seq2seq.whatif import MOVED, beam_answers, edit_input, force_output
from rnnviz.train import Trainer
from ui.export import csv_button
from ui.lesson import chart, check, explain, follow, friendly_errors, header, section, try_this
from ui.lesson import seed as global_seed
from ui.training import in_slot, panel, session_trainer, training_panel

P = "l7_"  # prefix of every widget and session key on this page
seed = global_seed()
MAX_SECONDS = 30.0
DEFAULT_TEXT = "monday the twenty first of march two thousand five"
# The date box's cap: twice the longest text the task reads (MAX_TYPED_WORDS of its longest word,
# each with a separator), 384 characters. Uncapped, one pasted "word" of a million letters was
# refused by an error box quoting all of it (1,000,157 characters); the browser stops typing here
# and a longer link is cut here (Streamlit's max_chars) and named in the sidebar.
MAX_DATE_CHARS = 2 * MAX_TYPED_WORDS * (max(map(len, WORDS)) + 1)


@st.cache_data(show_spinner=False, max_entries=32)
def comparison(task_fields: dict, compare_fields: dict) -> dict:
    """Accuracy-vs-length curves for one task and budget: computed once, shared by the class.

    Called holding one of the server's training slots (ui.training.in_slot), like every Train button."""
    return compare_attention(DateTask(**task_fields), CompareConfig(**compare_fields))


header(
    "Sequence to sequence and attention",
    [
        "how an **encoder-decoder** turns one sequence into another of a different length, and why "
        "squeezing the whole input into one vector gets harder as inputs grow;",
        "how **attention** lets every output step look back at all encoder states: scores, softmax "
        "weights $\\alpha_{t,s}$ and the context $c_s$, with the numbers;",
        "**teacher forcing** versus **free running**, and how attention sharpens during training;",
        "the same idea over an image: a caption whose words look at different parts of a picture.",
    ],
    "The task: read a date written in words and write it in digits, *twenty one march* -> `21-03`. "
    "Input and output have different lengths and there is no one-to-one match between input tokens "
    "and output characters, so a single RNN reading and writing in step will not do.",
)

# --- 1. the task ---------------------------------------------------------------------------------
st.header("1. The task: dates in words -> digits")
c1, c2 = st.columns([1, 2])
tokens = c1.radio(
    "Input tokens", ["chars", "words"], key=P + "tokens", horizontal=True, bind="query-params",
    format_func=lambda t: {"chars": "characters (up to ~70 per date)", "words": "words (up to 10)"}[t],
    help="Characters make long inputs: a plain encoder-decoder must hold all of them in one vector e_T.",
)  # fmt: skip
lo, hi = sorted(
    c2.slider(
        "Input length range (words)",
        SHORTEST,
        LONGEST,
        (SHORTEST, LONGEST),
        key=P + "len",
        bind="query-params",
        help="Optional words make inputs longer: a weekday, 'the', 'of', a year of 2 to 4 words.",
    )
)  # fmt: skip  (sorted: a link may hold the two ends in either order)
task = DatesLesson(tokens=tokens, min_words=lo, max_words=hi, seed=seed).task()  # section 3 adds the model
st.dataframe(
    pd.DataFrame(
        [
            {"input x": text, "tokens T": len(task.encode(text)), "target y": target}
            for text, target in task.examples(6)
        ]
    ),
    hide_index=True,
)
st.caption(
    f"Grammar: [weekday] [the] day [of] month [year], years 1900-2099. Input vocabulary: "
    f"{len(task.src_vocab) - 1} {tokens}; output vocabulary: the digits, '-' and <eos> (end of output)."
)

# --- 2. encoder-decoder --------------------------------------------------------------------------
st.header("2. Encoder-decoder, and what attention adds")
left, right = st.columns(2)
with left:
    st.subheader("Without attention")
    explain(
        "An **encoder** RNN reads the input tokens $x_1 \\dots x_T$ into states $e_1 \\dots e_T$. A "
        "**decoder** RNN starts from the last one, $d_0 = e_T$, and writes one character per step "
        "$s = 1, 2, \\dots$, fed its previous character $y_{s-1}$ ($y_0$ is a start token, `<sos>`). The "
        "cell is the one chosen in section 3, GRU or LSTM (an LSTM also hands its cell state over). "
        "Everything the decoder knows about the input must pass through "
        "the single vector $e_T$: the longer the input, the more we ask of it."
    )
    st.latex(r"e_t = \mathrm{Cell}(x_t,\ e_{t-1}),\quad e_0 = 0,\qquad d_0 = e_T")
    # one equation a line: side by side they ran past a half-width column at 1280-1400 px
    st.latex(r"d_s = \mathrm{Cell}(y_{s-1},\ d_{s-1})")
    st.latex(r"p(y_s) = \mathrm{softmax}\big(W_y \tanh(W_c\, d_s + b_c) + b_y\big)")
with right:
    st.subheader("With attention")
    explain(
        "At every output step the decoder compares its state $d_s$ with **every** encoder state $e_t$ "
        "(a score), turns the scores into weights $\\alpha_{t,s}$ that sum to 1 over the input, and "
        "reads the weighted average $c_s$, the **context**. Padding gets weight exactly 0."
    )
    st.latex(r"\mathrm{score}_{t,s} = e_t \cdot d_s \quad\text{(dot)}")
    st.latex(r"\mathrm{score}_{t,s} = v^\top \tanh(W_e e_t + W_d d_s + b) \quad\text{(additive)}")
    st.latex(
        r"\alpha_{t,s} = \mathrm{softmax}_t(\mathrm{score}_{t,s}),\qquad c_s = \sum_t \alpha_{t,s}\, e_t"
    )
    st.latex(r"p(y_s) = \mathrm{softmax}\big(W_y \tanh(W_c\,[d_s; c_s] + b_c) + b_y\big)")

# --- 3. train ------------------------------------------------------------------------------------
st.header("3. Train a model")
c1, c2, c3 = st.columns(3)
cell = c1.radio("Cell (encoder and decoder)", ["gru", "lstm"], key=P + "cell", horizontal=True,
                format_func=str.upper, bind="query-params")  # fmt: skip
attention = c2.radio(
    "Attention",
    list(charts.KIND_NAMES),
    index=1,
    key=P + "attn",
    format_func=charts.KIND_NAMES.get,
    bind="query-params",
)
steps = c3.select_slider(
    "Steps per click", [10, 25, 50, 100, 200, 400], value=200, key=P + "steps", bind="query-params"
)
sampling = st.radio(
    "Decoder input in training", list(SAMPLING_NAMES), key=P + "sampling", horizontal=True,
    format_func=SAMPLING_NAMES.get, bind="query-params",
    help="Teacher forcing feeds the true previous character; scheduled sampling (section 9) more and more "
    "often feeds the model's own guess instead.",
)  # fmt: skip
lesson = DatesLesson(
    tokens=tokens, min_words=lo, max_words=hi, cell=cell, attention=attention, seed=seed, sampling=sampling
)
trainer = session_trainer("l7", lesson, lesson.trainer)
schedule = ""
if sampling == "scheduled":
    k_s = lesson.model_config().sampling_k
    schedule = (
        f" Scheduled sampling: at training step {trainer.step} each character is fed the model's own guess "
        f"with probability {own_probability(trainer.step, k_s):.2f} (1/2 at step {k_s * math.log(k_s):.0f})."
    )
st.caption(
    f"Adam, learning rate {lesson.lr:g}, batches of {lesson.batch_size} dates, hidden size "
    f"{lesson.model_config().hidden_size}.{schedule} Changing the "
    "task or the model starts a fresh, untrained model. Untrained, the weights are random: the output "
    "is gibberish and the attention weights are nearly uniform. Train a few hundred steps and watch both "
    "change."
)
training_panel("l7", max_steps=steps, max_seconds=MAX_SECONDS)

# --- 4. accuracy vs length -----------------------------------------------------------------------
st.header("4. Squeezing versus attending: accuracy against input length")


@section
def comparison_views(task: DateTask, cell: str, seed_: int) -> None:
    """Section 4: the comparison of three fresh models, computed once per setting for everyone."""
    cmp_cfg = CompareConfig(cell=cell, seed=seed_)
    explain(
        f"Three fresh models (no attention, dot, additive) trained on the same seed and the same budget: "
        f"**{cmp_cfg.steps} steps** of {cmp_cfg.batch_size} dates each, then **exact match** (every "
        f"character right, free running) on {cmp_cfg.n_per_length} new dates per input length. Computed once "
        "per setting and remembered for everyone."
    )
    cmp_key = (asdict(task), asdict(cmp_cfg))
    if st.button("Compare with and without attention", key=P + "compare"):
        st.session_state[P + "compared"] = cmp_key
    result = None
    if st.session_state.get(P + "compared") == cmp_key:
        with st.spinner(
            "Training three models: one to three minutes the first time, instant after that...",
            show_time=True,
        ):
            result = in_slot(comparison, *cmp_key)
    if result is not None:
        chart(charts.accuracy_curves(result["curves"]), P + "accuracy")
        csv_button(
            pd.DataFrame(
                [
                    {"attention": kind, "input length (words)": length, "exact match": acc}
                    for kind, curve in result["curves"].items()
                    for length, acc in sorted(curve.items())
                ]
            ),
            f"accuracy-by-length-{cell}-{task.tokens}",
            P + "csv_accuracy",
            "Accuracy per length as CSV",
        )
        longest = max(result["curves"]["none"])
        at_longest = ", ".join(
            f"{charts.KIND_NAMES[k]} {100 * c[longest]:.0f}%" for k, c in result["curves"].items()
        )
        short = [f"{charts.KIND_NAMES[k]} {n}" for k, n in result["steps"].items() if n < cmp_cfg.steps]
        st.caption(
            f"Exact match at {longest} words: {at_longest}."
            + (f" The server was busy: steps reached in time: {', '.join(short)}." if short else "")
        )


comparison_views(task, cell, seed)

# --- 5. heatmap ----------------------------------------------------------------------------------
st.header("5. Where the decoder looks: the attention heatmap")


@section
def date_views(trainer: Trainer, task: DateTask, attention: str) -> None:
    """Sections 5 and 6: the typed date through the model at a checkpoint; reruns alone when the date,
    the checkpoint or the check question changes (section 6 alone when only the output step moves)."""
    text = st.text_input(
        "Type a date in words", DEFAULT_TEXT, key=P + "text", bind="query-params", max_chars=MAX_DATE_CHARS,
        help=f"At most {MAX_TYPED_WORDS} words ({MAX_DATE_CHARS} characters): the task's dates are "
        f"{SHORTEST} to {LONGEST} words long, and a longer text would only be refused.",
    )  # fmt: skip
    points = [step for step, _ in trainer.checkpoints]
    at_step = points[-1]
    if len(points) > 1:
        follow(P + "ckpt", trainer.step, points[-1])  # after more training: show the newest weights
        if st.session_state.get(P + "ckpt", points[-1]) not in points:  # a link's step this model never saved
            st.session_state[P + "ckpt"] = points[-1]
        at_step = st.select_slider(
            "Weights after training step (in-memory checkpoints)", points, value=points[-1],
            key=P + "ckpt", bind="query-params",
            help="Slide back to see how the attention sharpened during training.",
        )  # fmt: skip
    model = (
        trainer.model
        if at_step == trainer.step
        else trainer.model_at(step=at_step)  # a copy in eval mode; the live model stays as it is
    )
    trace = None
    with friendly_errors('Example: "the twenty first of march" or "monday five may nineteen oh five".'):
        trace = trace_date(model, task, text)
    if trace is not None:
        verdict = (
            ""
            if trace.target is None
            else (" (correct)" if trace.answer == trace.target else f" (correct: {trace.target})")
        )
        st.markdown(f"Model at step {at_step} answers **`{trace.answer or '(nothing)'}`**{verdict}.")
        if trace.target is None:
            st.info(
                "That is not a date the task writes, so there is no correct answer; the model still answers."
            )
        if trace.alpha is None:
            st.info(
                "This model has no attention: every output step sees only $d_0 = e_T$. Choose dot or "
                "additive."
            )
        else:
            q = largest_weight_question(trace.src, trace.out, trace.alpha)
            check(P + "predict", q.question, q.options, q.answer, q.why, q.hints)
            chart(charts.attention_heatmap(trace.alpha, trace.src, trace.out), P + "heatmap")
            st.caption(
                "Row s: the weights alpha_{t,s} of output step s over the input tokens t; each row sums to 1."
            )
            seen = focus(task, task.words(text), trace.alpha)
            st.markdown(" ".join(seen.sentences()))
            if tokens == "chars":
                explain(
                    "**Why a decoder may look at spaces.** The encoder reads left to right, so $e_t$ has "
                    "read $x_1 \\dots x_t$ and nothing after. Inside a word, $e_t$ may not know the word "
                    f"yet: {len(seen.prefix_words)} of the task's words begin a longer one "
                    f"({', '.join(seen.prefix_words[:6])}, ...: *four* may still become *fourth* or "
                    "*fourteen*), "
                    "so at their last letter the word is not settled. At the space after a word it is: the "
                    "state at a separator sums up the whole word before it, so one weight on a space reads "
                    "the whole word. A letter after which only one word of the task fits (*marc* can only "
                    "be *march*) serves as well. Which of these positions a model uses depends on its "
                    "training; the shares above are this model's, and section 6 says, for each step, which "
                    "kind of position it reads.",
                    label="Why spaces?",
                )
            st.subheader("Course notes often write the softmax with the wrong index")
            wrong = written_softmax(model, task, text, trace.score, trace.answer)
            c1, c2 = st.columns(2)
            c1.markdown("**As often written**: the denominator sums over $t'$ a term written with $t$")
            c1.latex(
                r"\alpha_{t,s} = \frac{\exp(\mathrm{score}_{t,s})}{\sum_{t'=1}^{T} "
                r"\exp(\mathrm{score}_{t,s})}"
            )
            c2.markdown("**Correct**: the denominator sums the numerator's term over every input position")
            c2.latex(
                r"\alpha_{t,s} = \frac{\exp(\mathrm{score}_{t,s})}{\sum_{t'=1}^{T} "
                r"\exp(\mathrm{score}_{t',s})}"
            )
            chart(
                charts.attention_heatmap(wrong.written, trace.src, trace.out, "as often written"),
                P + "written",
                c1,
                share=0.5,
            )
            chart(
                charts.attention_heatmap(wrong.correct, trace.src, trace.out, "correct softmax"),
                P + "correct",
                c2,
                share=0.5,
            )
            st.markdown(wrong.sentence())
            weights = [
                {"s": s, "y_s": y_s, "t": t, "x_t": x_t, "score_ts": float(trace.score[s - 1, t - 1]),
                 "alpha_ts": float(trace.alpha[s - 1, t - 1])}
                for s, y_s in enumerate(trace.out, 1)
                for t, x_t in enumerate(trace.src, 1)
            ]  # fmt: skip
            csv_button(
                pd.DataFrame(weights), f"attention-{attention}", P + "csv_alpha", "Attention weights as CSV"
            )

    st.header("6. One decoder step, in numbers")
    step_views(model, task, text, trace)
    st.header("7. Greedy or beam search")
    beam_views(model, task, text, trace, (asdict(lesson), at_step, trainer.step))
    st.header("8. What if? Change one token and let the decoder continue")
    whatif_views(model, task, text, trace)


@section
def step_views(model, task: DateTask, text: str, trace) -> None:
    """Section 6: one output step s of the decoding, and teacher forcing against free running."""
    if trace is None:
        st.caption("Type a date the model can read in section 5 to step through its decoding.")
    else:
        S = len(trace.out)
        if st.session_state.get(P + "s", 1) > S:  # a shorter answer: stay on its last step
            st.session_state[P + "s"] = S
        steps_s = list(
            range(1, max(S, 2) + 1)
        )  # a select_slider keeps one identity as S changes: the URL follows it
        s = min(
            st.select_slider("Output step s", steps_s, 1, key=P + "s", bind="query-params", disabled=S == 1),
            S,
        )  # s counts from 1, as the heatmap's rows: trace arrays are indexed s - 1
        chosen = task.tgt_vocab.index(trace.out[s - 1])
        if trace.alpha is not None:
            best = int(trace.alpha[s - 1].argmax())
            top = float(trace.alpha[s - 1, best])
            t_best = best + 1
            blend = (
                f"so $c_{{{s}}}$ is mostly $e_{{{t_best}}}$"
                if top > 0.7
                else f"so $c_{{{s}}}$ is a blend of several $e_t$, $e_{{{t_best}}}$ the largest part"
            )
            src_word = "'␣' (a space)" if trace.src[best] == " " else f"'{trace.src[best]}'"
            st.markdown(
                f"Step $s={s}$: the largest score, and so the largest weight, is at $t={t_best}$ "
                f"({src_word}): $\\alpha_{{{t_best},{s}}} = {top:.3f}$, {blend}. "
                f"The decoder predicts **'{trace.out[s - 1]}'** with $p = {trace.probs[s - 1, chosen]:.3f}$."
            )
            st.markdown(position_sentence(task, task.words(text), best))
            c1, c2 = st.columns(2)
            bars = charts.step_bars(trace.src, trace.score[s - 1], trace.alpha[s - 1], s, trace.out[s - 1])
            chart(bars, P + "step_bars", c1)
            chart(charts.context_build(trace.e, trace.alpha[s - 1], trace.src, s), P + "context", c2)
        fig = distribution_bars(trace.probs[s - 1], task.tgt_vocab, f"p(y_{s}): the prediction at step s={s}",
                                highlight=chosen)  # fmt: skip
        chart(fig, P + "p_y")

        st.subheader("Teacher forcing versus free running")
        explain(
            "In training the decoder is fed the **correct** previous character $y_{s-1}$ (teacher forcing): "
            "fast and stable, but it never sees its own mistakes. At test time it is fed **its own** "
            "previous guess (free running), so one wrong character can derail the rest."
        )
        if trace.target is None:
            st.info("Teacher forcing needs the correct answer: type a date the task can write.")
        else:
            forced = trace_date(model, task, text, teacher_forcing=True)
            rows = {
                "teacher forcing: fed y_(s-1)": ["<sos>", *trace.target],
                "teacher forcing: predicts": forced.out,
                "free running: fed its own guess": ["<sos>", *trace.out[:-1]],
                "free running: predicts": trace.out,
            }
            width = max(len(r) for r in rows.values())
            table = pd.DataFrame({k: r + [""] * (width - len(r)) for k, r in rows.items()}).T
            st.dataframe(table.rename(columns=lambda step: f"s={step + 1}"))
            st.markdown(
                f"Teacher forcing: **`{forced.answer}`** - free running: **`{trace.answer}`** - correct: "
                f"**`{trace.target}`**."
            )


@section
def beam_views(model, task: DateTask, text: str, trace, model_key) -> None:
    """Section 7: beam search on the typed date (the search tree), and beam against greedy on test dates."""
    explain(
        "Free running feeds the decoder its own **most likely** character at each step: **greedy** decoding. "
        "A likely first character can lead to an unlikely answer. **Beam search** keeps the $k$ best "
        "partial answers (hypotheses) at every step instead of one: each is extended by every character, "
        "all the extensions are scored, the $k$ best are kept and the rest pruned. A hypothesis that "
        "wrote `<eos>` is finished and competes as it is. $k = 1$ is greedy. The score of a hypothesis "
        "is its summed log-probability; with **length normalisation** the beam ranks by the mean per "
        "character instead, so an answer does not win only for being short (every term is negative)."
    )
    st.latex(
        r"\mathrm{score}(y_1 \dots y_n) = \sum_{s=1}^{n} \log p(y_s \mid y_{<s}, x)"
        r"\qquad \text{normalised: } \tfrac{1}{n}\,\mathrm{score}(y_1 \dots y_n)"
    )
    c1, c2 = st.columns(2)
    width = c1.select_slider("Beam width k", [1, 2, 3, 4, 5, 8], 3, key=P + "beam_k", bind="query-params",
                             help="k = 1 is greedy decoding.")  # fmt: skip
    normalise = c2.toggle("Length normalisation (rank by score / n)", False, key=P + "beam_norm",
                          bind="query-params")  # fmt: skip
    if trace is None:
        st.caption("Type a date the model can read in section 5 to see its search tree.")
        return
    tree = search_tree(model, task, text, width, normalise)
    greedy = search_tree(model, task, text, 1, normalise)
    pruned_shown = min(width, 3)
    chart(beam_charts.beam_tree(tree, pruned_shown), P + "beam_tree")
    st.caption(
        f"Each column is an output step s; the {width} kept hypotheses at that step are ranked 1 to {width} "
        f"(best at the top), then the best {pruned_shown} pruned ones, faded. The number under a node is the "
        "hypothesis's summed log-probability; hover for log p of the character it adds."
    )
    verdict = "" if tree.answer != greedy.answer else " the same answer as greedy"
    right = lambda a: "" if trace.target is None else (" (correct)" if a == trace.target else " (wrong)")  # noqa: E731
    if width == 1:
        st.markdown(
            f"With $k = 1$ the beam is greedy: **`{tree.answer or '(nothing)'}`**{right(tree.answer)}, "
            f"summed log-probability {tree.score:.3f}."
        )
    else:
        st.markdown(
            f"Beam ($k = {width}$) answers **`{tree.answer or '(nothing)'}`**{right(tree.answer)}{verdict}, "
            f"summed log-probability {tree.score:.3f}; greedy answers **`{greedy.answer or '(nothing)'}`**"
            f"{right(greedy.answer)}, {greedy.score:.3f}."
        )
    st.subheader("How often does the beam beat greedy?")
    store = st.session_state.setdefault(P + "beam_cache", {})
    key = (*map(str, model_key), normalise)
    if key not in store:
        store.clear()  # one model's figures at a time
        store[key] = beam_vs_greedy(model, task, WIDTHS, n=500, seed=task.seed, normalise=normalise)
    cmp = store[key]
    st.dataframe(cmp.frame(), hide_index=True)
    st.markdown(cmp.sentence())
    case = cmp.case
    if case is None:
        st.markdown(
            f"On these {cmp.n} test dates no beam width changes a single answer of this model: there is no "
            "date here where greedy and beam differ. Train more (or less) and look again."
        )
    else:
        st.markdown(
            f"A test date where they differ: *{case.text}* (correct `{case.target}`). Greedy writes "
            f"`{case.greedy or '(nothing)'}` (summed log-probability {case.greedy_score:.3f}), the beam of "
            f"width $k = {case.width}$ writes `{case.beam or '(nothing)'}` ({case.beam_score:.3f})."
        )
    st.caption(
        f"Measured now on {cmp.n} dates drawn with the task's seed, for this model as it is; remembered "
        "until the model changes. Greedy is the beam of width 1."
    )


@section
def whatif_views(model, task: DateTask, text: str, trace) -> None:
    """Section 8: edit one input token or force one output token; before and after side by side."""
    if trace is None or trace.alpha is None:
        st.caption("What-if needs a date the model can read and a model with attention (dot or additive).")
        return
    explain(
        "Change **one input token** $x_t$, or **force the output** at step $s$ to a character of your "
        "choice, and the decoder continues from there on its own (as the Seq2Seq-Vis tool lets you do). "
        "The heatmaps show $\\alpha_{t,s}$ before and after; outlined cells are the weights that moved. "
        "Forcing step $s$ cannot change rows $1 \\dots s$: up to there the decoder read the same tokens."
    )
    names = {"input": "an input token x_t", "output": "an output token y_s"}
    kind = st.radio("Change", list(names), key=P + "wi_kind", horizontal=True, bind="query-params",
                    format_func=names.get)  # fmt: skip
    c1, c2 = st.columns(2)
    what = None
    with friendly_errors("Pick a position and a token."):
        if kind == "input":
            T = len(trace.src)
            if st.session_state.get(P + "wi_t", 1) > T:  # a shorter input: stay on its last token
                st.session_state[P + "wi_t"] = T
            t = c1.select_slider("Input position t", list(range(1, T + 1)), min(T, 4), key=P + "wi_t",
                                 format_func=lambda t: f"{t} '{trace.src[t - 1]}'")  # fmt: skip
            choices = [tok for tok in task.src_vocab[1:] if tok != trace.src[t - 1]]
            if st.session_state.get(P + "wi_tok", choices[0]) not in choices:
                del st.session_state[P + "wi_tok"]
            shown = lambda x: x.replace(" ", "␣")  # noqa: E731
            new = c2.selectbox("New token", choices, key=P + "wi_tok", format_func=shown)
            what = edit_input(model, task, text, t, new)
        else:
            S = len(trace.out)
            if st.session_state.get(P + "wi_s", 1) > S:
                st.session_state[P + "wi_s"] = S
            s = c1.select_slider("Output step s", list(range(1, S + 1)), 1, key=P + "wi_s",
                                 format_func=lambda s: f"{s} '{trace.out[s - 1]}'")  # fmt: skip
            choices = [tok for tok in task.tgt_vocab[2:] if tok != trace.out[s - 1]]
            if st.session_state.get(P + "wi_out", choices[0]) not in choices:
                del st.session_state[P + "wi_out"]
            new = c2.selectbox("Force it to write", choices, key=P + "wi_out")
            what = force_output(model, task, text, s, new)
    if what is None:
        return
    edited = (what.kind, what.position)
    c1, c2 = st.columns(2)
    empty = np.zeros(what.before.alpha.shape, dtype=bool)
    chart(beam_charts.whatif_heatmap(what.before.alpha, what.before.src, what.before.out, empty, "before",
                                     edited), P + "wi_before", c1, share=0.5)  # fmt: skip
    chart(beam_charts.whatif_heatmap(what.after.alpha, what.after.src, what.after.out, what.moved, "after",
                                     edited, MOVED), P + "wi_after", c2, share=0.5)  # fmt: skip
    st.markdown(what.sentence())
    if what.kind == "input":
        k = int(st.session_state.get(P + "beam_k", 3))
        b_before, b_after = beam_answers(model, task, what, k)
        same = "the same answer" if b_before == b_after else "a different answer"
        target = what.after.target
        right = "" if target is None else f" The edited input's correct answer: `{target}`."
        st.markdown(
            f"Beam search (width $k = {k}$, section 7) answers `{b_before or '(nothing)'}` before and "
            f"`{b_after or '(nothing)'}` after: {same}.{right}"
        )


date_views(trainer, task, attention)

# --- 9. exposure bias ----------------------------------------------------------------------------
st.header("9. Exposure bias: teacher forcing against scheduled sampling")


@st.cache_data(show_spinner=False, max_entries=16)
def sampling_comparison(task_fields: dict, sampling_fields: dict) -> SamplingResult:
    """Both schedules trained once per task and budget, shared by the class (held in a training slot)."""
    return compare_sampling(DateTask(**task_fields), SamplingConfig(**sampling_fields))


@section
def sampling_views(task: DateTask, cell: str, attention: str, seed_: int) -> None:
    """Section 9: teacher forcing against scheduled sampling, free running, on one budget."""
    cfg = SamplingConfig(cell=cell, attention="dot" if attention == "none" else attention, seed=seed_)
    k_s = cfg.sampling_k
    explain(
        "Teacher forcing trains the decoder only on correct prefixes; free running feeds it its own, so at "
        "test time it meets states it never trained on (**exposure bias**). **Scheduled sampling** (Bengio "
        "et al. 2015) flips a coin for every character of every training date: with probability "
        "$\\epsilon_i$ it feeds the true $y_{s-1}$, otherwise the model's own most likely character (no "
        "gradient flows through that choice). $\\epsilon_i$ starts near 1 and decays over training step "
        "$i$, so the model is eased from teacher forcing towards the free running it is tested with."
    )
    st.latex(
        r"\epsilon_i = \frac{k}{k + e^{i/k}},\qquad p_{\text{own}}(i) = 1 - \epsilon_i"
        + rf"\qquad k = {k_s:g}:\ p_{{\text{{own}}}} = \tfrac12 \text{{ at }} i = k \ln k "
        + rf"\approx {k_s * math.log(k_s):.0f}"
    )
    st.markdown(
        f"Two fresh models, the same seed and budget (**{cfg.steps} steps** of {cfg.batch_size} dates, "
        f"{charts.KIND_NAMES[cfg.attention]}), one per schedule; then free-running exact match on "
        f"{cfg.n_per_length} new dates per input length."
    )
    key = (asdict(task), asdict(cfg))
    if st.button("Compare teacher forcing with scheduled sampling", key=P + "sampling_compare"):
        st.session_state[P + "sampling_compared"] = key
    if st.session_state.get(P + "sampling_compared") != key:
        return
    wait = "Training two models: a minute or two the first time, instant after that..."
    with st.spinner(wait, show_time=True):
        result = in_slot(sampling_comparison, *key)
    if result is None:
        return
    chart(beam_charts.sampling_curves(result.curves, SAMPLING_NAMES), P + "sampling_curves")
    st.markdown(result.sentence())
    short = [f"{SAMPLING_NAMES[k]} {n}" for k, n in result.steps.items() if n < cfg.steps]
    if short:
        st.caption(f"The server was busy: steps reached in time: {', '.join(short)}.")


sampling_views(task, cell, attention, seed)

# --- 10. images -----------------------------------------------------------------------------------
st.header("10. Attention over an image: Show, Attend and Tell in miniature")
explain(
    "A picture is a grid of cells, two holding a coloured shape. The encoder maps each cell's pixels to "
    "a vector $e_t = \\tanh(W_p x_t + b_p + p_t)$ ($p_t$, learned, says where the cell is); the decoder "
    "starts from $d_0 = \\tanh(W_0 \\bar e + b_0)$, $\\bar e$ the mean of the $e_t$, and the same attention "
    "decoder writes a caption word by word. For each word, the overlay shows $\\alpha_{t,s}$ over the cells; "
    "the sentence under it says how much of each colour or shape word's weight lands on its object."
)


@section
def caption_views(seed_: int) -> None:
    """Section 10: the captioner, its training and one picture; reruns alone when a setting changes."""
    cap_attn = st.radio("Attention for captions", ["additive", "dot"], key=P + "cap_attn", horizontal=True,
                        format_func=charts.KIND_NAMES.get, bind="query-params")  # fmt: skip
    captions = CaptionsLesson(attention=cap_attn, seed=seed_)
    cap_task = captions.task()
    cap_trainer = session_trainer("l7_cap", captions, captions.trainer)
    panel("l7_cap", max_steps=300, max_seconds=MAX_SECONDS)
    index = st.slider("Example picture", 0, 19, 0, key=P + "cap_img", bind="query-params")
    image, words = cap_task.example(index)
    cap = trace_caption(cap_trainer.model, cap_task, image, words)
    st.markdown(f"Caption written: **{cap.answer or '(nothing)'}** - correct: **{cap.target}**.")
    chart(charts.image_attention(image, cap.alpha, cap.out, cap_task.grid), P + "image")
    st.markdown(object_sentence(cap_task.example_objects(index)[0], cap.out, cap.alpha))


caption_views(seed)

try_this(
    "Set **Attention** to *none*, train 400 steps on characters, and type a long date (with a weekday and "
    "a year). Then switch to *dot* and train again. Which output characters does the plain model get wrong?",
    "Train an attention model on **2-5 words only**, then type a 10-word date (weekday, 'the', 'of' and a "
    "four-word year), longer than anything it trained on. Does the attention still find each part?",
    "Slide the checkpoint back to step 0 and forward again: from which step do the day digits look at the "
    "day's words, the month digits at the month and the year digits at the year (a staircase from top left "
    "to bottom right)?",
    "In section 6, pick the step that writes the first year digit: which input tokens get the weight?",
)
section(check)(  # answering reruns the question alone
    "07_attention.py",
    "If, in section 4, the model without attention falls behind as dates get longer (run the comparison to "
    "see whether it does at your settings), why would it?",
    [
        "Its decoder sees the input only through $d_0 = e_T$: one vector of fixed size must hold the whole "
        "date, however long.",
        "It is trained with teacher forcing, so it never sees its own mistakes.",
        "Long dates contain words it has never seen in training.",
        "Its softmax over the input tokens gets flatter as the input grows.",
    ],
    0,
    "Attention lets every output step read all encoder states $e_1 \\dots e_T$ through the context $c_s$; "
    "without it, everything must squeeze through $e_T$, and the longer the input the more it must hold.",
    {
        1: "All three models train with teacher forcing and are tested free running: that cannot explain the "
        "gap between them.",
        2: "Every date, short or long, is built from the same words: a longer one only has more of them (a "
        "weekday, 'the', 'of', a longer year).",
        3: "A model without attention has no softmax over the input at all: the only softmax is over the "
        "output characters.",
    },
)
