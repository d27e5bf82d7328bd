"""Lesson 4: vanishing and exploding gradients. The scalar chain, the bound on a real RNN, gradients
while training, exploding and clipping, and short vs long memory for RNN, LSTM and GRU."""

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from rnnviz.charts import connectivity as conn_charts
from rnnviz.charts import gradients as charts
from rnnviz.charts.connectivity import log_range
from rnnviz.errors import InputError
from rnnviz.lessons.connectivity_run import ConnectivityConfig, ConnectivityRun, run_connectivity
from rnnviz.lessons.connectivity_story import answer_story, map_story, training_story
from rnnviz.lessons.exploding import ExplodingPreset, clip_check, clip_question, exploding_run, runs_frame
from rnnviz.lessons.exploding_story import (
    clipped_sentence,
    direction_sentence,
    first_step_sentence,
    raw_sentence,
)
from rnnviz.lessons.gate_paths import gate_path, path_story, trained_paths
from rnnviz.lessons.gradient_mistakes import (
    derivative_max,
    derivative_sentence,
    ordered_story,
    ordered_vs_commuted,
    relu_d_norms,
    relu_sentence,
)
from rnnviz.lessons.gradients import (
    PATTERNS,
    GradientRecorder,
    GradientsConfig,
    ScalarConfig,
    parse_inputs,
    scalar_chain,
    spectral_radius,
)
from rnnviz.lessons.memory_lag import (
    CELL_NAMES,
    LAG_CELLS,
    LagRecipe,
    LagRun,
    curves,
    keep_point,
    measure,
    points_frame,
)
from rnnviz.lessons.memory_report import accuracy_frame, load_bench, offline_caption, story, transfer_frame
from rnnviz.lessons.scalar_regime import chain_sentence
from rnnviz.lessons.step_factors import INPUT_SCALES, drawn_copy, factor_story, step_factors
from rnnviz.lessons.truncated import MAX_K, MAX_TRUNC_LAG, TruncRecipe, TruncResult, train_pair
from rnnviz.lessons.truncated import story as truncation_story
from rnnviz.train import Trainer
from ui.export import csv_button
from ui.lesson import chart, check, explain, friendly_errors, header, section, seed, try_this
from ui.training import in_slot, panel, session_trainer

P = "l4_"  # prefix of every widget and session key on this page
KEY = "l4"  # the trainer of sections 2 and 3
STEPS_PER_CLICK, SECONDS_PER_CLICK = 150, 8.0
RECORD_EVERY = 10  # training steps between rows of the gradient heatmap
MEASURE_SECONDS = 600.0  # a safety cap only: the step budget decides, as in the offline table
MEMORY_LAGS = [5, 10, 20, 30, 50, 75, 100, 150, 200]
CONN_LAGS, CONN_STEPS = (
    [5, 10, 20, 40],
    [50, 150, 300],
)  # section 6's choices (300 steps: 8-23 s for six models, measured)
BENCH = Path(__file__).resolve().parents[1] / "assets" / "memory_lag.json"
RECIPES = {"curriculum": LagRecipe(curriculum=True), "direct": LagRecipe(curriculum=False)}
RECIPE_LABELS = {"curriculum": "curriculum on the lag (default)", "direct": "directly at the lag"}


header(
    "Vanishing and exploding gradients",
    [
        "why the gradient through time is a product of one factor per step, so it can shrink or grow "
        "fast: first for one number, then for a real RNN, with a bound you can check;",
        "how the spectral radius of W_hh tilts the gradient from vanishing to exploding;",
        "what an exploding gradient does to training, and how clipping by norm stops it;",
        "whether RNN, LSTM and GRU can learn to remember across 5 to 200 words, measured live;",
        "which input words each prediction reads (connectivity), and how far back it reaches with training;",
        "three shortcuts course notes often write about these gradients, each checked on the live models;",
        "what truncated BPTT (a window of k steps) does to the gradient, and to memory at lags above k.",
    ],
    "Training an RNN means backpropagating through time: the loss at the last step sends its gradient "
    "back through every earlier state. Each step multiplies the gradient by that step's Jacobian, so "
    "after many steps it is a long product. A product of factors that stay below some q < 1 vanishes; "
    "above some q > 1 it explodes. "
    "Everything on this page is computed live from real models; nothing is a drawing.",
)

