"""Lesson 3: training by maximum likelihood and BPTT, with a character-level language model trained live."""

import time
from dataclasses import asdict

import numpy as np
import streamlit as st

from rnnviz.charts import lm as charts
from rnnviz.charts import pattern as pattern_charts
from rnnviz.errors import InputError
from rnnviz.lessons import charlm as lm
from rnnviz.lessons import charlm_bptt as lm_bptt
from rnnviz.lessons import charlm_fit as lm_fit
from rnnviz.lessons import charlm_lesson
from rnnviz.lessons import charlm_temperature as lm_temp
from rnnviz.lessons import pattern_finding as pf
from rnnviz.lessons import pattern_search as ps
from rnnviz.sample import sample
from rnnviz.tasks.base import MAX_TEXT_CHARS
from rnnviz.tasks.charlm import check_text
from rnnviz.tasks.corpora import decode_upload, is_well_formed
from ui.export import csv_button
from ui.lesson import chart, check, explain, follow, friendly_errors, header, section, seed, stop, try_this
from ui.training import session_trainer, training_panel

P = "l3_"  # prefix of every widget and session key on this page
KEY = P + "model"  # the session's trainer
STEPS_PER_CLICK, SECONDS_PER_CLICK = 1000, 8.0  # the default model reaches the time budget first
D = lm.LMSettings()  # the lesson's tuned defaults (bench/charlm.py measures them)
SAMPLE_EVERY_S = 2.0  # seconds between samples printed while training
TRACED_CHARS = 1500  # characters the unit ranking correlates over
SHOWN_CHARS = 600  # characters coloured by a unit's activation
OWN_DEFAULT = (
    "The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat.\n"
    "A bird sang in the tree. The cat looked up at the bird; the bird looked down at the cat.\n"
    "The sun went down, the moon came up, and the cat and the dog and the bird went to sleep.\n"
)

header(
    "Char-RNN: training by maximum likelihood",
    [
        "how a language model scores a text: given $x_1$, $p(x_2..x_T \\mid x_1) = \\prod_{t=1}^{T-1} "
        "p(x_{t+1} \\mid x_1..x_t)$, so the loss of a sequence is the **sum** of per-step losses, and "
        "backpropagation through time (BPTT) sends the gradient of that sum back through every step;",
        "to train a character-level RNN, LSTM or GRU live on Python source, nested markup or your own text, "
        "and watch readable text emerge;",
        "how temperature and a priming text change what the model writes, and where it is surprised;",
        "to look inside: find a hidden unit that counts tag depth or knows it is inside a string, and search "
        f"the text (its first {ps.SEARCH_CHARS:,} characters) for every span that switches on the units a "
        "span you select does (LSTMVis).",
    ],
    "A **character-level language model** reads a text one character at a time and, at every step, "
    "predicts the next character. That is all it is trained to do, yet to do it well it must learn "
    "spelling, brackets that close, indentation and tags that nest (Karpathy, *The Unreasonable "
    "Effectiveness of Recurrent Neural Networks*, 2015).",
)


@st.cache_data(show_spinner="Preparing the text...")
def builtin(name: str, text_seed: int) -> str:
    return lm.builtin_text(name, seed=text_seed)


# --- 1. the text and the model ------------------------------------------------------------------
st.header("1. The text and the model")
source = st.radio("Text to learn", lm.TEXT_SOURCES, horizontal=True, key=P + "source", bind="query-params")
text = None
with friendly_errors("Paste plain text with at least a few lines, or upload a UTF-8 .txt file."):
    if source == lm.OWN:
        c1, c2 = st.columns([3, 2])
        pasted = c1.text_area(
            "Paste a text", OWN_DEFAULT, height=140, key=P + "pasted", bind="query-params",
            help=f"At most {MAX_TEXT_CHARS:,} characters (a longer text is refused, saying so).",
        )  # fmt: skip
        upload = c2.file_uploader(
            "...or upload a text file (UTF-8)",
            type=["txt", "py", "md", "html", "csv", "json", "tex"],
            key=P + "upload",
            help=f"The upload is used instead of the pasted text. At most {MAX_TEXT_CHARS:,} characters.",
        )
        text = decode_upload(upload.getvalue()) if upload is not None else check_text(pasted)
    else:
        text = builtin(source, seed())
if text is None:
    stop()

