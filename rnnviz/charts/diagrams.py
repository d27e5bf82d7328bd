"""Pictures of recurrent nets drawn from real sizes and values (lessons 1 and 2).

- ``unrolled``: h_0 -> f -> h_1 -> f -> h_2 ..., every vector a column of its real numbers;
- ``param_growth``: parameters of a fully connected net over n inputs vs an RNN, as n grows;
- ``usage_pattern``: one-to-one, one-to-many, many-to-one, many-to-many (aligned or not);
- ``feedforward_vs_recurrent``: a deep net with its own weights per layer beside an RNN turned 90 degrees;
- ``pyramid``: which neighbouring steps each layer of a pyramid RNN concatenates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.charts.style import COLORS, DIAGRAM, DIVERGING, FILLS, GREYS, LAYER_FILLS, base_layout

CELL = FILLS["cell"]  # fill of a recurrent cell box
IO = GREYS["paper"]  # fill of input / output boxes
LINE = GREYS["line"]
TEXT = GREYS["text"]  # the theme's text colour: Streamlit's chart theme would grey out annotations
ENCODER, DECODER = FILLS["encoder"], FILLS["decoder"]
LAYER_COLORS = LAYER_FILLS
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}


def _show(token: str) -> str:
    """Whitespace made visible in tokens of characters; longer labels ("positive (90%)") unchanged."""
    return "".join(SHOWN.get(c, c) for c in token) if len(token) <= 2 or not token.strip() else token


class Sketch:
    """Shapes, annotations and traces collected as plain dicts, made into one figure at the end.

    Plotly re-validates the whole layout on every ``add_shape`` / ``add_annotation``, which makes a
    diagram of a few hundred parts take seconds; building the figure once keeps it to milliseconds.
    """

    def __init__(self) -> None:
        self.shapes: list[dict] = []
        self.notes: list[dict] = []
        self.traces: list = []
        self.hover: tuple[list, list, list] = ([], [], [])
        self.arrows: dict[tuple[str, bool], tuple[list, list, list]] = {}

    def note(self, x, y, text, size=14, color=TEXT, **kw) -> None:
        font = dict(size=size, color=color)
        self.notes.append(dict(x=x, y=y, text=text, showarrow=False, font=font, **kw))

    def line(self, x0, y0, x1, y1, color=LINE, dash=None, width=1.5) -> None:
        self.shapes.append(
            dict(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=color, width=width, dash=dash))
        )

    def box(self, x, y, w, h, text, fill=CELL, hover=None, size=14, line=LINE, color=None) -> None:
        self.shapes.append(
            dict(
                type="rect",
                x0=x - w / 2,
                x1=x + w / 2,
                y0=y - h / 2,
                y1=y + h / 2,
                fillcolor=fill,
                line=dict(color=line, width=1.5),
                layer="below",
            )
        )
        if text:
            self.note(x, y, text, size, color or TEXT)
        if hover:
            for lst, v in zip(self.hover, (x, y, hover), strict=True):
                lst.append(v)

    def arrow(self, x0, y0, x1, y1, color=LINE, dash=False) -> None:
        """A line from (x0, y0) with an arrowhead at (x1, y1); all arrows of one style are one trace."""
        xs, ys, sizes = self.arrows.setdefault((color, dash), ([], [], []))
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        sizes += [0, 11, 0]

    def column(self, values, x: float, y: float, height: float, name: str, width: float = 0.5) -> None:
        """A vector as a column of coloured cells centred at (x, y), its exact numbers on hover."""
        values = np.asarray(values, dtype=float).reshape(-1)
        n = len(values)
        self.traces.append(
            go.Heatmap(
                z=values[::-1, None],  # first entry on top
                x0=x,
                dx=width,
                y0=y - height / 2 + height / (2 * n),
                dy=height / n,
                coloraxis="coloraxis",
                xgap=1,
                ygap=1 if n <= 24 else 0,
                customdata=np.arange(n)[::-1, None],
                hovertemplate=f"{name}[%{{customdata}}] = %{{z:.4f}}<extra></extra>",
            )
        )

    def figure(self, title, height, x_range, y_range, coloraxis: dict | None = None) -> go.Figure:
        traces = list(self.traces)
        for (color, dash), (xs, ys, sizes) in self.arrows.items():
            traces.append(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    hoverinfo="skip",
                    line=dict(color=color, width=1.5, dash="dot" if dash else None),
                    marker=dict(symbol="arrow", angleref="previous", size=sizes, color=color),
                )
            )
        if self.hover[0]:
            xs, ys, texts = self.hover
            traces.append(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    marker=dict(size=30, opacity=0),
                    hovertext=texts,
                    hoverinfo="text",
                )
            )
        layout = dict(shapes=self.shapes, annotations=self.notes, showlegend=False, meta=DIAGRAM)
        if coloraxis:
            layout["coloraxis"] = coloraxis
        fig = go.Figure(data=traces, layout=layout)
        fig.update_xaxes(visible=False, range=x_range)
        fig.update_yaxes(visible=False, range=y_range, scaleanchor="x", scaleratio=1)
        base_layout(fig, title, height)
        fig.update_layout(margin=dict(l=10, r=10, t=50 if title else 10, b=10))
        return fig


def unrolled(
    xs: np.ndarray, hs: np.ndarray, ys: np.ndarray, n_params: int, title: str | None = None
) -> go.Figure:
    """h_0 -> f -> h_1 -> ... for T steps: x_t (T, D), h_t (T, H), y_t (T, K) drawn as columns."""
    T, D = xs.shape
    H, K = hs.shape[1], ys.shape[1]
    sk = Sketch()
    hover = (
        "f: the same function at every step<br>h_t = tanh(W_hh h_(t-1) + W_xh x_t + b_h)"
        "<br>y_t = W_hy h_t + b_y"
        f"<br>W_xh: {H}x{D}, W_hh: {H}x{H}, b_h: {H} (torch: b_ih + b_hh, {2 * H}), W_hy: {K}x{H}, b_y: {K}"
        f"<br>{n_params} parameters, shared by all {T} steps"
    )
    sk.column(np.zeros(H), 0, 0, 1.6, "h_0")
    sk.note(0, -1.1, "h<sub>0</sub> = 0")
    for t in range(1, T + 1):
        fx, hx = 3 * t - 1.5, 3 * t
        sk.box(fx, 0, 1.3, 1.1, "<b>f</b>", hover=hover, size=18)
        sk.arrow(hx - 3 + 0.35, 0, fx - 0.7, 0, COLORS["h"])
        sk.arrow(fx + 0.7, 0, hx - 0.3, 0, COLORS["h"])
        sk.column(hs[t - 1], hx, 0, 1.6, f"h_{t}")
        sk.note(hx, -1.1, f"h<sub>{t}</sub>")
        sk.column(xs[t - 1], fx, -2.6, 1.2, f"x_{t}")
        sk.note(fx, -3.45, f"x<sub>{t}</sub>")
        sk.arrow(fx, -1.95, fx, -0.6)
        sk.column(ys[t - 1], fx, 2.5, 1.0, f"y_{t}")
        sk.note(fx, 3.25, f"y<sub>{t}</sub>")
        sk.arrow(fx, 0.6, fx, 1.95)
    colorbar = dict(title=dict(text="value"), thickness=12, len=0.8)
    coloraxis = dict(colorscale=DIVERGING, cmin=-1.5, cmax=1.5, colorbar=colorbar)
    return sk.figure(title, 420, [-0.8, 3 * T + 0.8], [-3.8, 3.6], coloraxis)


def param_growth(counts: dict[str, np.ndarray], mark_n: int | None = None, title: str | None = None):
    """Parameter counts against the number of inputs n: ``counts`` from ``recurrence.growth``."""
    fig = go.Figure()
    for name, color in (("fully connected", COLORS["f"]), ("RNN", COLORS["h"])):
        hover = f"{name}<br>n = %{{x}}<br>%{{y:,}} parameters<extra></extra>"
        line = dict(color=color, width=3)
        fig.add_trace(
            go.Scatter(x=counts["n"], y=counts[name], name=name, mode="lines", line=line, hovertemplate=hover)
        )
    if mark_n is not None:
        fig.add_vline(x=mark_n, line=dict(color=TEXT, width=1, dash="dot"))
    fig.update_xaxes(title="number of inputs n (sequence length)")
    fig.update_yaxes(title="parameters", rangemode="tozero")
    return base_layout(fig, title, 340)


def usage_pattern(
    inputs: Sequence[str | None],
    outputs: Sequence[str | None],
    encoder_steps: int = 0,
    feedback: bool = False,
    title: str | None = None,
) -> go.Figure:
    """One cell per step; an input box below it where ``inputs[t]`` is not None, an output above.

    ``encoder_steps`` > 0 colours the first cells as an encoder and the rest as a decoder (unaligned
    many-to-many); ``feedback`` draws each output fed back in as the next input (generation).
    """
    if len(inputs) != len(outputs) or not inputs:
        raise ValueError("inputs and outputs need one entry per step")
    T = len(inputs)
    sk = Sketch()
    w = max(1.4, min(2.6, 0.16 * max(len(s or "") for s in [*inputs, *outputs]) + 0.9))
    step = w + 0.8
    for t in range(T):
        x = t * step
        fill = (ENCODER if t < encoder_steps else DECODER) if encoder_steps else CELL
        sk.box(x, 0, w, 0.9, "RNN", fill=fill, size=13)
        if t > 0:
            sk.arrow(x - step + w / 2, 0, x - w / 2, 0, COLORS["h"])
        if inputs[t] is not None:
            sk.box(x, -1.6, w, 0.7, _show(inputs[t]), fill=IO, size=13)
            sk.arrow(x, -1.25, x, -0.45)
        if outputs[t] is not None:
            sk.box(x, 1.6, w, 0.7, _show(outputs[t]), fill=IO, size=13, line=COLORS["f"])
            sk.arrow(x, 0.45, x, 1.25)
            if feedback and t + 1 < T and inputs[t + 1] is not None:
                sk.arrow(x + w / 2, 1.6, x + step - w / 2, -1.6, COLORS["bound"], dash=True)
    if encoder_steps:
        mid = (encoder_steps - 0.5) * step
        sk.line(mid, -2.1, mid, 2.1, COLORS["bound"], dash="dash")
        sk.note(mid - 0.2, 2.3, "encoder", xanchor="right")
        sk.note(mid + 0.2, 2.3, "decoder", xanchor="left")
    return sk.figure(title, 230, [-w / 2 - 0.4, (T - 1) * step + w / 2 + 0.4], [-2.2, 2.6])


def feedforward_vs_recurrent(L: int, D: int, H: int, title: str | None = None) -> go.Figure:
    """Left: L layers, each its own W^(l) (H x H), input only at the bottom. Right: an RNN over L
    steps drawn bottom-up: the same W_hh at every level and an input x_t entering at each."""
    sk = Sketch()
    ff_params, rnn_params = L * (H * H + H), H * H + H * D + 2 * H
    for k in range(L):
        y = 1.2 * k
        sk.box(
            0,
            y,
            2.4,
            0.8,
            f"W<sup>({k + 1})</sup>, b<sup>({k + 1})</sup>",
            fill=LAYER_COLORS[k % len(LAYER_COLORS)],
            hover=f"layer {k + 1}: its own {H}x{H} weights, {H} biases",
        )
        sk.box(
            5,
            y,
            2.4,
            0.8,
            "W<sub>hh</sub>, W<sub>xh</sub>, b<sub>h</sub>",
            fill=COLORS["h"],
            color="white",
            hover=f"step {k + 1}: the same W_hh ({H}x{H}), W_xh ({H}x{D}) and b_h as every step",
        )
        sk.box(7.6, y, 0.9, 0.6, f"x<sub>{k + 1}</sub>", fill=IO)
        sk.arrow(7.15, y, 6.2, y)
        for x in (0, 5):
            sk.arrow(x, y - 0.8, x, y - 0.4, COLORS["h"])
    top = 1.2 * L
    sk.box(0, -1.2, 1.2, 0.6, "x", fill=IO)
    sk.box(5, -1.2, 1.6, 0.6, "h<sub>0</sub> = 0", fill=IO)
    sk.box(0, top - 0.2, 1.2, 0.6, "y", fill=IO)
    sk.box(5, top - 0.2, 1.2, 0.6, f"h<sub>{L}</sub>", fill=IO)
    for x in (0, 5):
        sk.arrow(x, top - 0.8, x, top - 0.5, COLORS["h"])
    # each heading on two lines: on one line the two ran into each other in presenter mode (22 px)
    sk.note(0, top + 0.75, f"<b>feedforward</b><br>{L} × ({H}² + {H}) = {ff_params:,} parameters")
    sk.note(5.6, top + 0.75, f"<b>RNN, turned 90°</b><br>{H}² + {H}·{D} + 2·{H} = {rnn_params:,} parameters")
    return sk.figure(title, int(170 + 75 * L), [-2.6, 8.4], [-1.7, top + 1.35])


def pyramid(tokens: Sequence[Sequence[str]], mark_step: int | None = None, title: str | None = None):
    """Layers bottom-up; layer k step j joins steps 2j and 2j+1 of layer k-1 (LAS pyramid).

    ``tokens[k]`` labels layer k's steps with the characters they cover; a step of layer k-1
    left without a partner (odd length) is drawn grey: the halving drops it.
    """
    sk = Sketch()
    T = len(tokens[0])
    gap = 0.9
    pos = [[(j * 2**k + (2**k - 1) / 2) * gap for j in range(len(row))] for k, row in enumerate(tokens)]
    for k, row in enumerate(tokens):
        y = 1.5 * k
        for j, text in enumerate(row):
            dropped = k + 1 < len(tokens) and j >= 2 * len(tokens[k + 1])
            covers = mark_step is not None and j * 2**k <= mark_step < (j + 1) * 2**k
            fill = GREYS["pale"] if dropped else (COLORS["o"] if covers else CELL)
            label = _show(text) if len(text) <= 6 else _show(text[:2]) + "…" + _show(text[-2:])
            w = min(gap * 2**k - 0.12, max(0.75, 0.14 * len(label) + 0.35))
            a, b = j * 2**k, (j + 1) * 2**k - 1
            hover = f"layer {k + 1}, step {j}: has read input steps {a}..{b} ({_show(text)})"
            sk.box(
                pos[k][j],
                y,
                w,
                0.7,
                label,
                fill=fill,
                size=14 if k == 0 else 12,
                hover=hover + (" - dropped: no partner to pair with" if dropped else ""),
            )
            if k > 0:
                for child in (2 * j, 2 * j + 1):
                    sk.arrow(pos[k - 1][child], y - 1.5 + 0.35, pos[k][j], y - 0.35, COLORS["h"])
        sk.note(-gap, y, f"layer {k + 1}<br>{len(row)} steps", xanchor="right")
    height = int(90 + 95 * len(tokens))
    return sk.figure(title, height, [-gap * 3.2, T * gap], [-0.6, 1.5 * (len(tokens) - 1) + 0.6])