# --- 1. the scalar chain ----------------------------------------------------------------------
st.header("1. One number: a chain of tanh steps")
explain(
    "Take the smallest RNN there is: a scalar input $x_t$, a scalar state $s_t$ and scalar weights. "
    "The derivative of $\\tanh$ is $1 - \\tanh^2$, which is at most 1 and tiny when $|z_t|$ is large "
    "(the unit is *saturated*). How much $s_t$ depends on the start $s_0$ is a product of one factor "
    "per step:"
)
st.latex(r"z_t = s_{t-1}\, w_h + x_t\, w_x + b, \qquad s_t = \tanh(z_t), \qquad s_0 = 0")
st.latex(  # two lines: on one it ran past the column at 1280 px
    r"\begin{gathered}\frac{\partial s_t}{\partial z_t} = 1 - \tanh^2(z_t) \in (0, 1], \qquad "
    r"\frac{\partial s_t}{\partial s_{t-1}} = w_h\,(1 - s_t^2) \\ "
    r"\frac{\partial s_t}{\partial s_0} = \prod_{k=1}^{t} w_h\,(1 - s_k^2), \qquad "
    r"\left|\frac{\partial s_t}{\partial s_0}\right| \le |w_h|^t\end{gathered}"
)


@section
def scalar_views(seed_: int) -> None:
    """Section 1: the scalar chain, its controls and its numbers; reruns alone when one moves."""
    c1, c2, c3 = st.columns(3)
    w_h = c1.slider("w_h (recurrent weight)", -2.0, 2.0, 0.9, 0.05, key=P + "w_h", bind="query-params")
    w_x = c1.slider("w_x (input weight)", -2.0, 2.0, 1.0, 0.1, key=P + "w_x", bind="query-params")
    x_amp = c2.slider(
        "input x", -3.0, 3.0, 1.0, 0.1, key=P + "x", bind="query-params", help="The size of the inputs x_t."
    )
    pattern = c2.selectbox(
        "inputs over time",
        PATTERNS,
        key=P + "pattern",
        bind="query-params",
        format_func=lambda p: "typed by you" if p == "typed" else p,
        help="'typed by you': x_t = x times the numbers you type, then 0.",
    )
    typed_text = (
        c2.text_input("your inputs x_1, x_2, ...", "1, 0, 0, -1", key=P + "typed", bind="query-params")
        if pattern == "typed"
        else ""
    )
    b = c3.slider("b (bias)", -2.0, 2.0, 0.0, 0.1, key=P + "b", bind="query-params")
    T_scalar = c3.slider("steps T", 5, 150, 40, 5, key=P + "T", bind="query-params")
    with friendly_errors("Example: 1, 0, 0, -1"):
        typed = parse_inputs(typed_text) if pattern == "typed" else ()
        scfg = ScalarConfig(
            w_h=w_h, w_x=w_x, b=b, x=x_amp, pattern=pattern, steps=T_scalar, seed=seed_, typed=typed
        )
        sc = scalar_chain(scfg)
        left, right = st.columns([3, 2])
        chart(
            charts.scalar_product(sc.product, sc.bound, w_h, "The product of step derivatives"),
            P + "scalar",
            left,
        )
        chart(charts.scalar_steps(sc.s, sc.dsdz, sc.step, "Each step's factor"), P + "scalar_steps", right)
        csv_button(sc.frame(), "rnnviz-l4-scalar-chain", P + "csv_scalar", "Every step of the chain (CSV)")
        st.markdown(chain_sentence(sc, w_h))


scalar_views(seed())

# --- 2. a real RNN --------------------------------------------------------------------------
st.header("2. A real RNN: the gradient norm at every step, and its bound")
explain(
    "Now a tanh RNN with $H$ hidden units reads *remember the first word* (a country, then distractor "
    "words, then *fluent*; it must answer the country's language), $h_t = \\tanh(W_{xh} x_t + W_{hh} "
    "h_{t-1} + b_h)$ for $t = 1..T$ from $h_0 = 0$, and the loss $L$ is read at the last step $T$. Write "
    "$g_t = \\partial L / \\partial h_t$. One step back multiplies the gradient by the transposed step "
    "Jacobian $(D_t W_{hh})^\\top$, where $D_t$ holds the tanh derivatives of step $t$. Taking norms step "
    "by step gives a bound that only needs $\\|W_{hh}\\|$ (its largest singular value) and the largest "
    "derivative $\\|D_s\\|$ of each step:"
)
st.latex(
    r"\frac{\partial h_t}{\partial h_{t-1}} = D_t W_{hh}, \quad D_t = \mathrm{diag}(1 - h_t^2), \quad "
    r"g_{t-1} = (D_t W_{hh})^\top g_t, \qquad "
    r"\|g_t\| \le \|g_T\| \prod_{s=t+1}^{T} \|D_s\|\, \|W_{hh}\|^{T-t}"
)
explain(
    "The **spectral radius** $\\rho(W_{hh}) \\le \\|W_{hh}\\|$, the largest $|\\text{eigenvalue}|$, is "
    "what repeated multiplication by the same matrix grows like in the long run ($\\rho^n$). The controls "
    "below draw a copy of the model with $W_{hh}$ rescaled to the $\\rho$ you choose and the input drive "
    "$W_{xh} x_t + b_h$ multiplied by an *input scale*: small inputs keep the tanh units away from "
    "saturation ($D_t \\approx I$), big ones saturate them and shrink the factors, as in section 1. "
    "The model keeps its own weights."
)
c1, c2 = st.columns(2)
lag = c1.slider(
    "lag (distractor words)",
    5,
    60,
    20,
    1,
    key=P + "lag",
    bind="query-params",
    help="The sequence has lag + 2 words.",
)
hidden = c2.select_slider("hidden units H", [8, 16, 32, 64], 32, key=P + "hidden", bind="query-params")
gcfg = GradientsConfig(lag=lag, hidden_size=hidden, seed=seed())
trainer = session_trainer(KEY, gcfg, gcfg.trainer)
task = gcfg.task()
x_probe, y_probe = gcfg.probe()
tokens = task.decode(x_probe).split()
held = st.session_state.get(P + "recorder")
if held is None or held[0] is not trainer:
    recorder = GradientRecorder(x_probe, y_probe, every=RECORD_EVERY)
    recorder.record(trainer.model, trainer.step)
    st.session_state[P + "recorder"] = (trainer, recorder)
