"""Lesson 10's charts: loop vs scan time against T, the selective recurrence's memory, linear
attention's state S_t. Arrays in, go.Figure out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.sequence import over_time, step_labels, unit_heatmap
from rnnviz.charts.style import (
    CELL_COLORS,
    DIVERGING,
    OKABE_ITO,
    SEQUENTIAL,
    SERIES,
    SERIES_DASH,
    SERIES_SYMBOLS,
    base_layout,
    decades,
    step_ticks,
)

METHOD_NAMES = {"loop": "loop", "doubling": "doubling scan", "log": "log-space scan"}
SELECTIVE_COLOR = OKABE_ITO["bluish green"]
HEATMAP_HEIGHT = 340  # the two half-width heatmaps: room for the slanted word labels and 4-16 units


def scan_timing(
    Ts: Sequence[int],
    ms: dict[str, Sequence[float]],
    rounds: dict[str, Sequence[int]],
    title: str | None = None,
) -> go.Figure:
    """Two panels over T (log axes): milliseconds per call (measured) and dependent rounds (counted)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("measured: ms per call (CPU, this server)", "counted: dependent rounds"),
        horizontal_spacing=0.12,
    )
    # methods with the same rounds draw one line over the other: the first drawn goes wider and with
    # larger markers, so the one on top leaves it visible around its own, and a note names them
    methods = list(METHOD_NAMES)
    twins = {m: [o for o in methods if o != m and list(rounds[o]) == list(rounds[m])] for m in methods}
    for k, (m, name) in enumerate(METHOD_NAMES.items()):
        style = dict(color=SERIES[k], dash=SERIES_DASH[k])
        marker = dict(symbol=SERIES_SYMBOLS[k], size=9)
        later = [o for o in twins[m] if methods.index(o) > k]  # drawn over this one
        under = dict(line=dict(style, width=6), marker=dict(marker, size=16)) if later else {}
        fig.add_trace(
            go.Scatter(
                x=list(Ts), y=list(ms[m]), name=name, legendgroup=m, mode="lines+markers", line=style,
                marker=marker, hovertemplate=f"{name}<br>T = %{{x}}<br>%{{y:.3f}} ms<extra></extra>",
            ),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=list(Ts), y=list(rounds[m]), name=name, legendgroup=m, showlegend=False,
                mode="lines+markers", **({"line": style, "marker": marker} | under),
                hovertemplate=f"{name}<br>T = %{{x}}<br>%{{y}} rounds<extra></extra>",
            ),
            row=1, col=2,
        )  # fmt: skip
    pairs = {tuple(sorted([m, *twins[m]], key=methods.index)) for m in methods if twins[m]}
    for n, group in enumerate(sorted(pairs)):
        names = " and ".join(METHOD_NAMES[m] for m in group)
        fig.add_annotation(
            text=f"{names}: the same rounds (one line)", xref="x2 domain", yref="y2 domain", x=0.02,
            y=0.98 - 0.1 * n, xanchor="left", yanchor="top", showarrow=False,
        )  # fmt: skip
    fig.update_xaxes(type="log", title="sequence length T")
    fig.update_yaxes(type="log", title="ms per call", row=1, col=1)
    fig.update_yaxes(type="log", title="dependent rounds", row=1, col=2)
    base_layout(fig, title, 430)
    fig.update_layout(margin=dict(t=60, b=100), legend=dict(y=-0.22, yanchor="top", x=0.5, xanchor="center"))
    decades(fig)
    # label the Ts measured, no minor grid (at 2..9 x 10^k it crowded into a grey band near 4096)
    fig.update_xaxes(tickvals=list(Ts), ticktext=[str(T) for T in Ts], minor=dict(ticks="", showgrid=False))
    # y: plain numbers at each decade (0.1, 1, 10, 1000: '1e+3' read as a code), minor ticks off (their
    # marks at 2..9 x 10^k stacked into a dotted column beside the labels)
    for k, values in ((1, [v for m in ms.values() for v in m]), (2, [v for r in rounds.values() for v in r])):
        fig.update_yaxes(**_decade_ticks(values), minor=dict(ticks="", showgrid=False), row=1, col=k)
    return fig


