"""Figures for lesson 8 (word embeddings): arrays in, ``go.Figure`` out.

Symbols match the lesson: o_w one-hot, E the (V, d) embedding matrix, e_w = o_w^T E,
ê_w = e_w / ||e_w||, t = ê_b - ê_a + ê_c.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.style import CELL_TEXT, COLORS, DIVERGING, GREYS, OKABE_ITO, base_layout

# Roles in the analogy plots and the three embedding variants of the transfer experiment.
RELATION_COLOR = COLORS["f"]  # the offset arrows a -> b and c -> d
EXTRA_COLOR = COLORS["bound"]  # the preset's extra pairs
WORD_COLOR = COLORS["h"]
VARIANT_COLORS = {"random": COLORS["bound"], "frozen": COLORS["z"], "finetuned": COLORS["f"]}
POSITIVE, NEGATIVE = OKABE_ITO["bluish green"], OKABE_ITO["vermillion"]  # and up vs down: not colour alone
SHOW_NUMBERS_UP_TO = 16  # print numbers inside heatmap cells when there are at most this many columns


def _dims(d: int) -> list[str]:
    return [f"dim {i}" for i in range(d)]


def lookup_figure(
    words: Sequence[str], onehot: np.ndarray, table: np.ndarray, product: np.ndarray
) -> go.Figure:
    """o_w beside E, and the product e_w = o_w^T E underneath: the 1 picks out one row of E."""
    words = list(words)
    v, d = table.shape
    chosen = int(np.argmax(onehot))
    text = d <= SHOW_NUMBERS_UP_TO
    fig = make_subplots(
        rows=2,
        cols=2,
        column_widths=[0.1, 0.9],
        row_heights=[v / (v + 1.6), 1.6 / (v + 1.6)],
        horizontal_spacing=0.03,
        vertical_spacing=0.12,
        subplot_titles=("o_w", f"E  (V = {v} words x d = {d})", "", f"e_w = o_w^T E  (w = {words[chosen]})"),
    )
    lim = float(np.abs(table).max()) or 1.0
    fig.add_trace(
        go.Heatmap(
            z=onehot[:, None],
            x=["o_w"],
            y=words,
            colorscale=[[0, GREYS["paper"]], [1, COLORS["h"]]],
            zmin=0,
            zmax=1,
            showscale=False,
            texttemplate="%{z:.0f}",
            textfont=dict(size=CELL_TEXT),
            hovertemplate="o_w[%{y}] = %{z:.0f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(
            z=table,
            x=_dims(d),
            y=words,
            colorscale=DIVERGING,
            zmin=-lim,
            zmax=lim,
            colorbar=dict(title="value", len=0.7, y=0.62),
            texttemplate="%{z:.2f}" if text else None,
            textfont=dict(size=CELL_TEXT),
            hovertemplate="E[%{y}, %{x}] = %{z:.4f}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(
        go.Heatmap(
            z=product[None, :],
            x=_dims(d),
            y=[f"e_{words[chosen]}"],
            colorscale=DIVERGING,
            zmin=-lim,
            zmax=lim,
            showscale=False,
            texttemplate="%{z:.2f}" if text else None,
            textfont=dict(size=CELL_TEXT),
            hovertemplate="e_w[%{x}] = %{z:.4f}<extra></extra>",
        ),
        row=2,
        col=2,
    )
    # outline the row of E that the 1 selects
    for col in (1, 2):
        fig.add_shape(
            type="rect",
            x0=-0.5,
            x1=(0.5 if col == 1 else d - 0.5),
            y0=chosen - 0.5,
            y1=chosen + 0.5,
            line=dict(color=COLORS["loss"], width=3),
            row=1,
            col=col,
        )
    for col in (1, 2):
        fig.update_yaxes(autorange="reversed", row=1, col=col)
    fig.update_yaxes(showticklabels=False, row=1, col=2)
    # the dims are labelled once, under e_w: labels under E sat beneath the title of the e_w panel
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_xaxes(showticklabels=False, row=1, col=2)
    base_layout(fig, height=max(300, 38 * v + 170))
    return fig


def cosine_matrix_figure(words: Sequence[str], cos: np.ndarray, title: str) -> go.Figure:
    """cos(u, v) for every pair of words, with the value printed in each cell."""
    words = list(words)
    fig = go.Figure(
        go.Heatmap(
            z=cos,
            x=words,
            y=words,
            colorscale=DIVERGING,
            zmin=-1,
            zmax=1,
            texttemplate="%{z:.2f}",
            textfont=dict(size=CELL_TEXT),
            colorbar=dict(title="cos"),
            hovertemplate="cos(%{y}, %{x}) = %{z:.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    base_layout(fig, title=title, height=max(300, 36 * len(words) + 120))
    return fig


def cosine_terms_figure(
    word_u: str, word_v: str, u: np.ndarray, v: np.ndarray, products: np.ndarray
) -> go.Figure:
    """Top: e_u,i and e_v,i per dimension. Bottom: e_u,i e_v,i, whose sum is the dot product."""
    d = len(u)
    dims = np.arange(d)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=(
            f"the two vectors e_{word_u} and e_{word_v}",
            # sum_i e_u,i e_v,i = e_u · e_v (lesson 8 writes the dot product with ·)
            f"e_{word_u},i × e_{word_v},i  (sum = e_{word_u} · e_{word_v} = {products.sum():.3f})",
        ),
    )
    fig.add_trace(
        go.Bar(x=dims, y=u, name=f"e_{word_u}", marker_color=COLORS["h"],
               hovertemplate=f"e_{word_u},%{{x}} = %{{y:.4f}}<extra></extra>"),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Bar(x=dims, y=v, name=f"e_{word_v}", marker_color=COLORS["o"],
               hovertemplate=f"e_{word_v},%{{x}} = %{{y:.4f}}<extra></extra>"),
        row=1, col=1,
    )  # fmt: skip
    fig.add_trace(
        go.Bar(
            x=dims,
            y=products,
            name="product",
            marker_color=[POSITIVE if p >= 0 else NEGATIVE for p in products],
            hovertemplate="dim %{x}: product %{y:.4f}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=f"dimension i (0 to {d - 1})", row=2, col=1)
    fig.update_yaxes(title_text="value", row=1, col=1)
    fig.update_yaxes(title_text="product", row=2, col=1)
    return base_layout(fig, height=480)


def ranked_words_figure(
    words: Sequence[str], scores: Sequence[float], title: str, highlight: str | None = None
) -> go.Figure:
    """Horizontal bars of cosine scores, best at the top; ``highlight`` stands out."""
    words, scores = list(words), [float(s) for s in scores]
    colors = [RELATION_COLOR if w == highlight else WORD_COLOR for w in words]
    fig = go.Figure(
        go.Bar(
            x=scores,
            y=words,
            orientation="h",
            marker_color=colors,
            text=[f"{s:.3f}" for s in scores],
            textposition="auto",
            textfont=dict(size=CELL_TEXT),
            hovertemplate="%{y}: cos = %{x:.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title_text="word")
    lo = min(0.0, min(scores) - 0.05) if scores else 0.0
    fig.update_xaxes(title_text="cosine similarity", range=[lo, 1.0])
    return base_layout(fig, title=title, height=max(260, 30 * len(words) + 110))


def arithmetic_figure(labels: Sequence[str], rows: np.ndarray, n_dims: int = 8) -> go.Figure:
    """The analogy arithmetic t = ê_b - ê_a + ê_c on the first ``n_dims`` dimensions, numbers printed."""
    rows = np.asarray(rows)[:, :n_dims]
    lim = float(np.abs(rows).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=rows,
            x=_dims(rows.shape[1]),
            y=list(labels),
            colorscale=DIVERGING,
            zmin=-lim,
            zmax=lim,
            texttemplate="%{z:.3f}",
            # a fixed size: plotly would shrink the numbers to fit (about 6 px at 1400 px), and the
            # caption asks for a column to be checked by hand; the numbers make the colour bar redundant
            textfont=dict(size=15),
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate="%{y}, %{x}: %{z:.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    base_layout(fig, title=f"first {rows.shape[1]} of the dimensions", height=60 * len(labels) + 110)
    return fig.update_layout(margin=dict(l=70, r=10))


def _pair_style(k: int) -> tuple[str, int]:
    return (RELATION_COLOR, 4) if k < 2 else (EXTRA_COLOR, 2)


# Label collisions on the 2-D map, as fractions of its span: a label is about this wide and tall, and
# two words this far apart in x count as side by side.
LABEL_WIDE, LABEL_TALL, SIDE_BY_SIDE = 0.12, 0.07, 0.03


def _label_sides(words: list[str], pos: dict, pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Put each label away from its arrow: behind the tail, beyond the head (fewer overlaps)."""
    side: dict[str, str] = {}
    for x, y in pairs:
        dx, dy = pos[y][0] - pos[x][0], pos[y][1] - pos[x][1]
        if abs(dy) >= abs(dx):
            tail, head = ("bottom center", "top center") if dy > 0 else ("top center", "bottom center")
        else:
            tail, head = ("middle left", "middle right") if dx > 0 else ("middle right", "middle left")
        side.setdefault(x, tail)
        side.setdefault(y, head)
    sides = [side.get(w, "top center") for w in words]
    # Two labels this close print over each other, and arrows reach words from above or below: put the
    # labels left and right of their words, the left one for the word further left (for two words
    # one above the other, the upper one).
    xy = np.array([pos[w] for w in words], dtype=float).reshape(len(words), 2)
    span = float(np.ptp(xy, axis=0).max()) if len(words) > 1 else 0.0
    for i in range(len(words)):
        for j in range(i + 1, len(words)):
            dx, dy = xy[j] - xy[i]
            if span == 0 or abs(dx) >= LABEL_WIDE * span or abs(dy) >= LABEL_TALL * span:
                continue
            j_left = dx < 0 if abs(dx) >= SIDE_BY_SIDE * span else dy > 0
            sides[i], sides[j] = (
                ("middle right", "middle left") if j_left else ("middle left", "middle right")
            )
    return sides


