"""Presenter mode makes every chart text readable from the back of a room (style.presented), the
chart modules take their colours from style.py, and one rule thins tick labels (style.step_ticks).
Built from the chart functions themselves; the rendered sizes are measured in a real browser by
tests/test_browser_a11y.py."""

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.charts import attention, diagrams, embeddings, gates, gradients, lm, playground
from rnnviz.charts.style import (
    CELL_TEXT,
    DIAGRAM,
    PRESENT_DIAGRAM,
    PRESENT_FONT,
    PRESENT_LINE,
    presented,
    step_ticks,
    thin_ticks,
)

CHARTS = Path(__file__).resolve().parents[1] / "rnnviz" / "charts"
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b")
TOKENS = list("the cat sat")


def figures() -> dict[str, go.Figure]:
    """Every chart kind that writes numbers or words inside the plot (cells, bars, diagrams)."""
    rng = np.random.default_rng(0)
    T = len(TOKENS)
    lstm = dict(f=0.73, i=0.6, g=-0.38, o=0.53, c_prev=0.1, c=0.2, h_prev=0.0, h=0.1)
    gru = dict(r=0.66, z=0.5, n=-0.51, h_prev=0.1, h=0.2, gamma_u=0.5)
    words = ["a", "b", "c"]
    return {
        "lstm diagram": gates.cell_diagram("lstm", "forget", lstm),
        "gru diagram": gates.cell_diagram("gru", "update", gru),
        "grid diagram": gates.grid_lstm_diagram(),
        "unrolled": diagrams.unrolled(rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), np.ones((3, 2)), 30),
        "usage": diagrams.usage_pattern(["x", "y"], [None, "negative (61%)"]),
        "attention": attention.attention_heatmap(rng.random((3, 4)), list("abcd"), list("xyz")),
        "cosines": embeddings.cosine_matrix_figure(words, np.eye(3), "cos"),
        "ranked": embeddings.ranked_words_figure(words, [0.9, 0.5, 0.1], "t"),
        "arithmetic": embeddings.arithmetic_figure(words, rng.normal(size=(3, 8))),
        "factors": gradients.factor_strip(rng.random(T) + 0.5, rng.random(T) + 0.5, TOKENS),
        "truncation": gradients.truncation_rows(rng.random(T), np.r_[np.zeros(3), rng.random(T - 3)], k=2),
        "lookup": embeddings.lookup_figure(words, np.eye(3)[1], rng.normal(size=(3, 4)), rng.normal(size=4)),
        "tokens": playground.coloured_tokens(TOKENS, rng.normal(size=(2, T)), ["u1", "u2"]),
        "predictions": playground.step_predictions(TOKENS, TOKENS, np.full(T, 0.5), TOKENS, np.full(T, 0.4)),
        "top next": lm.next_char_figure(rng.dirichlet(np.ones(4), size=3), list("abc "), "xab", "bc "),
    }


def texts(fig: go.Figure) -> list[tuple[str, float | None]]:
    """(what, size) of every text the figure writes itself: annotations and trace text."""
    out = [(f"annotation {a.text!r}", a.font.size) for a in fig.layout.annotations if a.text]
    for trace in fig.data:
        if getattr(trace, "textfont", None) is not None and (trace.text is not None or trace.texttemplate):
            out.append((f"{trace.type} text", trace.textfont.size))
    return out


