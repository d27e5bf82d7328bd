"""Lesson 3 charts: text coloured by a value, per-step losses, next-character distributions, unit ranks.

- ``colored_text``: HTML of a text, each character's background coloured by a value (per-character
  loss, or one hidden unit's h_t), the exact value on hover (Karpathy's and LSTMVis's view);
- ``step_loss_figure``: L_t per step with their running sum, and ||dL/dh_t|| that BPTT sends back;
- ``next_char_figure``: the k most likely next characters at every position;
- ``unit_ranking_figure``: Pearson r of the best units with a structural signal;
- ``unit_trace_figure``: one unit's h_t next to the signal, over the text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb
from plotly.subplots import make_subplots

from rnnviz.charts.style import COLORS, DIVERGING, GREYS, base_layout

SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}  # whitespace made visible in labels
LOSS_SCALE = [[0.0, GREYS["white"]], [1.0, COLORS["loss"]]]  # white (no surprise) -> red (surprised)


def _colors(scale, frac: np.ndarray) -> list[str]:
    """``rgb(r, g, b)`` strings at positions ``frac`` in [0, 1] of a plotly colour scale (name or list)."""
    stops = get_colorscale(scale) if isinstance(scale, str) else scale
    pos = np.array([float(p) for p, _ in stops])
    rgb = np.array([hex_to_rgb(c) if c.startswith("#") else unlabel_rgb(c) for _, c in stops], dtype=float)
    channels = np.stack([np.interp(frac, pos, rgb[:, k]) for k in range(3)], axis=-1).round().astype(int)
    return [f"rgb({r}, {g}, {b})" for r, g, b in channels]


def _show(ch: str) -> str:
    return SHOWN.get(ch, ch)


def _text_color(rgb: str) -> str:
    """Black or white, whichever reads better on the background ``rgb(r, g, b)``."""
    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1 : -1].split(","))
    return GREYS["text"] if 0.299 * r + 0.587 * g + 0.114 * b > 140 else GREYS["white"]


def colored_text(
    text: str,
    values: np.ndarray,
    name: str = "value",
    vrange: tuple[float, float] | None = None,
    signed: bool = False,
    unit: str = "",
    font_px: int = 17,
    max_height_px: int = 360,
) -> str:
    """HTML: ``text`` with each character's background coloured by ``values`` (len(text),).

    ``signed``: a diverging scale (blue < 0 < red) centred on 0 for activations such as h_t;
    otherwise white -> red for values >= 0 such as a loss. NaN leaves a character uncoloured.
    Hovering a character shows its value. Newlines are kept (drawn as ↵ at the line's end).

    Not ``playground.coloured_tokens``: one value per character, flowing as prose that wraps at any
    width and scrolls by keyboard; that one stacks K units under each token in an aligned grid.
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(f"need one value per character: {len(text)} characters, {values.shape} values")
    finite = values[np.isfinite(values)]
    if vrange is None:
        top = float(np.max(np.abs(finite))) if finite.size else 1.0
        vrange = (-(top or 1.0), top or 1.0) if signed else (0.0, float(finite.max()) if finite.size else 1.0)
    lo, hi = vrange
    hi = hi if hi > lo else lo + 1.0
    scale = DIVERGING if signed else LOSS_SCALE
    frac = np.clip((np.nan_to_num(values, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
    colors = _colors(scale, frac)
    spans = []
    for ch, v, bg in zip(text, values, colors, strict=True):
        shown = html.escape(_show(ch) if ch in "\n\t" else ch)
        if np.isfinite(v):
            tip = html.escape(f"{_show(ch)!r}: {name} = {v:.3f}{unit}", quote=True)
            style = f"background:{bg};color:{_text_color(bg)}"
            spans.append(f'<span style="{style}" title="{tip}">{shown}</span>')
        else:
            dim = GREYS["dim text"]
            spans.append(f'<span style="color:{dim}" title="{html.escape(name)}: none">{shown}</span>')
        if ch == "\n":
            spans.append("<br>")
    lo_bg, mid_bg, hi_bg = _colors(scale, np.array([0.0, 0.5, 1.0]))
    legend = (
        f'<div style="font-size:14px;margin-top:6px">{html.escape(name)}: '
        f'<span style="background:{lo_bg};color:{_text_color(lo_bg)};padding:0 6px">{lo:.2f}{unit}</span>'
        f'<span style="background:{mid_bg};color:{_text_color(mid_bg)};padding:0 6px">'
        f"{(lo + hi) / 2:.2f}</span>"
        f'<span style="background:{hi_bg};color:{_text_color(hi_bg)};padding:0 6px">{hi:.2f}{unit}</span>'
        " &nbsp;(hover a character for its exact value)</div>"
    )
    body = "".join(spans)
    # a scrolling box: focusable (tabindex) and named, so a keyboard can scroll it and a screen
    # reader says what it is
    box = (
        f'<div tabindex="0" role="region" aria-label="{html.escape(name, quote=True)} of each character" '
        f'style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:{font_px}px;'
        f"line-height:1.55;white-space:pre-wrap;word-break:break-all;max-height:{max_height_px}px;"
        f'overflow-y:auto;border:1px solid {GREYS["pale"]};border-radius:6px;padding:8px">{body}</div>'
    )
    return box + legend


def step_loss_figure(
    inputs: str,
    targets: str,
    loss: np.ndarray,
    grad_h_norm: np.ndarray | None = None,
    title: str | None = None,
) -> go.Figure:
    """Bars of L_t = -ln p(x_{t+1} | x_<=t) with the running sum; below, ||dL/dh_t|| of the total loss.

    The x axis is the step t = 1..T-1 (row k of the arrays is step k + 1)."""
    loss = np.asarray(loss, dtype=float)
    T = len(loss)
    rows = 2 if grad_h_norm is not None else 1
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        row_heights=[0.65, 0.35][:rows],
        specs=[[{"secondary_y": True}]] + [[{}]] * (rows - 1),
    )
    reads = [_show(c) for c in inputs[:T]]
    predicts = [_show(c) for c in targets[:T]]
    custom = np.array([reads, predicts, np.exp(-loss)], dtype=object).T
    fig.add_trace(
        go.Bar(
            x=list(range(1, T + 1)),
            y=loss,
            name="L_t (nats)",
            marker_color=COLORS["loss"],
            customdata=custom,
            hovertemplate="t=%{x}: reads %{customdata[0]}, must predict %{customdata[1]}"
            "<br>p = %{customdata[2]:.3f}, L_t = -ln p = %{y:.3f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=list(range(1, T + 1)),
            y=np.cumsum(loss),
            name="running sum of L_t",
            mode="lines",
            line=dict(color=GREYS["line"], width=2),
            hovertemplate="t=%{x}: sum so far = %{y:.2f} nats<extra></extra>",
        ),
        row=1,
        col=1,
        secondary_y=True,
    )
    if grad_h_norm is not None:
        fig.add_trace(
            go.Scatter(
                x=list(range(1, T + 1)),
                y=np.asarray(grad_h_norm, dtype=float),
                name="||dL/dh_t||",
                mode="lines+markers" if T <= 80 else "lines",
                line=dict(color=COLORS["grad"]),
                hovertemplate="t=%{x}: ||dL/dh_t|| = %{y:.4g}<extra></extra>",
            ),
            row=2,
            col=1,
        )
        fig.update_yaxes(title_text="||dL/dh_t||", row=2, col=1)
    every = max(1, T // 50)
    fig.update_xaxes(
        tickvals=list(range(1, T + 1, every)),  # steps count from 1: step t reads x_t, predicts x_{t+1}
        ticktext=predicts[::every],
        tickangle=0,
        title_text="time step t (tick = the character to predict)",
        row=rows,
        col=1,
    )
    fig.update_yaxes(title_text="L_t (nats)", row=1, col=1, secondary_y=False, rangemode="tozero")
    fig.update_yaxes(
        title_text="sum (nats)", row=1, col=1, secondary_y=True, showgrid=False, rangemode="tozero"
    )
    return base_layout(fig, title, 300 + 160 * (rows - 1))


def next_char_figure(
    probs: np.ndarray,
    vocab: Sequence[str],
    inputs: str,
    targets: str | None = None,
    k: int = 5,
    title: str | None = None,
) -> go.Figure:
    """The ``k`` most likely next characters after each position: columns = positions, rows = rank.

    A cell shows the candidate and is coloured by its probability; a candidate that is the actual
    next character is drawn in bold.
    """
    probs = np.asarray(probs, dtype=float)
    T, V = probs.shape
    k = min(k, V)
    order = np.argsort(-probs, axis=1)[:, :k]  # (T, k)
    top = np.take_along_axis(probs, order, axis=1)  # (T, k)
    cand = [[_show(vocab[j]) for j in row] for row in order]
    hit = [[targets is not None and vocab[j] == targets[t] for j in row] for t, row in enumerate(order)]
    label = [
        [f"<b>{c}</b>" if h else c for c, h in zip(cr, hr, strict=True)]
        for cr, hr in zip(cand, hit, strict=True)
    ]
    reads = [_show(c) for c in inputs[:T]]
    actual = [_show(c) for c in targets[:T]] if targets is not None else ["?"] * T
    custom = np.array([[[reads[t], cand[t][r], actual[t]] for t in range(T)] for r in range(k)], dtype=object)
    fig = go.Figure(
        go.Heatmap(
            z=top.T,
            x=list(range(1, T + 1)),
            y=[f"#{r + 1}" for r in range(k)],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=np.array(label, dtype=object).T,
            texttemplate="%{text}",
            textfont=dict(size=14),
            customdata=custom,
            colorbar=dict(title=dict(text="p"), thickness=12),
            hovertemplate="after %{customdata[0]} (t=%{x}): p(%{customdata[1]}) = %{z:.3f}"
            "<br>actual next: %{customdata[2]}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="position t (tick = the character just read)",
        tickvals=list(range(1, T + 1)),  # positions count from 1, as the sample's CSV does
        ticktext=reads,
        tickangle=0,
    )
    fig.update_yaxes(title="rank", autorange="reversed")
    return base_layout(fig, title, 120 + 38 * k)


def unit_ranking_figure(units: Sequence[int], r: Sequence[float], signal: str, title: str | None = None):
    """Horizontal bars: Pearson r of each listed unit with ``signal``, best first (top row)."""
    r = np.asarray(r, dtype=float)
    labels = [f"unit {u}" for u in units]
    fig = go.Figure(
        go.Bar(
            x=r,
            y=labels,
            orientation="h",
            marker_color=[COLORS["loss"] if v > 0 else COLORS["h"] for v in r],
            hovertemplate=f"%{{y}}: r = %{{x:.3f}} with {signal}<extra></extra>",
        )
    )
    fig.update_xaxes(title=f"Pearson r of h_t[unit] with {signal}", range=[-1, 1], zeroline=True)
    fig.update_yaxes(title="hidden unit", autorange="reversed", type="category")
    return base_layout(fig, title, 90 + 30 * len(labels))


def unit_trace_figure(
    h: np.ndarray, signal: np.ndarray, text: str, unit: int, signal_name: str, title: str | None = None
) -> go.Figure:
    """One unit's h_t (left axis) and the structural signal (right axis) over the characters of ``text``."""
    h, signal = np.asarray(h, dtype=float), np.asarray(signal, dtype=float)
    T = len(h)
    chars = [_show(c) for c in text[:T]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=list(range(1, T + 1)),
            y=h,
            name=f"h_t[{unit}]",
            mode="lines",
            line=dict(color=COLORS["h"]),
            customdata=chars,
            hovertemplate=f"t=%{{x}} %{{customdata}}: h_t[{unit}] = %{{y:.3f}}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=list(range(1, T + 1)),
            y=signal,
            name=signal_name,
            mode="lines",
            line=dict(color=COLORS["bound"], shape="hv"),
            customdata=chars,
            hovertemplate=f"t=%{{x}} %{{customdata}}: {signal_name} = %{{y:.0f}}<extra></extra>",
        ),
        secondary_y=True,
    )
    fig.update_xaxes(title="character position t")
    fig.update_yaxes(title_text=f"h_t[{unit}]", secondary_y=False)
    whole = bool(np.all(signal == np.round(signal))) and np.ptp(signal) <= 8 if T else False
    fig.update_yaxes(
        title_text=signal_name,
        secondary_y=True,
        showgrid=False,
        rangemode="tozero",
        dtick=1 if whole else None,
    )
    return base_layout(fig, title, 300)


def fit_figure(
    steps: Sequence[int],
    held_out: Sequence[float],
    train: Sequence[float],
    best_step: int,
    chosen_step: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """Held-out bits/char at each checkpoint and the training loss (bits/char) before it; the best marked."""
    steps = list(steps)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=[None if not np.isfinite(v) else float(v) for v in train],  # no rows before step 0
            name="training (100 steps before)",
            mode="lines+markers",
            line=dict(color=COLORS["h"]),
            hovertemplate="step %{x}: training %{y:.3f} bits per character<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=list(held_out),
            name="held out",
            mode="lines+markers",
            line=dict(color=COLORS["loss"], width=3),
            hovertemplate="step %{x}: held out %{y:.3f} bits per character<extra></extra>",
        )
    )
    best = held_out[steps.index(best_step)]
    fig.add_trace(
        go.Scatter(
            x=[best_step],
            y=[best],
            name=f"best: step {best_step}",
            mode="markers",
            marker=dict(symbol="star", size=16, color=COLORS["c"]),
            hovertemplate="best checkpoint, step %{x}: %{y:.3f} bits per character<extra></extra>",
        )
    )
    if chosen_step is not None and chosen_step != best_step and chosen_step in steps:
        fig.add_vline(x=chosen_step, line_dash="dot", line_color=GREYS["dim text"])
    fig.update_xaxes(title="training step")
    later = [float(v) for v in [*held_out[1:], *train[1:]] if np.isfinite(v)]
    top = 1.15 * max(later) if later else 0.0
    if len(steps) >= 3 and held_out[0] > top:
        # the untrained step-0 point (near log2 V) would squash the part that matters: it leaves the top
        fig.update_yaxes(title=f"bits per character (step 0: {held_out[0]:.2f}, off the top)", range=[0, top])
    else:
        fig.update_yaxes(title="bits per character", rangemode="tozero")
    return base_layout(fig, title, 320)