c1, c2, c3, c4, c5 = st.columns(5)
cell = c1.selectbox(
    "Cell",
    list(lm.CELL_CHOICES),
    list(lm.CELL_CHOICES).index(D.cell),
    format_func=lm.CELL_CHOICES.get,
    key=P + "cell",
    bind="query-params",
)
suggested = lm_fit.settings_for_text(len(text)) if source == lm.OWN else D  # defaults by the text's size
follow(P + "hidden", (source, suggested.hidden_size), suggested.hidden_size)  # a new size class: its H
hidden = c2.select_slider(
    "Hidden units H",
    [16, 32, 64, 96, 128, 192, 256],
    suggested.hidden_size,
    key=P + "hidden",
    bind="query-params",
    help=lm_fit.SIZE_HELP,
)
layers = c3.slider("Layers", 1, 3, D.num_layers, key=P + "layers", bind="query-params")
lr = c4.select_slider(
    "Learning rate", [1e-4, 3e-4, 1e-3, 3e-3, 5e-3, 1e-2, 3e-2, 1e-1], D.lr,
    key=P + "lr", bind="query-params",
    help="Adam's step size at the start. Too small learns slowly; too large makes the loss jump or diverge.",
)  # fmt: skip
clip = c5.select_slider(
    "Clip gradient norm at", ["off", 0.1, 0.5, 1.0, 5.0, 25.0], D.clip, key=P + "clip", bind="query-params",
    help="Rescale the gradient when its norm ||g|| is larger than this (lesson 4 shows why).",
)  # fmt: skip
with st.expander("More settings: window length, batch size, learning-rate decay"):
    c1, c2, c3 = st.columns(3)
    seq_len = c1.select_slider(
        "Window length T (how far back BPTT reaches)", [16, 32, 64, 100, 150, 200], D.seq_len,
        key=P + "seq_len", bind="query-params",
        help="Training cuts the text into windows of T characters; the gradient flows back at most "
        "T - 1 steps.",
    )  # fmt: skip
    batch = c2.select_slider(
        "Batch size", [8, 16, 32, 64], D.batch_size, key=P + "batch", bind="query-params"
    )
    half_life = c3.select_slider(
        "Learning rate halves every ... steps", [0, 250, 500, 1000, 2000], D.lr_half_life,
        format_func=lambda n: "never" if n == 0 else str(n),  # also the URL's value: ?l3_half=500
        key=P + "half", bind="query-params",
        help="Large steps early to learn fast, smaller ones later to settle: constant for the first n steps, "
        "then lr_t = lr * 0.5^((t - n) / n).",
    )  # fmt: skip

with friendly_errors("Use a longer text or a shorter window length (More settings).", then_stop=True):
    lesson = charlm_lesson.LMLesson(
        text_id=charlm_lesson.text_id(source, text),
        cell=cell,
        hidden_size=hidden,
        num_layers=layers,
        seq_len=seq_len,
        batch_size=batch,
        lr=lr,
        lr_half_life=half_life,
        clip=None if clip == "off" else float(clip),
        seed=seed(),
    )
    settings = lesson.settings
    trainer = session_trainer(KEY, asdict(lesson), lambda: lesson.build_trainer(text))
task = trainer.task
st.caption(
    f"{len(text):,} characters, V = {len(task.vocab)} different ones (one-hot inputs x_t of length V). "
    f"Training windows come from the first 90%; the last 10% is held out. Model: {lm.CELL_CHOICES[cell]}, "
    f"{layers} x {hidden} units, {sum(p.numel() for p in trainer.model.parameters()):,} parameters."
)
with st.expander("Show the beginning of the text"):
    st.code(text[:800], language=None)

