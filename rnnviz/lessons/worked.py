"""Worked arithmetic of one gated cell step: the equations filled in with a trace's numbers.

``worked_step(trace, t, unit)`` writes out every quantity of the cell at row ``t`` (0-based: the
lessons print it as step t + 1, the state before the first word being h_0 = 0) and hidden unit
``unit`` (pre-activations split into their input, recurrent and bias parts; gates; the update) as
rows a lesson shows in a table. Every value comes from the trace, so the table equals the model.

>>> from rnnviz.model import ModelConfig, SeqModel
>>> from rnnviz.tasks import FirstWord
>>> from rnnviz.trace import trace
>>> task = FirstWord(lag=4, n_countries=3)
>>> model = SeqModel(ModelConfig.for_task(task, cell="lstm", hidden_size=5, seed=1))
>>> tr = trace(model, task.encode("France the rain walked school fluent"), jacobians=False)
>>> step = worked_step(tr, t=3, unit=2)
>>> step.row("f_t").arithmetic
'σ(0.1713) = 0.5427'
>>> step.row("c_t").arithmetic       # c_t = f_t c_{t-1} + i_t g_t
'0.5427 × 0.0665 + 0.4881 × 0.4596 = 0.2604'
>>> list(step.frame("update")["quantity"])
['c_t']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.cells import CELLS
from rnnviz.tasks.base import check_int
from rnnviz.trace import GateClamp, LayerTrace, Trace

LSTM_STAGES = ("forget", "input", "update", "output")
GRU_STAGES = ("reset", "update", "candidate", "output")
# row block of each gate in weight_ih / weight_hh (torch's order)
BLOCKS = {
    "lstm": {"i": 0, "f": 1, "g": 2, "o": 3},
    "lstm_peephole": {"i": 0, "f": 1, "g": 2, "o": 3},
    "lstm_coupled": {"i": 0, "g": 1, "o": 2},
    "gru": {"r": 0, "z": 1, "n": 2},
    "gru_paper": {"r": 0, "z": 1, "n": 2},
    "gru_minimal": {"z": 0, "n": 1},
}


def _r(v: float) -> str:
    """A shown result: 4 decimals (and never "-0.0000")."""
    return f"{v:.4f}" if round(v, 4) != 0 else "0.0000"


def _n(v: float) -> str:
    """A shown number: 4 decimals, negatives in brackets so the arithmetic reads."""
    return f"({v:.4f})" if round(v, 4) < 0 else _r(v)


@dataclass(frozen=True)
class WorkedRow:
    stage: str  # which step of the cell: "forget", "input", ... ("reset", "candidate", ... for GRUs)
    symbol: str  # the quantity in the lesson's symbols, e.g. "f_t"
    equation: str  # how it is computed
    arithmetic: str  # the equation with this step's numbers
    value: float  # the result, as the trace holds it


@dataclass(frozen=True)
class WorkedStep:
    cell: str  # key of rnnviz.cells.CELLS
    t: int  # the 0-based row of the step in the arrays: the page prints step t = row + 1 (h_0 = 0 before)
    unit: int  # hidden unit j
    values: dict  # every number by name: "f", "f_pre", "c_prev", "c", "h", ...
    rows: tuple[WorkedRow, ...]  # the arithmetic, in the order the cell computes it

    def row(self, symbol: str) -> WorkedRow:
        return next(r for r in self.rows if r.symbol == symbol)

    def frame(self, stage: str | Sequence[str] | None = None) -> pd.DataFrame:
        """The arithmetic as a table: stage, quantity, equation, numbers (only ``stage``'s rows, if given)."""
        return worked_table(self.rows, stage)


def worked_table(rows, stage: str | Sequence[str] | None = None) -> pd.DataFrame:
    """``WorkedStep.rows`` as a table: symbol, equation, numbers (only the rows of ``stage``, if given)."""
    stages = (stage,) if isinstance(stage, str) else stage
    chosen = [r for r in rows if stages is None or r.stage in stages]
    return pd.DataFrame(
        {
            "stage": [r.stage for r in chosen],  # of the cell (forget, input, ...), not the time step t
            "quantity": [r.symbol for r in chosen],
            "equation": [r.equation for r in chosen],
            "with the numbers": [r.arithmetic for r in chosen],
            "value": [r.value for r in chosen],
        }
    )


def _prev(a: np.ndarray, t: int) -> np.ndarray:
    return a[t - 1].astype(np.float64) if t > 0 else np.zeros(a.shape[1])


def _affine_parts(
    lt: LayerTrace, t: int, unit: int, block: int, h_in: np.ndarray
) -> tuple[float, float, float]:
    """(W_i. x_t)_j, (W_h. h_in)_j and b_i. + b_h. for gate row ``block`` of unit j."""
    p, H = lt.params, lt.h.shape[1]
    r = block * H + unit
    wx = float(p["weight_ih"][r].astype(np.float64) @ lt.x[t].astype(np.float64))
    wh = float(p["weight_hh"][r].astype(np.float64) @ h_in)
    return wx, wh, float(p["bias_ih"][r]) + float(p["bias_hh"][r])


def _gate_row(stage, name, fn, pre, value, clamped) -> WorkedRow:
    natural = f"{fn}({pre:.4f})"
    if clamped:
        return WorkedRow(
            stage, f"{name}_t", f"{fn}({name}_pre), clamped", f"{natural} replaced by {_n(value)}", value
        )
    return WorkedRow(stage, f"{name}_t", f"{fn}({name}_pre)", f"{natural} = {_r(value)}", value)


def worked_step(
    tr: Trace, t: int, unit: int, clamps: tuple[GateClamp, ...] = (), layer: int = 0
) -> WorkedStep:
    """The cell's equations at row ``t`` (step t + 1) and unit ``unit``, with the trace's numbers."""
    lt = tr.layer(layer)
    T, H = lt.h.shape
    check_int("row of the time step (t - 1)", t, 0, T - 1)
    check_int("unit", unit, 0, H - 1)
    held = {
        c.gate
        for c in clamps
        if c.layer == layer
        and c.start <= t
        and (c.stop is None or t < c.stop)
        and (c.units is None or unit in c.units)
    }
    v = {g: float(a[t, unit]) for g, a in lt.gates.items()}
    v |= {f"{g}_pre": float(a[t, unit]) for g, a in lt.pre.items()}
    h_prev = _prev(lt.h, t)
    v["h_prev"] = float(h_prev[unit])
    blocks, rows = BLOCKS[tr.cell], []

    def pre_row(stage, g, label, extra=(), h_in=h_prev):
        wx, wh, b = _affine_parts(lt, t, unit, blocks[g], h_in)
        terms = [wx, wh, b, *[e for _, e in extra]]
        eq = " + ".join(
            [f"W_i{g} x_t", f"W_h{g} {label}", f"(b_i{g} + b_h{g})", *[name for name, _ in extra]]
        )
        rows.append(
            WorkedRow(
                stage, f"{g}_pre", eq, " + ".join(map(_n, terms)) + f" = {_r(v[g + '_pre'])}", v[g + "_pre"]
            )
        )

    if CELLS[tr.cell].has_cell_state:
        c_prev = _prev(lt.c, t)[unit]
        v["c_prev"] = float(c_prev)
        peep = {}
        if tr.cell == "lstm_peephole":
            w_ci, w_cf, w_co = lt.params["weight_ch"].reshape(3, H)[:, unit].astype(np.float64)
            peep = {
                "i": (("w_ci c_{t-1}", w_ci * c_prev),),
                "f": (("w_cf c_{t-1}", w_cf * c_prev),),
                "o": (("w_co c_t", w_co * v["c"]),),
            }
        if tr.cell == "lstm_coupled":
            rows.append(WorkedRow("forget", "f_t", "1 - i_t", f"1 - {_n(v['i'])} = {_r(v['f'])}", v["f"]))
        else:
            pre_row("forget", "f", "h_{t-1}", peep.get("f", ()))
            rows.append(_gate_row("forget", "f", "σ", v["f_pre"], v["f"], "f" in held))
        v["f*c_prev"] = v["f"] * v["c_prev"]
        rows.append(
            WorkedRow(
                "forget",
                "f_t c_{t-1}",
                "f_t × c_{t-1}",
                f"{_n(v['f'])} × {_n(c_prev)} = {_r(v['f*c_prev'])}",
                v["f*c_prev"],
            )
        )
        pre_row("input", "i", "h_{t-1}", peep.get("i", ()))
        rows.append(_gate_row("input", "i", "σ", v["i_pre"], v["i"], "i" in held))
        pre_row("input", "g", "h_{t-1}")
        rows.append(_gate_row("input", "g", "tanh", v["g_pre"], v["g"], "g" in held))
        v["i*g"] = v["i"] * v["g"]
        rows.append(
            WorkedRow(
                "input", "i_t g_t", "i_t × g_t", f"{_n(v['i'])} × {_n(v['g'])} = {_r(v['i*g'])}", v["i*g"]
            )
        )
        # c_t = f_t c_{t-1} + i_t g_t
        arith = f"{_n(v['f'])} × {_n(c_prev)} + {_n(v['i'])} × {_n(v['g'])} = {_r(v['c'])}"
        rows.append(WorkedRow("update", "c_t", "f_t c_{t-1} + i_t g_t", arith, v["c"]))
        pre_row("output", "o", "h_{t-1}", peep.get("o", ()))
        rows.append(_gate_row("output", "o", "σ", v["o_pre"], v["o"], "o" in held))
        v["tanh_c"] = float(np.tanh(v["c"]))
        rows.append(
            WorkedRow(
                "output", "tanh(c_t)", "tanh(c_t)", f"tanh({v['c']:.4f}) = {_r(v['tanh_c'])}", v["tanh_c"]
            )
        )
        # h_t = o_t tanh(c_t)
        rows.append(
            WorkedRow(
                "output", "h_t", "o_t tanh(c_t)", f"{_n(v['o'])} × {_n(v['tanh_c'])} = {_r(v['h'])}", v["h"]
            )
        )
    else:
        if "r" in blocks:
            pre_row("reset", "r", "h_{t-1}")
            rows.append(_gate_row("reset", "r", "σ", v["r_pre"], v["r"], "r" in held))
        pre_row("update", "z", "h_{t-1}")
        rows.append(_gate_row("update", "z", "σ", v["z_pre"], v["z"], "z" in held))
        v["gamma_u"] = 1.0 - v["z"]
        rows.append(
            WorkedRow(
                "update",
                "Γ_u",
                "1 - z_t (course notes' update gate)",
                f"1 - {_n(v['z'])} = {_r(v['gamma_u'])}",
                v["gamma_u"],
            )
        )
        wx, wh, b = _affine_parts(lt, t, unit, blocks["n"], h_prev)
        b_in, b_hn = (float(lt.params[k][blocks["n"] * H + unit]) for k in ("bias_ih", "bias_hh"))
        if tr.cell == "gru":  # n_t = tanh(W_in x_t + b_in + r_t (W_hn h_{t-1} + b_hn))
            v["a_n"], v["b_n"] = wx + b_in, wh + b_hn
            rows += [
                WorkedRow(
                    "candidate",
                    "W_in x_t + b_in",
                    "input part",
                    f"{_n(wx)} + {_n(b_in)} = {_r(v['a_n'])}",
                    v["a_n"],
                ),
                WorkedRow(
                    "candidate",
                    "W_hn h_{t-1} + b_hn",
                    "recurrent part",
                    f"{_n(wh)} + {_n(b_hn)} = {_r(v['b_n'])}",
                    v["b_n"],
                ),
                WorkedRow(
                    "candidate",
                    "n_pre",
                    "(W_in x_t + b_in) + r_t (W_hn h_{t-1} + b_hn)",
                    f"{_n(v['a_n'])} + {_n(v['r'])} × {_n(v['b_n'])} = {_r(v['n_pre'])}",
                    v["n_pre"],
                ),
            ]
        elif tr.cell == "gru_paper":  # n_t = tanh(W_in x_t + b_in + W_hn (r_t h_{t-1}) + b_hn)
            r_h = lt.gates["r"][t].astype(np.float64) * h_prev
            wx, wh, b = _affine_parts(lt, t, unit, blocks["n"], r_h)
            v["r*h_prev"] = float(r_h[unit])
            eq = "W_in x_t + W_hn (r_t ⊙ h_{t-1}) + (b_in + b_hn)"
            rows.append(
                WorkedRow(
                    "candidate", "n_pre", eq, f"{_n(wx)} + {_n(wh)} + {_n(b)} = {_r(v['n_pre'])}", v["n_pre"]
                )
            )
        else:
            pre_row("candidate", "n", "h_{t-1}")
        rows.append(_gate_row("candidate", "n", "tanh", v["n_pre"], v["n"], "n" in held))
        # h_t = (1 - z_t) n_t + z_t h_{t-1}
        arith = f"(1 - {_n(v['z'])}) × {_n(v['n'])} + {_n(v['z'])} × {_n(v['h_prev'])} = {_r(v['h'])}"
        rows.append(WorkedRow("output", "h_t", "(1 - z_t) n_t + z_t h_{t-1}", arith, v["h"]))
        arith = (
            f"{_n(v['gamma_u'])} × {_n(v['n'])} + (1 - {_n(v['gamma_u'])}) × {_n(v['h_prev'])} = {_r(v['h'])}"
        )
        rows.append(WorkedRow("output", "c_t (course)", "Γ_u c̃_t + (1 - Γ_u) c_{t-1}", arith, v["h"]))
    return WorkedStep(tr.cell, t, unit, v, tuple(rows))
