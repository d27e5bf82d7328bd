"""Lesson 7's beam search tree: the hypotheses at each output step s, kept ones and the best pruned.

x = output step s (from 1), y = rank at that step (1 = best). A node is the token a hypothesis
adds, with its summed log-probability under it; an edge joins it to the hypothesis it extends.
Kept hypotheses are solid, pruned ones faded (the ``pruned_shown`` best of each step), a finished
hypothesis carried to a later step is a hollow square, and the winner's path is drawn thick.
"""

from __future__ import annotations

import plotly.graph_objects as go

from rnnviz.charts.style import GREYS, OKABE_ITO, base_layout, tint

WINNER = OKABE_ITO["vermillion"]
KEPT = OKABE_ITO["blue"]
PRUNED = tint(OKABE_ITO["blue"], 0.75)


def _token(vocab, token: int) -> str:
    name = vocab[token]
    return name.strip("<>") if name.startswith("<") else name


def beam_tree(tree, pruned_shown: int = 3) -> go.Figure:
    """The search tree of one input (``rnnviz.seq2seq.beam.SearchTree``)."""
    k = tree.width
    path = tree.winner_path()
    on_path = {(s, j) for s, j in enumerate(path)}
    nodes = {"kept": [], "pruned": [], "carried": [], "winner": []}
    edges = {"kept": ([], []), "pruned": ([], []), "winner": ([], [])}
    for s, step in enumerate(tree.steps):
        shown = step.candidates[: k + pruned_shown]
        for j, c in enumerate(shown):
            x, y = s + 1, j + 1
            plain = "carried" if c.carried else ("kept" if c.kept else "pruned")
            kind = "winner" if (s, j) in on_path else plain
            what = "carried (already ended)" if c.carried else ("kept" if c.kept else "pruned")
            hover = (
                f"step s={x}, rank {y}: {what}<br>token '{tree.vocab[c.token]}'"
                + ("" if c.carried else f", log p = {c.logp:.3f}")
                + f"<br>summed log p = {c.score:.3f}"
                + (f"<br>rank score = {c.score:.3f} / {c.length} = {c.rank:.3f}" if tree.normalise else "")
            )
            label = "" if c.carried else _token(tree.vocab, c.token)
            nodes[kind].append((x, y, label, f"{c.score:.2f}", hover))
            if s > 0:
                edge = "winner" if kind == "winner" else ("kept" if c.kept else "pruned")
                xs, ys = edges[edge]
                xs += [x - 1, x, None]
                ys += [c.parent + 1, y, None]
    fig = go.Figure()
    line_style = {
        "pruned": dict(color=tint(GREYS["mid"], 0.5), width=1, dash="dot"),
        "kept": dict(color=GREYS["mid"], width=2),
        "winner": dict(color=WINNER, width=5),
    }
    for kind, (xs, ys) in edges.items():
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=line_style[kind], hoverinfo="skip",
                                     showlegend=False))  # fmt: skip
    marker = {
        "pruned": dict(color=PRUNED, size=30, symbol="circle"),
        "kept": dict(color=KEPT, size=32, symbol="circle"),
        "carried": dict(color="white", size=22, symbol="square-open", line=dict(color=KEPT, width=2)),
        "winner": dict(color=WINNER, size=34, symbol="circle"),
    }
    names = {
        "kept": f"kept (the {k} best)",
        "pruned": "pruned (faded)",
        "carried": "ended earlier, carried",
        "winner": "the winner's path",
    }
    text_color = {"pruned": GREYS["text"], "kept": "white", "carried": GREYS["text"], "winner": "white"}
    for kind in ("pruned", "carried", "kept", "winner"):
        rows = nodes[kind]
        if not rows:
            continue
        x, y, token, score, hover = zip(*rows, strict=True)
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="markers+text", marker=marker[kind], text=token, textposition="middle center",
                textfont=dict(size=15, color=text_color[kind]), hovertext=hover, hoverinfo="text",
                name=names[kind],
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x, y=[v + 0.42 for v in y], mode="text", text=score, hoverinfo="skip", showlegend=False,
                textfont=dict(size=13, color=GREYS["text"] if kind != "pruned" else GREYS["dim text"]),
            )
        )  # fmt: skip
    rows = k + pruned_shown
    S = len(tree.steps)
    fig.add_hline(y=k + 0.7, line=dict(color=GREYS["mid"], width=1, dash="dash"))
    base_layout(fig, height=max(320, 62 * rows + 130))
    fig.update_xaxes(title="output step s", tickmode="array", tickvals=list(range(1, S + 1)),
                     range=[0.5, S + 0.5], showgrid=False)  # fmt: skip
    fig.update_yaxes(
        title="rank at step s (1 = best)",
        tickmode="array",
        tickvals=list(range(1, rows + 1)),
        ticktext=[f"{r}" if r <= k else f"{r} (pruned)" for r in range(1, rows + 1)],
        range=[rows + 0.8, 0.5],
        showgrid=False,
        zeroline=False,
    )
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))
    return fig


def sampling_curves(curves: dict[str, dict[int, float]], names: dict[str, str]) -> go.Figure:
    """Free-running exact match against input length, teacher forcing against scheduled sampling: one
    line each, own colour, dash and marker (lines at the same accuracy still both show)."""
    from rnnviz.charts.attention import accuracy_curves

    fig = accuracy_curves({names[k]: c for k, c in curves.items()})
    styles = [(OKABE_ITO["blue"], "solid", "circle", 12), (OKABE_ITO["vermillion"], "dash", "x", 10)]
    for trace, (color, dash, symbol, size) in zip(fig.data, styles, strict=False):
        trace.update(line=dict(color=color, dash=dash), marker=dict(symbol=symbol, size=size, color=color))
    fig.update_yaxes(title="free-running exact match (%)")
    return fig


def whatif_heatmap(alpha, src, out, moved, title: str, edited=None, threshold: float = 0.05) -> go.Figure:
    """alpha_{t,s} (lesson 7's heatmap) with the weights that moved outlined, and the edited input
    column or output row framed (``edited`` = ("input", t) or ("output", s), from 1)."""
    from rnnviz.charts.attention import attention_heatmap

    fig = attention_heatmap(alpha, src, out, title)
    ss, ts = moved.nonzero()
    if len(ss):
        fig.add_trace(
            go.Scatter(
                x=ts + 1, y=ss + 1, mode="markers", name=f"moved by {threshold:g} or more",
                marker=dict(symbol="square-open", size=max(6, min(16, 480 // alpha.shape[1])), color=WINNER,
                            line=dict(width=2, color=WINNER)),
                hoverinfo="skip",
            )
        )  # fmt: skip
    if edited is not None:
        kind, pos = edited
        S, T = alpha.shape
        box = dict(type="rect", line=dict(color=GREYS["text"], width=3, dash="dot"))
        if kind == "input":
            fig.add_shape(**box, x0=pos - 0.5, x1=pos + 0.5, y0=0.5, y1=S + 0.5)
        else:
            fig.add_shape(**box, x0=0.5, x1=T + 0.5, y0=pos - 0.5, y1=pos + 0.5)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0))
    return fig
