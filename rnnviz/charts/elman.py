"""The Elman equation with its actual numbers (lesson 2): LaTeX strings and two figures.

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)      hidden_step_latex, step_contributions
    y_t = softmax(W_hy h_t + b_y)                output_latex
    [h_fwd_t; h_bwd_t]                            concat_heatmap (bidirectional)

The LaTeX builders take the ``StepTerms`` / ``OutputTerms`` of ``rnnviz.lessons.elman`` (plain
arrays), so the numbers printed are the ones the tests compare with the trace.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.sequence import step_labels
from rnnviz.charts.style import COLORS, DIVERGING, base_layout

MAX_ROWS = 8  # rows (and columns) of a matrix printed in full; larger ones are cut with dots
TEX_ESCAPES = {
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "\\": r"\textbackslash{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
NAMED = {" ": "space", "\n": "line break", "\t": "tab"}


def tex_char(c: str) -> str:
    """A character as LaTeX text: 'e' -> \\text{'e'}, a space -> \\text{space}."""
    if c in NAMED:
        return rf"\text{{{NAMED[c]}}}"
    return r"\text{'" + "".join(TEX_ESCAPES.get(ch, ch) for ch in c) + "'}"


def _num(v: float, digits: int = 2) -> str:
    s = f"{v:.{digits}f}"
    return "0." + "0" * digits if s.lstrip("-") == "0." + "0" * digits else s


def bmatrix(M: np.ndarray, digits: int = 2, max_rows: int = MAX_ROWS, max_cols: int = MAX_ROWS) -> str:
    """A matrix (or a vector as a column) as \\begin{bmatrix}; cut to the first rows/columns with dots."""
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        M = M[:, None]
    R, C = M.shape
    rows = []
    for i in range(min(R, max_rows)):
        cells = [_num(v, digits) for v in M[i, :max_cols]]
        if C > max_cols:
            cells.append(r"\cdots")
        rows.append(" & ".join(cells))
    if R > max_rows:
        rows.append(" & ".join([r"\vdots"] * (min(C, max_cols) + (C > max_cols))))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def _h(layer: int, direction: int, layered: bool, step: str) -> str:
    arrow = {0: "", 1: r"\overleftarrow"}[direction]
    sup = f"^{{({layer + 1})}}" if layered else ""
    return f"{arrow}{{h}}{sup}_{{{step}}}"


def hidden_step_latex(terms, char: str | None = None, layered: bool = False, max_rows: int = MAX_ROWS) -> str:
    """Three aligned lines: the equation in symbols, with the numbers plugged in, and the result.

    ``terms``: a ``StepTerms``; ``char``: the character x_t stands for (one-hot input of layer 1);
    ``layered``: put the layer number on h, as in a stacked net.
    """
    t, d = terms.t, terms.direction
    h_t = _h(terms.layer, d, layered, str(t))
    h_prev = _h(terms.layer, d, layered, str(t + 1 if d else t - 1))
    Wx = bmatrix(terms.Wx, max_rows=max_rows)
    if terms.x_index is not None and char is not None:
        Wx = rf"\underbrace{{{Wx}}}_{{\text{{column }}{tex_char(char)}\text{{ of }}W_{{xh}}}}"
    else:
        Wx = rf"\underbrace{{{Wx}}}_{{W_{{xh}}\,x_{{{t}}}}}"
    hp = bmatrix(terms.h_prev, max_rows=max_rows)
    hp = rf"\underbrace{{{hp}}}_{{{h_prev}{' = 0' if terms.prev_step is None else ''}}}"
    W_hh = rf"\underbrace{{{bmatrix(terms.W_hh, max_rows=max_rows, max_cols=max_rows)}}}_{{W_{{hh}}}}"
    b = rf"\underbrace{{{bmatrix(terms.b, max_rows=max_rows)}}}_{{b}}"
    pre = rf"\underbrace{{{bmatrix(terms.pre, max_rows=max_rows)}}}_{{h_{{\text{{pre}}}}}}"
    lines = (
        rf"{h_t} &= \tanh\big(W_{{hh}}\,{h_prev} + W_{{xh}}\,x_{{{t}}} + b\big)",
        rf"&= \tanh\Big({W_hh}\,{hp} + {Wx} + {b}\Big)",
        rf"&= \tanh\Big({pre}\Big) = {bmatrix(terms.h, max_rows=max_rows)}",
    )
    return r"\begin{aligned}" + r" \\[6pt] ".join(lines) + r"\end{aligned}"


def output_latex(
    out, labels: Sequence[str], t: int | None, bidirectional: bool = False, top: int = 3, layers: int = 1
) -> str:
    """y_t = softmax(W_hy h_t + b_y) and the ``top`` most probable characters with their z and p.

    ``t`` None: a many-to-one output (read once); ``layers`` > 1: the head reads the top layer h^(L).
    """
    step = "" if t is None else f"_{{{t}}}"
    sup = f"^{{({layers})}}" if layers > 1 else ""
    h = rf"[\overrightarrow{{h}}{step};\,\overleftarrow{{h}}{step}]" if bidirectional else rf"h{sup}{step}"
    head = rf"y{step} = \operatorname{{softmax}}(z{step}),\quad z{step} = W_{{hy}}\,{h} + b_y"
    order = np.argsort(-out.probs)[:top]
    terms = [
        rf"p({tex_char(labels[i])}) = \frac{{e^{{{_num(out.z[i])}}}}}{{\sum_j e^{{z_j}}}}"
        rf" = {_num(out.probs[i], 3)}"
        for i in order
    ]
    return r"\begin{gathered}" + head + r" \\[6pt] " + r",\qquad ".join(terms) + r"\end{gathered}"


def step_contributions(terms, title: str | None = None) -> go.Figure:
    """Per unit: the three terms stacked (W_hh h_{t-1}, W_xh x_t, b), their sum h_pre and h_t = tanh."""
    H = len(terms.h)
    units = [f"unit {j}" for j in range(H)]
    fig = go.Figure()
    parts = (
        ("W_hh h_prev (memory)", terms.Wh, COLORS["h"]),
        ("W_xh x_t (input)", terms.Wx, COLORS["i"]),
        ("b (bias)", terms.b, COLORS["bound"]),
    )
    for name, values, color in parts:
        fig.add_trace(
            go.Bar(
                x=units,
                y=values,
                name=name,
                marker_color=color,
                hovertemplate=f"%{{x}}<br>{name} = %{{y:.4f}}<extra></extra>",
            )
        )
    for name, values, symbol, color in (
        ("h_pre (sum)", terms.pre, "line-ew-open", "black"),
        ("h_t = tanh(h_pre)", terms.h, "diamond", COLORS["f"]),
    ):
        fig.add_trace(
            go.Scatter(
                x=units,
                y=values,
                name=name,
                mode="markers",
                marker=dict(
                    symbol=symbol,
                    size=16 if symbol == "diamond" else 28,
                    color=color,
                    line=dict(width=3, color=color),
                ),
                hovertemplate=f"%{{x}}<br>{name} = %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_xaxes(title="hidden unit")
    fig.update_yaxes(title="value", zeroline=True, zerolinecolor="#888")
    base_layout(fig, title, 420)
    # below the plot: five legend entries do not fit beside the title in half a page
    fig.update_layout(
        barmode="relative", legend=dict(orientation="h", x=0, y=-0.25, yanchor="top", xanchor="left")
    )
    fig.update_layout(margin=dict(b=110))
    return fig


def concat_heatmap(
    h_fwd: np.ndarray,
    h_bwd: np.ndarray,
    tokens: Sequence[str] | None,
    mark_step: int | None = None,
    title: str | None = None,
) -> go.Figure:
    """(T, H) forward and (T, H) backward states stacked into the (T, 2H) [h_fwd; h_bwd] per step."""
    both = np.concatenate([h_fwd, h_bwd], axis=1).astype(float)
    T, H2 = both.shape
    H = H2 // 2
    labels = step_labels(tokens, T)
    rows = [f"→ unit {j}" for j in range(H)] + [f"← unit {j}" for j in range(H)]
    fig = go.Figure(
        go.Heatmap(
            z=both.T,
            x=list(range(T)),
            y=rows,
            zmin=-1,
            zmax=1,
            colorscale=DIVERGING,
            colorbar=dict(title=dict(text="h"), thickness=12),
            customdata=np.array([[labels[t] for t in range(T)]] * H2),
            hovertemplate="step %{customdata}<br>%{y}<br>h = %{z:.4f}<extra></extra>",
        )
    )
    fig.add_hline(y=H - 0.5, line=dict(color="black", width=2))
    if mark_step is not None and 0 <= mark_step < T:
        fig.add_vrect(x0=mark_step - 0.5, x1=mark_step + 0.5, line=dict(color="black", width=2))
    tick_every = max(1, T // 40)
    fig.update_xaxes(
        title="time step t", tickvals=list(range(0, T, tick_every)), ticktext=labels[::tick_every]
    )
    fig.update_yaxes(title="[h→ ; h←]", autorange="reversed")
    return base_layout(fig, title, max(240, min(560, 70 + 18 * H2)))
