"""The intervention: clamp the number units to what they hold for the other number, and read the verb.

The counterfactual sentence is the same sentence with the subject swapped for its other number
("cat" -> "cats"); its trace gives every unit's state h'_t (and, for the LSTM, c'_t and o'_t). The
clamp fixes gates of the number units (the cells' own clamp argument) so that their state *is* the
counterfactual one, h_t,j = h'_t,j, on the clamped steps:

    RNN:   h_t = h'_t                                   (the "h" gate is the state itself)
    GRU:   z_t = 0, n_t = h'_t   =>  h_t = (1 - 0) h'_t + 0 * h_{t-1} = h'_t
    LSTM:  f_t = 0, i_t = 1, g_t = c'_t, o_t = o'_t  =>  c_t = c'_t, h_t = o'_t tanh(c'_t) = h'_t

``where="all"`` clamps every step from the subject to the last word; ``where="subject"`` writes
the other number once, at the subject, and leaves carrying it to the cell's own gates. Every other
unit runs free. A control clamps as many of the units *least* correlated with the number.

>>> from rnnviz.lessons.agreement import AgreementLesson
>>> cfg = AgreementLesson(cell="gru", hidden_size=6)
>>> out = clamp_number(cfg.model(), cfg.task(), "the cat near the dogs", (0, 1))
>>> out.counterfactual, round(out.p_plural, 6) == round(out.p_plural, 6)
('the cats near the dogs', True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnviz.cells import CELLS
from rnnviz.errors import InputError
from rnnviz.model import SeqModel
from rnnviz.tasks.agreement import NOUNS, Agreement
from rnnviz.trace import Trace, trace

WHERE = ("all", "subject")  # clamp every step from the subject on, or the subject's step only
OTHER = {w: pair[1 - k] for pair in NOUNS for k, w in enumerate(pair)}  # cat <-> cats


def swapped(task: Agreement, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``x`` with its subject in the other number, and the subject's 0-based position."""
    parsed = task.parse_ids(x)
    if parsed.subject is None:
        raise InputError('the sentence has no subject: start it with "the" and a noun, e.g. "the cats"')
    words = [task.vocab[int(i)] for i in x]
    words[parsed.subject] = OTHER[words[parsed.subject].lower()]
    return task.encode(" ".join(words)), parsed.subject


def clamp_table(cell: str, other: Trace, units, start: int, stop: int) -> dict[str, tuple[Tensor, Tensor]]:
    """gate -> (values (T, H), mask (T, H)) that make ``units`` hold ``other``'s states on steps
    start..stop-1 (0-based): one value per step and unit, as rnnviz.cells' step functions take.

    (rnnviz.trace.GateClamp holds one value per clamp, and two clamps of one gate at one step do not
    combine, so per-unit targets go straight to the cells' clamp argument.)"""
    lt = other.layer(0)
    T, H = lt.h.shape
    rows, cols = slice(start, stop), list(units)
    h = torch.from_numpy(lt.h.astype(np.float32))
    if cell == "rnn_tanh":
        fixed = {"h": h}  # h_t = h'_t
    elif cell == "gru":
        # h_t = (1 - z_t) n_t + z_t h_{t-1} with z_t = 0, n_t = h'_t
        fixed = {"z": torch.zeros(T, H), "n": h}
    elif cell == "lstm":
        # c_t = f_t c_{t-1} + i_t g_t = c'_t;  h_t = o_t tanh(c_t) = o'_t tanh(c'_t) = h'_t
        c, o = (torch.from_numpy(a.astype(np.float32)) for a in (lt.c, lt.gates["o"]))
        fixed = {"f": torch.zeros(T, H), "i": torch.ones(T, H), "g": c, "o": o}
    else:
        raise InputError(f"no clamp for the cell {cell!r}: choose gru, lstm or rnn_tanh")
    mask = torch.zeros(T, H, dtype=torch.bool)
    mask[rows, cols] = True
    return {g: (v, mask) for g, v in fixed.items()}


def run_clamped(model: SeqModel, x: Tensor, table: dict[str, tuple[Tensor, Tensor]]):
    """Layer 1 step by step through the model's own cell with ``table``'s clamps: (h (T, H), c or
    None, probs (O,)) at the last step. The weights are the model's; nothing is trained."""
    spec, p = CELLS[model.cfg.cell], model.layers[0].params(0)
    with torch.no_grad():
        inp = model.embed(x[None])  # (1, T, D)
        h0 = inp.new_zeros(1, model.cfg.hidden_size)
        state = (h0, h0) if spec.has_cell_state else h0
        hs, cs = [], []
        for t in range(inp.shape[1]):
            clamp = {g: (v[t : t + 1], m[t : t + 1]) for g, (v, m) in table.items()}
            state, _, _ = spec.step(inp[:, t], state, p, clamp)
            hs.append(state[0] if spec.has_cell_state else state)
            if spec.has_cell_state:
                cs.append(state[1])
        h = torch.cat(hs)  # (T, H)
        # p(y | sentence) = softmax(W_hy h_T + b_y)
        probs = torch.softmax(model.head(h[-1]), -1)
    c = torch.cat(cs).numpy() if cs else None
    return h.numpy(), c, probs.numpy()


@dataclass(frozen=True)
class Clamped:
    """One sentence read free, and with its number units clamped to the other number."""

    sentence: str  # the words read
    counterfactual: str  # the same with the subject in the other number
    units: tuple[int, ...]  # the clamped units
    where: str  # "all" or "subject"
    p_plural: float  # p(plural) at the last step, read free
    p_other: float  # p(plural) of the counterfactual sentence, read free
    p_clamped: float  # p(plural) with the units clamped
    h_clamped: np.ndarray  # (T, H) every unit's h_t in the clamped run
    h_target: np.ndarray  # (T, len(units)) the counterfactual h'_t,j the clamp aims at

    @property
    def flipped(self) -> bool:
        """The clamp moved the verb to the other number (p(plural) crossed 0.5)."""
        return (self.p_plural >= 0.5) != (self.p_clamped >= 0.5)


def clamp_number(
    model: SeqModel, task: Agreement, text: str, units: tuple[int, ...], where: str = "all"
) -> Clamped:
    """Read ``text`` free and with ``units`` clamped to the subject's other number (``where``)."""
    if where not in WHERE:
        raise InputError(f"clamp where: one of {', '.join(WHERE)}, not {where!r}")
    x = task.encode(text)
    x_other, s = swapped(task, x)
    free, other = trace(model, x), trace(model, x_other)
    stop = len(x) if where == "all" else s + 1
    h, _, probs = run_clamped(model, x, clamp_table(model.cfg.cell, other, units, s, stop))
    target = other.layer(0).h[:, list(units)].astype(np.float64)
    return Clamped(
        task.decode(x), task.decode(x_other), tuple(units), where,
        float(free.probs[1]), float(other.probs[1]), float(probs[1]), h, target,
    )  # fmt: skip


def weakest(r: np.ndarray, k: int) -> tuple[int, ...]:
    """The ``k`` units least correlated with the number (|r_j| smallest): the control clamp."""
    return tuple(int(j) for j in np.argsort(np.abs(r), kind="stable")[:k])
