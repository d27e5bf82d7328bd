"""The Elman equation with its actual numbers (lesson 2): LaTeX strings and two figures.

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)    hidden_step_latex, step_contributions
    y_t = softmax(W_hy h_t + b_y)                output_latex
    [h_fwd_t; h_bwd_t]                            concat_heatmap (bidirectional)

The LaTeX builders take the ``StepTerms`` / ``OutputTerms`` of ``rnnviz.lessons.elman`` (plain
arrays), so the numbers printed are the ones the tests compare with the trace.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.sequence import unit_heatmap
from rnnviz.charts.style import COLORS, DIVERGING, GREYS, OKABE_ITO, base_layout, step_ticks

SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}


def one_based_labels(tokens: Sequence[str] | None, T: int) -> list[str]:
    """Axis labels '1:h', '2:e', ...: lesson 2 counts steps from 1 (h_0 = 0 comes before x_1)."""
    if tokens is None:
        return [str(t) for t in range(1, T + 1)]
    return [f"{t}:{SHOWN.get(tok, tok)}" for t, tok in enumerate(tokens[:T], 1)]


def states_heatmap(
    values: np.ndarray,
    tokens: Sequence[str] | None,
    name: str,
    title: str | None,
    zrange: tuple[float, float] | None = None,
    mark_step: int | None = None,
) -> go.Figure:
    """``unit_heatmap`` with the time axis counted from 1; ``mark_step`` is the 0-based row of step t."""
    values = np.asarray(values, dtype=float)
    T, H = values.shape
    fig = unit_heatmap(values, tokens, name, title, zrange, None)
    labels = one_based_labels(tokens, T)
    fig.data[0].x = list(range(1, T + 1))
    fig.data[0].customdata = np.array([labels] * H)
    fig.update_xaxes(**step_ticks(labels, first=1))
    if mark_step is not None and 0 <= mark_step < T:
        fig.add_vrect(x0=mark_step + 0.5, x1=mark_step + 1.5, line=dict(color="black", width=2))
    return fig


def cheat_losses(single: np.ndarray, bidirectional: np.ndarray, chance: float, title: str | None = None):
    """Held-out loss at each position t = 1..T of a window: one-direction vs bidirectional, and chance."""
    T = len(single)
    t = list(range(1, T + 1))
    fig = go.Figure()
    for name, values, color, dash, symbol in (  # own dash and marker: the curves may meet
        ("one direction", single, OKABE_ITO["blue"], "solid", "circle"),
        ("bidirectional", bidirectional, OKABE_ITO["vermillion"], "dash", "square"),
    ):
        fig.add_trace(
            go.Scatter(
                x=t,
                y=values,
                name=name,
                mode="lines+markers",
                line=dict(color=color, width=3, dash=dash),
                marker=dict(symbol=symbol, size=9),
                hovertemplate=f"{name}<br>t = %{{x}}<br>loss = %{{y:.4f}} nats<extra></extra>",
            )
        )
    fig.add_hline(
        y=chance,
        line=dict(color=GREYS["dim text"], dash="dot"),
        annotation_text=f"chance ln V = {chance:.2f}",
        annotation_position="top left",
    )
    fig.update_xaxes(title="step t in the window", tickvals=t)
    fig.update_yaxes(title="held-out loss -log y_t[x_(t+1)] (nats)", rangemode="tozero")
    return base_layout(fig, title, 360)


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
    t, d = terms.t + 1, terms.direction  # steps are shown from 1: h_0 = 0 is the state before x_1
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
    b = rf"\underbrace{{{bmatrix(terms.b, max_rows=max_rows)}}}_{{b_h}}"
    pre = rf"\underbrace{{{bmatrix(terms.pre, max_rows=max_rows)}}}_{{h_{{\text{{pre}}}}}}"
    lines = (
        rf"{h_t} &= \tanh\big(W_{{hh}}\,{h_prev} + W_{{xh}}\,x_{{{t}}} + b_h\big)",
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
    """Per unit: the three terms stacked (W_hh h_{t-1}, W_xh x_t, b_h), their sum h_pre and h_t = tanh."""
    H = len(terms.h)
    units = [f"unit {j}" for j in range(H)]
    fig = go.Figure()
    parts = (
        ("W_hh h_{t-1} (memory)", terms.Wh, COLORS["h"]),
        ("W_xh x_t (input)", terms.Wx, COLORS["i"]),
        ("b_h (bias)", terms.b, COLORS["bound"]),
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
    fig.update_yaxes(title="value", zeroline=True, zerolinecolor=GREYS["mid"])
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
    labels = one_based_labels(tokens, T)
    rows = [f"→ unit {j}" for j in range(H)] + [f"← unit {j}" for j in range(H)]
    fig = go.Figure(
        go.Heatmap(
            z=both.T,
            x=list(range(1, T + 1)),
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
    if mark_step is not None and 0 <= mark_step < T:  # mark_step is the 0-based index of step t
        fig.add_vrect(x0=mark_step + 0.5, x1=mark_step + 1.5, line=dict(color="black", width=2))
    fig.update_xaxes(title="time step t", **step_ticks(labels, first=1))
    fig.update_yaxes(title="[h→ ; h←]", autorange="reversed")
    return base_layout(fig, title, max(240, min(560, 70 + 18 * H2)))


def bptt_step_latex(r, t: int, max_rows: int = MAX_ROWS) -> str:
    """dL/dh_t = W_hy^T (y_t - e_t) + W_hh^T delta_{t+1} with the numbers of step t (1..T), then delta_t.

    ``r``: a ``BPTT`` of ``rnnviz.lessons.bptt``."""
    k, T = t - 1, len(r.x)
    nxt = rf"\delta_{{{t + 1}}}" + (" = 0" if t == T else "")

    def vec(v, under):
        return rf"\underbrace{{{bmatrix(v, 3, max_rows)}}}_{{{under}}}"

    own = vec(r.own[k], r"\text{own loss } L_{" + str(t) + "}")
    back = vec(r.from_next[k], r"\text{from } t+1")
    lines = (
        rf"\frac{{\partial L}}{{\partial h_{{{t}}}}} &= W_{{hy}}^\top (y_{{{t}}} - e_{{{t}}})"
        rf" + W_{{hh}}^\top\,{nxt}",
        rf"&= {own} + {back} = {bmatrix(r.dh[k], 3, max_rows)}",
        rf"\delta_{{{t}}} &= \frac{{\partial L}}{{\partial h_{{{t}}}}} \odot (1 - h_{{{t}}}^2) = "
        rf"{bmatrix(r.dh[k], 3, max_rows)} \odot {bmatrix(1 - r.h[t] ** 2, 3, max_rows)} = "
        rf"{bmatrix(r.delta[k], 3, max_rows)}",
    )
    return r"\begin{aligned}" + r" \\[6pt] ".join(lines) + r"\end{aligned}"


def bptt_totals_latex(r, max_rows: int = MAX_ROWS) -> str:
    """The weight gradients accumulated over t = 1..T, as matrices."""
    T = len(r.x)
    s = rf"\sum_{{t=1}}^{{{T}}}"
    return (
        r"\begin{gathered}"
        rf"\frac{{\partial L}}{{\partial W_{{hh}}}} = {s} \delta_t\,h_{{t-1}}^\top = "
        rf"{bmatrix(r.dW_hh, 3, max_rows, max_rows)}"
        r" \\[8pt] "  # b_h on a line of its own: beside W_hh it ran past the column at 1280 px
        rf"\frac{{\partial L}}{{\partial b_h}} = {s} \delta_t = {bmatrix(r.db, 3, max_rows)}"
        r" \\[8pt] "
        rf"\frac{{\partial L}}{{\partial W_{{xh}}}} = {s} \delta_t\,x_t^\top = "
        rf"{bmatrix(r.dW_xh, 3, max_rows, max_rows)}"
        r"\end{gathered}"
    )