# --- 2. training ----------------------------------------------------------------------------------
st.header("2. Training maximises the likelihood")
explain(
    "The chain rule of probability turns the probability of a whole text into a product of next-character "
    "predictions, one per step, each conditioned on everything before it (that is what $h_t$ summarises). "
    "Training maximises this likelihood, which is the same as minimising its negative log, and the log "
    "turns the product into a **sum of per-step losses**. Step $t$ reads $x_t$ and predicts $x_{t+1}$, so a "
    "text of $T$ characters has $T - 1$ predictions: the first character is given, never predicted, and the "
    "sum is the negative log-probability of $x_2..x_T$ **given** $x_1$ (the factor $p(x_1)$ is not modelled)."
)
st.latex(
    r"p(x_1, \dots, x_T) = p(x_1) \prod_{t=1}^{T-1} p(x_{t+1} \mid x_1, \dots, x_t),"
    r"\qquad \hat y_t = \mathrm{softmax}(W_{hy} h_t + b_y)"
)
st.latex(
    r"L = \sum_{t=1}^{T-1} L_t = -\log p(x_2, \dots, x_T \mid x_1), \qquad L_t = -\log \hat y_{t}[x_{t+1}]"
)
explain(
    "**Backpropagation through time (BPTT)** unrolls the network over the window and applies the chain "
    "rule backwards, from $t = T-1$ down to 1: $h_t$ influences $L_t$ directly and every later loss through "
    "the next step, so its gradient collects both. "
    + lm_bptt.PATHS[cell]
    + " Gradients are column vectors; $\\delta_t$ is the gradient at step $t$'s $W_{hh} h_{t-1} + b_{hh}$ "
    "(a quantity at step $T$ is 0):"
)
for line in lm_bptt.RECURSION_LATEX[cell]:
    st.latex(line)
explain(
    "The weights are shared by all steps, so their gradient is a **sum over steps** of outer products. "
    "Unrolled, what step $s$ sends back to $h_t$ is $(\\partial h_s / \\partial h_t)^\\top \\, "
    "\\partial L_s / "
    "\\partial h_s$ with $\\partial h_s / \\partial h_t = J_s J_{s-1} \\cdots J_{t+1}$, $J_k = "
    "\\partial h_k / \\partial h_{k-1}$: the latest step's Jacobian stands on the **left** (transposed, "
    "it is applied last). The $J_k$ are matrices that do not commute, so the order matters."
    + (
        " For the LSTM the chain runs through the pair: $J_k$ is the Jacobian of $(h_k, c_k)$ with "
        "respect to $(h_{k-1}, c_{k-1})$, and $\\partial h_s / \\partial h_t$ is one block of the product."
        if cell == "lstm"
        else ""
    )
    + (
        f" With {layers} layers, the recursion is the top layer's (the one $W_{{hy}}$ reads); a lower "
        "layer's direct term is what the layer above sends down instead."
        if layers > 1
        else ""
    )
)
st.latex(lm_bptt.SUM_LATEX)
explain(
    f"Each click trains for up to **{STEPS_PER_CLICK:,} steps or {SECONDS_PER_CLICK:g} s**, whichever comes "
    f"first, on random windows of T = {seq_len} characters "
    f"(batches of {batch}), with Adam. Every {SAMPLE_EVERY_S:g} s the model writes a short sample "
    f"(τ = {D.temperature:g}), so you can watch text emerge. The training loss is the mean $L_t$ per "
    "character, in nats "
    f"(a model that guesses uniformly scores $\\ln V = {np.log(len(task.vocab)):.2f}$)."
)
prime_default = "\n" if "\n" in task.vocab else text[0]
held = st.session_state.get(P + "fit")
if held is None or held[0] is not trainer:  # a new model: a new held-out curve
    st.session_state[P + "fit"] = (trainer, lm_fit.FitTracker())
fit = st.session_state[P + "fit"][1]
live = {"last": -1.0, "box": None}  # the panel's sample box, made on the first row of a run


def print_sample(tr, row) -> None:
    """Called at every history row while training: set the learning rate, measure a new checkpoint on the
    held-out text (before the trainer thins it out), and write a sample every few s."""
    settings.schedule(tr, row)
    fit.observe(tr)
    now = time.perf_counter()
    if now - live["last"] < SAMPLE_EVERY_S:
        return
    live["last"] = now
    if live["box"] is None:
        live["box"] = st.empty()
    smp = sample(tr.model, tr.task, prime_default, 160, settings.temperature, seed=seed())
    samples = st.session_state.setdefault(P + "samples", [])
    samples[:] = [*samples[-19:], (tr.step, smp.text)]  # the last 20
    live["box"].code(f"sample at step {tr.step} (loss {row.loss:.3f}):\n{smp.text}", language=None)


training_panel(KEY, STEPS_PER_CLICK, SECONDS_PER_CLICK, on_row=print_sample)
if trainer.step == 0:
    st.session_state[P + "samples"] = []
    st.info(
        "The model is **untrained**: its weights are random, so it predicts every character with about the "
        "same probability and writes gibberish. Every view below still shows its real numbers. Press "
        "**Train** and watch the loss fall and the samples change.",
        icon=":material/info:",
    )
