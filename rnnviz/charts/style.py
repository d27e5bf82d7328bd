"""One colour per quantity everywhere, and shared layout defaults."""

import math
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# Naming a template in every figure's layout costs 40-170 ms per figure; a default set once is free.
pio.templates.default = "plotly_white"

# One colour per gate / state, used by every chart and by the lesson text.
COLORS = {
    # Okabe-Ito hues (below), so the gates drawn together stay apart under the common colour-vision
    # deficiencies: LSTM i/f/g/o/c/h are six different hues, GRU r/z/n/h four.
    "i": "#009E73",  # input gate: bluish green
    "f": "#D55E00",  # forget gate: vermillion
    "g": "#CC79A7",  # candidate (LSTM): reddish purple
    "o": "#E69F00",  # output gate: orange
    "c": "#000000",  # cell state: black
    "h": "#0072B2",  # hidden state: blue
    "r": "#D55E00",  # reset gate (GRU): vermillion, the gate that drops the past (never beside f)
    "z": "#56B4E9",  # update gate (GRU): sky blue
    "n": "#CC79A7",  # candidate (GRU): reddish purple, as the LSTM's candidate
    "loss": "#D55E00",
    "grad": "#6a4c93",
    "bound": "#9a9a9a",
}
# Okabe-Ito (Okabe & Ito 2008): categorical colours told apart under the common colour-vision
# deficiencies. Series that are compared (cells, runs, methods) take these, each with its own dash
# and marker too (SERIES_DASH, SERIES_SYMBOLS), so two curves that coincide still both show.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}


def tint(color: str, amount: float) -> str:
    """``color`` (#rrggbb) mixed with white: ``amount`` 0 keeps it, 1 gives white. Pale fills (boxes
    behind text) keep the hue of the palette colour they come from, and black text stays readable."""
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return "#" + "".join(f"{round(v + (255 - v) * amount):02X}" for v in (r, g, b))


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG contrast ratio of two #rrggbb colours: (L1 + 0.05) / (L2 + 0.05), L the relative luminance."""

    def luminance(color: str) -> float:
        def channel(v: int) -> float:  # sRGB -> linear
            c = v / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(int(color[k : k + 2], 16)) for k in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


TEXT_CONTRAST = 4.5  # WCAG AA for text: a gate's number written in the gate's colour keeps this on white


def text_color(color: str, on: str = "#ffffff", least: float = TEXT_CONTRAST) -> str:
    """``color`` darkened (mixed with black, the hue kept) just enough to be read as text on ``on``:
    contrast >= ``least``. Okabe-Ito's orange is 2.25:1 on white, its bluish green 3.42:1; as text they
    become #9C6C00 (4.61:1) and #008662 (4.58:1)."""
    if contrast(color, on) >= least:
        return color
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    for step in range(101):
        keep = 1 - step / 100
        dark = "#" + "".join(f"{round(v * keep):02X}" for v in (r, g, b))
        if contrast(dark, on) >= least:
            return dark
    return "#000000"


# Greys: the neutral parts of a chart (wires, reference lines, what is not lit), never a meaning of
# their own. "text" and "dim text" keep >= 4.5:1 contrast on white (16.9:1 and 7.0:1).
GREYS = {
    "text": "#1b1f24",  # the theme's text colour: Streamlit's chart theme would grey out annotations
    "line": "#3d4451",  # wires and box outlines of diagrams
    "dim text": "#595959",  # text that is there but not the point (a token without a value)
    "mid": "#888888",  # reference lines, zero lines, an unlit gate's outline
    "light": "#c9c9c9",  # "before training", unlit wires
    "pale": "#dddddd",  # a dropped step's box, the border of a text panel
    "paper": "#f6f6f6",  # fill of input / output boxes
    "white": "#ffffff",
}
# Pale fills from the palette: a recurrent cell's box, an encoder and a decoder, the layers of a deep net.
FILLS = {
    "cell": tint(OKABE_ITO["blue"], 0.9),
    "encoder": tint(OKABE_ITO["bluish green"], 0.8),
    "decoder": tint(OKABE_ITO["orange"], 0.8),
}
LAYER_FILLS = tuple(
    tint(OKABE_ITO[name], 0.6)
    for name in ("orange", "sky blue", "reddish purple", "vermillion", "blue", "bluish green", "yellow")
)
SERIES = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish green"], OKABE_ITO["reddish purple"])
SERIES_DASH = ("solid", "dash", "dot", "dashdot")
SERIES_SYMBOLS = ("circle", "square", "diamond", "triangle-up")
CELL_COLORS = {"rnn": OKABE_ITO["black"], "lstm": OKABE_ITO["vermillion"], "gru": OKABE_ITO["blue"]}