recorder = st.session_state[P + "recorder"][1]


def keyed_section(key: str) -> Callable[[Callable], Callable]:
    """ui.lesson.section under a fragment key, so that one control's callback can rerun two
    sections together (``st.rerun([...])``): section 2's copy and section 7's checks on it."""
    return lambda body: st.fragment(key=key)(section(body).__wrapped__)


DRAWN = (True, 0.9, 0.03)  # section 2's copy at first: rescaled, to ρ = 0.9, inputs × 0.03


def drawn_settings() -> tuple[bool, float, float]:
    """(rescaled?, ρ, input scale) of section 2's copy as its controls stand now."""
    ss = st.session_state
    return ss.get(P + "rescale", DRAWN[0]), ss.get(P + "rho", DRAWN[1]), ss.get(P + "input_scale", DRAWN[2])


def drawn_model(trainer: Trainer):
    """Section 2's copy of the live model (sections 2 and 6 draw on the same one)."""
    rescale, rho, input_scale = drawn_settings()
    return drawn_copy(trainer.model, rho, input_scale) if rescale else trainer.model


def rerun_drawn() -> None:
    """A control of the copy changed: rerun the two sections that show it, not the page."""
    st.rerun(["l4_drawn", "l4_notes"])


@keyed_section("l4_drawn")
def drawn_views(trainer: Trainer, task, x_probe, y_probe, tokens: list[str]) -> None:
    """Section 2's copy of the model (ρ, input scale) and what it does to the gradient; its controls
    rerun it with section 7, which checks the course notes' shortcuts on the same copy."""
    c1, c2 = st.columns(2)
    rescale = c1.toggle(
        "draw a rescaled copy", DRAWN[0], key=P + "rescale", bind="query-params", on_change=rerun_drawn
    )
    c1.slider(  # drawn_model() reads its value, as section 7 does
        "spectral radius ρ(W_hh)", 0.5, 1.5, DRAWN[1], 0.05, key=P + "rho", bind="query-params",
        disabled=not rescale, on_change=rerun_drawn,
    )  # fmt: skip
    input_scale = c2.select_slider(
        "input scale",
        INPUT_SCALES,
        DRAWN[2],
        key=P + "input_scale",
        bind="query-params",
        disabled=not rescale,
        help="The copy reads input_scale × (W_xh x_t + b_h).",
        on_change=rerun_drawn,
    )
    with friendly_errors("Move the spectral radius back between 0.5 and 1.5."):
        own_radius = spectral_radius(trainer.model.layers[0].params(0)["weight_hh"].detach())
        model = drawn_model(trainer)
        sf = step_factors(model, x_probe, y_probe)
        prof = sf.profile
        state = "untrained" if trainer.step == 0 else f"trained for {trainer.step} steps"
        drawn = (
            f"The copy drawn has ρ = {sf.radius:.3f} and input scale {input_scale:g}."
            if rescale
            else "Drawn with its own weights."
        )
        st.caption(
            f"Sequence: *{' '.join(tokens)}* → {task.labels[int(y_probe)]}. The model is {state} (section 3 "
            f"trains it); its own W_hh has ρ = {own_radius:.3f}. {drawn}"
        )
        m = st.columns(4)
        m[0].metric("ρ(W_hh) drawn", f"{sf.radius:.3f}")
        m[1].metric("‖W_hh‖₂", f"{sf.w_norm:.3f}")
        m[2].metric("‖dL/dh_1‖ / ‖dL/dh_T‖", f"{sf.ratio:.3g}")
        m[3].metric("factor per step back", f"{sf.rate:.3f}")
        chart(
            charts.gradient_bound(
                prof.grad_norm, prof.bound, prof.step_bound, tokens, "‖dL/dh_t‖ and its bounds"
            ),
            P + "bound",
        )
        explain(
            "The grey dashed line is the bound above; the dotted line is the tighter product of the "
            "worst-case step norms $\\prod \\|D_s W_{hh}\\|$. The measured norm stays under both (a test "
            "checks it at every step). The strip shows two factors per step: the worst case "
            "$\\|D_t W_{hh}\\|$, the most any direction can be stretched, and $a_t = \\|(D_t W_{hh})^\\top "
            "g_t\\| / \\|g_t\\|$, what step $t$ really does to this gradient. Blue shrinks, red grows."
        )
        chart(
            charts.factor_strip(sf.worst, sf.acting, tokens, "Factor per step: worst case and acting"),
            P + "strip",
        )
        st.markdown(factor_story(sf))
        csv_button(
            sf.frame(tokens),
            "rnnviz-l4-gradient-norms",
            P + "csv_bound",
            "‖dL/dh_t‖, the bounds and the factors (CSV)",
        )