samples = st.session_state.get(P + "samples", [])
if samples:
    with st.expander(f"Samples printed during training ({len(samples)})", expanded=True):
        for step, sample_text in samples[-1:-6:-1]:
            st.code(f"step {step}:\n{sample_text}", language=None)

# --- 3. which moment of training -----------------------------------------------------------------
st.header("3. Look at the model at any point of its training")
fit.observe(trainer)
saved = lm_fit.saved_states(trainer, fit)  # step -> weights: the trainer's checkpoints and the best one
steps = sorted(saved)
best = fit.best_step if fit.best_step is not None else steps[-1]
if len(steps) > 1:
    follow(P + "ckpt", (id(trainer), trainer.step), best)  # after training: the best held-out checkpoint
    chosen = st.select_slider(
        "Training step to look at (the model saved at that step)", steps, best,
        key=P + "ckpt", bind="query-params",
        help="Checkpoints are kept every 100 steps and at the end of each click (thinned to 40 on long runs; "
        "the one with the lowest "
        "held-out bits per character is always kept); every view below uses the one you pick. After "
        "training, the slider goes to that best checkpoint.",
    )  # fmt: skip
else:
    chosen = steps[0]
    st.caption("Only the initial weights so far: train to get checkpoints to slide through.")
view = lm_fit.model_from_state(trainer.model.cfg, saved[chosen])
held_out = text[-task.split_sizes["val"] :]
bpc = fit.curve.get(chosen, float("nan"))
c1, c2, c3 = st.columns(3)
c1.metric("Model at training step", chosen)
c2.metric(
    "Held-out bits per character", f"{bpc:.3f}" if np.isfinite(bpc) else "n/a (text too short)",
    help=f"Mean -log2 p(x_{{t+1}} | x_1..x_t) over the first {fit.max_chars:,} characters of the held-out "
    "last 10% of the text, read in one pass (every character but the first is predicted).",
)  # fmt: skip
c3.metric("Guessing uniformly", f"{np.log2(len(task.vocab)):.3f}", help="log2 V bits per character.")
report = fit.report(trainer)
if report is not None:
    chart(
        charts.fit_figure(
            report.steps, report.held_out, report.train, report.best_step, chosen,
            title="Bits per character at each checkpoint: held out and training",
        ),
        P + "fit",
    )  # fmt: skip
    (st.warning if report.overfitting else st.markdown)(report.sentence())

# --- 4. the loss of one sequence --------------------------------------------------------------------
st.header("4. The loss of one sequence is a sum over steps")
first_lines = held_out[held_out.find("\n") + 1 :] if "\n" in held_out[:-1] else held_out
default_seq = "\n".join(first_lines.split("\n")[:2])[: lm.MAX_SCORED] or text[:60]
follow(P + "seq", lesson.text_id, default_seq)
seq_text = st.text_area(
    "A sequence to score (from the held-out text; edit it)", default_seq, height=80,
    key=P + "seq", bind="query-params",
    help="Characters the training text lacks are refused: the model has no input for them.",
)  # fmt: skip
bp = None  # the written-out BPTT of the sequence, when it can be scored
with friendly_errors("Type characters that occur in the training text."):
    sl = lm.step_losses(view, task, seq_text)
    bp = lm_bptt.bptt(view, task.encode(seq_text)) if cell in lm_bptt.CELLS_WRITTEN_OUT else None
    chart(
        charts.step_loss_figure(
            sl.inputs, sl.targets, sl.loss, sl.grad_h_norm,
            title=f"L_t of each step, and ||dL/dh_t|| of L = sum_t L_t (model at step {chosen})",
        ),
        P + "step_loss",
    )  # fmt: skip
    # with the BPTT view: step t's part of dL/dW_hh in a last column
    step_table = charlm_lesson.step_losses_frame(sl, bp.contribution_norms if bp is not None else None)
    csv_button(step_table, "rnnviz-l3-step-losses", P + "csv_steps", "L_t and ||dL/dh_t|| per step (CSV)")
    worst = int(np.nanargmax(sl.loss))  # 0-based row: step t = worst + 1
    n_steps = len(sl.loss)  # T - 1 predictions for T characters
    st.latex(  # two lines: on one it ran past the column at 1280 px
        rf"\begin{{gathered}}T = {n_steps + 1}:\quad L = \sum_{{t=1}}^{{{n_steps}}} L_t = {sl.total:.2f}"
        rf"\ \text{{nats}}\;\Rightarrow\; p(x_2..x_T \mid x_1) = e^{{-{sl.total:.2f}}} \\"
        rf"\frac{{L}}{{(T-1) \ln 2}} = {sl.bits_per_char:.3f}\ \text{{bits per character}}\end{{gathered}}"
    )
    st.markdown(
        f"The most surprising step is t = {worst + 1}: after reading x_{worst + 1} = "
        f"`{sl.inputs[worst]!r}` the "
        f"model gave the actual next character x_{worst + 2} = `{sl.targets[worst]!r}` only "
        f"p = {np.exp(-sl.loss[worst]):.3f}."
    )
    if bp is not None:
        st.markdown(lm_bptt.check_sentence(bp, model_layers=layers))
    explain(
        "The lower panel is what BPTT computes: the gradient of the *whole* sum with respect to each $h_t$. "
        f"The last step, t = T-1 = {n_steps}, gets gradient only from its own loss; every earlier step "
        f"collects "
        "it from its own loss and from every later one, through the recursion of section 2."
    )
    surprise = np.concatenate([[np.nan], sl.loss])
    st.markdown("**The same sequence coloured by how surprised the model was** ($L_t$ of each character):")
    st.html(charts.colored_text(seq_text, surprise, "L_t", unit=" nats"))

