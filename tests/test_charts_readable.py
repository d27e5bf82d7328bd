"""Charts meant to be compared share their colour ranges and axes; series that can coincide stay
visible; log axes label decades only. Built from real runs (Playground presets), not hand-made data."""

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.charts import attention as attention_charts
from rnnviz.charts import elman as elman_charts
from rnnviz.charts import gradients as gradient_charts
from rnnviz.charts.playground import (
    _edges,
    example_figures,
    live_figures,
    log_range,
    share_log_y,
    stopped_early,
)
from rnnviz.charts.style import OKABE_ITO, decades, thin_ticks
from rnnviz.playground import PRESETS, Playground, example_view, model_at, pick_example
from rnnviz.playground.config import short_labels


def live(pg: Playground) -> dict:
    labels = short_labels(pg.configs)
    return {label: run.live_data() for run, label in zip(pg.runs, labels, strict=True)}


def heat_values(fig) -> np.ndarray:
    z = np.asarray(fig.data[0].z, dtype=float)
    return z[np.isfinite(z)]


@pytest.fixture(scope="module")
def remembers() -> dict:
    """'LSTM remembers' trained past its first probe after step 0 (RNN and LSTM, same batches)."""
    pg = Playground.build(PRESETS["lstm_remembers"].configs)
    while min(run.step for run in pg.runs) < 41:
        pg.tick(1.0)
    REMEMBERS_PG.append(pg)
    return live(pg)


REMEMBERS_PG: list[Playground] = []  # the trained runs behind ``remembers``, for the example views


@pytest.fixture(scope="module")
def exploding() -> dict:
    """'Exploding gradient': A (no clipping) diverges, B (clipped) trains on past three times A's end."""
    pg = Playground.build(PRESETS["exploding"].configs)
    for _ in range(200):
        a, b = pg.runs
        if a.diverged and b.step > 3 * a.step + 10:
            break
        pg.tick(1.0)
    assert pg.runs[0].diverged and not pg.runs[1].diverged
    return live(pg)


def test_compared_gradient_heatmaps_share_one_colour_range(remembers):
    figs = live_figures(remembers)
    heats = [figs["heat_0"].data[0], figs["heat_1"].data[0]]
    assert heats[0].zmin == heats[1].zmin and heats[0].zmax == heats[1].zmax
    # the shared range covers both runs' values, and is the one range of both (not either run's own)
    values = [heat_values(figs[f"heat_{i}"]) for i in (0, 1)]
    lo, hi = heats[0].zmin, heats[0].zmax
    assert all(v.min() >= lo - 1e-9 and v.max() <= hi + 1e-9 for v in values)
    assert np.isclose(lo, min(v.min() for v in values)) and np.isclose(hi, max(v.max() for v in values))
    own = [log_range([data["grad"]]) for data in remembers.values()]
    assert own[0] != own[1]  # the runs really differ: independent scales would draw them differently
    # and the same x axis: the same training steps in the same place
    assert figs["heat_0"].layout.xaxis.range == figs["heat_1"].layout.xaxis.range
    assert figs["sat_0"].layout.xaxis.range == figs["sat_1"].layout.xaxis.range
    assert "colours shared" in figs["heat_0"].layout.title.text


def test_the_exploding_run_stays_visible(exploding):
    (a_label, a), (b_label, b) = exploding.items()
    assert stopped_early(exploding) == (a_label, a["step"])
    figs = live_figures(exploding, mark_step=b["step"])
    # the gradient-norm chart zooms on A's steps and says so
    assert tuple(figs["grad"].layout.xaxis.range) == (0, 3 * a["step"])
    assert f"zoomed: steps 0-{3 * a['step']}" in figs["grad"].layout.title.text
    # A's heatmap: its own x axis (0..its end, told in the title), its probe at step 0 fills it
    heat_a = figs["heat_0"]
    assert tuple(heat_a.layout.xaxis.range) == (0, a["step"])
    assert list(heat_a.data[0].x) == _edges(a["probe_steps"], a["step"])
    assert heat_a.data[0].x[-1] == a["step"] and "own x axis" in heat_a.layout.title.text
    assert f"stopped at step {a['step']}" in heat_a.layout.title.text
    # colours are still shared with B
    assert heat_a.data[0].zmin == figs["heat_1"].data[0].zmin
    # the loss axis is cut where B's curve still has room (A's blow-up leaves it upwards, said)
    top = figs["loss"].layout.yaxis.range[1]
    blown = [v for v in a["loss"]["held_out"] + a["loss"]["loss"] if v is not None and np.isfinite(v)]
    if max(blown) > top:
        assert "axis cut" in figs["loss"].layout.title.text
    assert max(v for v in b["loss"]["loss"] if np.isfinite(v)) < top


def test_log_axes_label_decades_only(exploding):
    figs = live_figures(exploding)
    assert figs["grad"].layout.yaxis.type == "log" and figs["grad"].layout.yaxis.dtick == 1
    product = np.cumprod(np.full(20, 0.5))
    fig = gradient_charts.scalar_product(product, product, 0.5)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1
    fig = decades(go.Figure(layout=dict(yaxis=dict(type="log"), xaxis=dict(type="linear"))))
    assert fig.layout.yaxis.dtick == 1 and fig.layout.xaxis.dtick is None


