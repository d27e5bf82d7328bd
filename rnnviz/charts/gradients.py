"""Charts of lesson 4 (vanishing and exploding gradients): arrays in, ``go.Figure`` out.

- ``scalar_product``: |ds_t/ds_0| and its bound |w_h|^t over t, log axis;
- ``gradient_bound``: ||dL/dh_t|| over t with the bounds drawn over it, log axis;
- ``factor_strip``: per step, the worst-case factor ||D_t W_hh|| and the factor a_t acting on the
  gradient, two coloured rows centred on 1 (blue shrinks, red grows);
- ``training_heatmap``: ||dL/dh_t|| over (time step x training step), log colour scale;
- ``clipping_runs``: loss and gradient norm of the same run without and with clipping;
- ``accuracy_vs_lag``: held-out accuracy against the lag, one curve per cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.style import (
    CELL_COLORS,
    CELL_TEXT,
    COLORS,
    GREYS,
    SERIES_SYMBOLS,
    base_layout,
    decades,
    step_ticks,
    text_color,
)

CELL_KEYS = {"rnn_tanh": "rnn", "lstm": "lstm", "gru": "gru"}
CELL_NAMES = {"rnn_tanh": "RNN", "lstm": "LSTM", "gru": "GRU"}


def step_labels(tokens: Sequence[str] | None, T: int) -> list[str]:
    """Axis labels '1:France', '2:the', ...: steps count from 1 (h_0 = 0 is the state before x_1)."""
    if tokens is None:
        return [str(t) for t in range(1, T + 1)]
    return [f"{t}:{tok}" for t, tok in enumerate(tokens[:T], start=1)]


def _step_axis(fig: go.Figure, T: int, labels: list[str], title: str, **kwargs) -> None:
    """x = 1..T, labelled as every time axis is (style.step_ticks: at most MAX_STEP_TICKS labels)."""
    fig.update_xaxes(title=title, **step_ticks(labels[:T], first=1), **kwargs)


def _positive(values) -> np.ndarray:
    """|values| with zeros and non-finite entries as NaN, so a log axis can draw the rest."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def _log_axis(fig: go.Figure, title: str, **kwargs) -> None:
    fig.update_yaxes(title=title, type="log", **kwargs)
    decades(fig)  # decades only, as every log axis (at most 12 labelled: style.decade_step)


def scalar_product(product: np.ndarray, bound: np.ndarray, w_h: float, title: str | None = None) -> go.Figure:
    """|ds_t/ds_0| = |prod_{k<=t} w_h (1 - s_k^2)| (signed value on hover) and |w_h|^t, t = 1..T."""
    t = np.arange(1, len(product) + 1)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=t,
            y=_positive(bound),
            name=f"|w_h|^t = {abs(w_h):g}^t",
            mode="lines",
            line=dict(color=COLORS["bound"], dash="dash", width=2),
            hovertemplate="t = %{x}<br>|w_h|^t = %{y:.4g}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=_positive(product),
            name="|ds_t/ds_0|",
            mode="lines+markers" if len(t) <= 60 else "lines",
            line=dict(color=COLORS["grad"], width=3),
            customdata=np.asarray(product, dtype=np.float64),
            hovertemplate="t = %{x}<br>ds_t/ds_0 = %{customdata:.4g}<extra></extra>",
        )
    )
    fig.update_xaxes(title="time step t")
    _log_axis(fig, "|ds_t/ds_0| (log scale)")
    return base_layout(fig, title, 360)


def scalar_steps(s: np.ndarray, dsdz: np.ndarray, step: np.ndarray, title: str | None = None) -> go.Figure:
    """s_t, ds_t/dz_t = 1 - tanh^2(z_t) and the step factor ds_t/ds_{t-1} = w_h (1 - s_t^2)."""
    t = np.arange(1, len(s) + 1)
    fig = go.Figure()
    series = (
        ("s_t", s, COLORS["h"], None),
        ("1 - tanh²(z_t)", dsdz, COLORS["f"], "dot"),
        ("ds_t/ds_{t-1} = w_h (1 - s_t²)", step, COLORS["grad"], None),
    )
    for name, values, color, dash in series:
        fig.add_trace(
            go.Scatter(
                x=t,
                y=np.asarray(values, dtype=np.float64),
                name=name,
                mode="lines+markers" if len(t) <= 60 else "lines",
                line=dict(color=color, dash=dash),
                hovertemplate=f"t = %{{x}}<br>{name} = %{{y:.4f}}<extra></extra>",
            )
        )
    fig.add_hline(y=1, line=dict(color=COLORS["bound"], width=1, dash="dot"))
    fig.update_xaxes(title="time step t")
    fig.update_yaxes(title="value")
    base_layout(fig, title, 360)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0))
    fig.update_layout(margin=dict(b=110))
    return fig


