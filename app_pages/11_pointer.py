"""Lesson 11: pointer networks, attention over the input positions as the output (sorting, convex hull)."""

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st
import torch

from rnnviz.charts import pointer as charts
from rnnviz.charts.sequence import training_curves
from rnnviz.pointer.check import first_pointer_question
from rnnviz.pointer.evaluate import accuracy_by_length, read, sharpness
from rnnviz.pointer.lesson import DEFAULT_LENGTH, LENGTHS, PointerLesson
from rnnviz.pointer.story import answer_sentence, baseline_sentence, length_sentences, sharpening_sentence
from rnnviz.tasks.point_sets import MAX_TYPED, MAX_TYPED_CHARS
from rnnviz.train import Trainer
from ui.export import csv_button
from ui.lesson import chart, check, explain, follow, friendly_errors, header, section, try_this
from ui.lesson import seed as global_seed
from ui.training import session_trainer, training_panel

P = "l11_"  # prefix of every widget and session key on this page
seed = global_seed()
MAX_SECONDS = 30.0
EXTRA_LENGTHS = 6  # test lengths: the training length and this many longer
TEST_N = 100  # fresh inputs per test length
MOST_CHECKPOINTS = 20  # checkpoints the sharpening curve reads (evenly spaced)
DEFAULT_TEXT = {
    "sort": "0.62, 0.15, 0.93, 0.41, 0.07",
    "hull": "0.1 0.2; 0.8 0.1; 0.9 0.7; 0.5 0.95; 0.15 0.8; 0.45 0.4; 0.6 0.6; 0.3 0.3",
}
TASK_NAMES = {"sort": "sort numbers", "hull": "convex hull of points"}
WHO = {"pointer": charts.POINTER, "base": charts.BASELINE}

header(
    "Pointer networks",
    [
        "why some answers are **positions in the input**: sorting a list, the convex hull of points;",
        "how a **pointer network** (Vinyals et al. 2015) makes attention the output: at each step the "
        "weights $\\alpha_{t,s}$ over the input positions *are* the distribution of the answer;",
        "why an ordinary seq2seq with a **fixed output vocabulary** cannot answer for a longer input, "
        "measured, while the pointer network uses the same weights at any length.",
    ],
    "Sort five numbers and the answer is not a number: it is the order, the positions of the input "
    "from the smallest to the largest. The convex hull's answer is the points on the rim, in order. "
    "How many positions there are depends on the input, so no output vocabulary fixed in advance fits.",
)

# --- 1. the task ---------------------------------------------------------------------------------
st.header("1. The task: answers that point at the input")
c1, c2 = st.columns([1, 2])
task_name = c1.radio(
    "Task", list(TASK_NAMES), key=P + "task", format_func=TASK_NAMES.get, horizontal=True, bind="query-params"
)
lo, hi = LENGTHS[task_name]
length = c2.slider(
    "Training length T (numbers or points per input)", lo, hi, DEFAULT_LENGTH[task_name],
    key=P + f"len_{task_name}", bind="query-params",
    help="Both models train on inputs of exactly this length; section 5 tests them on longer ones.",
)  # fmt: skip
with friendly_errors(then_stop=True):
    lesson0 = PointerLesson(task=task_name, length=length, seed=seed)
task = lesson0.make_task()
examples = task.inputs(4, torch.Generator().manual_seed(seed + 1))
st.dataframe(
    pd.DataFrame(
        [
            {
                "input x_1 .. x_T": "; ".join(" ".join(f"{v:.2f}" for v in p) for p in x),
                "target y (positions, then end)": ", ".join(str(t) if t else "end" for t in task.labels(x)),
            }
            for x in examples
        ]
    ),
    hide_index=True,
)
if task_name == "sort":
    st.caption(
        "x_t: one number drawn uniformly from [0, 1). y: the positions t from the smallest value to the "
        "largest, then end. Every answer has T + 1 steps."
    )