# Colour scales: diverging for signed values (h, c, g, n), sequential for gates in (0, 1).
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
FONT = dict(size=14)
# Log axes label decades only ("1e-3", "1e-2", ...): plotly's default also labels the minor ticks
# 2 and 5 with bare digits, which read as values of their own.
LOG_AXIS = dict(type="log", dtick=1, exponentformat="e", minor=dict(ticks="inside", showgrid=True))


# ... and at most this many of them: a gradient that vanishes over 40 steps spans 25 decades, whose
# 26 labels at 360 px tall stood 9 px apart; past 12 the labels go every 2nd (3rd, ...) decade.
MAX_DECADE_LABELS = 12


def decade_step(values) -> int:
    """The decades between two labels of a log axis over ``values`` (their positive finite part):
    1 unless that would put more than MAX_DECADE_LABELS labels on it."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size < 2:
        return 1
    span = float(np.log10(v.max()) - np.log10(v.min()))
    return max(1, math.ceil(span / MAX_DECADE_LABELS))


def decades(fig: go.Figure) -> go.Figure:
    """Every log y axis of ``fig`` (any subplot) labelled at decades only, as LOG_AXIS says (every
    ``decade_step`` decades of the data drawn on it); log x axes at every decade."""
    settings = {k: v for k, v in LOG_AXIS.items() if k != "type"}

    def y_axis(ax) -> None:
        if ax.type != "log":
            return
        ref = "y" + ax.plotly_name.removeprefix("yaxis")
        drawn = [t.y for t in fig.data if (getattr(t, "yaxis", None) or "y") == ref and t.y is not None]
        values = np.concatenate([np.asarray(y, dtype=float).ravel() for y in drawn]) if drawn else []
        ax.update(settings, dtick=decade_step(values))

    fig.for_each_xaxis(lambda ax: ax.update(settings) if ax.type == "log" else None)
    fig.for_each_yaxis(y_axis)
    return fig


# A time axis labels at most this many steps: "12:Spain" labels side by side at 14 px need ~55 px each,
# so a 1280-px laptop's half-width chart holds about a dozen, a full-width one about twenty.
MAX_STEP_TICKS = 20


def step_ticks(labels: list[str], first: int = 0, most: int = MAX_STEP_TICKS, at=None) -> dict:
    """x-axis settings that label every k-th step (k the smallest that keeps at most ``most``
    labels), starting at the first: ``labels[i]`` names the step at x = first + i (or at ``at[i]``,
    the positions of labels already on an axis). Rotated when more than ten labels would otherwise
    run into each other. The one rule for thinning tick labels (``thin_ticks`` applies it to a figure).
    """
    at = [first + i for i in range(len(labels))] if at is None else list(at)
    if len(at) != len(labels):
        raise ValueError(f"{len(labels)} labels for {len(at)} tick positions")
    every = max(1, -(-len(labels) // most))
    shown = list(range(0, len(labels), every))
    return dict(
        tickvals=[at[i] for i in shown],
        ticktext=[labels[i] for i in shown],
        tickangle=0 if len(shown) <= 10 else -60,
    )


def thin_ticks(fig: go.Figure, most: int) -> go.Figure:
    """``fig``'s x axis, if it has labelled tick positions (tickvals), thinned by ``step_ticks`` to at
    most ``most`` labels (a half-width column holds fewer than a full-width chart); other axes and a
    figure without tickvals are left alone. The rotation follows step_ticks' rule for the labels kept."""
    ax = fig.layout.xaxis
    if ax.tickvals is not None:
        labels = [str(v) for v in ax.tickvals] if ax.ticktext is None else list(ax.ticktext)
        fig.update_xaxes(**step_ticks(labels, most=most, at=ax.tickvals))
    return fig


