"""Charts for the pointer lesson: the pointer matrix, the answer drawn on the input, accuracy by length.

Symbols as in the lesson: input positions t = 1..T (the "end" choice is column 0), output steps
s = 1..S, p(y_s = t) = alpha_{t,s}. Arrays are indexed from 0 as numpy does.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.style import CELL_TEXT, COLORS, OKABE_ITO, SEQUENTIAL, base_layout

POINTER, BASELINE = "pointer network", "fixed-vocabulary seq2seq"  # the two models' names everywhere
MODEL_COLORS = {POINTER: OKABE_ITO["blue"], BASELINE: OKABE_ITO["vermillion"]}
MODEL_STYLE = {POINTER: ("solid", "circle"), BASELINE: ("dash", "square")}
BELOW = dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0)  # a legend under the plot
RIGHT, WRONG, TRUTH = OKABE_ITO["blue"], OKABE_ITO["vermillion"], COLORS["bound"]  # truth: the grey of bounds


def _choice(t: int) -> str:
    return "end" if t == 0 else f"t={t}"


def pointer_heatmap(
    alpha: np.ndarray, answer: list[int], target: list[int], title: str | None = None
) -> go.Figure:
    """p(y_s = t) = alpha_{t,s}: one row per output step s, one column per choice (end, t = 1..T);
    a row label carries the step's choice and a cross where it differs from the target."""
    S, C = alpha.shape
    shown = np.where(np.isfinite(alpha), alpha, 0.0)
    labels = []
    for s, p in enumerate(answer, 1):
        ok = s <= len(target) and target[s - 1] == p
        labels.append(f"s={s}: {_choice(p)}" + ("" if ok else " ✗"))
    fig = go.Figure(
        go.Heatmap(
            z=shown,
            x=list(range(C)),
            y=list(range(1, S + 1)),
            zmin=0,
            zmax=1,
            colorscale=SEQUENTIAL,
            hovertemplate="step s=%{y}, choice %{x}<br>alpha_{t,s} = %{z:.4f}<extra></extra>",
            colorbar=dict(title="alpha"),
            texttemplate="%{z:.2f}" if C <= 13 else None,
            textfont=dict(size=CELL_TEXT),
        )
    )
    base_layout(fig, title, height=max(300, 34 * S + 130))
    fig.update_xaxes(
        title="choice: end, or input position t",
        tickmode="array",
        tickvals=list(range(C)),
        ticktext=["end", *map(str, range(1, C))],
        side="bottom",
        tickangle=0,
    )
    fig.update_yaxes(
        title="output step s",
        tickmode="array",
        tickvals=list(range(1, S + 1)),
        ticktext=labels,
        autorange="reversed",
    )
    return fig


def hull_plot(x: np.ndarray, answer: list[int], target: list[int], title: str | None = None) -> go.Figure:
    """The points (labelled t), the true hull (grey, dashed) and the predicted hull drawn in order:
    step s joins the previous choice to choice s; a wrong step is a vermillion dotted segment and a
    cross on the point it chose."""
    fig = go.Figure()
    true = [t for t in target if t]
    ring = true + true[:1]
    fig.add_trace(
        go.Scatter(
            x=x[[t - 1 for t in ring], 0], y=x[[t - 1 for t in ring], 1], mode="lines", name="true hull",
            line=dict(color=TRUTH, width=6, dash="dash"), hoverinfo="skip",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=x[:, 0], y=x[:, 1], mode="markers+text", name="input points",
            text=[f"{t}" for t in range(1, len(x) + 1)],
            textposition="top right", textfont=dict(size=15), marker=dict(size=11, color=OKABE_ITO["black"]),
            hovertemplate="t=%{text}: (%{x:.3f}, %{y:.3f})<extra></extra>",
        )
    )  # fmt: skip
    chosen = [t for t in answer if t]
    closes = bool(chosen) and answer[-1] == 0  # the answer ended: its last segment closes the ring
    path = chosen + chosen[:1] if closes else chosen
    shown_legend: set[bool] = set()
    for s in range(1, len(path)):
        a, b = path[s - 1], path[s]
        step = s + 1  # segment s ends at output step s + 1's choice (step 1 picks the first point)
        closing = closes and s == len(path) - 1  # this step chose end
        want = 0 if closing else b
        ok = step <= len(target) and target[step - 1] == want
        color = RIGHT if ok else WRONG
        where = "end (closes the ring)" if closing else f"t={b}"
        fig.add_trace(
            go.Scatter(
                x=x[[a - 1, b - 1], 0], y=x[[a - 1, b - 1], 1], mode="lines+markers",
                line=dict(color=color, width=3, dash="solid" if ok else "dot"),
                marker=dict(symbol="arrow", angleref="previous", size=16, color=color),
                name="predicted, right step" if ok else "predicted, wrong step",
                legendgroup=str(ok), showlegend=ok not in shown_legend,
                hovertemplate=f"step s={step}: t={a} -> {where}<extra></extra>",
            )
        )  # fmt: skip
        shown_legend.add(ok)
    wrong = [s for s, p in enumerate(answer, 1) if s > len(target) or target[s - 1] != p]
    marks = [answer[s - 1] for s in wrong if answer[s - 1]]
    if marks:
        fig.add_trace(
            go.Scatter(
                x=x[[t - 1 for t in marks], 0], y=x[[t - 1 for t in marks], 1], mode="markers",
                name="wrong choice",
                marker=dict(symbol="x", size=20, color=WRONG, line=dict(width=1, color="white")),
                hovertemplate="a wrong step chose this point<extra></extra>",
            )
        )  # fmt: skip
    first = [t for t in answer[:1] if t]
    if first:
        fig.add_trace(
            go.Scatter(
                x=x[[first[0] - 1], 0], y=x[[first[0] - 1], 1], mode="markers", name="step 1",
                marker=dict(symbol="circle-open", size=24, color=RIGHT if first[0] == target[0] else WRONG,
                            line=dict(width=3)),
                hoverinfo="skip",
            )
        )  # fmt: skip
    base_layout(fig, title, height=560)
    fig.update_layout(legend=BELOW, margin=dict(b=150))
    fig.update_xaxes(title="x", scaleanchor="y", scaleratio=1)
    fig.update_yaxes(title="y")
    return fig