drawn_views(trainer, task, x_probe, y_probe, tokens)

# --- 3. gradients while training --------------------------------------------------------------
st.header("3. Gradients while training")
explain(
    f"Train this RNN and watch $\\|\\partial L / \\partial h_t\\|$ of the sequence above, recorded every "
    f"{RECORD_EVERY} training steps: one row of the heatmap per recording (top = start), one column per "
    "time step. Dark columns on the left are the vanishing gradient: the first word, the only one that "
    "matters, gets almost no learning signal. Training uses Adam (learning rate "
    f"{gcfg.lr:g}) with clipping at 1.0."
)


@section
def training_section(tokens: list[str]) -> None:
    """The heatmap of ‖dL/dh_t‖ over training, growing live while the panel below trains."""
    rec = st.session_state[P + "recorder"][1]
    heat = st.empty()
    chart(charts.training_heatmap(rec.steps, rec.grid(), tokens, "‖dL/dh_t‖ over training"), P + "heat", heat)
    latest = rec.latest_sentence()
    if latest:
        st.caption(latest)
    csv_button(
        rec.frame(tokens), "rnnviz-l4-gradients-over-training", P + "csv_heat", "The heatmap's numbers (CSV)"
    )
    drawn = [len(rec.steps)]

    def on_row(trainer_, row) -> None:
        rec(trainer_, row)
        if len(rec.steps) > drawn[0]:
            drawn[0] = len(rec.steps)
            fig = charts.training_heatmap(rec.steps, rec.grid(), tokens, "‖dL/dh_t‖ over training")
            chart(fig, P + f"heat_{trainer_.step}", heat)

    panel(KEY, STEPS_PER_CLICK, SECONDS_PER_CLICK, "acc", on_row=on_row, title="Training accuracy (batches)")


training_section(tokens)

# --- 4. exploding in practice ------------------------------------------------------------------
st.header("4. Exploding in practice, and clipping")
preset = ExplodingPreset(seed=seed())
explain(
    f"A ReLU RNN does not squash its state, so nothing caps the product. This preset starts "
    f"$W_{{hh}} = {preset.w_hh_scale:g}\\, I$ (every unit keeps {preset.w_hh_scale:g} times its previous "
    "value: a little above the *IRNN* of Le, Jaitly and Hinton 2015, which starts from $W_{hh} = I$), "
    "reads *remember the first word* with lag "
    f"{preset.lag} and trains with plain SGD (learning rate {preset.lr:g}), whose step is "
    "$\\eta\\, g$ however large $g$ is. The second run is the same run (same seed, same batches) with "
    "**clipping by norm**, which shrinks $g$ to length at most $c$ and keeps its direction:"
)
st.latex(
    r"g \leftarrow g \cdot \min\!\left(1, \frac{c}{\|g\|}\right), \qquad \theta \leftarrow \theta - \eta\, g"
)
clip = clip_check(preset)
st.markdown(first_step_sentence(preset, clip))


@st.cache_data(show_spinner=False, max_entries=64)
def preset_runs(config: dict):
    p = ExplodingPreset(**config)
    return exploding_run(p, None), exploding_run(p, p.clip)


@section
def explode_views(preset: ExplodingPreset, clip) -> None:
    """Section 4: both preset runs, without and with clipping, once the button is pressed; reruns alone."""
    if st.button(f"Train both runs ({preset.steps} steps each)", key=P + "explode", type="primary"):
        st.session_state[P + "exploded"] = asdict(preset)
    if st.session_state.get(P + "exploded") == asdict(preset):
        with st.spinner("Training the preset twice, without and with clipping..."):
            runs = in_slot(preset_runs, asdict(preset))
        if runs is not None:
            raw, clipped = runs
            c1, c2 = st.columns(2)
            if raw.diverged_step is not None:
                c1.warning(raw_sentence(raw, preset.lr), icon=":material/trending_up:")
            else:
                c1.info(raw_sentence(raw, preset.lr))
            c2.success(clipped_sentence(clipped), icon=":material/check_circle:")
            chart(
                charts.clipping_runs(raw, clipped, "Loss and gradient norm, without and with clipping"),
                P + "clip",
            )
            csv_button(
                runs_frame(raw, clipped),
                "rnnviz-l4-clipping",
                P + "csv_clip",
                "Both runs, step by step (CSV)",
            )
            st.markdown(direction_sentence(clip))
    else:
        st.caption("Nothing trains until you click: both runs take a few seconds.")


