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

TITLES = ("m: memory along depth (passed up a layer)", "c: memory along time (passed to the next step)")


def memory_maps(
    m: np.ndarray, c: np.ndarray, tokens: Sequence[str], unit: int, height: int | None = None
) -> go.Figure:
    """m and c, each (L, T), as layer (rows, layer 1 at the bottom) x time step t (columns)."""
    m, c = np.asarray(m, dtype=float), np.asarray(c, dtype=float)
    L, T = m.shape
    top = float(max(np.abs(m).max(), np.abs(c).max())) or 1.0
    labels = step_labels(list(tokens), T)
    fig = make_subplots(rows=1, cols=2, subplot_titles=TITLES, horizontal_spacing=0.08)
    for col, (values, symbol) in enumerate(((m, "m"), (c, "c")), start=1):
        fig.add_trace(
            go.Heatmap(
                z=values,
                x=list(range(T)),
                y=[f"layer {layer}" for layer in range(1, L + 1)],
                zmin=-top,
                zmax=top,
                zmid=0.0,
                colorscale=DIVERGING,
                showscale=col == 2,
                colorbar=dict(title=dict(text=f"unit {unit}"), thickness=12),
                customdata=np.array([labels] * L),
                hovertemplate=f"step %{{customdata}}<br>%{{y}}<br>{symbol} = %{{z:.4f}}<extra></extra>",
                name=symbol,
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="time step t", row=1, col=col, **step_ticks(labels))
    fig.update_yaxes(title_text="layer l", row=1, col=1)
    base_layout(fig, None, height or max(280, 160 + 36 * L))
    fig.update_layout(margin=dict(t=60))  # room for the two subplot titles
    return fig