# --- 5. sampling ---------------------------------------------------------------------------------
st.header("5. Sampling: temperature and priming")
explain(
    "To write, the model is fed a **priming text**, then draws the next character from its prediction, "
    "feeds it back in, and repeats. The **temperature** $\\tau$ divides the scores $z$ before the softmax: "
    "$\\tau < 1$ sharpens the distribution (the top character's share grows and the entropy falls; as "
    "$\\tau \\to 0$ the model always writes its top choice), $\\tau > 1$ flattens it (the top character's "
    "share shrinks, so unlikely characters are drawn more often). **Top-k** keeps only the k most likely "
    "characters."
)
st.latex(r"p_i = \frac{\exp(z_i / \tau)}{\sum_j \exp(z_j / \tau)}, \qquad z = W_{hy} h_t + b_y")
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
follow(P + "prime", lesson.text_id, prime_default.replace("\n", "↵"))
prime = c1.text_input(
    "Priming text (↵ = a new line)", prime_default.replace("\n", "↵"), key=P + "prime", bind="query-params",
    help="The model reads this first. Type ↵ for a line break. Characters the text lacks are refused.",
)  # fmt: skip
temperature = c2.slider("Temperature τ", 0.1, 2.0, D.temperature, 0.05, key=P + "temp", bind="query-params")
top_k = c3.slider("Top-k (0 = off)", 0, min(40, len(task.vocab)), 0, key=P + "topk", bind="query-params")
length = c4.slider("Characters to write", 50, 1000, 300, 50, key=P + "length", bind="query-params")
with friendly_errors("Use only characters of the training text in the priming text."):
    smp = sample(view, task, prime.replace("↵", "\n"), length, temperature, top_k, seed=seed())
    gen = smp.text[len(smp.prime) :]
    drawn_p = charlm_lesson.drawn_p(smp)
    st.markdown(
        "**The sample**, each generated character coloured by its surprise $-\\ln p$ under the distribution "
        "it was drawn from (the priming text in grey):"
    )
    values = np.concatenate([np.full(len(smp.prime), np.nan), -np.log(drawn_p)])
    st.html(charts.colored_text(smp.text, values, "-ln p", unit=" nats"))
    if source == lm.MARKUP:
        lines = smp.text.split("\n")[:-1]  # the lines the model ended
        lines = lines[1:] if smp.text.startswith("\n") else lines
        if lines:
            ok = sum(is_well_formed(line) for line in lines)
            st.caption(f"{ok} of {len(lines)} complete lines are well formed (every tag closed, in order).")
    n_shown = min(40, len(gen))
    chart(
        charts.next_char_figure(
            smp.probs[:n_shown], task.vocab, smp.text[len(smp.prime) - 1 : len(smp.prime) - 1 + n_shown],
            gen[:n_shown], k=5,
            title=f"The 5 most likely next characters at each position (τ = {temperature:g}); "
            "bold = the one drawn",
        ),
        P + "next_char",
    )  # fmt: skip
    csv_button(
        charlm_lesson.sample_frame(smp),
        "rnnviz-l3-sample",
        P + "csv_sample",
        "The sample, one row per character (CSV)",
    )