@pytest.mark.parametrize("name", list(figures()))
def test_presenter_mode_writes_every_number_at_20_px_and_diagrams_at_22(name):
    fig = figures()[name]
    written = texts(fig)
    # outside presenter mode every text has a size of its own: plotly's "auto" would shrink it to fit
    assert all(size for what, size in written if what.endswith(" text")), written
    least = PRESENT_DIAGRAM if fig.layout.meta == DIAGRAM else PRESENT_FONT
    widths = [t.line.width or 2 for t in fig.data if t.type == "scatter"]
    presented(fig)
    small = [(what, size) for what, size in texts(fig) if size is None or size < least]
    assert not small, f"{name}: below {least} px in presenter mode: {small[:5]}"
    layout = fig.layout
    assert layout.font.size == least and layout.legend.font.size == least
    for axis in (layout.xaxis, layout.yaxis):
        assert axis.tickfont.size == PRESENT_FONT and axis.title.font.size == PRESENT_FONT + 2
    for trace in fig.data:
        if (
            getattr(trace, "colorbar", None) is not None
            and trace.type == "heatmap"
            and trace.showscale is not False
        ):
            assert trace.colorbar.tickfont.size == least
    after = [t.line.width for t in fig.data if t.type == "scatter"]
    assert after == pytest.approx([w * PRESENT_LINE for w in widths])


def test_a_size_a_chart_sets_itself_grows_as_the_body_text_does():
    fig = go.Figure(go.Heatmap(z=[[1]], texttemplate="%{z}", textfont=dict(size=CELL_TEXT)))
    fig.add_annotation(text="big", font=dict(size=28), showarrow=False)
    fig.add_annotation(text="small", font=dict(size=10), showarrow=False)
    presented(fig, font=20)
    assert fig.data[0].textfont.size == 20  # 14 px -> 20 px
    assert [a.font.size for a in fig.layout.annotations] == [40, 20]  # 28 * 20/14, and at least 20
    bars = presented(go.Figure(go.Bar(x=[1], y=["a"], text=["0.9"], orientation="h")))
    assert bars.layout.uniformtext.minsize == PRESENT_FONT and bars.layout.uniformtext.mode == "show"


def test_the_diagrams_are_marked_and_plain_charts_are_not():
    marked = {k for k, v in figures().items() if v.layout.meta == DIAGRAM}
    assert marked == {"lstm diagram", "gru diagram", "grid diagram", "unrolled", "usage"}


def test_no_chart_module_but_style_writes_a_hex_colour():
    """Colours come from rnnviz/charts/style.py (Okabe-Ito, its greys and tints), so one change there
    recolours every chart and no module picks a hue of its own."""
    found = {
        path.name: HEX.findall(path.read_text())
        for path in sorted(CHARTS.glob("*.py"))
        if path.name != "style.py" and HEX.search(path.read_text())
    }
    assert not found, found
    assert HEX.search((CHARTS / "style.py").read_text())  # the pattern finds one where there is one


def test_gate_and_kind_colours_come_from_the_palette():
    from rnnviz.charts.style import FILLS, GREYS, OKABE_ITO, tint

    assert set(gates.KIND_COLORS.values()) <= set(OKABE_ITO.values())
    assert len(set(gates.KIND_COLORS.values())) == len(gates.KIND_COLORS)
    assert tint("#000000", 0.5) == "#808080" and tint(OKABE_ITO["blue"], 0) == OKABE_ITO["blue"]
    assert tint("#123456", 1) == GREYS["white"].upper()
    fig = gates.depth_gradient_chart({k: np.ones(3) for k in gates.KIND_COLORS}, "norm")
    assert len({(t.line.dash, t.marker.symbol) for t in fig.data}) == 3  # lines that coincide all show
    assert FILLS["cell"] == diagrams.CELL


def test_one_rule_thins_tick_labels():
    labels = [f"{t}:x" for t in range(1, 37)]
    settings = step_ticks(labels, first=1, most=12)
    assert settings["tickvals"][:2] == [1, 4] and len(settings["tickvals"]) == 12
    assert settings["tickangle"] == -60  # twelve labels side by side would touch
    fig = go.Figure(layout=dict(xaxis=dict(tickvals=list(range(1, 37)), ticktext=labels)))
    thin_ticks(fig, 12)  # the same rule applied to a figure's axis
    assert list(fig.layout.xaxis.tickvals) == settings["tickvals"]
    assert list(fig.layout.xaxis.ticktext) == settings["ticktext"]
    untouched = go.Figure(layout=dict(xaxis=dict(nticks=8)))
    assert thin_ticks(untouched, 3).layout.xaxis.tickvals is None
    with pytest.raises(ValueError, match="labels for"):
        step_ticks(["a", "b"], at=[1])
    # lesson 4's time axes use it too: at most MAX_STEP_TICKS labels, not every step of 40
    fig = gradients.scalar_product(0.9 ** np.arange(1, 41), 0.9 ** np.arange(1, 41), 0.9)
    if fig.layout.xaxis.tickvals is not None:
        assert len(fig.layout.xaxis.tickvals) <= 20