def projection_2d_figure(
    words: Sequence[str],
    coords: np.ndarray,
    pairs: Sequence[tuple[str, str]],
    explained: np.ndarray,
    title: str,
    target: np.ndarray | None = None,
) -> go.Figure:
    """Words at their 2-D PCA positions; an arrow x -> y for every pair (the first two in colour).

    ``target``: the PCA coordinates of t = ê_b - ê_a + ê_c, drawn as a star.
    """
    words = list(words)
    pos = {w: coords[i] for i, w in enumerate(words)}
    fig = go.Figure(
        go.Scatter(
            x=coords[:, 0],
            y=coords[:, 1],
            mode="markers+text",
            text=words,
            textposition=_label_sides(words, pos, pairs),
            textfont=dict(size=16),
            marker=dict(size=11, color=WORD_COLOR),
            hovertemplate="%{text}: (%{x:.3f}, %{y:.3f})<extra></extra>",
            showlegend=False,
        )
    )
    for k, (x, y) in enumerate(pairs):
        color, width = _pair_style(k)
        fig.add_annotation(
            x=pos[y][0], y=pos[y][1], ax=pos[x][0], ay=pos[x][1], xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=width, arrowcolor=color, text="",
            standoff=7, startstandoff=7,
        )  # fmt: skip
    if target is not None:
        fig.add_trace(
            go.Scatter(
                x=[target[0]], y=[target[1]], mode="markers+text", text=["t"], textposition="bottom center",
                marker=dict(symbol="star", size=18, color=RELATION_COLOR), textfont=dict(size=16),
                name="t = ê_b - ê_a + ê_c", hovertemplate="t: (%{x:.3f}, %{y:.3f})<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(title_text=f"PC 1 ({100 * explained[0]:.0f}% of the spread)", zeroline=False)
    fig.update_yaxes(
        title_text=f"PC 2 ({100 * explained[1]:.0f}% of the spread)",
        zeroline=False,
        scaleanchor="x",
        scaleratio=1,
    )
    return base_layout(fig, title=title, height=520)


def projection_3d_figure(
    words: Sequence[str],
    coords: np.ndarray,
    pairs: Sequence[tuple[str, str]],
    explained: np.ndarray,
    title: str,
    target: np.ndarray | None = None,
) -> go.Figure:
    """Words at their 3-D PCA positions; a line with a cone head for every pair x -> y; t as a diamond."""
    words = list(words)
    pos = {w: coords[i] for i, w in enumerate(words)}
    fig = go.Figure(
        go.Scatter3d(
            x=coords[:, 0],
            y=coords[:, 1],
            z=coords[:, 2],
            mode="markers+text",
            text=words,
            textfont=dict(size=15),
            marker=dict(size=5, color=WORD_COLOR),
            hovertemplate="%{text}: (%{x:.3f}, %{y:.3f}, %{z:.3f})<extra></extra>",
            showlegend=False,
        )
    )
    span = float(np.ptp(coords, axis=0).max()) or 1.0
    for k, (x, y) in enumerate(pairs):
        color, width = _pair_style(k)
        p, q = pos[x], pos[y]
        fig.add_trace(
            go.Scatter3d(
                x=[p[0], q[0]], y=[p[1], q[1]], z=[p[2], q[2]], mode="lines",
                line=dict(color=color, width=2 * width), hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
        direction = (q - p) / (np.linalg.norm(q - p) or 1.0) * span * 0.1  # cone length, in data units
        fig.add_trace(
            go.Cone(
                x=[q[0]], y=[q[1]], z=[q[2]], u=[direction[0]], v=[direction[1]], w=[direction[2]],
                colorscale=[[0, color], [1, color]], showscale=False, sizemode="raw",
                sizeref=1.0, anchor="tip", hovertemplate=f"{x} -> {y}<extra></extra>",
            )
        )  # fmt: skip
    if target is not None:
        fig.add_trace(
            go.Scatter3d(
                x=[target[0]], y=[target[1]], z=[target[2]], mode="markers+text", text=["t"],
                marker=dict(symbol="diamond", size=7, color=RELATION_COLOR), textfont=dict(size=15),
                name="t = ê_b - ê_a + ê_c", hovertemplate="t: (%{x:.3f}, %{y:.3f}, %{z:.3f})<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        scene=dict(
            xaxis_title=f"PC 1 ({100 * explained[0]:.0f}%)",
            yaxis_title=f"PC 2 ({100 * explained[1]:.0f}%)",
            zaxis_title=f"PC 3 ({100 * explained[2]:.0f}%)",
            aspectmode="cube",
            camera=dict(eye=dict(x=1.2, y=1.2, z=0.8)),  # a little closer than plotly's default
        )
    )
    return base_layout(fig, title=title, height=560)


def transfer_curves_figure(curves: dict[str, dict[str, Sequence[float]]], chance: float = 0.5) -> go.Figure:
    """Accuracy against training step for each embedding variant: solid = held-out, dotted = training.

    ``curves[variant] = {"step": [...], "train_acc": [...], "test_acc": [...]}``.
    """
    fig = go.Figure()
    for name, c in curves.items():
        color = VARIANT_COLORS.get(name, COLORS["h"])
        fig.add_trace(
            go.Scatter(x=c["step"], y=c["test_acc"], mode="lines+markers",
                       name=f"{name}: held-out, unseen words", line=dict(color=color, width=3),
                       hovertemplate=f"{name}, step %{{x}}: held-out accuracy (unseen words) %{{y:.3f}}"
                       "<extra></extra>")
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=c["step"], y=c["train_acc"], mode="lines", name=f"{name}: training",
                       line=dict(color=color, width=2, dash="dot"),
                       hovertemplate=f"{name}, step %{{x}}: training accuracy %{{y:.3f}}<extra></extra>")
        )  # fmt: skip
    fig.add_hline(y=chance, line=dict(color=COLORS["bound"], dash="dash"), annotation_text="chance")
    fig.update_xaxes(title_text="training step")
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02])
    last = max((max(c["step"], default=0) for c in curves.values()), default=0)
    if last == 0:  # only the untrained models' step 0: an axis from -1 to 1 would be half empty
        fig.update_xaxes(range=[-0.1, 1], tickvals=[0])
        fig.add_annotation(
            x=0.5, y=0.9, xref="x", yref="y", showarrow=False,
            text="step 0: the untrained models. Press Train to draw the curves.",
        )  # fmt: skip
    return base_layout(fig, height=420)
