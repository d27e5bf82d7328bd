"""Charts of quantities over a sequence, shared by every lesson and the Playground.

- ``unit_heatmap``: units x time steps (h, c, gates, gradients), tokens along the time axis;
- ``over_time``: one or more lines over time steps, optionally on a log axis;
- ``training_curves``: loss / accuracy / gradient norm over training steps;
- ``distribution_bars``: a probability distribution over tokens or classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.style import COLORS, DIVERGING, SEQUENTIAL, base_layout, decades, step_ticks

# Gates live in (0, 1); h, c and the candidates are signed.
UNIT_RANGES = {"i": (0, 1), "f": (0, 1), "o": (0, 1), "r": (0, 1), "z": (0, 1), "g": (-1, 1), "n": (-1, 1)}


def step_labels(tokens: Sequence[str] | None, T: int) -> list[str]:
    """Axis labels '1:Spain', '2:the', ... ('3:␣' for a space): steps count from 1, t = 1..T.

    The state before the first token is h_0 = 0, so the first token is step 1. Charts keep their x
    positions 0..T-1 (the row of each step in the arrays); only the labels and hovers show t.
    """
    if tokens is None:
        return [str(t) for t in range(1, T + 1)]
    shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
    return [f"{t}:{shown.get(tok, tok)}" for t, tok in enumerate(tokens[:T], start=1)]


def unit_heatmap(
    values: np.ndarray,
    tokens: Sequence[str] | None = None,
    name: str = "h",
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    mark_step: int | None = None,
    height: int | None = None,
) -> go.Figure:
    """``values`` (T, H) drawn as units (rows) x time steps (columns), exact value on hover."""
    values = np.asarray(values, dtype=float)
    T, H = values.shape
    lo, hi = zrange or UNIT_RANGES.get(name, (None, None))
    if lo is None:
        m = float(np.nanmax(np.abs(values))) if values.size else 1.0
        lo, hi = -(m or 1.0), (m or 1.0)
    sequential = lo >= 0
    labels = step_labels(tokens, T)
    height = height or max(220, min(520, 60 + 18 * H))
    # the colour bar is as tall as the plot (height less ~140 px of title, margins, tick labels): a
    # label every 30 px at most, so a 6-unit heatmap's bar reads -1, 0, 1 (five labels ran together)
    bar_ticks = max(3, (height - 140) // 30)
    fig = go.Figure(
        go.Heatmap(
            z=values.T,
            x=list(range(T)),
            y=[f"unit {j}" for j in range(H)],
            zmin=lo,
            zmax=hi,
            colorscale=SEQUENTIAL if sequential else DIVERGING,
            colorbar=dict(title=dict(text=name), thickness=12, nticks=bar_ticks),
            customdata=np.array([[labels[t] for t in range(T)]] * H),
            hovertemplate=f"step %{{customdata}}<br>%{{y}}<br>{name} = %{{z:.4f}}<extra></extra>",
        )
    )
    if mark_step is not None and 0 <= mark_step < T:
        fig.add_vrect(x0=mark_step - 0.5, x1=mark_step + 0.5, line=dict(color="black", width=2))
    fig.update_xaxes(title="time step t", **step_ticks(labels))
    fig.update_yaxes(title="hidden unit", autorange="reversed", showticklabels=H <= 32)
    return base_layout(fig, title, height)


def over_time(
    series: dict[str, np.ndarray],
    tokens: Sequence[str] | None = None,
    title: str | None = None,
    y_title: str = "",
    log_y: bool = False,
    colors: dict[str, str] | None = None,
    dash: dict[str, str] | None = None,
    mark_step: int | None = None,
    height: int = 320,
) -> go.Figure:
    """Lines over time steps, one per entry of ``series`` (each (T,))."""
    fig = go.Figure()
    T = max(len(v) for v in series.values())
    labels = step_labels(tokens, T)
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        fig.add_trace(
            go.Scatter(
                x=list(range(len(values))),
                y=values,
                name=name,
                mode="lines+markers" if len(values) <= 60 else "lines",
                line=dict(color=(colors or {}).get(name, COLORS.get(name)), dash=(dash or {}).get(name)),
                customdata=labels[: len(values)],
                hovertemplate=f"step %{{customdata}}<br>{name} = %{{y:.4g}}<extra></extra>",
            )
        )
    if mark_step is not None:
        fig.add_vline(x=mark_step, line=dict(color="black", width=1, dash="dot"))
    fig.update_xaxes(title="time step t", **step_ticks(labels))
    fig.update_yaxes(title=y_title, type="log" if log_y else "linear")
    return decades(base_layout(fig, title, height))


def training_curves(
    runs: dict[str, dict[str, Sequence[float]]],
    metric: str = "loss",
    title: str | None = None,
    y_title: str | None = None,
    log_y: bool = False,
    colors: dict[str, str] | None = None,
    height: int = 320,
) -> go.Figure:
    """``runs``: name -> {"step": [...], metric: [...]}; one line per run, training step on x."""
    fig = go.Figure()
    for name, run in runs.items():
        fig.add_trace(
            go.Scatter(
                x=list(run["step"]),
                y=list(run[metric]),
                name=name,
                mode="lines",
                line=dict(color=(colors or {}).get(name)),
                hovertemplate=f"{name}<br>step %{{x}}<br>{metric} = %{{y:.4g}}<extra></extra>",
            )
        )
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title=y_title or metric, type="log" if log_y else "linear")
    return base_layout(fig, title, height)


def distribution_bars(
    probs: np.ndarray,
    labels: Sequence[str],
    title: str | None = None,
    top_k: int = 15,
    highlight: int | None = None,
    height: int = 300,
) -> go.Figure:
    """The ``top_k`` most probable outcomes as bars; ``highlight`` (an index) drawn in red."""
    probs = np.asarray(probs, dtype=float)
    order = np.argsort(-probs)[:top_k]
    shown = {" ": "␣", "\n": "↵", "\t": "⇥"}
    names = [shown.get(labels[i], labels[i]) for i in order]
    color = [COLORS["loss"] if i == highlight else COLORS["h"] for i in order]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=probs[order],
            marker_color=color,
            hovertemplate="%{x}: p = %{y:.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="outcome", type="category")
    fig.update_yaxes(title="probability", range=[0, max(1e-9, float(probs[order].max())) * 1.1])
    return base_layout(fig, title, height)