COINCIDE = 0.02  # two curves on a log axis closer than 2 % everywhere are drawn as one line


def coincide(a, b, rtol: float = COINCIDE) -> bool:
    """Whether curves ``a`` and ``b`` (positive) lie within ``rtol`` of each other at every step where
    both are drawn: on a log axis one would then hide the other."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    return bool(both.any()) and bool(np.all(np.abs(np.log(a[both] / b[both])) <= np.log1p(rtol)))


def gradient_bound(
    grad_norm: np.ndarray,
    bound: np.ndarray,
    step_bound: np.ndarray | None = None,
    tokens: Sequence[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Measured ||dL/dh_t|| and the bounds over it; the loss is read at the last step."""
    T = len(grad_norm)
    labels = step_labels(tokens, T)
    lines = [("bound: ‖dL/dh_T‖ ∏ ‖D_s‖ ‖W_hh‖^(T-t)", bound, COLORS["bound"], "dash")]
    under = step_bound is not None and coincide(bound, step_bound)
    if under:  # drawn wide and pale beneath the step-by-step line, which would hide it
        lines = [(lines[0][0] + " (= the step-by-step bound here)", bound, GREYS["light"], "solid")]
    if step_bound is not None:
        lines.append(("∏ ‖D_s W_hh‖, step by step", step_bound, COLORS["c"], "dot"))
    lines.append(("‖dL/dh_t‖ measured", grad_norm, COLORS["grad"], None))
    fig = go.Figure()
    for name, values, color, dash in lines:
        width = 9 if under and values is bound else 3 if dash is None else 2
        fig.add_trace(
            go.Scatter(
                x=list(range(1, T + 1)),
                y=_positive(values),
                name=name,
                mode="lines+markers" if T <= 60 else "lines",
                line=dict(color=color, dash=dash, width=width),
                customdata=labels,
                hovertemplate=f"step %{{customdata}}<br>{name}<br>= %{{y:.4g}}<extra></extra>",
            )
        )
    _step_axis(fig, T, labels, "time step t (the loss is read at the last step, T)")
    _log_axis(fig, "gradient norm (log scale)")
    return base_layout(fig, title, 420)


