"""One LSTM backward step written out on the live model (lesson 5), in float64.

At step t the step receives dL/dh_t (everything the loss asks of h_t) and dL/dc_{t+1} (from the next
step's cell), and hands back dL/dh_{t-1} and dL/dc_{t-1}. In between, with σ' = σ(1 - σ):

    dL/dc_t     = dL/dh_t ⊙ o_t ⊙ (1 - tanh² c_t)  +  f_{t+1} ⊙ dL/dc_{t+1}     (through h_t, along the cell)
    dL/do_t     = dL/dh_t ⊙ tanh(c_t)
    dL/df_t     = dL/dc_t ⊙ c_{t-1}
    dL/di_t     = dL/dc_t ⊙ g_t
    dL/dg_t     = dL/dc_t ⊙ i_t
    dL/dh_{t-1} = W_hh^T [dL/di_t ⊙ σ'(i), dL/df_t ⊙ σ'(f), dL/dg_t ⊙ (1 - g_t²), dL/do_t ⊙ σ'(o)]
    dL/dc_{t-1} = f_t ⊙ dL/dc_t  +  o_{t-1} ⊙ (1 - tanh² c_{t-1}) ⊙ dL/dh_{t-1}
                  (the first term along the cell, the second through h_{t-1})

Only dL/dh_t and dL/dc_{t+1} are read from autograd (the trace); every other number is computed
here by these lines, and tests/test_lessons_56.py checks each against autograd. ``backward_step``
takes the 0-based row of the step in the trace's arrays; what it prints counts from 1 like the page's
picker (step t = row + 1). At t = 1 there is no o_0: h_0 = c_0 = 0 are given, not read from a cell.
Written for torch's LSTM with a many-to-one head (lesson 5's task): the head reads only the last h.
``float64_layer`` replays the sentence once; ``step_of`` writes out any (t, unit) from it, so moving
the page's t or j does not replay the model.

>>> from rnnviz.model import ModelConfig, SeqModel
>>> from rnnviz.tasks import FirstWord
>>> task = FirstWord(lag=4, n_countries=3)
>>> model = SeqModel(ModelConfig.for_task(task, cell="lstm", hidden_size=5, seed=1))
>>> step = backward_step(model, task.encode("France the rain walked school fluent"), 0, t=3, unit=2)
>>> round(step.share_f + step.share_h, 12)
1.0
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.tasks.base import check_int
from rnnviz.trace import LayerTrace, trace


def _sig_slope(s: np.ndarray) -> np.ndarray:
    return s * (1.0 - s)  # σ'(a) = σ(a)(1 - σ(a))


@dataclass(frozen=True)
class BackRow:
    symbol: str  # e.g. "dL/dc_t"
    equation: str  # how it is computed, in the lesson's symbols
    arithmetic: str  # the equation with unit j's numbers
    value: float  # unit j's value
    norm: float  # the norm of the whole vector over the H units


@dataclass(frozen=True)
class BackwardStep:
    t: int  # the 0-based row of the step in the arrays: the page's step t is t + 1
    unit: int  # the unit j whose numbers are written out
    v: dict[str, np.ndarray]  # every vector (H,) by name, float64
    rows: tuple[BackRow, ...]

    @property
    def share_f(self) -> float:
        """Share of dL/dc_{t-1} along the cell (through f_t): <f_t ⊙ dL/dc_t, total> / ||total||²."""
        total = self.v["dc_prev"]
        return float(self.v["dc_prev_f"] @ total / (total @ total))

    @property
    def share_h(self) -> float:
        """Share that comes through h_{t-1}: the rest (the two shares add up to 1)."""
        total = self.v["dc_prev"]
        return float(self.v["dc_prev_h"] @ total / (total @ total))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "quantity": r.symbol,
                    "equation": r.equation,
                    f"unit {self.unit}": r.arithmetic,
                    "value": r.value,
                    "norm over units": r.norm,
                }
                for r in self.rows
            ]
        )


def _n(x: float) -> str:
    return f"({x:.4g})" if x < 0 else f"{x:.4g}"


def float64_layer(model, x, y) -> LayerTrace:
    """Layer 1 of ``x`` replayed on a float64 copy of ``model``, with dL/dh_t and dL/dc_t from autograd:
    what every backward step of the sentence reads (one replay, then any t and unit from it)."""
    if model.cfg.cell != "lstm" or model.cfg.head != "many_to_one" or model.cfg.num_layers != 1:
        raise InputError("the backward step is written out for the standard LSTM (one layer, one answer)")
    twin = copy.deepcopy(model).double()
    return trace(twin, torch.as_tensor(x), y, jacobians=False).layer(0)


def backward_step(model, x, y, t: int, unit: int) -> BackwardStep:
    """The backward step of layer 1 at step ``t``, unit ``unit`` written out (on a float64 copy)."""
    return step_of(float64_layer(model, x, y), t, unit)


def step_of(lt: LayerTrace, t: int, unit: int) -> BackwardStep:
    """The backward step at row ``t``, unit ``unit`` of a :func:`float64_layer` (no replay)."""
    T, H = lt.h.shape
    check_int("row of the time step (t - 1)", t, 0, T - 1)
    check_int("unit", unit, 0, H - 1)
    i, f, g, o = (lt.gates[k] for k in "ifgo")  # (T, H) each
    c = lt.c
    c_prev = c[t - 1] if t > 0 else np.zeros(H)
    v: dict[str, np.ndarray] = {}
    v["dh"] = lt.grad_h[t]  # dL/dh_t, from autograd: what the rest of the network asks of h_t
    v["dc_next"] = lt.grad_c[t + 1] if t + 1 < T else np.zeros(H)  # dL/dc_{t+1}, from autograd
    v["f_next"] = f[t + 1] if t + 1 < T else np.zeros(H)
    tanh_c = np.tanh(c[t])
    # dL/dc_t = dL/dh_t ⊙ o_t ⊙ (1 - tanh² c_t) + f_{t+1} ⊙ dL/dc_{t+1}
    v["dc_from_h"] = v["dh"] * o[t] * (1 - tanh_c**2)
    v["dc_along"] = v["f_next"] * v["dc_next"]
    v["dc"] = v["dc_from_h"] + v["dc_along"]
    # dL/do_t = dL/dh_t ⊙ tanh(c_t)
    v["do"] = v["dh"] * tanh_c
    # dL/df_t = dL/dc_t ⊙ c_{t-1};  dL/di_t = dL/dc_t ⊙ g_t;  dL/dg_t = dL/dc_t ⊙ i_t
    v["df"] = v["dc"] * c_prev
    v["di"] = v["dc"] * g[t]
    v["dg"] = v["dc"] * i[t]
    # back through the nonlinearities to the pre-activations, then W_hh^T to h_{t-1}
    da = np.concatenate(
        [
            v["di"] * _sig_slope(i[t]),
            v["df"] * _sig_slope(f[t]),
            v["dg"] * (1 - g[t] ** 2),
            v["do"] * _sig_slope(o[t]),
        ]
    )  # (4H,) in torch's row order i, f, g, o
    v["dh_prev"] = lt.params["weight_hh"].T @ da  # dL/dh_{t-1} = W_hh^T dL/da_t
    # dL/dc_{t-1} = f_t ⊙ dL/dc_t + o_{t-1} ⊙ (1 - tanh² c_{t-1}) ⊙ dL/dh_{t-1}
    v["dc_prev_f"] = f[t] * v["dc"]
    through_h = o[t - 1] * (1 - np.tanh(c_prev) ** 2) if t > 0 else np.zeros(H)
    v["dc_prev_h"] = through_h * v["dh_prev"]
    v["dc_prev"] = v["dc_prev_f"] + v["dc_prev_h"]
    j, last = unit, t + 1 == T
    tc_prev = np.tanh(c_prev)

    def row(symbol: str, name: str, equation: str, numbers: str) -> BackRow:
        value = float(v[name][j])
        return BackRow(symbol, equation, f"{numbers} = {value:.4g}" if numbers else f"{value:.4g}", value,
                       float(np.linalg.norm(v[name])))  # fmt: skip

    rows = [
        row("dL/dh_t", "dh", "given (autograd: the head and step t+1)", ""),
        row("dL/dc_{t+1}", "dc_next", "given (from step t+1; 0 at the last step)", ""),
        row("path 1: through h_t", "dc_from_h", "dL/dh_t ⊙ o_t ⊙ (1 - tanh² c_t)",
            f"{_n(v['dh'][j])} × {_n(o[t, j])} × (1 - {_n(tanh_c[j])}²)"),
        row("path 2: along the cell", "dc_along", "f_{t+1} ⊙ dL/dc_{t+1}",
            "0 (the last step: no c_{t+1})" if last else f"{_n(v['f_next'][j])} × {_n(v['dc_next'][j])}"),
        row("dL/dc_t", "dc", "path 1 + path 2", f"{_n(v['dc_from_h'][j])} + {_n(v['dc_along'][j])}"),
        row("dL/do_t", "do", "dL/dh_t ⊙ tanh(c_t)", f"{_n(v['dh'][j])} × {_n(tanh_c[j])}"),
        row("dL/df_t", "df", "dL/dc_t ⊙ c_{t-1}", f"{_n(v['dc'][j])} × {_n(c_prev[j])}"),
        row("dL/di_t", "di", "dL/dc_t ⊙ g_t", f"{_n(v['dc'][j])} × {_n(g[t, j])}"),
        row("dL/dg_t", "dg", "dL/dc_t ⊙ i_t", f"{_n(v['dc'][j])} × {_n(i[t, j])}"),
        row("dL/dh_{t-1}", "dh_prev", "W_hh^T dL/da_t (a_t: the gates before σ, tanh)",
            f"(a sum over the 4·{H} gate rows)"),
        row("along the cell", "dc_prev_f", "f_t ⊙ dL/dc_t", f"{_n(f[t, j])} × {_n(v['dc'][j])}"),
        row("through h_{t-1}", "dc_prev_h", "o_{t-1} ⊙ (1 - tanh² c_{t-1}) ⊙ dL/dh_{t-1}",
            "0 (t = 1: h_0 = 0 is given, not read from a cell)" if t == 0
            else f"{_n(o[t - 1, j])} × (1 - {_n(tc_prev[j])}²) × {_n(v['dh_prev'][j])}"),
        row("dL/dc_{t-1}", "dc_prev", "along the cell + through h_{t-1}",
            f"{_n(v['dc_prev_f'][j])} + {_n(v['dc_prev_h'][j])}"),
    ]  # fmt: skip
    return BackwardStep(t, unit, v, tuple(rows))


def share_sentence(step: BackwardStep) -> str:
    """What the step's shares say, in words that follow the numbers."""
    t, sf, sh = step.t + 1, step.share_f, step.share_h  # the page counts steps from 1
    if t == 1:
        return (
            "At t = 1 all of dL/dc_0 comes along the cell (through f_1): the state before the first word "
            "(h_0 = c_0 = 0) is given, so no h_0 was computed from a cell."
        )
    head = (
        f"Of dL/dc_(t-1) at t = {t} (norm {np.linalg.norm(step.v['dc_prev']):.3g}), a share of {sf:.0%} "
        "comes along the cell (through f_t) and "
        f"{sh:.0%} through h_(t-1)"
    )
    if min(sf, sh) < 0:
        return (
            head + ": the two paths point in opposite directions and partly cancel (shares are projections "
            "onto the total, so they add up to 100%)."
        )
    return head + " (projections onto the total: they add up to 100%)."
