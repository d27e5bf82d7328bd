"""Lesson 6's agreement charts: the update gate on the number units beside the drawn gate, and
accuracy against the clause length for the three cells. Arrays in, a Figure out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.style import (
    CELL_COLORS,
    GREYS,
    SERIES,
    SERIES_DASH,
    SERIES_SYMBOLS,
    base_layout,
    step_ticks,
)

CELL_KEYS = {"GRU": "gru", "LSTM": "lstm", "RNN": "rnn"}  # display name -> CELL_COLORS key


def gate_vs_ideal(
    tokens: Sequence[str], z: np.ndarray, units: Sequence[int], ideal: np.ndarray, title: str | None = None
) -> go.Figure:
    """z_t,j of each number unit (one line each) over the words t = 1..T, and the idealised gate
    (0 at the subject: write; 1 after it: keep; nothing before it) as a thick grey step line."""
    T = len(tokens)
    t = np.arange(1, T + 1)
    labels = [f"{k}: {w}" for k, w in zip(t, tokens, strict=True)]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t, y=ideal, name="as the course draws it", mode="lines+markers",
            line=dict(color=GREYS["text"], width=6, shape="hvh"), marker=dict(symbol="square", size=14),
            opacity=0.35, connectgaps=False,
            hovertemplate="t = %{x}<br>drawn z_t = %{y:.0f}<extra></extra>",
        )
    )  # fmt: skip
    for k, j in enumerate(units):
        fig.add_trace(
            go.Scatter(
                x=t, y=z[:, k], name=f"unit {j}", mode="lines+markers",
                line=dict(color=SERIES[k % len(SERIES)], dash=SERIES_DASH[k % len(SERIES_DASH)]),
                marker=dict(symbol=SERIES_SYMBOLS[k % len(SERIES_SYMBOLS)], size=9),
                customdata=np.array(tokens)[:, None],
                hovertemplate=f"unit {j}<br>t = %{{x}} (%{{customdata[0]}})<br>z_t = %{{y:.3f}}"
                "<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(title="word t", **step_ticks(labels, first=1))
    fig.update_yaxes(title="z_t (1 = keep, 0 = write)", range=[-0.05, 1.05])
    return base_layout(fig, title, 380)


def accuracy_vs_length(
    curves: dict[str, dict[int, float]], trained: tuple[int, int], title: str | None = None
) -> go.Figure:
    """Held-out accuracy against the clause length, one line per cell; the lengths trained on shaded,
    chance (50%) dotted."""
    fig = go.Figure()
    lo, hi = trained
    fig.add_vrect(x0=lo, x1=hi, fillcolor=GREYS["text"], opacity=0.08, line_width=0,
                  annotation_text="trained on", annotation_position="bottom left")  # fmt: skip
    fig.add_hline(y=0.5, line=dict(color=GREYS["text"], dash="dot"), annotation_text="chance",
                  annotation_position="bottom right")  # fmt: skip
    for k, (name, curve) in enumerate(curves.items()):
        lengths = sorted(curve)
        fig.add_trace(
            go.Scatter(
                x=lengths, y=[curve[L] for L in lengths], name=name, mode="lines+markers",
                line=dict(color=CELL_COLORS.get(CELL_KEYS.get(name, ""), SERIES[k % len(SERIES)]),
                          dash=SERIES_DASH[k % len(SERIES_DASH)], width=3),
                marker=dict(symbol=SERIES_SYMBOLS[k % len(SERIES_SYMBOLS)], size=10),
                hovertemplate=f"{name}<br>%{{x}} words<br>accuracy %{{y:.1%}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(title="words between the subject and the verb")
    fig.update_yaxes(title="held-out accuracy", range=[0, 1.05], tickformat=".0%")
    return base_layout(fig, title, 360)