# --- 6. inside the model ---------------------------------------------------------------------------
st.header("6. Inside the model: find an interpretable unit")
probe_where = "held-out text" if len(held_out) >= 200 else "text (its held-out part is under 200 characters)"
probe = (held_out if len(held_out) >= 200 else text)[:TRACED_CHARS]
explain(
    "Most hidden units are hard to read, but a few track something a human can name (Karpathy et al., "
    "*Visualizing and Understanding Recurrent Networks*, 2015; Strobelt et al., *LSTMVis*, 2017). Below, "
    f"every unit's $h_t$ is correlated with a structural signal over the first {len(probe):,} characters of "
    f"the {probe_where}; the best matches come first. Pick one to colour the text by its activation."
)


@section
def unit_view(probe: str) -> None:
    """Section 6: units ranked by |r| with a signal of the text, one unit's activation over it; its
    pickers (layer, signal, unit) rerun this section alone."""
    signals = {name: v for name, v in lm.structural_signals(probe).items() if np.ptp(v) > 0}  # that vary here
    names = list(signals)
    c1, c2, c3 = st.columns([2, 1, 3])
    signal_default = names.index(lm.DEFAULT_SIGNAL[source]) if lm.DEFAULT_SIGNAL[source] in names else 0
    follow(P + "signal", lesson.text_id, names[signal_default])
    signal_name = c1.selectbox(
        "Signal", names, signal_default,
        key=P + "signal", bind="query-params",
        help="tag depth: open elements; inside a string: 1 inside a Python string literal; indentation "
        "level: 4-space indents of the line; position in the line: characters since the last line break. "
        "Only the signals that change on this text are listed.",
    )  # fmt: skip
    follow(P + "layer", layers, layers)  # more or fewer layers: show the top one
    layer = (
        c2.selectbox("Layer", list(range(1, layers + 1)), layers - 1, key=P + "layer", bind="query-params")
        - 1
    )
    with friendly_errors():
        h = lm.hidden_states(view, task.encode(probe))[layer]  # (T, H)
        ranked = lm.rank_units(h, signals[signal_name])
        top = ranked[:10]
        r_of = {s.unit: s.r for s in ranked}  # best match first
        follow(P + "unit", (id(trainer), chosen, layer, signal_name, lesson.text_id), ranked[0].unit)
        unit = c3.selectbox(
            "Unit to colour the text by (best match first)", list(r_of), 0,
            format_func=lambda j: f"unit {j}",  # the URL holds "unit 7"; r is in the help and the titles
            key=P + "unit", bind="query-params",
            help="Units in order of |r|, the correlation of h_t[unit] with the signal over the held-out "
            "text.",
        )  # fmt: skip
        left, right = st.columns([2, 3])
        chart(
            charts.unit_ranking_figure(
                [s.unit for s in top], [s.r for s in top], signal_name, title=f"Top units for '{signal_name}'"
            ),
            P + "ranking",
            left,
        )
        with left:
            table = charlm_lesson.ranking_frame(ranked)
            csv_button(
                table, "rnnviz-l3-units", P + "csv_units", f"r of every unit with '{signal_name}' (CSV)"
            )
        shown = probe[:SHOWN_CHARS]
        chart(
            charts.unit_trace_figure(
                h[: len(shown), unit], signals[signal_name][: len(shown)], shown, unit, signal_name,
                title=f"h_t[{unit}] (r = {r_of[unit]:+.2f}) and {signal_name} over the text "
                f"(model at step {chosen})",
            ),
            P + "unit_trace",
            right,
        )  # fmt: skip
        with right:
            trace_table = charlm_lesson.unit_trace_frame(
                probe, h[:, unit], unit, signal_name, signals[signal_name]
            )
            csv_button(
                trace_table, "rnnviz-l3-unit-trace", P + "csv_trace", f"h_t[{unit}] and the signal (CSV)"
            )
        st.markdown(
            f"**The {probe_where.split(' (')[0]} coloured by unit {unit}'s activation** $h_t[{unit}]$, "
            f"r = {r_of[unit]:+.2f} "
            "(blue < 0 < red):"
        )
        st.html(charts.colored_text(shown, h[: len(shown), unit], f"h_t[{unit}]", (-1.0, 1.0), signed=True))
        st.caption(lm.ranking_sentence(ranked, signal_name, len(probe), chosen))