def base_layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    """Readable defaults for a projector: 14 px text, tight margins, white background."""
    fig.update_layout(
        title=title,
        height=height,
        font=FONT,
        margin=dict(l=60, r=20, t=50 if title else 20, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
    )
    return fig


AXIS_TEXT = GREYS["dim text"]  # ticks, axis titles, colour bars: 7.0:1 on white


def legible(fig: go.Figure) -> go.Figure:
    """Every text of ``fig`` at >= 4.5:1 on white. Streamlit's chart theme greys ticks, axis titles,
    colour bars and annotations (rgb(128, 132, 149): 3.7:1), so each colour is set on the figure:
    AXIS_TEXT for the axes' text, GREYS["text"] for an annotation without a colour of its own (a chart
    that colours its own text makes it readable with ``text_color``)."""
    axis = dict(tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    fig.update_layout(legend_font_color=GREYS["text"], legend_title_font_color=GREYS["text"])
    bar = dict(tickfont_color=AXIS_TEXT, title_font_color=AXIS_TEXT)
    for trace in fig.data:
        if getattr(trace, "colorbar", None) is not None:
            trace.colorbar.update(**bar)
    fig.for_each_coloraxis(lambda ax: ax.colorbar.update(**bar))
    fig.for_each_annotation(lambda a: a.update(font_color=a.font.color or GREYS["text"]))
    return fig


# --- presenter mode: readable from the back of a lecture hall ------------------------------------

CELL_TEXT = 14  # numbers written inside heatmap cells: a fixed size (plotly's "auto" shrinks them to fit)
PRESENT_FONT = 20  # presenter mode: every chart text (ticks, titles, legends, colour bars, cell numbers)
PRESENT_DIAGRAM = 22  # ... and every text of a diagram (the cells' numbers beside their gates)
PRESENT_LINE = 1.5  # line widths and marker sizes grow by this factor
DIAGRAM = "diagram"  # layout.meta of a drawing (boxes and wires, axes hidden): see ``presented``


PRESENT_WIDTH = 1400  # px of a full-width chart in presenter mode at 1920 x 1080 (sidebar open)


def text_em(text: str) -> float:
    """Width of ``text`` in em of the app's sans-serif font, a character at a time (digits 0.5 em,
    narrow marks 0.3, m and w 0.85, the rest 0.6: measured in Chromium, 'moved' 60 px and '1.50' 36 px
    at 20 px); markup such as <b> does not count."""
    plain = re.sub(r"<[^>]+>", "", str(text))
    return sum(
        0.5 if c.isdigit() else 0.3 if c in ".,:;!|'ijlrt -" else 0.85 if c in "mwMW" else 0.6 for c in plain
    )


def columns_that_fit(labels, text_px: float, width_px: float, least: int = 4) -> int:
    """How many heatmap cells fit side by side across ``width_px`` px of plot when each must hold the
    widest of ``labels`` written at ``text_px`` px (``text_em``, 8 px to spare), but at least ``least``."""
    widest = max((text_em(s) for s in labels), default=1.0)
    return max(least, int(width_px // (text_px * max(widest, 0.5) + 8)))


def _cell_texts(trace) -> list[str] | None:
    """The texts a heatmap writes in its cells (its ``text`` or its z formatted by ``texttemplate``)."""
    template = getattr(trace, "texttemplate", None)
    if not template or trace.z is None:
        return None
    if "%{text}" in template and trace.text is not None:
        return [str(v) for v in np.asarray(trace.text, dtype=object).ravel()]
    number = re.fullmatch(r"%\{z(?::([^}]*))?\}", template)
    if number:
        z = np.asarray(trace.z, dtype=float).ravel()
        return [format(v, number.group(1) or "") for v in z[np.isfinite(z)]]
    return None


def _x_share(fig: go.Figure, trace) -> float:
    """The share of the chart's width that ``trace``'s x axis spans (a subplot's domain)."""
    axis = fig.layout[f"xaxis{(trace.xaxis or 'x')[1:]}"]
    low, high = axis.domain if axis and axis.domain else (0.0, 1.0)
    return max(high - low, 0.05)


def _grown(size, least: int, scale: float) -> int:
    """A text size for presenter mode: ``size`` grown as the body text grows, never below ``least``."""
    return least if not size else max(least, round(size * scale))


def _thicker(value, factor: float):
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return [None if v is None else v * factor for v in value]
    return value * factor


def _unrotated_ticks_fit(fig: go.Figure, font: int, width: int) -> None:
    """Labelled x ticks written level (tickangle 0) that no longer fit side by side at ``font`` px on
    a chart ``width`` px wide are thinned by ``step_ticks`` to as many as fit (lesson 7's 50 input
    characters at 20 px in a half-width column: 27 of them overlapped their neighbour)."""
    for name in [k for k in fig.layout if k.startswith("xaxis")]:
        ax = fig.layout[name]
        if ax.tickvals is None or ax.ticktext is None or ax.tickangle not in (0, None):
            continue
        low, high = ax.domain if ax.domain else (0.0, 1.0)
        room = (width - 200) * (high - low)  # 200 px of margins and colour bar
        labels = list(ax.ticktext)
        widest = max((text_em(t) for t in labels), default=1.0) * font + 6  # 6 px between labels
        if len(labels) * widest > room:
            ax.update(**step_ticks(labels, most=max(2, int(room // widest)), at=ax.tickvals))


def _on_top(a) -> bool:
    """An annotation written above the plot area (a subplot's title: make_subplots puts them there)."""
    return str(a.yref or "").endswith(("paper", "domain")) and (a.y or 0) >= 0.99 and a.yanchor == "bottom"


def _room_on_top(fig: go.Figure, least: int) -> None:
    """The top margin, and the chart with it, grows with the text it holds: the chart's title, and a
    row of subplot titles above the plot (at 22 px lesson 7's image row cut its titles in half; the
    step bars' titles ran into the chart's)."""
    rows = [fig.layout.title.font.size or least] if fig.layout.title.text else []
    over = [a.font.size or least for a in fig.layout.annotations if _on_top(a)]
    if over:
        rows.append(max(over))
    if rows:
        grown = sum(round(1.4 * (size - FONT["size"])) for size in rows)  # a line is ~1.4 em tall
        fig.layout.margin.t = (fig.layout.margin.t if fig.layout.margin.t is not None else 80) + grown
        if fig.layout.height:  # the plot keeps its height (a diagram's labels would close up)
            fig.layout.height += grown


def presented(
    fig: go.Figure, font: int = PRESENT_FONT, diagram: int = PRESENT_DIAGRAM, width: int = PRESENT_WIDTH
) -> go.Figure:
    """``fig`` for a projector (presenter mode): every text at least ``font`` px, ``diagram`` px in a
    drawing (``layout.meta == DIAGRAM``); sizes a chart sets itself grow as the body text does (14 px
    -> ``font``); lines and markers thicker by PRESENT_LINE. Streamlit's chart theme sizes ticks, axis
    titles, legends and colour bars itself (15 px), so each is set on the figure.

    Numbers in heatmap cells too narrow for them at that size (on a chart ``width`` px wide) are not
    written, rather than smeared over each other: the title says they are on hover."""
    least = diagram if fig.layout.meta == DIAGRAM else font
    scale = font / FONT["size"]
    fig.update_layout(font_size=least, legend_font_size=least)
    fig.update_xaxes(tickfont_size=font, title_font_size=font + 2)  # a diagram's axes are hidden
    fig.update_yaxes(tickfont_size=font, title_font_size=font + 2)
    if fig.layout.title.text:
        fig.layout.title.font.size = _grown(fig.layout.title.font.size, least + 2, scale)
    bars = False
    for trace in fig.data:
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None:
            colorbar.tickfont.size = least
            colorbar.title.font.size = least
        if getattr(trace, "textfont", None) is not None:
            shows_text = trace.text is not None or getattr(trace, "texttemplate", None)
            if trace.textfont.size or shows_text:  # numbers in heatmap cells, on bars, beside points
                trace.textfont.size = _grown(trace.textfont.size, least, scale)
        bars |= trace.type == "bar" and trace.text is not None
        if trace.type == "scatter":  # plotly's defaults: lines 2 px wide, markers 6 px
            trace.line.width = _thicker(trace.line.width or 2, PRESENT_LINE)
            trace.marker.size = _thicker(6 if trace.marker.size is None else trace.marker.size, PRESENT_LINE)
    crowded = False
    for trace in fig.data:
        texts = _cell_texts(trace) if trace.type == "heatmap" else None
        if texts and np.ndim(trace.z) == 2:
            plot_px = (width - 200) * _x_share(fig, trace)  # 200 px of margins and colour bar
            if np.shape(trace.z)[1] > columns_that_fit(texts, trace.textfont.size or least, plot_px, least=1):
                trace.texttemplate = None
                if trace.hoverinfo in ("skip", "none"):
                    trace.hoverinfo = "z"
                crowded = True
    if crowded:
        note = "cell numbers on hover"
        fig.layout.title.text = f"{fig.layout.title.text} ({note})" if fig.layout.title.text else note
    if bars:  # plotly shrinks a bar's text to fit inside the bar unless told to keep its size
        fig.update_layout(uniformtext=dict(minsize=least, mode="show"))
    fig.for_each_annotation(lambda a: a.update(font_size=_grown(a.font.size, least, scale)))
    _room_on_top(fig, least)
    _unrotated_ticks_fit(fig, font, width)
    fig.for_each_coloraxis(lambda ax: ax.colorbar.update(tickfont_size=least, title_font_size=least))
    return fig