explode_views(preset, clip)

# --- 5. short vs long memory --------------------------------------------------------------------
st.header("5. Short vs long memory: RNN, LSTM and GRU")
explain(
    "*The clouds are in the ___*: the answer sits two words back, and any RNN finds it. *I grew up in "
    "France ... (many words) ... I speak fluent ___*: the answer sits at the start. Course notes often "
    "write that a plain RNN cannot learn such long gaps because the gradient from the answer vanishes "
    "before it reaches the first word, and that the LSTM's cell state and the GRU's update gate solve "
    "this with a path that does not shrink. Test both halves: train each cell from scratch on *remember "
    "the first word* at a lag you choose, then score it on 512 new sentences (chance is 25%, 4 countries)."
)
with st.expander("The training recipe, and why"):
    st.markdown(
        f"- Each cell: {RECIPES['curriculum'].describe()}.\n"
        "- **Forget-gate bias 1** for the LSTM: its forget gate starts near $\\sigma(1) = 0.73$ instead "
        "of 0.5, so the cell state fades more slowly from the start.\n"
        "- **A curriculum on the lag** (the default): start at lag 5; whenever two logged batches in a row "
        "are at least 95% right, multiply the lag by 1.5, up to the lag you chose. Each batch draws its "
        "lag between half the current lag and the current lag. Short gaps give a usable gradient, and "
        "what the model learns there carries over to longer ones.\n"
        "- **Directly at the lag** (the other choice) trains on the full gap from the first step: the "
        "textbook setting in which the gradient from the answer has to cross every distractor.\n"
        "- Adam (learning rate $10^{-2}$) and clipping at 1.0 for every cell; the same seed and the same "
        "held-out sentences for every cell. A point's accuracy is measured on the lag you chose, even if "
        "the curriculum did not get that far."
    )


@st.cache_data(show_spinner=False, max_entries=64)
def initial_paths(lag: int, seed_: int) -> tuple[str, dict[str, float]]:
    """The gated cells' direct path at their initial weights (section 5), cached per (lag, seed)."""
    r = LagRecipe()
    paths = {
        cell: gate_path(LagRun(cell, lag, r, seed_).trainer.model, lag, r.n_countries)
        for cell in ("lstm", "gru")
    }
    return path_story(paths["lstm"], paths["gru"], r.forget_bias, r.start_lag), {
        c: p.largest for c, p in paths.items()
    }


@st.cache_data(show_spinner=False, max_entries=512)
def measure_point(cell: str, lag: int, recipe_config: dict, steps: int, seconds: float, seed_: int) -> dict:
    """One point of the chart, cached per (cell, lag, recipe, budget, seed) for every visitor."""
    return measure(cell, lag, LagRecipe(**recipe_config), seed_, steps, seconds).as_dict()