else:
    st.caption(
        "x_t: a point (x, y) drawn uniformly from the unit square. y: the positions of the hull's corners, "
        "counter-clockwise from the lowest point, then end. The number of steps depends on the points."
    )

# --- 2. the two models ---------------------------------------------------------------------------
st.header("2. Pointing versus a fixed vocabulary")
left, right = st.columns(2)
with left:
    st.subheader("Pointer network")
    explain(
        "An encoder reads the inputs, $v_t = W_{in} x_t + b_{in}$, $e_t = \\mathrm{Cell}(v_t, e_{t-1})$ with "
        "$e_0 = 0$. A decoder starts from $d_0 = e_T$. At step $s$ it scores **every input position** and "
        "a learned $e_{\\mathrm{end}}$ (the choice *stop*), exactly as lesson 7's additive attention does, "
        "and the softmax of those scores is the answer: there is no output layer. Its next input is the "
        "input it just pointed at ($u_{\\mathrm{start}}$, learned, at $s = 1$). "
        "With the mask on (section 3), a position already chosen gets score "
        "$-\\infty$, so weight 0."
    )
    st.latex(r"d_s = \mathrm{Cell}(v_{y_{s-1}},\ d_{s-1}),\quad v_{y_0} = u_{\mathrm{start}}")
    st.latex(r"\mathrm{score}_{t,s} = v^\top \tanh(W_e e_t + W_d d_s + b)")
    st.latex(r"t = \mathrm{end}, 1, \dots, T")
    st.latex(r"p(y_s = t) = \alpha_{t,s} = \mathrm{softmax}_t(\mathrm{score}_{t,s})")
with right:
    st.subheader("Fixed-vocabulary seq2seq")
    explain(
        "The same encoder and the same attention, but the attention only builds a context $c_s$, and the "
        "answer comes from an output layer $W_y$ with one row per token of a vocabulary fixed when the "
        "model is built: end and the positions $1 \\dots n$ of the training length $n$. For a longer input, "
        "an answer that needs a position past $n$ has no row to come from."
    )
    st.latex(r"c_s = \sum_t \alpha_{t,s}\, e_t")
    st.latex(r"p(y_s) = \mathrm{softmax}\big(W_y \tanh(W_c\,[d_s; c_s] + b_c) + b_y\big)")
    st.latex(r"y_s \in \{\mathrm{end}, 1, \dots, n\}\quad\text{(n = the training length)}")

# --- 3. train ------------------------------------------------------------------------------------
st.header("3. Train both, live")
c1, c2, c3 = st.columns(3)
cell = c1.radio("Cell (encoder and decoder)", ["lstm", "gru"], key=P + "cell", horizontal=True,
                format_func=str.upper, bind="query-params")  # fmt: skip
mask_used = c2.toggle(
    "Mask positions already chosen", True, key=P + "mask", bind="query-params",
    help="Score -inf (weight 0) at inputs the pointer has already pointed at: each input is used once.",
)  # fmt: skip
steps = c3.select_slider(
    "Steps per click", [25, 50, 100, 200, 300, 500], value=300, key=P + "steps", bind="query-params"
)
lesson = PointerLesson(task=task_name, length=length, cell=cell, mask_used=mask_used, seed=seed)
trainer = session_trainer("l11", lesson, lesson.trainer)
base_trainer = session_trainer("l11_base", lesson, lesson.baseline_trainer)
st.caption(
    f"Adam, learning rate {lesson.lr:g}, batches of {lesson.batch_size} inputs of length T = {length}, "
    f"hidden size {lesson.hidden_size}, both models on the same seed and batches. Changing a setting "
    "starts two fresh, untrained models."
)
training_panel(
    P + "both",
    max_steps=steps,
    max_seconds=MAX_SECONDS,
    label="Train both",
    trainers={WHO["pointer"]: "l11", WHO["base"]: "l11_base"},
    reset_label="Reset both",
    note=f"Each click trains each model for up to {steps} steps or {MAX_SECONDS:g} s.",
)
if trainer.history or base_trainer.history:
    runs = {
        WHO[k]: {"step": [r.step for r in tr.history], "loss": [r.loss for r in tr.history]}
        for k, tr in (("pointer", trainer), ("base", base_trainer))
        if tr.history
    }
    chart(training_curves(runs, "loss", title="Training loss (teacher forced)", colors=charts.MODEL_COLORS),
          P + "curves")  # fmt: skip


