"""Lesson 2's CSV tables: what the heatmaps and the output bars show, one row per step t = 1..T.

>>> from rnnviz.lessons.elman import ElmanConfig, make_model, make_task, sequence_ids
>>> from rnnviz.trace import trace
>>> cfg = ElmanConfig(sequence="abcab", hidden_size=2)
>>> task = make_task(cfg)
>>> x, y = sequence_ids(cfg, task)
>>> tr = trace(make_model(cfg, task), x, y, jacobians=False)
>>> states_frame(tr, cfg)["t"].tolist()
[1, 2, 3, 4, 5]
>>> outputs_frame(tr, cfg, task.vocab, y)["next character"].tolist()
['b', 'c', 'a', 'b', '\\n']
"""

from __future__ import annotations

import pandas as pd

from rnnviz.lessons.elman import ElmanConfig, pyramid_tokens
from rnnviz.trace import Trace


def states_frame(tr: Trace, cfg: ElmanConfig) -> pd.DataFrame:
    """h_t of every layer and direction, one row per (layer, direction, step t from 1)."""
    rows = []
    for lt in tr.layers:
        if cfg.architecture == "pyramid":
            labels = pyramid_tokens(cfg.sequence, cfg.layers)[lt.layer]
        else:
            labels = list(cfg.sequence)
        for t, h in enumerate(lt.h, 1):  # row t - 1 of the trace is step t
            row = {"layer": lt.layer + 1, "direction": ("forward", "backward")[lt.direction], "t": t}
            rows.append({**row, "x_t": labels[t - 1], **{f"h_t[{u}]": float(v) for u, v in enumerate(h)}})
    return pd.DataFrame(rows)


def outputs_frame(tr: Trace, cfg: ElmanConfig, vocab, y) -> pd.DataFrame:
    """y_t, the predicted distribution over the next character, per step (one row for the pyramid)."""
    probs = tr.probs.reshape(-1, len(vocab))
    T = len(cfg.sequence)
    rows = [T - 1] if tr.head == "many_to_one" else range(T)  # 0-based rows of the trace
    targets = [int(y)] if tr.head == "many_to_one" else [int(v) for v in y]
    return pd.DataFrame(
        {
            "t": [i + 1 for i in rows],
            "x_t": [cfg.sequence[i] for i in rows],
            "next character": [vocab[c] for c in targets],
            "p(next character)": [p[c] for p, c in zip(probs, targets, strict=True)],
            **{f"y_t[{c!r}]": probs[:, n] for n, c in enumerate(vocab)},
        }
    )