unit_view(probe)


# --- 7. pattern search (LSTMVis) -------------------------------------------------------------------
st.header("7. Pattern search: where else do the same units switch on?")
search_text = text[: ps.SEARCH_CHARS]
REGION_OF = {lm.MARKUP: "inside a tag", lm.PYTHON: "inside a string"}
explain(
    "LSTMVis (Strobelt et al., 2017) turns the question around: select a span of the text and a threshold "
    "$\\theta$; the **on set** $U$ is every unit with $h_t[j] > \\theta$ at every step of the span. The "
    f"search then reads the top layer's $h_t$ over the first {len(search_text):,} characters (from "
    "$h_0 = 0$) and lists every other span where all of $U$ is above $\\theta$ together, each scored by "
    "the units of $U$ it keeps minus the extra units it switches on too, $V$ being the match's own on set:"
)
st.latex(
    r"U = \{\, j : h_t[j] > \theta \ \ \forall t \in \text{span} \,\}, \qquad "
    r"\text{score} = \frac{|U \cap V| - |V \setminus U|}{|U|}"
)


@st.cache_resource(max_entries=3, show_spinner="Reading the whole text with the model...")
def search_states(key: str, _model, _ids, region: str | None, _mask) -> tuple:
    """h_t over the searched text, the seconds that took, and the unit that best separates the region:
    once per (weights, text), shared by every session (the arrays are read, never written)."""
    start = time.perf_counter()
    h = ps.text_states(_model, _ids)  # (N, H) float16, top layer
    seconds = time.perf_counter() - start
    sep = None
    if region is not None:
        n = pf.FINDING_CHARS
        sep = pf.separating_unit(h[:n], _mask[:n]) if 0 < _mask[:n].sum() < len(_mask[:n]) else None
    return h, seconds, sep


@st.cache_resource(max_entries=16, show_spinner=False)
def searched(key: str, _h, _text: str, start: int, stop: int, theta: float) -> tuple:
    """The search and the seconds it took, once per (states, selection, θ): a link shows the same figure."""
    t0 = time.perf_counter()
    res = ps.search(_h, _text, start, stop, theta)
    return res, time.perf_counter() - t0


@section
def pattern_view(search_text: str) -> None:
    """Section 7: the finding (the unit that separates the region), then the search from a selection;
    its widgets (first step, length, threshold) rerun this section alone."""
    region = pf.region_for(search_text, REGION_OF.get(source))
    key = ps.states_key(view, lesson.text_id, len(search_text))
    h, seconds, sep = search_states(
        key,
        view,
        task.encode(search_text),
        region.name if region else None,
        region.mask if region else None,
    )
    if sep is not None:
        st.markdown(pf.separation_sentence(sep, region.name, chosen))
    a0, b0 = region.span if region else (0, min(5, len(search_text)))
    follow(P + "ps_start", lesson.text_id, a0 + 1)
    follow(P + "ps_len", lesson.text_id, b0 - a0)
    c1, c2, c3 = st.columns(3)
    first = c1.slider(  # a slider: a link's value it cannot take is dropped (a number_input raised on inf)
        "Selection: first step t", 1, len(search_text), a0 + 1, key=P + "ps_start", bind="query-params",
        help=f"Steps count from 1 over the first {len(search_text):,} characters; the arrow keys move one "
        "step.",
    )  # fmt: skip
    length = c2.slider("Selection: length (characters)", 1, ps.MAX_SPAN, b0 - a0, key=P + "ps_len",
                       bind="query-params")  # fmt: skip
    start, stop = int(first) - 1, min(len(search_text), int(first) - 1 + int(length))
    with friendly_errors("Lower the threshold, or select fewer characters."):
        theta0 = ps.default_threshold(h, a0, b0)
        follow(P + "ps_thr", (id(trainer), chosen, lesson.text_id), theta0)
        theta = c3.select_slider(
            "Threshold θ", ps.THRESHOLDS, theta0, key=P + "ps_thr", bind="query-params",
            help="A unit is on at step t when h_t[j] > θ. The default is the highest θ at which a unit "
            "stays on over the default selection.",
        )  # fmt: skip
        res, took = searched(key, h, search_text, start, stop, float(theta))
        st.html(
            pattern_charts.matches_html(
                [ps.selection(res, search_text)], heading=f"The selection, steps {start + 1}..{stop}:"
            )
        )
        st.markdown(ps.search_sentence(res, region.name if region else None, region.mask if region else None))
        chart(
            pattern_charts.on_set_figure(
                h, search_text, res.units, start, stop, res.threshold,
                title=f"h_t of the on set around the selection (model at step {chosen}; dots: h_t[j] > θ)",
            ),
            P + "on_set",
        )  # fmt: skip
        if res.matches:
            shown = min(10, len(res.matches))
            st.markdown(f"**The {shown} best matches of {res.n_matches:,}**, in context (matched characters "
                        "in bold):")  # fmt: skip
            st.html(pattern_charts.matches_html(res.matches[:shown]))
            csv_button(res.frame(), "rnnviz-l3-matches", P + "csv_matches",
                       f"The best {len(res.matches)} matches (CSV)")  # fmt: skip
        st.caption(
            f"Measured on this server: h_t over the {len(search_text):,} characters took {seconds:.2f} s, "
            f"once for this checkpoint (then cached); this search took {took * 1000:.0f} ms on its first run."
        )