def test_tokens_written_at_20_px_wrap_into_lines_the_chart_can_hold():
    """Presenter mode writes the Playground's tokens at 20 px: a line of 36 words would put ~60 px
    words into 35 px cells (measured in Chromium), so each line holds only the steps that fit."""
    from rnnviz.charts.style import PRESENT_WIDTH, columns_that_fit, text_em

    words = ("Spain moved to sea school friends played fluent rain up " * 4).split()[:36]
    values = np.zeros((2, len(words)))
    assert columns_that_fit(words, 20, PRESENT_WIDTH - 200) < 36
    fig = playground.coloured_tokens(words, values, ["u1", "u2"], text_px=20, width_px=PRESENT_WIDTH)
    per_line = len(fig.data[0].x)
    assert per_line == columns_that_fit(words, 20, PRESENT_WIDTH - 200)
    assert fig.data[0].textfont.size == 20
    # every cell at least as wide as its widest word at 20 px, 8 px to spare ('friends' ~3.6 em)
    assert (PRESENT_WIDTH - 200) / per_line >= 20 * max(map(text_em, words)) + 8 > 20 * 3
    lines = -(-len(words) // per_line)
    assert len(fig.data[0].y) == 2 * lines and fig.data[0].y[2].startswith(f"u1 · t {per_line + 1}+")
    # without a width, today's 48-step lines
    assert len(playground.coloured_tokens(words, values, ["u1", "u2"]).data[0].x) == 36
    assert columns_that_fit(["a"], 20, 10) == 4  # never fewer than four steps a line


def test_step_predictions_wrap_into_lines_when_their_words_do_not_fit():
    from rnnviz.charts.style import PRESENT_WIDTH, columns_that_fit

    words = ("Spain moved to sea school friends played fluent rain up " * 4).split()[:36]
    T = len(words)
    p = np.linspace(0.1, 0.9, T)
    target = [None, *words[1:]]
    fig = playground.step_predictions(words, words, p, target, p / 2, text_px=20, width_px=PRESENT_WIDTH)
    per = columns_that_fit(["", *words[1:], *words], 20, PRESENT_WIDTH - 200)
    heat = fig.data[0]
    lines = -(-T // per)
    assert len(heat.x) == per < T and len(heat.y) == 2 * lines
    assert heat.y[2] == f"p(target) · t {per + 1}+" and heat.textfont.size == 20
    # every step once, in order, with its own numbers: line i, position k is step i * per + k
    flat_p = [v for i in range(lines) for v in heat.z[2 * i + 1]][:T]
    flat_target = [v for i in range(lines) for v in heat.text[2 * i]][:T]
    assert np.allclose(flat_p, p) and flat_target == ["", *words[1:]]
    assert heat.customdata[2][0].startswith(f"step {per + 1}:")
    one_line = playground.step_predictions(words[:8], words[:8], p[:8], target[:8], p[:8])
    assert len(one_line.data[0].y) == 2 and list(one_line.layout.xaxis.ticktext)[0] == words[0]


def test_numbers_too_many_to_write_at_20_px_go_to_the_hover_and_the_title_says_so():
    rng = np.random.default_rng(1)
    few = presented(gradients.factor_strip(rng.random(12) + 0.5, rng.random(12) + 0.5, title="f"))
    assert few.data[0].texttemplate == "%{text}" and few.layout.title.text == "f"
    # 40 steps of "0.77" at 20 px need ~44 px each: 1760 px, more than a 1400 px chart holds
    many = gradients.factor_strip(rng.random(40) + 0.5, rng.random(40) + 0.5, title="f")
    assert many.data[0].texttemplate == "%{text}"  # written outside presenter mode
    presented(many)
    assert many.data[0].texttemplate is None and "on hover" in many.layout.title.text
    assert many.data[0].hovertemplate  # the numbers are still there, on hover
    # a z-formatted heatmap is measured by its formatted numbers
    wide = go.Figure(go.Heatmap(z=rng.random((2, 60)), texttemplate="%{z:.3f}", textfont=dict(size=14)))
    assert presented(wide).data[0].texttemplate is None
    narrow = go.Figure(go.Heatmap(z=rng.random((2, 6)), texttemplate="%{z:.3f}", textfont=dict(size=14)))
    assert presented(narrow).data[0].texttemplate == "%{z:.3f}"
    # side by side, each heatmap has only its subplot's share of the width
    from plotly.subplots import make_subplots

    z = rng.random((2, 12))  # "0.123" ~ 2.3 em: 54 px a cell, 650 px for 12; a half-width subplot has ~540
    alone = go.Figure(go.Heatmap(z=z, texttemplate="%{z:.3f}", hoverinfo="skip"))
    assert presented(alone).data[0].texttemplate == "%{z:.3f}"
    pair = make_subplots(rows=1, cols=2)
    pair.add_trace(go.Heatmap(z=z, texttemplate="%{z:.3f}", hoverinfo="skip"), 1, 1)
    pair.add_trace(go.Heatmap(z=z, texttemplate="%{z:.3f}", hoverinfo="skip"), 1, 2)
    presented(pair)
    assert [t.texttemplate for t in pair.data] == [None, None]
    assert [t.hoverinfo for t in pair.data] == ["z", "z"]  # a hidden number is reachable by hover


def test_coloured_text_keeps_4_5_to_1_on_white():
    """A gate's number written in the gate's colour (the cell diagrams) and the exploding run's "not
    finite" note are text: WCAG's 4.5:1 on white, though Okabe-Ito's orange itself is 2.25:1."""
    from types import SimpleNamespace

    from rnnviz.charts.style import COLORS, OKABE_ITO, contrast, text_color

    assert contrast("#000000") == pytest.approx(21) and contrast(OKABE_ITO["orange"]) < 2.5
    for color in (*OKABE_ITO.values(), *COLORS.values()):
        dark = text_color(color)
        assert contrast(dark) >= 4.5 and (dark == color) == (contrast(color) >= 4.5)
        rgb, dark_rgb = (np.array([int(c[k : k + 2], 16) for k in (1, 3, 5)]) for c in (color, dark))
        lit = rgb > 0
        kept = dark_rgb[lit] / rgb[lit]  # each channel scaled by one factor: the same hue, darker
        assert not dark_rgb[~lit].any() and (not lit.any() or np.ptp(kept) < 0.05)
    step = np.arange(1, 11)
    ones = np.ones(10)
    run = SimpleNamespace(step=step, loss=np.r_[ones[:5], [np.inf] * 5], grad_norm=ones, diverged_step=6)
    clipped = SimpleNamespace(step=step, loss=ones, grad_norm=ones, grad_norm_clipped=ones, diverged_step=0)
    clipped.diverged_step, clipped.clip = None, 1.0
    shown = {**figures(), "exploding": gradients.clipping_runs(run, clipped)}
    for name, fig in shown.items():
        for a in fig.layout.annotations:
            if a.font.color:
                assert contrast(a.font.color) >= 4.5, (name, a.text, a.font.color)
    colours = {a.font.color for a in shown["lstm diagram"].layout.annotations}
    assert text_color(COLORS["o"]) in colours and COLORS["o"] not in colours


@pytest.mark.parametrize("name", ["attention", "factors", "lstm diagram", "tokens"])
def test_legible_sets_every_axis_and_annotation_colour_the_theme_would_grey(name):
    """Streamlit's chart theme writes ticks, axis titles, colour bars and uncoloured annotations in
    rgb(128, 132, 149), 3.7:1 on white; ui.lesson.chart passes every figure through style.legible."""
    from rnnviz.charts.style import AXIS_TEXT, contrast, legible

    assert contrast("#808495") < 4.5 <= contrast(AXIS_TEXT)
    fig = figures()[name]
    fig.add_annotation(x=0, y=0, text="no colour of its own")
    legible(fig)
    axes = [fig.layout[k] for k in fig.layout if k.startswith(("xaxis", "yaxis"))]
    assert axes and all(ax.tickfont.color == AXIS_TEXT == ax.title.font.color for ax in axes)
    for trace in fig.data:
        if getattr(trace, "colorbar", None) is not None:
            assert trace.colorbar.tickfont.color == AXIS_TEXT
    assert all(a.font.color and contrast(a.font.color) >= 4.5 for a in fig.layout.annotations)


def test_the_top_margin_grows_with_the_titles_it_holds():
    """Lesson 7's row of images has its subplot titles in a 20 px top margin: at presenter size they
    were cut in half; the step bars' subplot titles ran into the chart's title."""
    images = attention.image_attention(np.zeros((12, 12, 3)), np.full((3, 9), 1 / 9), ["red", "a", "b"], 3)
    assert images.layout.margin.t == 20
    presented(images)
    size = max(a.font.size for a in images.layout.annotations)
    assert size >= PRESENT_FONT and images.layout.margin.t >= 20 + 1.4 * (size - 14) - 1
    bars = attention.step_bars(list("abc"), np.zeros(3), np.ones(3) / 3, 1, "x")
    before = bars.layout.margin.t
    presented(bars)  # the title (22 px) and a row of subplot titles (20 px) above the plot
    assert bars.layout.margin.t >= before + 1.4 * (22 - 14) + 1.4 * (20 - 14) - 1
    plain = gradients.factor_strip(np.ones(4), np.ones(4))  # no title, nothing above the plot
    before = plain.layout.margin.t
    assert presented(plain).layout.margin.t == before
    diagram = gates.cell_diagram("lstm", "forget", title="LSTM")
    height, top = diagram.layout.height, diagram.layout.margin.t
    presented(diagram)  # the plot keeps its height: the diagram's labels would close up
    assert diagram.layout.height - height == diagram.layout.margin.t - top > 0


def test_level_tick_labels_that_do_not_fit_at_20_px_are_thinned_for_the_width_given():
    """Lesson 7's 50 input characters, one tick each: they fit across a full-width chart at 20 px,
    not across one of two columns (27 of 50 overlapped); ui.lesson.chart(share=0.5) says which."""
    from rnnviz.charts.style import PRESENT_WIDTH, text_em

    src = list("monday the twenty first of march two thousand five")
    alpha = np.full((4, len(src)), 1 / len(src))
    full = presented(attention.attention_heatmap(alpha, src, list("4000")))
    assert len(full.layout.xaxis.ticktext) == len(src)  # 1200 px hold 50 labels of <= 23 px
    half = presented(attention.attention_heatmap(alpha, src, list("4000")), width=PRESENT_WIDTH // 2)
    kept = list(half.layout.xaxis.ticktext)
    room = PRESENT_WIDTH // 2 - 200
    assert 2 <= len(kept) < len(src) and len(kept) * (20 * max(map(text_em, src)) + 6) <= room * 1.5
    assert list(half.layout.xaxis.tickvals) == list(range(1, len(src) + 1, -(-len(src) // len(kept))))
    # an axis rotated on purpose (the step axes) is left as it is
    before = gradients.factor_strip(np.ones(40), np.ones(40)).layout.xaxis.ticktext
    rotated = presented(gradients.factor_strip(np.ones(40), np.ones(40)), width=PRESENT_WIDTH // 2)
    assert rotated.layout.xaxis.ticktext == before
