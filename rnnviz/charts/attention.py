"""Charts for lesson 7: attention heatmaps, one decoder step in numbers, accuracy vs length.

Symbols as in the lesson: input position t (encoder states e_t), output step s (decoder
states d_s), score_{t,s}, alpha_{t,s}, context c_s. Positions are printed from 1, as the lesson
counts them (t = 1..T, s = 1..S, d_0 = e_T); arrays are indexed from 0 as numpy does.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.style import CELL_TEXT, COLORS, DIVERGING, OKABE_ITO, SEQUENTIAL, base_layout

KIND_COLORS = {"none": OKABE_ITO["black"], "dot": OKABE_ITO["blue"], "additive": OKABE_ITO["vermillion"]}
# Each kind its own dash and marker too: two kinds at the same accuracy still both show.
KIND_STYLE = {"none": ("dot", "circle", 12), "dot": ("solid", "diamond", 14), "additive": ("dash", "x", 9)}
KIND_NAMES = {"none": "no attention", "dot": "dot-product attention", "additive": "additive attention"}


def _label(token: str) -> str:
    return "␣" if token == " " else token


def _token_axis(tokens: list[str]) -> dict:
    """Numeric axis t = 1..T with token tick labels, so repeated tokens (two 'e's) stay separate."""
    return dict(
        tickmode="array", tickvals=list(range(1, len(tokens) + 1)), ticktext=[_label(t) for t in tokens]
    )


def attention_heatmap(
    alpha: np.ndarray, src: list[str], out: list[str], title: str | None = None
) -> go.Figure:
    """alpha_{t,s} as a heatmap: one row per output step s, one column per input token t."""
    S, T = alpha.shape
    hover = [
        [f"output s={s + 1} '{out[s]}'<br>input t={t + 1} '{_label(src[t])}'" for t in range(T)]
        for s in range(S)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=alpha,
            x=list(range(1, T + 1)),
            y=list(range(1, S + 1)),
            zmin=0,
            zmax=1,
            colorscale=SEQUENTIAL,
            customdata=hover,
            hovertemplate="%{customdata}<br>alpha_{t,s} = %{z:.4f}<extra></extra>",
            colorbar=dict(title="alpha"),
            texttemplate="%{z:.2f}" if T <= 12 else None,
            textfont=dict(size=CELL_TEXT),  # fixed: plotly would shrink them to fit
        )
    )
    base_layout(fig, title, height=max(300, 34 * S + 120))
    fig.update_xaxes(title="input token t", **_token_axis(src), side="bottom", tickangle=0)
    fig.update_yaxes(
        title="output step s",
        tickmode="array",
        tickvals=list(range(1, S + 1)),
        ticktext=[f"{s}: {tok}" for s, tok in enumerate(out, 1)],
        autorange="reversed",
    )
    return fig


def same_curves(curves: dict[str, dict[int, float]]) -> list[tuple[str, str]]:
    """Pairs of kinds whose curves are identical at every length (one would hide the other)."""
    kinds = list(curves)
    return [(a, b) for i, a in enumerate(kinds) for b in kinds[i + 1 :] if curves[a] == curves[b]]


def accuracy_curves(curves: dict[str, dict[int, float]], title: str | None = None) -> go.Figure:
    """Exact-match accuracy against input length, one line per attention kind, each with its own
    colour, dash and marker; identical curves are named in the title."""
    fig = go.Figure()
    same = same_curves(curves)
    if same:
        note = "; ".join(f"{KIND_NAMES.get(a, a)} = {KIND_NAMES.get(b, b)}" for a, b in same)
        title = f"{title + ': ' if title else ''}identical curves ({note}), drawn on top of each other"
    for kind, curve in curves.items():
        lengths = sorted(curve)
        dash, symbol, size = KIND_STYLE.get(kind, ("solid", "circle", 10))
        fig.add_trace(
            go.Scatter(
                x=lengths,
                y=[100 * curve[n] for n in lengths],
                mode="lines+markers",
                name=KIND_NAMES.get(kind, kind),
                line=dict(color=KIND_COLORS.get(kind), width=3, dash=dash),
                marker=dict(symbol=symbol, size=size, line=dict(width=2, color=KIND_COLORS.get(kind))),
                hovertemplate="%{x} words: %{y:.1f}% exact<extra>" + KIND_NAMES.get(kind, kind) + "</extra>",
            )
        )
    base_layout(fig, title, height=380)
    fig.update_xaxes(title="input length (words)", dtick=1)
    fig.update_yaxes(title="exact-match accuracy (%)", range=[-3, 103])
    return fig


def step_bars(src: list[str], score: np.ndarray, alpha: np.ndarray, s: int, out_token: str) -> go.Figure:
    """One decoder step s (counted from 1): the raw score_{t,s} of every input token t, and its
    softmax alpha_{t,s}."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=(f"score_t,{s} (any real number)", f"alpha_t,{s} = softmax_t(score) (sums to 1)"),
    )
    x = list(range(1, len(src) + 1))
    labels = [_label(t) for t in src]
    fig.add_trace(
        go.Bar(
            x=x,
            y=score,
            marker_color=COLORS["grad"],
            customdata=labels,
            name="score",
            hovertemplate="t=%{x} '%{customdata}'<br>score = %{y:.4f}<extra></extra>",
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Bar(
            x=x,
            y=alpha,
            marker_color=COLORS["z"],
            customdata=labels,
            name="alpha",
            hovertemplate="t=%{x} '%{customdata}'<br>alpha = %{y:.4f}<extra></extra>",
        ),
        2,
        1,
    )
    base_layout(fig, f"output step s={s}, predicted '{out_token}'", height=420)
    fig.update_layout(showlegend=False)
    fig.update_xaxes(**_token_axis(src), tickangle=0)
    fig.update_xaxes(title="input token t", row=2, col=1)
    fig.update_yaxes(range=[0, 1], row=2, col=1)
    return fig


def context_build(e: np.ndarray, alpha_s: np.ndarray, src: list[str], s: int, top: int = 5) -> go.Figure:
    """c_s = sum_t alpha_{t,s} e_t as rows: the ``top`` most weighted alpha_{t,s} e_t, the rest
    summed into one row, and their total c_s (every row is a real term, so they add up exactly).
    ``s`` is the step as printed (from 1); rows name e_t with t from 1."""
    weighted = alpha_s[:, None] * e  # (T, H): alpha_{t,s} e_t
    order = sorted(np.argsort(-alpha_s)[:top].tolist())
    rest = [t for t in range(len(src)) if t not in order]
    rows = [weighted[t] for t in order]
    names = [f"{alpha_s[t]:.2f} · e_{t + 1} '{_label(src[t])}'" for t in order]
    if rest:
        rows.append(weighted[rest].sum(0))
        names.append(f"{alpha_s[rest].sum():.2f} · the other {len(rest)} e_t")
    rows.append(weighted.sum(0))
    names.append(f"c_{s} (sum of the rows)")
    z = np.vstack(rows)
    lim = float(np.abs(z).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            y=list(range(len(names))),
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorscale=DIVERGING,
            customdata=[[n] * z.shape[1] for n in names],
            hovertemplate="%{customdata}<br>unit %{x}: %{z:.4f}<extra></extra>",
            colorbar=dict(title="value"),
        )
    )
    base_layout(fig, f"building the context c_{s} from the encoder states", height=110 + 34 * len(names))
    fig.update_xaxes(title="hidden unit")
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(names))), ticktext=names, autorange="reversed")
    return fig