# --- 4. your input -------------------------------------------------------------------------------
st.header("4. Your input, through the live models")


@section
def input_views(trainer: Trainer, base_trainer: Trainer, task, task_name: str, n_train: int) -> None:
    """Section 4: the typed list through the pointer network at a checkpoint, and through the baseline."""
    what = "numbers" if task_name == "sort" else "points, as x y pairs separated by ';'"
    text = st.text_area(
        f"Your {what} (at most {MAX_TYPED})", DEFAULT_TEXT[task_name], key=P + f"text_{task_name}",
        bind="query-params", max_chars=MAX_TYPED_CHARS, height=80,
        help=f"Any length from {task.fewest} to {MAX_TYPED}: longer than T = {n_train} tests generalisation.",
    )  # fmt: skip
    x = None
    with friendly_errors("Example: " + DEFAULT_TEXT[task_name]):
        x = task.parse(text)
    if x is None:
        return
    points = [step for step, _ in trainer.checkpoints]
    at_step = points[-1]
    if len(points) > 1:
        follow(P + "ckpt", trainer.step, points[-1])
        if st.session_state.get(P + "ckpt", points[-1]) not in points:
            st.session_state[P + "ckpt"] = points[-1]
        at_step = st.select_slider(
            "Pointer network's weights after training step (checkpoints)", points, value=points[-1],
            key=P + "ckpt", bind="query-params", help="Slide back to watch the pointer matrix sharpen.",
        )  # fmt: skip
    model = trainer.model if at_step == trainer.step else trainer.model_at(step=at_step)
    r = read(model, task, x, base_trainer.model)
    T = len(x)
    if task_name == "sort":
        outside = [v for (v,) in x if not 0 <= v < 1]
    else:
        outside = [p for p in x if not (0 <= p[0] <= 1 and 0 <= p[1] <= 1)]
    if outside:
        st.info(
            f"{len(outside)} of your inputs lie outside the range the models trained on (the unit "
            "interval or square): expect them to be read less reliably."
        )
    st.markdown(f"Pointer network at step {at_step}. " + answer_sentence(WHO["pointer"], r.answer, r.target))
    q = first_pointer_question(task_name, r.x, r.target, r.answer[0], at_step)
    check("11_pointer.py", q.question, q.options, q.answer, q.why, q.hints)
    left, right = st.columns(2)
    chart(
        charts.pointer_heatmap(r.alpha, r.answer, r.target, f"Pointer matrix at step {at_step}"),
        P + "heatmap", left, share=0.5,
    )  # fmt: skip
    plot = charts.hull_plot if task_name == "hull" else charts.sort_plot
    chart(plot(r.x, r.answer, r.target, "The answer drawn on your input"), P + "drawn", right, share=0.5)
    st.caption(
        "Heatmap row s: p(y_s = t) = alpha_{t,s} over end and t = 1..T; each row sums to 1 (a masked "
        "position shows 0). A cross marks a step whose choice is wrong."
    )
    st.markdown(baseline_sentence(r.baseline, r.target, n_train, T, base_trainer.step))

    # sharpening over the checkpoints
    shown = points if len(points) <= MOST_CHECKPOINTS else [
        points[round(i * (len(points) - 1) / (MOST_CHECKPOINTS - 1))] for i in range(MOST_CHECKPOINTS)
    ]  # fmt: skip
    values = [
        sharpness(read(trainer.model if p == trainer.step else trainer.model_at(step=p), task, x).alpha)
        for p in shown
    ]
    chance = 1 / (T + 1)
    chart(charts.sharpening(shown, values, chance, "How sharp the pointer is, checkpoint by checkpoint"),
          P + "sharp")  # fmt: skip
    st.markdown(sharpening_sentence(shown, values, chance))

    # one step in numbers
    st.subheader("One step in numbers")
    S = len(r.answer)
    if st.session_state.get(P + "s", 1) > S:
        st.session_state[P + "s"] = S
    s = min(
        st.select_slider("Output step s", list(range(1, max(S, 2) + 1)), 1, key=P + "s", bind="query-params",
                         disabled=S == 1),
        S,
    )  # fmt: skip
    table = r.table(s)
    best = int(np.argmax(r.alpha[s - 1]))
    masked = int(np.isinf(r.score[s - 1]).sum())
    where, sym = ("end", r"\mathrm{end}") if best == 0 else (f"$t = {best}$", str(best))
    st.markdown(
        f"Step $s = {s}$: the largest score is at {where}, so "
        f"$p(y_{{{s}}} = {sym}) = \\alpha_{{{sym},{s}}} = {r.alpha[s - 1, best]:.3f}$; "
        f"the weights sum to {r.alpha[s - 1].sum():.3f} over the {T + 1 - masked} open choices"
        + (f" ({masked} masked: chosen before, score $-\\infty$, weight 0)." if masked else ".")
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "score_ts": st.column_config.NumberColumn("score_{t,s}", format="%.4f"),
            "alpha_ts": st.column_config.NumberColumn("alpha_{t,s}", format="%.4f"),
        },
    )
    csv_button(table, f"pointer-step-{s}", P + "csv_step", "This step as CSV")


