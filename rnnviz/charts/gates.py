"""Charts of gated cells (lessons 5 and 6): arrays in, ``go.Figure`` out.

- ``cell_diagram``: an LSTM or GRU cell drawn as boxes and wires, one stage's path highlighted,
  the real numbers of one (t, unit) written beside the gates;
- ``grid_lstm_diagram``: memory flowing along time and along depth (a diagram, no model);
- ``gate_heatmap``: units x time for one gate, for a half-width column;
- ``gate_histograms``: gate values before vs after training (saturation near 0 and 1);
- ``clamp_bars``: predictions with and without an intervention; ``depth_gradient_chart``: gradient
  norm per layer of a deep stack.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnviz.charts.sequence import unit_heatmap
from rnnviz.charts.style import (
    COLORS,
    DIAGRAM,
    FILLS,
    GREYS,
    OKABE_ITO,
    SERIES_DASH,
    SERIES_SYMBOLS,
    base_layout,
    text_color,
)

GREY = GREYS["light"]
PRODUCT = "⊙"  # unit-by-unit product, the lessons' symbol (course notes often write * or ×)
STAGE_COLORS = {
    "forget": COLORS["f"],
    "input": COLORS["i"],
    "update": COLORS["c"],
    "output": COLORS["o"],
    "reset": COLORS["r"],
    "candidate": COLORS["n"],
}
GRU_STAGE_COLORS = {**STAGE_COLORS, "update": COLORS["z"], "output": COLORS["h"]}
GATE_STAGE = {
    "f": "forget",
    "i": "input",
    "g": "input",
    "o": "output",
    "r": "reset",
    "z": "update",
    "n": "candidate",
}
# deep stacks (lesson 6): the plain stack neutral, the two fixes each an Okabe-Ito hue, dash and marker
KINDS = ("plain", "residual", "highway")
KIND_COLORS = {
    "plain": OKABE_ITO["black"],
    "residual": OKABE_ITO["bluish green"],
    "highway": OKABE_ITO["vermillion"],
}


def _lstm_parts(cell: str) -> tuple[list, list]:
    """Wires (stage, points, dashed) and boxes (x, y, text, gate or None, stage) of the LSTM drawing."""
    wires = [
        ("forget", [(0.7, 6), (3.5, 6)], False),  # c_{t-1} into the forget multiply
        ("gates", [(0.7, 1), (10.5, 1)], False),  # the bus carrying [h_{t-1}, x_t]
        ("gates", [(1.6, -0.3), (1.6, 1)], False),
        ("forget", [(3.5, 3), (3.5, 6)], False),
        ("input", [(5.8, 1), (5.8, 4.5), (8, 4.5)], False),
        ("input", [(8, 1), (8, 4.5)], False),
        ("update", [(3.5, 6), (8, 6)], False),  # f_t c_{t-1}
        ("update", [(8, 4.5), (8, 6)], False),  # + i_t g_t
        ("update", [(8, 6), (14.2, 6)], False),  # c_t
        ("output", [(10.5, 1), (10.5, 3), (12.3, 3)], False),
        ("output", [(12.3, 6), (12.3, 3)], False),
        ("output", [(12.3, 3), (12.3, 1), (14.2, 1)], False),  # h_t
    ]
    if cell == "lstm_coupled":  # f_t = 1 - i_t: the forget gate reads the input gate, not the bus
        wires.append(("forget", [(5.8, 3.9), (3.9, 3.9), (3.9, 3.4)], True))
    else:
        wires.append(("forget", [(3.5, 1), (3.5, 3)], False))
    if cell == "lstm_peephole":  # the gates also read the cell: w_ci, w_cf from c_{t-1}, w_co from c_t
        wires += [
            ("forget", [(2.4, 6), (2.4, 3.2), (2.95, 3.2)], True),
            ("input", [(2.4, 3.9), (5.0, 3.9), (5.0, 3.2), (5.25, 3.2)], True),
            ("output", [(10.05, 6), (10.05, 3.4)], True),
        ]
    boxes = [
        (3.5, 3, "1−i" if cell == "lstm_coupled" else "σ", "f", "forget"),
        (5.8, 3, "σ", "i", "input"),
        (8, 3, "tanh", "g", "input"),
        (10.5, 3, "σ", "o", "output"),
        (12.3, 4.5, "tanh", None, "output"),
        (3.5, 6, PRODUCT, None, "forget"),
        (8, 4.5, PRODUCT, None, "input"),
        (8, 6, "+", None, "update"),
        (12.3, 3, PRODUCT, None, "output"),
    ]
    return wires, boxes


def _gru_parts(cell: str) -> tuple[list, list]:
    wires = [
        ("output", [(0.7, 6), (6.5, 6)], False),  # h_{t-1} kept by z_t
        ("gates", [(1.2, 6), (1.2, 1), (10.5, 1)], False),  # h_{t-1} joins x_t on the bus
        ("gates", [(2.2, -0.3), (2.2, 1)], False),
        ("update", [(6.5, 1), (6.5, 6)], False),
        ("update", [(6.5, 4.5), (8.4, 4.5)], False),  # to 1 - z_t
        ("candidate", [(10.5, 1), (10.5, 4.5)], False),
        ("output", [(6.5, 6), (10.5, 6)], False),
        ("output", [(8.4, 4.5), (10.5, 4.5), (10.5, 6)], False),
        ("output", [(10.5, 6), (14.2, 6)], False),  # h_t
    ]
    boxes = [
        (6.5, 3, "σ", "z", "update"),
        (10.5, 3, "tanh", "n", "candidate"),
        (8.4, 4.5, "1−", None, "update"),
        (6.5, 6, PRODUCT, None, "output"),
        (10.5, 4.5, PRODUCT, None, "output"),
        (10.5, 6, "+", None, "output"),
    ]
    if cell != "gru_minimal":  # r_t reaches into the candidate
        wires += [
            ("reset", [(4, 1), (4, 3)], False),
            ("reset", [(4, 3), (4, 3.9), (9.4, 3.9), (9.4, 3), (9.95, 3)], False),
        ]
        boxes.insert(0, (4, 3, "σ", "r", "reset"))
    return wires, boxes


LABELS_LSTM = {
    "c_prev": (0.1, 6, "c<sub>t-1</sub>"),
    "c": (14.7, 6, "c<sub>t</sub>"),
    "h_prev": (0.1, 1, "h<sub>t-1</sub>"),
    "x": (1.6, -0.75, "x<sub>t</sub>"),
    "h": (14.7, 1, "h<sub>t</sub>"),
}
LABELS_GRU = {
    "h_prev": (0.1, 6, "h<sub>t-1</sub>"),
    "x": (2.2, -0.75, "x<sub>t</sub>"),
    "h": (14.7, 6, "h<sub>t</sub>"),
}


def _note(x: float, y: float, text: str, size: int = 14, color: str = GREYS["text"]) -> dict:
    # a gate's colour as text: darkened to >= 4.5:1 on white (Okabe-Ito's orange is 2.25:1)
    return dict(x=x, y=y, text=text, showarrow=False, font=dict(size=size, color=text_color(color)))


def cell_diagram(
    cell: str, stage: str, values: dict | None = None, title: str | None = None, height: int = 400
) -> go.Figure:
    """The cell of ``cell`` (an LSTM or GRU key of rnnviz.cells.CELLS) with ``stage``'s path in colour.

    ``values`` (e.g. ``WorkedStep.values``) puts the real numbers beside the gates and states.
    """
    gru = cell.startswith("gru")
    wires, boxes = _gru_parts(cell) if gru else _lstm_parts(cell)
    lit = (GRU_STAGE_COLORS if gru else STAGE_COLORS).get(stage, COLORS["h"])
    traces, shapes, notes = [], [], []
    for wstage, pts, dashed in wires:
        # the bus [h_{t-1}, x_t] feeds every gate, so it lights up with every stage but the blend
        on = wstage == stage or (wstage == "gates" and stage != ("output" if gru else "update"))
        xs, ys = zip(*pts, strict=True)
        line = dict(color=lit if on else GREY, width=6 if on else 3, dash="dot" if dashed else None)
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=line, hoverinfo="skip", showlegend=False))
    v = values or {}
    for x, y, text, gate, bstage in boxes:
        on = bstage == stage
        color = COLORS[gate] if gate else (lit if on else GREYS["mid"])
        w, h = (0.55, 0.55) if text in (PRODUCT, "+") else (1.1, 0.8)
        shapes.append(
            dict(
                type="circle" if text in (PRODUCT, "+") else "rect",
                x0=x - w / 2, x1=x + w / 2, y0=y - h / 2, y1=y + h / 2,
                fillcolor=color if on or gate else "white", opacity=1.0 if on else 0.45,
                line=dict(color=color, width=3 if on else 1.5),
            )
        )  # fmt: skip
        notes.append(_note(x, y, f"<b>{text}</b>", 15))
        if gate:
            shown = f"{gate}<sub>t</sub>" + (f"<br>{v[gate]:.3f}" if gate in v else "")
            if gate == "o":  # the wire to h_t leaves the output gate on its right: label it above
                notes.append(_note(x, y + 0.9, shown, 14, COLORS[gate]))
            else:
                notes.append({**_note(x + 0.62, y, shown, 14, COLORS[gate]), "xanchor": "left"})
    for key, (x, y, text) in (LABELS_GRU if gru else LABELS_LSTM).items():
        number = v.get(key)
        notes.append(_note(x, y, text + (f"<br>{number:.3f}" if number is not None else "")))
    if gru and "gamma_u" in v:
        notes.append(_note(8.4, 5.15, f"Γ<sub>u</sub> = {v['gamma_u']:.3f}", 13))
    if cell in ("gru", "gru_paper"):
        where = (
            "r<sub>t</sub> ⊙ (W<sub>hn</sub> h + b<sub>hn</sub>)"
            if cell == "gru"
            else "W<sub>hn</sub> (r<sub>t</sub> ⊙ h)"
        )
        notes.append(_note(13.2, 2.0, where, 13, COLORS["r"]))
    if cell == "lstm_peephole":
        notes.append(_note(1.3, 3.9, "peep-<br>holes", 13))
    fig = go.Figure(traces)
    fig.update_layout(shapes=shapes, annotations=notes, meta=DIAGRAM)
    fig.update_xaxes(visible=False, range=[-0.6, 15.3], fixedrange=True)
    fig.update_yaxes(visible=False, range=[-1.2, 6.8], fixedrange=True)
    return base_layout(fig, title, height)


def _arrow(start: tuple[float, float], end: tuple[float, float], color: str, width: float) -> dict:
    return dict(
        x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=3, arrowwidth=width, arrowcolor=color,
    )  # fmt: skip


def grid_lstm_diagram(steps: int = 4, layers: int = 3, height: int = 440) -> go.Figure:
    """A grid LSTM drawn as blocks: each block passes (h, c) to the next step and (h, m) up a layer."""
    shapes, notes = [], []
    for t in range(steps):
        for k in range(layers):
            x, y = 3 * t, 2.4 * k
            shapes.append(
                dict(
                    type="rect", x0=x - 0.8, x1=x + 0.8, y0=y - 0.6, y1=y + 0.6,
                    line=dict(color=COLORS["h"], width=2), fillcolor=FILLS["cell"],
                )
            )  # fmt: skip
            notes.append(_note(x, y, f"block<br>t={t + 1}, layer {k + 1}", 12))
            if t + 1 < steps:  # memory along time: c, the usual LSTM cell state (thick), and h
                notes.append(_arrow((x + 0.8, y + 0.2), (x + 2.2, y + 0.2), COLORS["c"], 3))
                notes.append(_arrow((x + 0.8, y - 0.25), (x + 2.2, y - 0.25), COLORS["h"], 1.5))
            if k + 1 < layers:  # memory along depth: m, a second cell state flowing up (thick), and h
                notes.append(_arrow((x - 0.25, y + 0.6), (x - 0.25, y + 1.8), COLORS["f"], 3))
                notes.append(_arrow((x + 0.25, y + 0.6), (x + 0.25, y + 1.8), COLORS["h"], 1.5))
    legend = (
        ("c: memory along time", COLORS["c"], 3),
        ("m: memory along depth", COLORS["f"], 3),
        ("h: hidden state (both ways)", COLORS["h"], 1.5),
    )
    fig = go.Figure(
        [
            go.Scatter(x=[None], y=[None], mode="lines", name=name, line=dict(color=color, width=width))
            for name, color, width in legend
        ]
    )
    fig.update_layout(shapes=shapes, annotations=notes, meta=DIAGRAM)
    fig.update_xaxes(
        title="time t →", showticklabels=False, showgrid=False, zeroline=False, range=[-1.2, 3 * steps - 1.8]
    )
    fig.update_yaxes(title="depth (layer) →", showticklabels=False, showgrid=False, zeroline=False)
    base_layout(fig, "Diagram: a grid LSTM", height)
    fig.update_layout(legend=dict(y=-0.08, yanchor="top", x=0.5, xanchor="center"), margin=dict(b=70))
    return fig


def gate_heatmap(
    values: np.ndarray,
    tokens: Sequence[str] | None,
    name: str,
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    mark_step: int | None = None,
) -> go.Figure:
    """``unit_heatmap`` sized for a half-width column: slanted word labels, so they never overlap."""
    fig = unit_heatmap(values, tokens, name, title, zrange, mark_step)
    fig.update_xaxes(tickangle=-45)
    return fig


BINS = 20  # bins of a gate histogram between the gate's lowest value and 1


def gate_histograms(
    before: dict[str, np.ndarray], after: dict[str, np.ndarray], names: Sequence[str], height: int = 330
) -> go.Figure:
    """One panel per gate: the share of gate values in each bin, before (grey) and after training."""
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[f"{n}" for n in names], shared_yaxes=True)
    for col, name in enumerate(names, 1):
        lo = -1.0 if name in ("g", "n") else 0.0
        for label, data, color in (
            ("before training", before, GREY),
            ("after training", after, COLORS[name]),
        ):
            # binned here, not in the browser: 20 shares per panel instead of every value (64 sentences x
            # T x H of them, half a megabyte for lesson 5's batch, sent again with every rerun)
            values = np.asarray(data[name], dtype=float).ravel()
            counts, edges = np.histogram(values, bins=BINS, range=(lo, 1.0))
            ranges = [
                f"[{a:.2f}, {b:.2f}{']' if k == BINS - 1 else ')'}"
                for k, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True))
            ]
            fig.add_trace(
                go.Bar(
                    x=(edges[:-1] + edges[1:]) / 2,
                    y=counts / max(1, values.size),
                    width=(1.0 - lo) / BINS,
                    customdata=ranges,
                    name=label,
                    marker_color=color,
                    opacity=0.75,
                    legendgroup=label,
                    showlegend=col == 1,
                    hovertemplate=f"{name} in %{{customdata}}<br>{label}: %{{y:.1%}} of values"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=f"{name} value", range=[lo, 1.0], row=1, col=col)
    fig.update_yaxes(title_text="share of values", tickformat=".0%", row=1, col=1)
    base_layout(fig, None, height)
    fig.update_layout(barmode="overlay", margin=dict(t=80), legend=dict(y=1.14))
    return fig


def clamp_bars(
    free: np.ndarray, clamped: np.ndarray, labels: Sequence[str], target: int | None = None, height: int = 320
) -> go.Figure:
    """Predicted probabilities per class, without (grey) and with the clamp (red); target marked."""
    names = [f"{lab} ✓" if i == target else lab for i, lab in enumerate(labels)]
    fig = go.Figure()
    for label, probs, color in (("free", free, COLORS["h"]), ("clamped", clamped, COLORS["loss"])):
        fig.add_trace(
            go.Bar(
                x=names, y=np.asarray(probs, dtype=float), name=label, marker_color=color,
                hovertemplate=f"{label}<br>%{{x}}: p = %{{y:.4f}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(title="class (✓ = the right answer)", type="category")
    fig.update_yaxes(title="probability", range=[0, 1.05])
    fig.update_layout(barmode="group")
    return base_layout(fig, None, height)


def depth_gradient_chart(
    norms: dict[str, np.ndarray], quantity: str, title: str | None = None, height: int = 360
) -> go.Figure:
    """One line per network kind: ``quantity`` (a gradient norm) at layers 1..L, log scale."""
    fig = go.Figure()
    for n, (kind, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=float)
        k = KINDS.index(kind) if kind in KINDS else n  # each kind its own dash and marker: lines may coincide
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(values) + 1), y=values, name=kind, mode="lines+markers",
                line=dict(color=KIND_COLORS.get(kind), dash=SERIES_DASH[k % len(SERIES_DASH)]),
                marker=dict(symbol=SERIES_SYMBOLS[k % len(SERIES_SYMBOLS)], size=9),
                hovertemplate=f"{kind}<br>layer %{{x}}<br>{quantity} = %{{y:.3e}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_xaxes(title="layer l (1 = next to the input)")
    fig.update_yaxes(title=quantity, type="log", exponentformat="power")
    return base_layout(fig, title, height)