@section
def memory_views(seed_: int) -> None:
    """Section 5: measure RNN, LSTM and GRU at a lag, beside the offline table; reruns alone."""
    c1, c2, c3 = st.columns([2, 2, 1])
    mem_lag = c1.select_slider("lag to measure", MEMORY_LAGS, 100, key=P + "mem_lag", bind="query-params")
    recipe_name = c2.radio(
        "recipe",
        list(RECIPES),
        format_func=RECIPE_LABELS.get,
        key=P + "recipe",
        bind="query-params",
        horizontal=True,
    )
    budget = c3.select_slider("steps per cell", [100, 300, 600], 600, key=P + "budget", bind="query-params")
    recipe = RECIPES[recipe_name]
    st.caption(
        f"Recipe: {recipe.describe()}; {budget} training steps per cell, a step budget like the offline "
        f"table's (no cut by time; a run that passed the {MEASURE_SECONDS:g} s safety cap would say so in "
        f"the table)."
    )

    path_text, initial_largest = initial_paths(mem_lag, seed_)
    st.markdown(path_text)
    points = st.session_state.setdefault(P + "points", [])
    if st.button(
        f"Measure RNN, LSTM and GRU at lag {mem_lag}",
        key=P + "measure",
        type="primary",
        help=f"Trains three models from scratch, {budget} steps each.",
    ):
        bar = st.progress(0.0, text="starting...")
        for k, cell in enumerate(LAG_CELLS):
            bar.progress(k / 3, text=f"training the {CELL_NAMES[cell]} at lag {mem_lag}...")
            with friendly_errors():
                point = in_slot(measure_point, cell, mem_lag, asdict(recipe), budget, MEASURE_SECONDS, seed_)
                if point is None:
                    break
                keep_point(points, {**point, "recipe": recipe_name, "budget": budget, "seed": seed_})
        bar.empty()
    mine = [p for p in points if p["recipe"] == recipe_name]
    bench = load_bench(BENCH)
    offline = spread = None
    if bench:
        offline, spread = bench["accuracy"][recipe_name], bench["accuracy_by_seed"][recipe_name]
    n_seeds = len(bench["seeds"]) if bench else 0
    fig = charts.accuracy_vs_lag(
        curves(mine),
        offline,
        0.25,
        f"Held-out accuracy vs lag, {RECIPE_LABELS[recipe_name]}",
        f"offline, mean of {n_seeds} seeds",
        spread,
    )
    chart(fig, P + "lag_chart")
    if mine:
        shown = points_frame(mine)
        st.dataframe(shown, hide_index=True, width="stretch")
        after = [p for p in mine if p["lag"] == mem_lag and p["seed"] == seed_]
        st.markdown(trained_paths(after, initial_largest))
        csv_button(shown, "rnnviz-l4-memory", P + "csv_points", "Your measurements (CSV)")
        st.caption(
            "Your measurements (solid lines), cached per setting: the next visitor with the same lag, "
            "recipe, budget and seed gets them at once. *At half / twice the lag*: the same model on "
            "sentences with a shorter or longer gap. *Units latched*: the share of units whose sign stays "
            "fixed over every distractor. ‖dL/dh_1‖ / ‖dL/dh_T‖: how much of the final loss's gradient "
            "reaches the first word after training. *Largest path*: the largest unit's product of gates from "
            "the first word to the last, after training."
        )
    else:
        st.caption("Click **Measure** to add this session's own points (solid lines) to the chart.")
    if bench:
        st.markdown(
            f"**Measured offline**, {RECIPE_LABELS[recipe_name]}: held-out accuracy, mean (each seed)"
        )
        st.dataframe(accuracy_frame(bench, recipe_name), hide_index=True, width="stretch")
        st.markdown("**The same models** on sentences with half / twice the lag they were trained for (mean)")
        st.dataframe(transfer_frame(bench, recipe_name), hide_index=True, width="stretch")
        st.caption(offline_caption(bench, recipe_name, RECIPE_LABELS[recipe_name]))
        st.markdown(story(bench))
    else:
        st.info("The offline table is missing: run `python -m bench memory_lag` to create it.")


memory_views(seed())

# --- 6. connectivity ------------------------------------------------------------------------------
st.header("6. Connectivity: which words each prediction reads")
explain(
    "Accuracy says *whether* a model remembers the first word; connectivity (Madsen, *Visualizing "
    "memorization in RNNs*, Distill 2019) shows *which* inputs a prediction depends on. For output step "
    "$s$ and input step $t \\le s$ it is the size of the gradient of that prediction with respect to the "
    "input: here the logit of the class predicted at $s$, differentiated with respect to $x_t$ (the "
    "one-hot word the first layer reads), its L2 norm over $x_t$'s coordinates. A later input cannot "
    "change an earlier output, so $C[s, t] = 0$ for $t > s$. The three cells are trained here with "
    "section 5's recipe (its curriculum on the lag), the same seed and batches, on one held-out sentence."
)
st.latex(
    r"C[s, t] = \left\| \frac{\partial\, y_s[k_s]}{\partial x_t} \right\|_2, \qquad "
    r"k_s = \arg\max_k y_s[k], \qquad y_s = W_{hy} h_s + b_y, \qquad t = 1..s"
)


@st.cache_data(show_spinner=False, max_entries=32)
def connectivity_run(config: dict) -> ConnectivityRun:
    """Six models (three cells, two heads) and C at every checkpoint, cached per setting for every visitor."""
    return run_connectivity(ConnectivityConfig(**config))


