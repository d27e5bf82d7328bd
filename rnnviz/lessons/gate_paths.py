"""Lesson 4, section 5: the gated cells' direct path through time, as a product of gates.

Steps t = 1..T (T = lag + 2: the country at t = 1, the query at t = T). Along the LSTM's cell
state, c_t = f_t * c_{t-1} + i_t * g_t, so the direct path from the first word's cell to the last is

    (dc_T / dc_1)_direct = f_2 * f_3 * ... * f_T          (elementwise, one product per unit)

and along the GRU's state (torch's convention h_t = (1 - z_t) * n_t + z_t * h_{t-1}) it is
z_2 * ... * z_T. At the initial weights f_t ~ sigma(1) ~ 0.73 (forget-gate bias +1) and z_t ~ 0.5,
so over T - 1 = 101 steps the path is about sigma(1)^101 ~ 1.8e-14: it shrinks like any product of
factors below 1. The gated cells do not start with a path that does not shrink; they can *learn*
one (f_t, z_t -> 1 on the distractors), and training at short lags first (the curriculum) is where
the gradient still arrives to teach it.

>>> from rnnviz.lessons.memory_lag import LagRun
>>> path = gate_path(LagRun("lstm", 100).trainer.model, lag=100)   # the initial LSTM
>>> path.gate, path.steps, f"{path.median:.0e}", f"{sigmoid_power(1.0, path.steps):.1e}"
('f', 101, '2e-14', '1.8e-14')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.tasks import FirstWord
from rnnviz.trace import trace

PATH_GATES = {"lstm": "f", "gru": "z"}  # the gate that multiplies the state carried over


@dataclass(frozen=True)
class GatePath:
    cell: str  # "lstm" | "gru"
    gate: str  # "f" | "z"
    steps: int  # T - 1 factors, t = 2..T
    per_unit: np.ndarray  # (H,) prod_{t=2..T} gate_t of each unit, on one held-out sentence
    sigma_bias: float  # sigma(b)^(T-1), b the gate's mean bias (b_ih + b_hh): all factors at sigma(b)
    gate_mean: float  # mean gate value over t = 2..T and every unit

    @property
    def largest(self) -> float:
        return float(self.per_unit.max())

    @property
    def median(self) -> float:
        return float(np.median(self.per_unit))


def gate_path(model, lag: int, n_countries: int = 4, seed: int = 0) -> GatePath:
    """The direct path's product of gates on held-out sentence 0 at ``lag``, per unit."""
    cell = model.cfg.cell
    if cell not in PATH_GATES:
        raise InputError(f"the gate path is drawn for the LSTM and the GRU, not {cell!r}")
    gate = PATH_GATES[cell]
    probe = FirstWord(lag=lag, n_countries=n_countries, seed=seed).example(0, split="val")
    tr = trace(model, probe.x[0], probe.y[0], grad_of="final", jacobians=False)
    values = tr.layer(0).gates[gate][1:].astype(np.float64)  # (T - 1, H): t = 2..T
    # prod_{t=2..T} gate_t, in log space so that nothing underflows early
    per_unit = np.exp(np.sum(np.log(np.clip(values, 1e-300, None)), axis=0))
    p = model.layers[0].params(0)
    H = model.cfg.hidden_size
    # torch's rows: LSTM i, f, g, o and GRU r, z, n, so f and z both sit at rows H..2H
    bias = (p["bias_ih"] + p["bias_hh"]).detach()[H : 2 * H]
    b = float(bias.double().mean())
    # sigma(b)^(T-1): what every factor near sigma(b) gives
    sigma_bias = (1 / (1 + math.exp(-b))) ** values.shape[0]
    return GatePath(cell, gate, values.shape[0], per_unit, sigma_bias, float(values.mean()))


def sigmoid_power(b: float, n: int) -> float:
    """sigma(b)^n, e.g. sigma(1)^100 ~ 2.5e-14."""
    return float(torch.sigmoid(torch.tensor(b, dtype=torch.float64)) ** n)


def _sci(v: float) -> str:
    return f"{v:.2g}" if v >= 1e-3 else f"{v:.1e}"


def path_story(lstm: GatePath, gru: GatePath, forget_bias: float, start_lag: int) -> str:
    """Markdown, every number computed: the gated cells' direct path at the initial weights."""
    n = lstm.steps
    first = start_lag + 1  # factors at the curriculum's first lag: t = 2..start_lag + 2
    return (
        f"That path is a product of gates. Along the LSTM's cell, $c_t = f_t \\odot c_{{t-1}} + i_t "
        f"\\odot g_t$, "
        f"so the direct path from the first word's $c_1$ to $c_T$ multiplies by $f_2 \\cdots f_T$: {n} "
        f"factors "
        f"at this lag. At the initial weights (forget-gate bias {forget_bias:g}) the mean $f_t$ is "
        f"{lstm.gate_mean:.2f}, and $\\sigma({forget_bias:g})^{{{n}}} = "
        f"{_sci(sigmoid_power(forget_bias, n))}$; "
        f"measured on a held-out sentence the product is {_sci(lstm.median)} for the median unit and "
        f"{_sci(lstm.largest)} for the largest. The GRU's path $z_2 \\cdots z_T$ (mean $z_t$ "
        f"{gru.gate_mean:.2f}) starts at {_sci(gru.median)} (median) and {_sci(gru.largest)} (largest). So "
        "neither starts with a path that does not shrink: each has to *learn* $f_t \\approx 1$ or $z_t "
        "\\approx 1$ on the distractors, and a learning signal along that path reaches the first word "
        "only while the path "
        f"is not tiny. That is what the curriculum changes: at its first lag, {start_lag}, the LSTM's "
        f"path is "
        f"$\\sigma({forget_bias:g})^{{{first}}} = {_sci(sigmoid_power(forget_bias, first))}$."
    )


def trained_paths(points: list[dict], initial: dict[str, float]) -> str:
    """Markdown: the largest unit's path after each measured gated cell's training, beside its start.

    ``points``: LagPoint dicts (with ``path``, ``recipe``); ``initial``: cell -> largest path at init."""
    names = {"lstm": ("LSTM", "f"), "gru": ("GRU", "z")}
    parts = []
    for p in points:
        if p.get("path") is None or p["cell"] not in initial:
            continue
        name, gate = names[p["cell"]]
        start = initial[p["cell"]]
        moved = "grew" if p["path"] > start else "shrank"
        parts.append(
            f"{name} at lag {p['lag']} ({p['recipe']}, {p['steps']} steps): the largest $\\prod {gate}_t$ "
            f"{moved} from {_sci(start)} to {_sci(p['path'])}, accuracy {p['acc']:.0%}"
        )
    if not parts:
        return ""
    return "**The path after training**, your measurements: " + "; ".join(parts) + "."