def image_attention(image: np.ndarray, alpha: np.ndarray, words: list[str], grid: int) -> go.Figure:
    """The image once per generated word; cells the word does not look at are dimmed.

    The overlay is black with opacity 0.7 * (1 - alpha_{t,s}): a cell with all the weight shows
    as drawn, a cell with none is dark, and uniform attention (1/N each) dims everything.
    """
    S, px = len(words), image.shape[0] // grid
    fig = make_subplots(
        rows=1,
        cols=S,
        subplot_titles=[f"s={s}: '{w}'" for s, w in enumerate(words, 1)],
        horizontal_spacing=0.015,
    )
    centres = [(i + 0.5) * px - 0.5 for i in range(grid)]
    dim = [[0.0, "rgba(0,0,0,0.7)"], [1.0, "rgba(0,0,0,0)"]]
    for s in range(S):
        fig.add_trace(go.Image(z=(255 * image).astype(np.uint8), hoverinfo="skip"), 1, s + 1)
        fig.add_trace(
            go.Heatmap(
                z=alpha[s].reshape(grid, grid),
                x=centres,
                y=centres,
                zmin=0,
                zmax=1,
                colorscale=dim,
                showscale=s == S - 1,
                colorbar=dict(title="alpha", tickvals=[0, 0.5, 1]),
                customdata=[[[r + 1, c + 1] for c in range(grid)] for r in range(grid)],
                hovertemplate="cell row %{customdata[0]}, col %{customdata[1]}<br>"
                "alpha = %{z:.3f}<extra></extra>",
            ),
            1,
            s + 1,
        )
    # the panels are square, so their width (the page's width / S) sets the height they need
    base_layout(fig, None, height=int(min(400, max(200, 80 + 1000 / S))))
    fig.update_xaxes(showticklabels=False, showgrid=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed")
    return fig