@section
def connectivity_views(seed_: int) -> None:
    """Section 6: train the three cells on the lag sentences, then C at a chosen checkpoint; reruns alone."""
    c1, c2 = st.columns(2)
    conn_lag = c1.select_slider(
        "connectivity lag (distractor words)", CONN_LAGS, 20, key=P + "conn_lag", bind="query-params"
    )
    conn_steps = c2.select_slider(
        "steps per model", CONN_STEPS, 300, key=P + "conn_steps", bind="query-params"
    )
    config = ConnectivityConfig(
        lag=conn_lag, steps=conn_steps, checkpoint_every=max(1, conn_steps // 12), seed=seed_
    )
    if st.button(
        f"Train RNN, LSTM and GRU for connectivity ({conn_steps} steps each)",
        key=P + "conn_train",
        type="primary",
        help="Six small models: each cell with one answer at the end, and with an answer at every step.",
    ):
        with friendly_errors(), st.spinner("training six models and computing C at every checkpoint..."):
            done = in_slot(connectivity_run, asdict(config))
            if done is not None:
                st.session_state[P + "conn"] = (asdict(config), done)
    held_run = st.session_state.get(P + "conn")
    if not (held_run and held_run[0] == asdict(config)):
        st.caption("Nothing trains until you click **Train**: six models at this lag, then their C.")
        return
    run: ConnectivityRun = held_run[1]
    k = run.steps.index(
        st.select_slider(
            "checkpoint (training step)",
            run.steps,
            run.steps[-1],
            key=P + "conn_step",
            help="C recomputed on the model as it was at that training step.",
        )
    )
    lo, hi = log_range(*run.rows.values(), *run.maps.values())  # one colour scale: every cell, every step
    names = {CELL_NAMES[c]: c for c in LAG_CELLS}
    st.markdown(
        f"**The answer at the end** (many-to-one, the lag task): *{' '.join(run.tokens)}* → {run.answer}. "
        f"One row per cell: C[T, t], T = {len(run.tokens)}."
    )
    chart(
        conn_charts.answer_rows(
            {n: run.rows[c][k] for n, c in names.items()},
            run.tokens,
            lo,
            hi,
            f"C[T, t] after {run.steps[k]} training steps",
        ),
        P + "conn_rows",
    )
    st.markdown(answer_story(run, k))
    st.markdown(training_story(run))
    st.markdown(
        "**An answer at every step** (many-to-many): the same sentences, the first word's language as the "
        "target at every step t = 1..T, so each row s of the map is one prediction."
    )
    chart(
        conn_charts.full_maps(
            {n: run.maps[c][k] for n, c in names.items()},
            run.tokens,
            lo,
            hi,
            f"C[s, t] after {run.steps[k]} steps",
        ),
        P + "conn_maps",
    )
    st.markdown(map_story(run, k))
    csv_button(run.frame(k), "rnnviz-l4-connectivity", P + "csv_conn", "C[s, t] at this checkpoint (CSV)")
    accs = ", ".join(
        f"{CELL_NAMES[c]} {100 * run.acc[c][k]:.0f}% (its curriculum reached lag {run.reached_lag[c]})"
        for c in LAG_CELLS
    )
    st.caption(
        f"Log colour scale shared by both charts, every cell and every checkpoint (C below 1e{lo:.0f} drawn "
        f"as the darkest colour; hover for the exact value); blank above the diagonal, where C = 0. Held-out "
        f"accuracy of the many-to-one models at this step, on {run.config.eval_sentences} sentences at lag "
        f"{run.config.lag}: {accs}."
    )


connectivity_views(seed())

# --- 7. what course notes often write -------------------------------------------------------------
st.header("7. What course notes often write, checked on these models")
explain(
    "Three shortcuts that appear in course notes, each beside its correction, both computed on this "
    "page's models."
)


@keyed_section("l4_notes")
def notes_views(trainer: Trainer, x_probe, y_probe) -> None:
    """Section 7's first two shortcuts, checked on section 2's copy: rerun with it (rerun_drawn)."""
    rescale, rho, input_scale = drawn_settings()
    try:
        model = drawn_model(trainer)
        sf = step_factors(model, x_probe, y_probe)
    except InputError:  # section 2 says what to change
        return
    with st.container(border=True):
        st.markdown("**The gradient through time with the factors gathered.**")
        left, right = st.columns(2)
        left.markdown("As often written:")
        left.latex(r"\frac{\partial h_T}{\partial h_t} = \Big(\prod_{s=t+1}^{T} D_s\Big)\, W_{hh}^{\,T-t}")
        right.markdown("Correct (matrices do not commute, so the order stays):")
        right.latex(r"\frac{\partial h_T}{\partial h_t} = D_T W_{hh}\, D_{T-1} W_{hh} \cdots D_{t+1} W_{hh}")
        with friendly_errors():
            here = ordered_vs_commuted(model, x_probe, y_probe, t=1)
            other = (
                ordered_vs_commuted(drawn_copy(trainer.model, rho, 1.0), x_probe, y_probe, t=1)
                if rescale and input_scale < 1
                else None
            )
            st.markdown(ordered_story(here, other, 1.0))
    with st.container(border=True):
        st.markdown("**How small the activation's derivative is.**")
        sig, tanh_max = derivative_max("sigmoid"), derivative_max("tanh")
        left, right = st.columns(2)
        left.markdown("As often written: *the sigmoid's derivative is less than one.*")
        right.markdown(derivative_sentence(sig, tanh_max, sf.w_norm))


notes_views(trainer, x_probe, y_probe)
with st.container(border=True):
    st.markdown("**What the ReLU's derivative does.**")
    relu_model = preset.model()
    relu = relu_d_norms(relu_model, preset.task().example(0).x[0])
    left, right = st.columns(2)
    left.markdown("As often written: *$\\|D_s\\| < 1$ for ReLU, so it shrinks the gradient too.*")
    right.markdown(relu_sentence(relu))

# --- 8. truncated BPTT ---------------------------------------------------------------------------
st.header("8. Truncated BPTT: a window of k steps")
explain(
    "Truncated BPTT runs the same forward pass but detaches the state every k steps, counted back from "
    "the loss: the gradient stops at the cut. "
    f"Here a {CELL_NAMES[TruncRecipe().cell]} (hidden {TruncRecipe().hidden_size}) is trained on the lag "
    "task twice, "
    "with full BPTT and with truncation k, with the same seed, the same batches and the same step budget."
)
st.latex(
    r"h_t = f(h_{t-1}, x_t), \qquad h_{t-1} \to \operatorname{stopgrad}(h_{t-1}) "
    r"\text{ at } t = T-k+1,\ T-2k+1, \dots"
)


@st.cache_data(show_spinner=False, max_entries=64)
def truncation_pair(config: dict) -> dict:
    """Full and truncated BPTT at one setting, cached for every visitor."""
    return asdict(train_pair(TruncRecipe(**config)))


@section
def truncation_views(seed_: int) -> None:
    """Section 8: train with full and truncated BPTT at a window k and lag; reruns alone."""
    tc1, tc2 = st.columns(2)
    trunc_k = int(tc1.number_input("Truncation window k", 1, MAX_K, 10, key=P + "trunc_k"))
    trunc_lag = int(
        tc2.number_input(
            "Lag (T = lag + 2)",
            1,
            MAX_TRUNC_LAG,
            20,
            key=P + "trunc_lag",
            help="Try a lag whose T = lag + 2 is above k, then one at or below k.",
        )
    )

    trunc_config = asdict(TruncRecipe(k=trunc_k, lag=trunc_lag, seed=seed_))
    if st.button(
        "Train with truncation",
        key=P + "trunc_train",
        type="primary",
        help=f"Trains two {CELL_NAMES[TruncRecipe().cell]}s from scratch, {TruncRecipe().steps} steps each.",
    ):
        with friendly_errors():
            with st.spinner("training with full BPTT and with truncation..."):
                done = in_slot(truncation_pair, trunc_config)
            if done is not None:
                st.session_state[P + "trunc"] = (trunc_config, done)
    held_trunc = st.session_state.get(P + "trunc")
    if held_trunc and held_trunc[0] == trunc_config:
        tr_result = TruncResult(**held_trunc[1])
        chart(
            charts.truncation_rows(
                tr_result.full_norms,
                tr_result.trunc_norms,
                tr_result.k,
                f"‖dL/dh_t‖ of the final loss on one held-out sentence, after training (T = {tr_result.T})",
            ),
            P + "trunc_chart",
        )
        m1, m2 = st.columns(2)
        m1.metric("Held-out accuracy, full BPTT", f"{100 * tr_result.acc_full:.0f}%")
        m2.metric(f"Held-out accuracy, truncated k = {tr_result.k}", f"{100 * tr_result.acc_trunc:.0f}%")
        st.markdown(truncation_story(tr_result))
        st.caption(
            f"Accuracy on {TruncRecipe().eval_sentences} held-out sentences at the lag; chance is "
            f"{100 * tr_result.chance:.0f}%. Each row of the chart uses the gradient its own training used."
        )
    else:
        st.caption("Click **Train with truncation** to train both models at this k and lag.")


truncation_views(seed())

try_this(
    "Section 1: set $x = 0$ and $w_h = 1.5$. The state stays 0 and the product is exactly $1.5^t$. Now "
    "give it an input of 0.5: the state saturates, $1 - s_t^2$ drops, and the explosion stops.",
    "Section 2: slide the spectral radius from 0.5 to 1.5 and read the *factor per step back*. Where does "
    "the measured curve stop falling? Then, at ρ = 1.5, raise the input scale to 1: the units saturate, "
    "$D_t$ shrinks, and the explosion fades.",
    "Section 3: train for a few clicks. Do the left columns of the heatmap get brighter as the model "
    "learns to carry the first word? Then set the lag to 60, reset, and train again.",
    "Section 5: measure at lag 20 and lag 200 with both recipes. Which cell needs the curriculum most?",
    "Section 6: train at lag 40 and scrub the checkpoint slider. At which step does each cell's row first "
    "reach back to the country, and does it stay there?",
)
question, options, answer, why, hints = clip_question(clip, preset.clip)
section(check)("04_gradients.py", question, options, answer, why, hints)  # answering reruns it alone