def test_coinciding_series_stay_visible():
    same = {"none": {3: 0.2, 4: 0.1}, "dot": {3: 0.9, 4: 0.8}, "additive": {3: 0.9, 4: 0.8}}
    fig = attention_charts.accuracy_curves(same)
    styles = {(t.line.dash, t.marker.symbol) for t in fig.data}
    assert len(styles) == 3  # each kind its own dash and marker
    title = fig.layout.title.text
    assert "identical" in title and "dot-product attention = additive" in title
    differ = attention_charts.accuracy_curves({"dot": {3: 0.9}, "additive": {3: 0.8}})
    assert differ.layout.title.text is None
    # lesson 4: the cells at the same accuracy sit side by side, each with its own marker
    acc = {"rnn_tanh": {20: 0.25, 100: 0.25}, "lstm": {20: 1.0, 100: 1.0}, "gru": {20: 1.0, 100: 1.0}}
    fig = gradient_charts.accuracy_vs_lag(acc)
    xs = {t.name: tuple(t.x) for t in fig.data}
    assert xs["LSTM (this session)"] != xs["GRU (this session)"]
    assert len({t.marker.symbol for t in fig.data}) == 3
    assert all(list(t.customdata) == [20, 100] for t in fig.data)  # the hover gives the true lag
    # lesson 2: one direction vs bidirectional, own dash and marker, Okabe-Ito colours
    fig = elman_charts.cheat_losses(np.ones(5), np.ones(5), 3.0)
    assert fig.data[0].line.dash != fig.data[1].line.dash
    assert {t.line.color for t in fig.data} <= set(OKABE_ITO.values())


def test_long_sequences_get_thinned_ticks():
    fig = go.Figure(layout=dict(xaxis=dict(tickvals=list(range(36)), ticktext=[str(t) for t in range(36)])))
    thin_ticks(fig, 12)
    assert len(fig.layout.xaxis.tickvals) <= 12 and list(fig.layout.xaxis.ticktext)[:2] == ["0", "3"]


def test_compared_gradient_views_share_one_y_range(remembers):
    (pg,) = REMEMBERS_PG
    task = pg.runs[0].trainer.task
    example = pick_example(task, 0)
    figs = []
    for run in pg.runs:
        step = run.trainer.checkpoints[-1][0]
        view = example_view(model_at(run.trainer, len(run.trainer.checkpoints) - 1), task, example, step)
        figs.append(example_figures(view, "A")["gradient"])
    own = [  # each run's own span of values: what an autoscaled axis would show
        (min(np.nanmin(t.y) for t in f.data), max(np.nanmax(t.y) for t in f.data)) for f in figs
    ]
    share_log_y(figs)
    ranges = [tuple(f.layout.yaxis.range) for f in figs]
    assert ranges[0] is not None and ranges[0] == ranges[1] and own[0] != own[1]
    for f in figs:  # every value inside the shared range
        for trace in f.data:
            y = np.log10(np.asarray(trace.y, dtype=float))
            y = y[np.isfinite(y)]
            assert ranges[0][0] <= y.min() and y.max() <= ranges[0][1]


def test_time_axes_label_at_most_twenty_steps_and_log_axes_decades():
    from rnnviz.charts.sequence import over_time, unit_heatmap
    from rnnviz.charts.style import MAX_STEP_TICKS

    tokens = list("the quick brown fox jumps over the lazy dog " * 2)[:79]
    fig = unit_heatmap(np.zeros((79, 4)), tokens)
    ax = fig.layout.xaxis
    assert len(ax.tickvals) <= MAX_STEP_TICKS and list(ax.ticktext)[:2] == ["1:t", "5:q"]
    assert ax.tickangle == -60  # twenty labels side by side would touch
    fig = over_time({"‖δ_t‖": np.logspace(-6, 0, 79)}, tokens, log_y=True)
    assert len(fig.layout.xaxis.tickvals) <= MAX_STEP_TICKS
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1  # decades, no bare "2, 5"
    short = unit_heatmap(np.zeros((6, 4)), list("abcdef"))
    assert list(short.layout.xaxis.tickvals) == list(range(6)) and short.layout.xaxis.tickangle == 0


def test_gates_drawn_together_have_distinct_colour_blind_safe_hues():
    from rnnviz.charts.style import COLORS

    for gates in ("ifgoch", "rznh"):
        hues = [COLORS[g] for g in gates]
        assert len(set(hues)) == len(hues)
        assert set(hues) <= set(OKABE_ITO.values())


