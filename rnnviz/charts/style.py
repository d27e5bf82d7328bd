"""One colour per quantity everywhere, and shared layout defaults."""

import plotly.graph_objects as go
import plotly.io as pio

# Naming a template in every figure's layout costs 40-170 ms per figure; a default set once is free.
pio.templates.default = "plotly_white"

# One colour per gate / state, used by every chart and by the lesson text.
COLORS = {
    "i": "#2a9d8f",  # input gate
    "f": "#e76f51",  # forget gate
    "g": "#8e7dbe",  # candidate (LSTM)
    "o": "#f4a261",  # output gate
    "c": "#264653",  # cell state
    "h": "#1d4e89",  # hidden state
    "r": "#c1121f",  # reset gate (GRU)
    "z": "#3a86ff",  # update gate (GRU)
    "n": "#8e7dbe",  # candidate (GRU)
    "loss": "#d62828",
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


def decades(fig: go.Figure) -> go.Figure:
    """Every log axis of ``fig`` (any subplot) labelled at decades only, as LOG_AXIS says."""
    settings = {k: v for k, v in LOG_AXIS.items() if k != "type"}
    fig.for_each_xaxis(lambda ax: ax.update(settings) if ax.type == "log" else None)
    fig.for_each_yaxis(lambda ax: ax.update(settings) if ax.type == "log" else None)
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
