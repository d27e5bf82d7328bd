"""One colour per quantity everywhere, and shared layout defaults."""

import math

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


def step_ticks(labels: list[str], first: int = 0, most: int = MAX_STEP_TICKS) -> dict:
    """x-axis settings that label every k-th step (k the smallest that keeps at most ``most``
    labels), starting at the first: ``labels[i]`` names the step at x = first + i. Rotated when
    more than ten labels would otherwise run into each other."""
    every = max(1, -(-len(labels) // most))
    shown = list(range(0, len(labels), every))
    return dict(
        tickvals=[first + i for i in shown],
        ticktext=[labels[i] for i in shown],
        tickangle=0 if len(shown) <= 10 else -60,
    )


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
