"""Lesson 3's pattern search (LSTMVis): the on set's units around the selection, and matches in context.

- ``on_set_figure``: a heatmap of h_t[j] for the on set's units j over the selection and its
  neighbourhood, the selection framed, a dot on every cell above θ (the "on" cells);
- ``matches_html``: the ranked matches, each in its context with the matched characters in bold.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.style import DIVERGING, GREYS, OKABE_ITO, base_layout, tint

MATCH_BG = tint(OKABE_ITO["vermillion"], 0.75)  # behind a match's characters: a pale vermillion

SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}  # whitespace made visible
MOST_ROWS = 24  # units drawn (the first of the on set, ascending)


def _show(text: str) -> str:
    return "".join(SHOWN.get(ch, ch) for ch in text)


def on_set_figure(
    h: np.ndarray,
    text: str,
    units,
    start: int,
    stop: int,
    threshold: float,
    pad: int = 20,
    title: str | None = None,
) -> go.Figure:
    """h_t[j] (steps ``start - pad .. stop + pad``, on-set units ``units``), red > 0 > blue on -1..1.

    x labels are the characters (step t counts from 1 in the hover); the selection is framed; a dot
    marks each cell with h_t[j] > θ."""
    units = np.asarray(units)[:MOST_ROWS]
    a, b = max(0, start - pad), min(len(h), stop + pad)
    z = np.asarray(h[a:b][:, units], dtype=float).T  # (units, steps)
    steps = np.arange(a, b)
    chars = [SHOWN.get(text[t], text[t]) for t in steps]
    rows = [f"unit {j}" for j in units]
    hover = [[f"unit {j}, step t = {t + 1} ('{chars[k]}'): h = {z[r, k]:.3f}" for k, t in enumerate(steps)]
             for r, j in enumerate(units)]  # fmt: skip
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(a, b)),
            y=rows,
            zmin=-1,
            zmax=1,
            zmid=0,
            colorscale=DIVERGING,
            colorbar=dict(title="h_t[j]"),
            text=hover,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    on_r, on_k = np.nonzero(z > threshold)
    fig.add_trace(
        go.Scatter(
            x=steps[on_k],
            y=[rows[r] for r in on_r],
            mode="markers",
            marker=dict(size=5, color=GREYS["text"]),
            name=f"h_t[j] > θ = {threshold:g}",
            hoverinfo="skip",
        )
    )
    fig.add_shape(
        type="rect",
        x0=start - 0.5,
        x1=stop - 0.5,
        y0=-0.5,
        y1=len(rows) - 0.5,
        line=dict(color=GREYS["text"], width=3),
    )
    fig.update_xaxes(
        tickvals=list(range(a, b)), ticktext=chars, tickangle=0, title="character x_t (selection framed)"
    )
    fig.update_yaxes(title="unit of the on set", autorange="reversed", type="category")
    return base_layout(fig, title, 140 + 22 * len(rows))


def matches_html(matches, most_chars: int = 60, heading: str = "") -> str:
    """An ordered list: each match's rank, score, length and steps, its text in bold inside its context.

    A match longer than ``most_chars`` shows its first and last ``most_chars // 2`` characters around an
    ellipsis (the length says how long it is)."""
    top = f"<p>{html.escape(heading)}</p>" if heading else ""  # escaped like every text below
    if not matches:
        return top + "<p>No matches.</p>"
    items = []
    for m in matches:
        body = (
            m.text
            if len(m.text) <= most_chars
            else f"{m.text[: most_chars // 2]}…{m.text[-most_chars // 2 :]}"
        )
        items.append(
            f"<li><span style='color:{GREYS['dim text']}'>score {m.score:.2f} · {m.length} chars · "
            f"t = {m.start + 1}..{m.stop}</span>&nbsp; <code>{html.escape(_show(m.left))}"
            f"<b style='background:{MATCH_BG}'>{html.escape(_show(body))}</b>"
            f"{html.escape(_show(m.right))}</code></li>"
        )
    return top + "<ol style='font-size:15px;line-height:1.7'>" + "".join(items) + "</ol>"