def _decade_ticks(values: Sequence[float]) -> dict:
    """tickvals/ticktext at every power of 10 from below the smallest value to above the largest."""
    positive = [float(v) for v in values if v > 0]
    if not positive:
        return {}
    lo, hi = int(np.floor(np.log10(min(positive)))), int(np.ceil(np.log10(max(positive))))
    powers = range(lo, max(hi, lo + 1) + 1)
    return dict(tickvals=[10.0**k for k in powers], ticktext=[f"{10.0**k:g}" for k in powers])


def decay_heatmap(a: np.ndarray, tokens: Sequence[str], title: str | None = None) -> go.Figure:
    """a_t per step and unit on the fixed range (0, 1): 1 keeps everything, 0 forgets."""
    fig = unit_heatmap(a, tokens, "a_t", title, zrange=(0.0, 1.0), height=HEATMAP_HEIGHT)
    fig.update_xaxes(tickangle=-45)
    return fig


def memory_heatmap(memory: np.ndarray, tokens: Sequence[str], title: str | None = None) -> go.Figure:
    """1 / (1 - a_t) per step and unit, coloured by its logarithm (1 to 10^4 steps and more)."""
    memory = np.asarray(memory, dtype=float)
    T, H = memory.shape
    labels = step_labels(tokens, T)
    top = max(2.0, float(np.ceil(np.log10(memory.max())))) if memory.size else 2.0
    ticks = list(range(0, int(top) + 1))
    fig = go.Figure(
        go.Heatmap(
            z=np.log10(memory).T,
            x=list(range(T)),
            y=[f"unit {j}" for j in range(H)],
            zmin=0,
            zmax=top,
            colorscale=SEQUENTIAL,
            colorbar=dict(
                title=dict(text="steps"), thickness=12, tickvals=ticks, ticktext=[f"{10**k:g}" for k in ticks]
            ),
            customdata=np.stack([np.array([labels] * H), memory.T.round(2).astype(str)], axis=-1),
            hovertemplate="step %{customdata[0]}<br>%{y}<br>1/(1-a_t) = %{customdata[1]} steps"
            "<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="time step t",
        tickangle=-45,
        **{k: v for k, v in step_ticks(labels).items() if k != "tickangle"},
    )
    fig.update_yaxes(title="hidden unit", autorange="reversed", showticklabels=H <= 32)
    return base_layout(fig, title, max(HEATMAP_HEIGHT, min(520, 60 + 18 * H)))


def gradient_through_time(
    selective: np.ndarray, elman: np.ndarray, tokens: Sequence[str], title: str | None = None
) -> go.Figure:
    """||dL/dh_t|| of both models on one log axis (compared: the same axes by construction)."""
    return over_time(
        {"selective recurrence": selective, "Elman RNN": elman},
        tokens,
        title,
        y_title="||dL/dh_t||",
        log_y=True,
        colors={"selective recurrence": SELECTIVE_COLOR, "Elman RNN": CELL_COLORS["rnn"]},
        dash={"selective recurrence": "solid", "Elman RNN": "dash"},
        height=420,
    )


def state_heatmap(S: np.ndarray, zmax: float, title: str | None = None) -> go.Figure:
    """The matrix state S_t (d_k, d_v) of linear attention, on a colour range fixed across t."""
    S = np.asarray(S, dtype=float)
    dk, dv = S.shape
    fig = go.Figure(
        go.Heatmap(
            z=S,
            x=[f"v{j}" for j in range(dv)],
            y=[f"φ(k){i}" for i in range(dk)],
            zmin=-zmax,
            zmax=zmax,
            colorscale=DIVERGING,
            colorbar=dict(title=dict(text="S_t"), thickness=12),
            hovertemplate="row %{y}, column %{x}<br>S_t = %{z:.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="column j (value dimension)")
    fig.update_yaxes(title="row i (feature of φ(k))", autorange="reversed")
    return base_layout(fig, title, max(260, min(460, 80 + 26 * dk)))


def state_norms(norms: np.ndarray, tokens: Sequence[str], t: int, title: str | None = None) -> go.Figure:
    """||S_t|| over the steps, the chosen step t (0-based row) marked."""
    return over_time(
        {"||S_t||": norms},
        tokens,
        title,
        y_title="||S_t|| (Frobenius)",
        colors={"||S_t||": SERIES[0]},
        mark_step=t,
    )


# The race: lessons 4-6's cells solid, the x_t-only cells dashed; one colour and marker per cell.
RACE_STYLE = {
    "rnn_tanh": (CELL_COLORS["rnn"], "solid", "circle"),
    "lstm": (CELL_COLORS["lstm"], "solid", "square"),
    "gru": (CELL_COLORS["gru"], "solid", "diamond"),
    "min_gru": (OKABE_ITO["bluish green"], "dash", "triangle-up"),
    "min_lstm": (OKABE_ITO["reddish purple"], "dash", "x"),
    "selective": (OKABE_ITO["orange"], "dot", "star"),
}
RACE_X = {"steps": "training steps", "seconds": "training seconds (the race's machine)"}


def _race_line(curve: dict, x: str, name: str, show: bool, fmt: str) -> go.Scatter:
    color, dash, symbol = RACE_STYLE.get(curve["cell"], (OKABE_ITO["black"], "solid", "circle"))
    return go.Scatter(
        x=curve[x], y=curve["metric"], name=name, legendgroup=curve["cell"], showlegend=show,
        mode="lines+markers", line=dict(color=color, dash=dash), marker=dict(symbol=symbol, size=7),
        hovertemplate=f"{name}<br>%{{x}} {x}<br>%{{y:{fmt}}}<extra></extra>",
    )  # fmt: skip


def race_memory(report: dict, x: str = "steps", title: str | None = None) -> go.Figure:
    """Held-out accuracy against training steps (or seconds), one panel per lag, one y range (0..1)."""
    lags = [str(lag) for lag in report["lags"]]
    fig = make_subplots(
        rows=1, cols=len(lags), shared_yaxes=True, horizontal_spacing=0.03,
        subplot_titles=[f"lag {lag}" for lag in lags],
    )  # fmt: skip
    titles = report["cells"]
    for k, lag in enumerate(lags, start=1):
        for cell in titles:
            curve = report["memory"][lag][cell]
            label = f"{titles[cell]} ({curve['params']:,} params)"
            fig.add_trace(_race_line(curve, x, label, k == 1, ".0%"), row=1, col=k)
        chance = next(iter(report["memory"][lag].values())).get("chance")
        if chance is not None:
            fig.add_hline(y=chance, line=dict(color=OKABE_ITO["black"], dash="dot", width=1), row=1, col=k)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_yaxes(title="held-out accuracy", row=1, col=1)
    fig.update_xaxes(title=RACE_X[x])
    if len(lags) > 2:
        fig.update_xaxes(title="", nticks=4)
        fig.add_annotation(
            text=RACE_X[x], xref="paper", yref="paper", x=0.5, y=-0.16, showarrow=False, yanchor="top"
        )
    base_layout(fig, title, 420)
    fig.update_layout(margin=dict(t=60, b=130), legend=dict(y=-0.3, yanchor="top", x=0.5, xanchor="center"))
    return fig


def race_markup(report: dict, x: str = "steps", title: str | None = None) -> go.Figure:
    """Held-out bits per character of the markup model against training steps (or seconds)."""
    fig = go.Figure()
    titles = report["cells"]
    for cell in titles:
        curve = report["markup"][cell]
        fig.add_trace(_race_line(curve, x, f"{titles[cell]} ({curve['params']:,} params)", True, ".3f"))
    fig.update_xaxes(title=RACE_X[x])
    fig.update_yaxes(title="held-out bits per character")
    base_layout(fig, title, 400)
    legend = dict(orientation="v", y=1, yanchor="top", x=1.02, xanchor="left")
    fig.update_layout(margin=dict(t=50, b=60, r=20), legend=legend)
    return fig
