"""Lesson 6's grid LSTM charts: the two memories of a trained grid over (layer, step), side by side.

``memory_maps(m, c, tokens, unit)``: m (depth memory) and c (time memory) of one unit, each (L, T),
on one diverging colour scale centred on 0 (the same range for both: compared charts share it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.sequence import step_labels
from rnnviz.charts.style import DIVERGING, base_layout, step_ticks

TITLES = ("m: passed up a layer (depth)", "c: passed to the next step (time)")


def memory_maps(
    m: np.ndarray,
    c: np.ndarray,
    tokens: Sequence[str],
    unit: int,
    mark: tuple[int, int] | None = None,
    shared: bool = True,
    height: int | None = None,
) -> go.Figure:
    """m and c, each (L, T), as layer (rows, layer 1 at the bottom) x time step t (columns).

    ``shared``: one colour range for both (compared as they are); else each its own (m's often far
    smaller range made readable), each with its own colour bar. ``mark`` = (t, l), counted from 1:
    the block the page writes out, outlined on both."""
    m, c = np.asarray(m, dtype=float), np.asarray(c, dtype=float)
    L, T = m.shape
    both = float(max(np.abs(m).max(), np.abs(c).max())) or 1.0
    labels = step_labels(list(tokens), T)
    fig = make_subplots(rows=1, cols=2, subplot_titles=TITLES, horizontal_spacing=0.14)
    for col, (values, symbol) in enumerate(((m, "m"), (c, "c")), start=1):
        top = both if shared else float(np.abs(values).max()) or 1.0
        name = f"{symbol}, unit {unit}" if not shared else f"m and c, unit {unit}"
        bar = dict(title=dict(text=name), thickness=12, x=0.44 if col == 1 else 1.0)
        fig.add_trace(
            go.Heatmap(
                z=values,
                x=list(range(T)),
                y=[f"layer {layer}" for layer in range(1, L + 1)],
                zmin=-top,
                zmax=top,
                zmid=0.0,
                colorscale=DIVERGING,
                showscale=col == 2 or not shared,
                colorbar=bar,
                customdata=np.array([labels] * L),
                hovertemplate=f"step %{{customdata}}<br>%{{y}}<br>{symbol} = %{{z:.4f}}<extra></extra>",
                name=symbol,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="time step t", row=1, col=col, **step_ticks(labels))
        if mark is not None:
            t, layer = mark
            fig.add_shape(
                type="rect", x0=t - 1.5, x1=t - 0.5, y0=layer - 1.5, y1=layer - 0.5,
                line=dict(color="black", width=3), row=1, col=col,
            )  # fmt: skip
    fig.update_yaxes(title_text="layer l", row=1, col=1)
    fig.update_yaxes(showticklabels=False, row=1, col=2)  # the same rows as m's, named on the left
    base_layout(fig, None, height or max(280, 160 + 36 * L))
    fig.update_layout(margin=dict(t=60))  # room for the two subplot titles
    return fig