def sort_plot(x: np.ndarray, answer: list[int], target: list[int], title: str | None = None) -> go.Figure:
    """Value of the input chosen at each output step s (blue, a vermillion cross where the step is
    wrong) against the sorted values (grey, dashed): a right answer climbs the grey staircase."""
    values = x[:, 0]
    truth = [t for t in target if t]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(range(1, len(truth) + 1)), y=values[[t - 1 for t in truth]], mode="lines+markers",
            name="sorted (target)", line=dict(color=TRUTH, width=6, dash="dash"),
            marker=dict(size=8, color=TRUTH),
            hovertemplate="target step s=%{x}: %{y:.3f}<extra></extra>",
        )
    )  # fmt: skip
    chosen = [(s, t) for s, t in enumerate(answer, 1) if t]
    ok = [s <= len(target) and target[s - 1] == t for s, t in chosen]
    fig.add_trace(
        go.Scatter(
            x=[s for s, _ in chosen], y=[values[t - 1] for _, t in chosen], mode="lines+markers+text",
            text=[f"t={t}" for _, t in chosen], textposition="top left", textfont=dict(size=14),
            name="pointer's answer", line=dict(color=RIGHT, width=3),
            marker=dict(size=[10 if k else 18 for k in ok], symbol=["circle" if k else "x" for k in ok],
                        color=[RIGHT if k else WRONG for k in ok]),
            hovertemplate="step s=%{x} chose %{text}: %{y:.3f}<extra></extra>",
        )
    )  # fmt: skip
    base_layout(fig, title, height=520)
    fig.update_layout(legend=BELOW, margin=dict(b=120))
    fig.update_xaxes(title="output step s", dtick=1)
    fig.update_yaxes(title="value x_t chosen")
    return fig


def accuracy_by_length(frame, n_train: int, title: str | None = None) -> go.Figure:
    """Exact match and per-step accuracy (%) against input length T, pointer vs fixed vocabulary;
    a vertical line at the training length."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("exact match", "per-step accuracy"), shared_yaxes=True
    )
    for col, metric in enumerate(("exact", "per_step"), 1):
        for model, rows in frame.groupby("model", sort=False):
            dash, symbol = MODEL_STYLE.get(model, ("solid", "circle"))
            color = MODEL_COLORS.get(model)
            fig.add_trace(
                go.Scatter(
                    x=rows["T"], y=100 * rows[metric], mode="lines+markers", name=model, showlegend=col == 1,
                    line=dict(color=color, width=3, dash=dash),
                    marker=dict(symbol=symbol, size=11, color=color),
                    hovertemplate=f"T=%{{x}}: %{{y:.1f}}% ({metric.replace('_', '-')})<extra>{model}</extra>",
                ),
                row=1, col=col,
            )  # fmt: skip
        fig.add_vline(x=n_train, line=dict(color=TRUTH, dash="dot"), row=1, col=col)
    base_layout(fig, title, height=460)
    fig.update_layout(legend=BELOW, margin=dict(t=80, b=110))
    fig.update_xaxes(title="input length T", dtick=1)
    fig.update_yaxes(title="accuracy (%)", range=[-3, 103], row=1, col=1)
    return fig


def sharpening(steps: list[int], values: list[float], chance: float, title: str | None = None) -> go.Figure:
    """Mean largest weight max_t alpha_{t,s} at each checkpoint, with the uniform level 1 / (T + 1)."""
    fig = go.Figure(
        go.Scatter(
            x=steps, y=values, mode="lines+markers", name="mean max alpha", line=dict(color=RIGHT, width=3),
            hovertemplate="step %{x}: mean max alpha %{y:.3f}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_hline(
        y=chance, line=dict(color=TRUTH, dash="dot"), annotation_text=f"uniform 1/(T+1) = {chance:.2f}"
    )
    base_layout(fig, title, height=320)
    fig.update_xaxes(title="training step")
    fig.update_yaxes(title="mean over s of max_t alpha_{t,s}", range=[0, 1.02])
    return fig