pattern_view(search_text)

try_this(
    "Train the default LSTM on the nested markup for 4 or 5 clicks. Slide back through the checkpoints in "
    "section 3: at which step do the samples start closing their tags in the right order?",
    "Set the temperature to 0.1, then to 1.5. What happens to the sample? Why does τ → 0 always pick the top "
    "character of the chart in section 5?",
    "In section 4, type a line with a wrong closing tag, e.g. `<b><i>cat</b></i>`. Where is the model "
    "surprised, and what does that say about what it has learned?",
    "Switch the cell to the Elman RNN with the same settings and train as long. Compare the held-out bits "
    "per character and the well-formed lines. Then find the unit with the highest |r| for 'tag depth' "
    "in each.",
    "Choose the Python source, train, and look for a unit that switches on inside strings "
    "(signal 'inside a string').",
)
try:  # the question is about the priming text of section 5, or the default one if that is refused
    q_prime = prime.replace("↵", "\n")
    effect = lm_temp.after_prime(view, task, q_prime, lm_temp.QUESTION_TAU)
except InputError:
    q_prime = prime_default
    effect = lm_temp.after_prime(view, task, q_prime, lm_temp.QUESTION_TAU)
q = lm_temp.question(effect, charts.SHOWN.get(task.vocab[effect.top], task.vocab[effect.top]), q_prime)
check("03_char_lm.py", q.question, q.options, q.answer, q.why, q.hints)
if bp is not None:
    bq = lm_bptt.first_step_question(bp)
    check("03_char_lm.py (BPTT)", bq.question, bq.options, bq.answer, bq.why, bq.hints)
check(
    "03_char_lm.py (chain rule)",
    "Section 4 shows L = sum_t L_t for your sequence. Why is the loss of a whole sequence a sum of "
    "per-step losses?",
    [
        "Because the characters of a text are independent of each other.",
        "Because p(x_1..x_T) = prod_t p(x_t | x_<t) by the chain rule of probability, and -log turns that "
        "product into a sum.",
        "Because BPTT cuts the gradient at every step, so each step is trained on its own.",
        "Because the loss is a mean squared error, which adds up over steps.",
    ],
    1,
    "The chain rule holds for any text, with no independence assumed: each factor is conditioned on "
    "everything before it, which is what h_t summarises. Minimising -log p of the product is minimising "
    "the sum of the L_t = -log p(x_{t+1} | x_1..x_t), which is why section 4's total is the sum of its bars "
    "(the first character is given: the sum is -log p(x_2..x_T | x_1)).",
    {
        0: "They are not: each factor p(x_t | x_<t) depends on everything before x_t, through h_t. The "
        "chain rule needs no independence.",
        2: "BPTT does the opposite: the gradient of L flows back through every step (the lower panel of "
        "section 4 is dL/dh_t of the whole sum).",
        3: "The per-step loss is a cross-entropy: -log of the probability given to the actual next "
        "character.",
    },
)