def factor_strip(
    worst: np.ndarray, acting: np.ndarray, tokens: Sequence[str] | None = None, title: str | None = None
) -> go.Figure:
    """Two rows over t = 1..T: ||D_t W_hh|| (worst case) and a_t = ||(D_t W_hh)^T g_t|| / ||g_t||
    (the factor acting on the gradient). One colour range, log scale centred on 1."""
    rows = np.vstack([np.asarray(worst, dtype=np.float64), np.asarray(acting, dtype=np.float64)])
    T = rows.shape[1]
    labels = step_labels(tokens, T)
    logs = np.log10(np.clip(rows, 1e-12, None))
    span = max(0.05, float(np.max(np.abs(logs))) if T else 1.0)  # colour range symmetric around 1
    names = ["worst case ‖D_t W_hh‖", "acting a_t"]
    fig = go.Figure(
        go.Heatmap(
            z=logs,
            x=list(range(1, T + 1)),
            y=names,
            zmin=-span,
            zmax=span,
            colorscale="RdBu_r",
            colorbar=dict(
                title=dict(text="factor"),
                thickness=12,
                tickvals=[-span, 0, span],
                ticktext=[f"{10**-span:.2g}", "1", f"{10**span:.2g}"],
            ),
            text=[[f"{v:.2f}" for v in row] for row in rows] if T <= 40 else None,
            texttemplate="%{text}" if T <= 40 else None,
            textfont=dict(size=CELL_TEXT),  # fixed: plotly would shrink them to fit
            customdata=[[f"{lab}<br>{n} = {v:.4g}" for lab, v in zip(labels, row, strict=True)]
                        for n, row in zip(names, rows, strict=True)],
            hovertemplate="step %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    _step_axis(fig, T, labels, "time step t")
    fig.update_yaxes(autorange="reversed")
    return base_layout(fig, title, 280)


def training_heatmap(
    steps: Sequence[int], grid: np.ndarray, tokens: Sequence[str] | None = None, title: str | None = None
) -> go.Figure:
    """``grid`` (rows, T): ||dL/dh_t|| of the probe sequence after ``steps[k]`` training steps."""
    grid = np.asarray(grid, dtype=np.float64).reshape(len(steps), -1)
    T = grid.shape[1]
    labels = step_labels(tokens, T)
    logs = np.log10(np.where(grid > 0, grid, np.nan))
    finite = logs[np.isfinite(logs)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 0.0)
    fig = go.Figure(
        go.Heatmap(
            z=logs,
            x=list(range(1, T + 1)),
            y=list(steps),
            zmin=lo,
            zmax=max(hi, lo + 1e-6),
            colorscale="Viridis",
            colorbar=dict(title=dict(text="log₁₀ ‖dL/dh_t‖"), thickness=12),  # ‖ as the lessons write a norm
            customdata=np.array(
                [[f"{labels[t]}: {grid[k, t]:.3g}" for t in range(T)] for k in range(len(steps))]
            ),
            hovertemplate="training step %{y}<br>time step %{customdata}<extra></extra>",
        )
    )
    _step_axis(fig, T, labels, "time step t")
    fig.update_yaxes(title="training step", autorange="reversed" if len(steps) > 1 else True)
    if len(steps) <= 8:  # a row per probe, each labelled by its step (one row drew ticks -0.5, 0, 0.5)
        text = [f"{s} (untrained)" if s == 0 else str(s) for s in steps]
        fig.update_yaxes(tickvals=list(steps), ticktext=text)
    return base_layout(fig, title, max(260, min(520, 140 + 10 * len(steps))))


def clipping_runs(raw, clipped, title: str | None = None) -> go.Figure:
    """Two ExplodingRun-like objects (step, loss, grad_norm, grad_norm_clipped, diverged_step, clip)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    runs = ((raw, "no clipping", COLORS["loss"]), (clipped, f"clipped at {clipped.clip:g}", COLORS["h"]))
    for run, name, color in runs:
        fig.add_trace(
            go.Scatter(
                x=run.step,
                y=_positive(run.loss),
                name=f"loss, {name}",
                mode="lines+markers" if len(run.step) <= 30 else "lines",
                line=dict(color=color),
                hovertemplate=f"{name}<br>step %{{x}}<br>loss = %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=run.step,
                y=_positive(run.grad_norm),
                name=f"‖g‖ before clipping, {name}",
                mode="lines+markers" if len(run.step) <= 30 else "lines",
                line=dict(color=color, width=1 if run is clipped else 2),
                hovertemplate=f"{name}<br>step %{{x}}<br>‖g‖ = %{{y:.4g}}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=clipped.step,
            y=_positive(clipped.grad_norm_clipped),
            name="‖g‖ after clipping (the step taken)",
            mode="lines",
            line=dict(color=COLORS["h"], width=3, dash="dot"),
            hovertemplate="clipped<br>step %{x}<br>‖g‖ used = %{y:.4g}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    if raw.diverged_step is not None:
        for row in (1, 2):
            fig.add_vline(x=raw.diverged_step, line=dict(color=COLORS["loss"], dash="dot"), row=row, col=1)
        fig.add_annotation(
            x=raw.diverged_step,
            y=1,
            yref="y domain",
            text=f"not finite at step {raw.diverged_step}",
            showarrow=False,
            xanchor="right",
            font=dict(color=text_color(COLORS["loss"])),
            row=1,
            col=1,
        )
    _log_axis(fig, "loss (log)", row=1, col=1)
    _log_axis(fig, "gradient norm ‖g‖ (log)", row=2, col=1)
    fig.update_xaxes(title="training step", row=2, col=1)
    base_layout(fig, title, 620)
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.14, xanchor="left", x=0), margin=dict(b=130)
    )
    return fig


def accuracy_vs_lag(
    live: dict[str, dict[int, float]],
    offline: dict[str, dict[int, float]] | None = None,
    chance: float = 0.25,
    title: str | None = None,
    offline_label: str = "offline",
    spread: dict[str, dict[int, Sequence[float]]] | None = None,
) -> go.Figure:
    """Held-out accuracy against the lag, one colour per cell: ``live`` points (solid lines) and
    ``offline`` ones (dashed), with ``spread`` (e.g. every seed's accuracy) as min-max error bars."""
    fig = go.Figure()
    sources = ((offline_label, offline or {}, "dash", "-open"), ("this session", live, None, ""))
    cells = list(dict.fromkeys([*(offline or {}), *live]))
    # cells at the same accuracy would hide one another: each its own marker and a small sideways
    # offset (a few % of the lag, on the log axis), the hover giving the exact lag
    shift = {cell: 1.04 ** (k - (len(cells) - 1) / 2) for k, cell in enumerate(cells)}
    for source, data, dash, open_ in sources:
        for cell, by_lag in data.items():
            symbol = SERIES_SYMBOLS[cells.index(cell) % len(SERIES_SYMBOLS)] + open_
            lags = sorted(by_lag)
            if not lags:
                continue
            name = CELL_NAMES.get(cell, cell)
            y = [by_lag[k] for k in lags]
            error = None
            if source == offline_label and spread and cell in spread:
                lo = [y_k - min(spread[cell][k]) for k, y_k in zip(lags, y, strict=True)]
                hi = [max(spread[cell][k]) - y_k for k, y_k in zip(lags, y, strict=True)]
                error = dict(type="data", array=hi, arrayminus=lo, thickness=1.5, width=6)
            fig.add_trace(
                go.Scatter(
                    x=[k * shift[cell] for k in lags],
                    y=y,
                    customdata=lags,
                    name=f"{name} ({source})",
                    mode="lines+markers",
                    line=dict(color=CELL_COLORS.get(CELL_KEYS.get(cell, cell)), dash=dash),
                    marker=dict(size=10, symbol=symbol),
                    error_y=error,
                    hovertemplate=f"{name} ({source})<br>lag %{{customdata}}<br>accuracy = %{{y:.3f}}"
                    "<extra></extra>",
                )
            )
    fig.add_hline(
        y=chance,
        line=dict(color=COLORS["bound"], dash="dot"),
        annotation_text=f"chance = {chance:.2f}",
        annotation_position="bottom right",
    )
    shown = sorted({k for data in (live, offline or {}) for by_lag in data.values() for k in by_lag})
    ticks = sorted({5, 10, 20, 50, 100, 200, *shown})
    fig.update_xaxes(
        title="lag: words between the country and 'fluent' (log scale)",
        type="log",
        range=[np.log10(min([4, *shown])), np.log10(max([220, *shown]) * 1.1)],
        tickvals=ticks,
        ticktext=[str(t) for t in ticks],
    )
    fig.update_yaxes(title="held-out accuracy", range=[0, 1.05])
    base_layout(fig, title, 500)
    fig.update_layout(
        legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
        margin=dict(b=140),
        hovermode="x unified",  # curves at the same accuracy overlap: hover shows every cell's value
    )
    return fig


def truncation_rows(full, truncated, k: int, title: str | None = None) -> go.Figure:
    """||dL/dh_t|| over t = 1..T for full BPTT and truncation k: two rows on one time axis and one log
    colour scale; exact zeros (steps the cut graph never reaches) drawn grey and labelled 0."""
    grid = np.vstack([np.asarray(full, dtype=np.float64), np.asarray(truncated, dtype=np.float64)])
    T = grid.shape[1]
    rows = ["full BPTT", f"truncated, k = {k}"]
    logs = np.log10(np.where(grid > 0, grid, np.nan))
    finite = logs[np.isfinite(logs)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 0.0)
    zero = np.where(grid == 0, 0.0, np.nan)
    x = list(range(1, T + 1))
    text = np.where(grid == 0, "0", "")
    fig = go.Figure(
        [
            go.Heatmap(
                z=logs,
                x=x,
                y=rows,
                zmin=lo,
                zmax=max(hi, lo + 1e-6),
                colorscale="Viridis",
                colorbar=dict(title=dict(text="log₁₀ ‖dL/dh_t‖"), thickness=12),
                customdata=grid,
                hovertemplate="%{y}<br>step t = %{x}<br>‖dL/dh_t‖ = %{customdata:.3g}<extra></extra>",
            ),
            go.Heatmap(
                z=zero,
                x=x,
                y=rows,
                colorscale=[[0, GREYS["pale"]], [1, GREYS["pale"]]],
                showscale=False,
                text=text,
                texttemplate="%{text}",
                textfont=dict(size=CELL_TEXT),
                hovertemplate="%{y}<br>step t = %{x}<br>‖dL/dh_t‖ = 0 exactly<extra></extra>",
            ),
        ]
    )
    _step_axis(fig, T, step_labels(None, T), "time step t (the first word is t = 1, the loss is at t = T)")
    fig.update_yaxes(autorange="reversed")
    return base_layout(fig, title, 260)
