"""Lesson 6's tables, built from the live models (the page shows them and builds no DataFrame).

- ``param_frame``: parameter counts part by part, as formulas of the page's sizes, with totals;
- ``race_frame``: the LSTM/GRU race: parameters, steps trained, ms per step, held-out accuracy;
- ``deep_frame`` / ``per_layer_frame``: the three deep stacks, and their gradient per layer l = 1..L.

>>> from rnnviz.lessons.gru_lesson import GRULesson
>>> lesson = GRULesson(lag=4, hidden_size=8)
>>> table = param_frame({"GRU": lesson.model_config("gru")})
>>> table[table.part == "total"].parameters.tolist() == [sum(table.parameters[table.part != "total"])]
True
>>> per_layer_frame({"plain": np.array([3.0, 2.0])}, "||dL/da_l||").columns.tolist()
['layer l', '||dL/da_l|| plain']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.lessons import gru_story
from rnnviz.lessons.gating import held_out_accuracy, param_terms
from rnnviz.model import ModelConfig, param_count


def param_frame(configs: dict[str, ModelConfig]) -> pd.DataFrame:
    """One row per part of each model (name -> config), then a 'total' row per model."""
    rows = []
    for name, cfg in configs.items():
        terms = param_terms(cfg)
        rows += [{"model": name, "part": t.part, "formula": t.formula, "parameters": t.count} for t in terms]
        rows.append(
            {"model": name, "part": "total", "formula": "", "parameters": sum(t.count for t in terms)}
        )
    return pd.DataFrame(rows)


def race_frame(racers: dict, task, ms: dict[str, float] | None, seed: int) -> pd.DataFrame:
    """The race's table: per trainer (name -> Trainer) its parameters, training steps, ms per step
    (``ms``: the last timing, or None before it) and accuracy on the held-out batch of ``seed``."""
    return pd.DataFrame(
        [
            {
                "model": name,
                "parameters": param_count(racer.model),
                "training steps": racer.step,
                "ms per step": gru_story.ms_cell(ms, name),
                "held-out accuracy": round(held_out_accuracy(racer.model, task, seed=seed), 3),
            }
            for name, racer in racers.items()
        ]
    )


def deep_frame(trainers: dict, task, seed: int) -> pd.DataFrame:
    """The deep stacks (kind -> Trainer), one row each: steps trained, held-out accuracy, parameters."""
    return pd.DataFrame(
        {
            "training steps": {kind: tr.step for kind, tr in trainers.items()},
            "held-out accuracy": {
                kind: held_out_accuracy(tr.model, task, seed=seed) for kind, tr in trainers.items()
            },
            "parameters": {kind: param_count(tr.model) for kind, tr in trainers.items()},
        }
    )


def per_layer_frame(norms: dict[str, np.ndarray], quantity: str) -> pd.DataFrame:
    """``quantity`` (a gradient norm) at every layer l = 1..L, one column per stack kind."""
    n_layers = len(next(iter(norms.values())))
    return pd.DataFrame(
        {"layer l": range(1, n_layers + 1), **{f"{quantity} {k}": n for k, n in norms.items()}}
    )