def test_a_log_axis_over_many_decades_labels_at_most_twelve():
    from rnnviz.charts.gradients import scalar_product
    from rnnviz.charts.style import MAX_DECADE_LABELS

    t = np.arange(1, 41)
    fig = scalar_product(0.4**t, 1.5**t, 1.5)  # 1e-16 .. 1e7: 23 decades
    ax = fig.layout.yaxis
    assert ax.type == "log" and ax.dtick == 2 and 23 / ax.dtick <= MAX_DECADE_LABELS
    few = scalar_product(0.9**t, 1.0**t, 1.0)  # under two decades: every decade labelled
    assert few.layout.yaxis.dtick == 1


def test_transfer_curves_before_training_say_so_and_start_at_step_0():
    from rnnviz.charts.embeddings import transfer_curves_figure

    untrained = {v: {"step": [0], "train_acc": [0.5], "test_acc": [0.48]} for v in ("a", "b")}
    fig = transfer_curves_figure(untrained)
    assert fig.layout.xaxis.range == (-0.1, 1) and list(fig.layout.xaxis.tickvals) == [0]
    assert any("Press Train" in (a.text or "") for a in fig.layout.annotations)
    trained = {v: {"step": [0, 50, 100], "train_acc": [0.5] * 3, "test_acc": [0.5] * 3} for v in ("a", "b")}
    fig = transfer_curves_figure(trained)
    assert fig.layout.xaxis.range is None
    assert not any("Press" in (a.text or "") for a in fig.layout.annotations)


def test_cosine_terms_title_writes_the_dot_product_as_the_lesson_does():
    from rnnviz.charts.embeddings import cosine_terms_figure

    rng = np.random.default_rng(3)
    u, v = rng.normal(size=8), rng.normal(size=8)
    fig = cosine_terms_figure("cat", "dog", u, v, u * v)
    title = fig.layout.annotations[1].text
    assert title == f"e_cat,i × e_dog,i  (sum = e_cat · e_dog = {u @ v:.3f})"


def test_playground_curves_before_training_start_at_step_0_and_accuracy_stays_in_0_1():
    """Before Train the runs hold only step 0: plotly drew it in an axis from -1 to 1 (negative
    training steps) and an accuracy axis from -0.5 to 1."""
    pg = Playground.build(PRESETS["lstm_remembers"].configs)  # built, not trained: step 0 only
    figs = live_figures(live(pg))
    for key in ("loss", "acc", "sat_0"):
        ax = figs[key].layout.xaxis
        assert ax.range[0] > -0.1 and list(ax.ticktext) == ["0 (untrained)"], key
    assert tuple(figs["acc"].layout.yaxis.range) == (0, 1.02)
    trained = {"A": {"step": [0, 10, 20], "acc": [0.2, 0.5, 0.9]}}
    from rnnviz.charts.playground import compare_curves

    assert compare_curves(trained, "acc").layout.xaxis.range is None  # training begun: plotly's own


def test_lesson_4_training_heatmap_labels_each_probe_by_its_step():
    """One probe (before training) drew y ticks -0.5, 0, 0.5 on an axis of training steps."""
    one = gradient_charts.training_heatmap([0], np.ones((1, 5)))
    assert list(one.layout.yaxis.tickvals) == [0] and list(one.layout.yaxis.ticktext) == ["0 (untrained)"]
    few = gradient_charts.training_heatmap([0, 20, 40], np.ones((3, 5)))
    assert list(few.layout.yaxis.ticktext) == ["0 (untrained)", "20", "40"]
    many = gradient_charts.training_heatmap(list(range(0, 200, 10)), np.ones((20, 5)))
    assert many.layout.yaxis.tickvals is None  # 20 rows: plotly's own ticks


def test_a_short_heatmaps_colour_bar_labels_at_most_one_value_per_30_px():
    """Lesson 2's 6-unit heatmap (220 px) wrote 1, 0.5, 0, -0.5, -1 in a ~60 px colour bar."""
    from rnnviz.charts.sequence import unit_heatmap

    short = unit_heatmap(np.zeros((11, 6)), name="h", zrange=(-1, 1))
    assert short.layout.height == 220 and short.data[0].colorbar.nticks == 3
    tall = unit_heatmap(np.zeros((11, 32)), name="h", zrange=(-1, 1))
    assert tall.data[0].colorbar.nticks == (tall.layout.height - 140) // 30 > 3


def test_the_bound_under_an_equal_step_by_step_bound_stays_visible_and_is_named_so():
    """Lesson 4 at its defaults: ‖D_s‖ ≈ 1 at every step, so the bound ∏ ‖D_s‖ ‖W_hh‖^(T-t) equals
    the step-by-step product and its dashed line was hidden under the dotted one."""
    step = 1.5 ** np.arange(10)[::-1]
    measured = 0.8 ** np.arange(10)[::-1]
    same = gradient_charts.gradient_bound(measured, step * 1.001, step)
    bound = same.data[0]
    assert "(= the step-by-step bound here)" in bound.name and bound.line.width > 3 * same.data[1].line.width
    apart = gradient_charts.gradient_bound(measured, step * 1.5, step)
    assert "(=" not in apart.data[0].name and apart.data[0].line.dash == "dash"
    assert not gradient_charts.coincide(step * 1.03, step) and gradient_charts.coincide(step * 0.99, step)
