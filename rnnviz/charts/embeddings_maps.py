"""Lesson 8's word maps: one set of words drawn by PCA and by t-SNE, the two charts drawn alike.

Each typed word and its neighbours share an Okabe-Ito colour and a marker shape (not colour alone);
the typed words' labels are bold. Both maps keep equal scales on their axes (a circle stays a
circle), so shapes can be compared; the t-SNE map has no tick numbers because its units mean nothing.
The pair the two maps disagree about most is joined by a dashed black line in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.style import GREYS, OKABE_ITO, base_layout, text_color

# the yellow last: as a marker it is the faintest on white (its outline and shape still tell it apart)
GROUP_COLORS = tuple(
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish green", "reddish purple", "orange", "sky blue", "black", "yellow")
)
GROUP_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "triangle-down", "x", "star")
# Scatter3d knows fewer shapes: the open ones tell the last groups apart
GROUP_SYMBOLS_3D = ("circle", "square", "diamond", "circle-open", "cross", "square-open", "x", "diamond-open")
PAIR_COLOR = GREYS["text"]
LABEL_PX = 13  # every word's label (one size: presenter mode grows a trace's one size); typed words bold
MAP_HEIGHT = 560


def word_map_figure(
    words: Sequence[str],
    group: np.ndarray,
    seeds: Sequence[str],
    coords: np.ndarray,
    title: str,
    axis_titles: Sequence[str],
    pair: tuple[str, str] | None = None,
    ticks: bool = True,
    label_all: bool = False,
) -> go.Figure:
    """Words at their 2-D or 3-D map positions (``coords`` (n, 2 | 3)), coloured by the typed word
    they came with; ``pair`` joined by a dashed line; ``ticks=False`` hides the axes' numbers.

    Labels: the typed words (bold) and the pair's two words; every word with ``label_all`` (each
    point names its word on hover either way). Fifty labels in a half-width chart run together."""
    words, coords, group = list(words), np.asarray(coords, dtype=float), np.asarray(group)
    dims = coords.shape[1]
    seed_set = set(seeds)
    named = set(words) if label_all else seed_set | set(pair or ())
    fig = go.Figure()
    for s, seed in enumerate(seeds):
        rows = np.flatnonzero(group == s)
        color = GROUP_COLORS[s % len(GROUP_COLORS)]
        labels = [
            (f"<b>{words[r]}</b>" if words[r] in seed_set else words[r]) if words[r] in named else ""
            for r in rows
        ]
        common = dict(
            mode="markers+text",
            name=seed,
            text=labels,
            customdata=[words[r] for r in rows],
            textfont=dict(size=LABEL_PX, color=text_color(color)),
            marker=dict(color=color, symbol=(GROUP_SYMBOLS if dims == 2 else GROUP_SYMBOLS_3D)[s % 8],
                        line=dict(color=GREYS["text"], width=1)),
            legendgroup=seed,
        )  # fmt: skip
        if dims == 2:
            fig.add_trace(
                go.Scatter(
                    x=coords[rows, 0], y=coords[rows, 1],
                    # the pair's second word labelled below its point: the two may be drawn close together
                    textposition=["bottom center" if pair and words[r] == pair[1] else "top center"
                                  for r in rows],
                    textfont_shadow="auto",  # a white halo: a label stays readable over other markers
                    hovertemplate=f"%{{customdata}} (with {seed}): (%{{x:.3f}}, %{{y:.3f}})<extra></extra>",
                    **common, marker_size=10,
                )
            )  # fmt: skip
        else:
            fig.add_trace(
                go.Scatter3d(
                    x=coords[rows, 0], y=coords[rows, 1], z=coords[rows, 2],
                    hovertemplate=f"%{{customdata}} (with {seed}): (%{{x:.3f}}, %{{y:.3f}}, %{{z:.3f}})"
                    "<extra></extra>",
                    **common, marker_size=5,
                )
            )  # fmt: skip
    if pair is not None:
        a, b = (coords[words.index(w)] for w in pair)
        line = dict(mode="lines", name=f"{pair[0]} – {pair[1]}", hoverinfo="skip", showlegend=True)
        if dims == 2:
            fig.add_trace(
                go.Scatter(
                    x=[a[0], b[0]], y=[a[1], b[1]], line=dict(color=PAIR_COLOR, dash="dash", width=2), **line
                )
            )
        else:
            fig.add_trace(
                go.Scatter3d(
                    x=[a[0], b[0]],
                    y=[a[1], b[1]],
                    z=[a[2], b[2]],
                    line=dict(color=PAIR_COLOR, dash="dash", width=4),
                    **line,
                )
            )
    axes = [dict(title_text=t, showticklabels=ticks, zeroline=False) for t in axis_titles]
    if dims == 2:
        fig.update_xaxes(**axes[0])
        fig.update_yaxes(**axes[1], scaleanchor="x", scaleratio=1)  # equal scales: shapes keep their shape
    else:
        fig.update_layout(
            scene=dict(
                xaxis=dict(title=axis_titles[0], showticklabels=ticks),
                yaxis=dict(title=axis_titles[1], showticklabels=ticks),
                zaxis=dict(title=axis_titles[2], showticklabels=ticks),
                aspectmode="data",  # equal scales, as in 2-D
                camera=dict(eye=dict(x=2.1, y=2.1, z=1.4)),  # back far enough that no corner is cut off
            )
        )
    base_layout(fig, title=title, height=MAP_HEIGHT)
    # the legend (one entry per typed word) under the map: above it, it would run into the title
    # (clear of the axis title, which presenter mode makes larger)
    below = -0.2 if dims == 2 else 0.0  # a 3-D scene has no axis title below it
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=below, xanchor="left", x=0))
    return fig.update_layout(margin=dict(b=130 if dims == 2 else 100))