input_views(trainer, base_trainer, task, task_name, length)

# --- 5. longer inputs ----------------------------------------------------------------------------
st.header("5. Train at one length, test at longer ones")


@section
def length_views(trainer: Trainer, base_trainer: Trainer, task, lesson: PointerLesson) -> None:
    """Section 5: both live models free running on fresh inputs, T = n .. n + EXTRA_LENGTHS."""
    n = lesson.length
    lengths = list(range(n, min(n + EXTRA_LENGTHS, MAX_TYPED) + 1))
    key = (asdict(lesson), trainer.step, base_trainer.step)
    held = st.session_state.get(P + "lengths")
    if held is None or held[0] != key:
        models = {WHO["pointer"]: trainer.model, WHO["base"]: base_trainer.model}
        held = (key, accuracy_by_length(models, task, lengths, TEST_N, lesson.seed))
        st.session_state[P + "lengths"] = held
    frame = held[1]
    explain(
        f"{TEST_N} fresh inputs per length, never trained on, answered free running (each step fed the "
        "model's own previous choice). **Exact match**: every step right, end included. **Per step**: the "
        "share of target steps whose choice is right."
    )
    title = f"Pointer network after {trainer.step} steps, fixed vocabulary after {base_trainer.step}"
    chart(charts.accuracy_by_length(frame, n, title), P + "accuracy")
    rows = base_trainer.model.decoder.W_y.out_features
    for line in length_sentences(frame, n, rows):
        st.markdown(line)
    csv_button(frame, f"pointer-accuracy-{lesson.task}", P + "csv_acc", "Accuracy by length as CSV")


length_views(trainer, base_trainer, task, lesson)

try_this(
    "Train both for two clicks, then type a list twice as long as the training length: which model still "
    "answers, and where does the other one go wrong?",
    "Slide the checkpoint back to step 0 and forward again: from which step is each row of the pointer "
    "matrix one bright cell?",
    "Switch the mask off and train again: does the pointer network now point at an input twice?",
    "On the convex hull, drag a point inside the hull (edit its numbers): does the answer leave it out?",
)
