"""Connectivity charts (lesson 4): C[s, t] of RNN, LSTM and GRU on one log colour scale.

Values are drawn as log10 C; the colour scale is shared by every cell (and by every checkpoint: the
page passes one (lo, hi) for the whole run, so the slider never rescales). C below 10^lo takes the
bottom colour; the hover always gives the exact value. C = 0 above the diagonal is left blank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.gradients import step_labels
from rnnviz.charts.style import base_layout, step_ticks

FLOOR_DECADES = 12  # the colour scale spans at most 12 decades below the largest C drawn


def log_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(lo, hi) of log10 C over every positive entry of ``arrays``, at most FLOOR_DECADES decades."""
    values = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return -1.0, 0.0
    hi = float(np.ceil(np.log10(positive.max())))
    lo = max(float(np.floor(np.log10(positive.min()))), hi - FLOOR_DECADES)
    return lo, max(hi, lo + 1)


def _logs(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.log10(np.where(v > 0, v, np.nan))


def _colorbar(lo: float, hi: float) -> dict:
    ticks = list(range(int(lo), int(hi) + 1, max(1, int(hi - lo) // 6)))
    return dict(
        title=dict(text="C (log scale)"),
        tickvals=ticks,
        ticktext=[f"1e{k}" for k in ticks],
        thickness=12,
    )


def answer_rows(
    rows: dict[str, np.ndarray], tokens: Sequence[str], lo: float, hi: float, title: str | None = None
) -> go.Figure:
    """One row per cell: C[T, t] of the final prediction for t = 1..T (``rows``: name -> (T,))."""
    names = list(rows)
    grid = np.stack([np.asarray(rows[n], dtype=np.float64) for n in names])  # (cells, T)
    T = grid.shape[1]
    labels = step_labels(tokens, T)
    fig = go.Figure(
        go.Heatmap(
            z=_logs(grid),
            x=list(range(1, T + 1)),
            y=names,
            zmin=lo,
            zmax=hi,
            colorscale="Viridis",
            colorbar=_colorbar(lo, hi),
            customdata=np.array(
                [[f"{labels[t]}: C = {grid[k, t]:.3g}" for t in range(T)] for k in range(len(names))]
            ),
            hovertemplate="%{y}, input step %{customdata}<extra></extra>",
            xgap=1,
            ygap=3,
        )
    )
    fig.update_xaxes(title="input step t (word)", **step_ticks(labels, first=1))
    fig.update_yaxes(title="cell", autorange="reversed")
    return base_layout(fig, title, 150 + 55 * len(names))


def full_maps(
    maps: dict[str, np.ndarray], tokens: Sequence[str], lo: float, hi: float, title: str | None = None
) -> go.Figure:
    """C[s, t] side by side, one panel per cell (``maps``: name -> (T, T)), one shared colour axis."""
    names = list(maps)
    T = np.asarray(maps[names[0]]).shape[0]
    labels = step_labels(tokens, T)
    fig = make_subplots(
        rows=1, cols=len(names), subplot_titles=names, shared_yaxes=True, horizontal_spacing=0.03
    )
    for k, name in enumerate(names, start=1):
        grid = np.asarray(maps[name], dtype=np.float64)
        shown = np.where(np.tri(T, dtype=bool), grid, np.nan)  # t <= s only: C = 0 above the diagonal
        fig.add_trace(
            go.Heatmap(
                z=_logs(shown),
                x=list(range(1, T + 1)),
                y=list(range(1, T + 1)),
                coloraxis="coloraxis",
                customdata=np.array(
                    [
                        [f"s = {s + 1}, t = {labels[t]}: C = {grid[s, t]:.3g}" for t in range(T)]
                        for s in range(T)
                    ]
                ),
                hovertemplate=f"{name}<br>%{{customdata}}<extra></extra>",
            ),
            row=1,
            col=k,
        )
        fig.update_xaxes(title="input step t", tickvals=[1, T // 2, T], row=1, col=k)
    fig.update_yaxes(title="output step s", autorange="reversed", tickvals=[1, T // 2, T], row=1, col=1)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False)
    fig.update_layout(coloraxis=dict(colorscale="Viridis", cmin=lo, cmax=hi, colorbar=_colorbar(lo, hi)))
    return base_layout(fig, title, 380)
