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
CELL_COLORS = {"rnn": "#6c757d", "lstm": "#e76f51", "gru": "#3a86ff"}

# Colour scales: diverging for signed values (h, c, g, n), sequential for gates in (0, 1).
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
FONT = dict(size=14)


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
