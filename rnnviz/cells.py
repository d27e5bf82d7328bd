"""Instrumented recurrent cells, laid out exactly as torch lays them out.

Each cell is a step function ``step(x, state, params, clamp) -> (state, gates, pre)``:

- ``x`` (B, D) the input at step t; ``state`` is ``h`` (B, H) or ``(h, c)`` for LSTMs;
- ``params`` the layer's tensors under torch's names: ``weight_ih`` (G*H, D), ``weight_hh``
  (G*H, H), ``bias_ih`` (G*H,), ``bias_hh`` (G*H,) with the gate rows in torch's order
  (LSTM ``i, f, g, o``; GRU ``r, z, n``), plus ``weight_ch`` (3*H,) for peepholes; the cells
  whose gates read x_t only (minGRU ``z, n``, minLSTM ``f, i, g``, selective ``a, b``) have no
  ``weight_hh`` / ``bias_hh`` and a ``CellSpec.scan`` giving their whole sequence at once;
- ``gates`` maps each gate name to its value after the nonlinearity, ``pre`` to its value before;
- ``clamp`` optionally overrides gate values: ``{"f": (value, unit_mask)}`` sets ``f`` to
  ``value`` on the units where ``unit_mask`` (H,) is True (an intervention, see ``trace``);
  ``value`` and ``unit_mask`` may also be (B, H) tensors, one row per batch row.

Torch's fused kernels (nn.RNN, nn.LSTM, nn.GRU) compute the same numbers; ``tests/test_cells.py``
proves it in float64. ``CellModule`` wraps a step function as an ``nn.Module`` shaped like
``nn.LSTMCell`` and friends, so weights copy both ways with no reshuffling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Clamp = dict[str, tuple[float, Tensor]]


def _apply_clamp(name: str, value: Tensor, clamp: Clamp | None) -> Tensor:
    if clamp and name in clamp:
        fixed, mask = clamp[name]  # fixed: a number, or one value per step and unit
        return torch.where(mask, torch.as_tensor(fixed, dtype=value.dtype), value)
    return value


def _affine(x: Tensor, h: Tensor, p: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    # W_ih x_t + b_ih and W_hh h_{t-1} + b_hh, each (B, G*H)
    # A caller may pass either term precomputed: ``p["ih"]`` (trace projects a whole sequence in
    # one matmul) or ``p["hh"]`` (trace's Jacobians differentiate with respect to it).
    ih = p["ih"] if "ih" in p else x @ p["weight_ih"].T + p["bias_ih"]
    hh = p["hh"] if "hh" in p else h @ p["weight_hh"].T + p["bias_hh"]
    return ih, hh


def rnn_step(x, h, p, clamp=None, nonlinearity=torch.tanh):
    """Elman: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    a, b = _affine(x, h, p)
    h_pre = a + b
    h_new = _apply_clamp("h", nonlinearity(h_pre), clamp)
    return h_new, {"h": h_new}, {"h": h_pre}


def rnn_relu_step(x, h, p, clamp=None):
    """Elman with ReLU: h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    return rnn_step(x, h, p, clamp, nonlinearity=torch.relu)


def lstm_step(x, state, p, clamp=None):
    """LSTM (torch's nn.LSTM):

    i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
    f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)      candidate
    o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)
    """
    h, c_prev = state
    a, b = _affine(x, h, p)
    i_pre, f_pre, g_pre, o_pre = (a + b).chunk(4, dim=-1)
    i = _apply_clamp("i", torch.sigmoid(i_pre), clamp)
    f = _apply_clamp("f", torch.sigmoid(f_pre), clamp)
    g = _apply_clamp("g", torch.tanh(g_pre), clamp)
    o = _apply_clamp("o", torch.sigmoid(o_pre), clamp)
    # c_t = f_t * c_{t-1} + i_t * g_t
    c = f * c_prev + i * g
    # h_t = o_t * tanh(c_t)
    h_new = o * torch.tanh(c)
    gates = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h_new}
    return (h_new, c), gates, {"i": i_pre, "f": f_pre, "g": g_pre, "o": o_pre}


def peephole_lstm_step(x, state, p, clamp=None):
    """LSTM with peephole connections (Gers & Schmidhuber 2000): the gates also read the cell.

    i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi + w_ci * c_{t-1})
    f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf + w_cf * c_{t-1})
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho + w_co * c_t)      reads the new cell
    h_t = o_t * tanh(c_t)

    ``weight_ch`` (3*H,) holds the diagonal peephole weights in the order w_ci, w_cf, w_co.
    """
    h, c_prev = state
    a, b = _affine(x, h, p)
    i_pre, f_pre, g_pre, o_pre = (a + b).chunk(4, dim=-1)
    w_ci, w_cf, w_co = p["weight_ch"].chunk(3)
    i_pre = i_pre + w_ci * c_prev
    f_pre = f_pre + w_cf * c_prev
    i = _apply_clamp("i", torch.sigmoid(i_pre), clamp)
    f = _apply_clamp("f", torch.sigmoid(f_pre), clamp)
    g = _apply_clamp("g", torch.tanh(g_pre), clamp)
    # c_t = f_t * c_{t-1} + i_t * g_t
    c = f * c_prev + i * g
    o_pre = o_pre + w_co * c
    o = _apply_clamp("o", torch.sigmoid(o_pre), clamp)
    h_new = o * torch.tanh(c)
    gates = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h_new}
    return (h_new, c), gates, {"i": i_pre, "f": f_pre, "g": g_pre, "o": o_pre}


def coupled_lstm_step(x, state, p, clamp=None):
    """LSTM with coupled input and forget gates: forget exactly as much as you write.

    i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    f_t = 1 - i_t                                         no forget-gate weights of its own
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

    Rows of the weights: i, g, o (3*H), torch's LSTM order with the f rows taken out.
    """
    h, c_prev = state
    a, b = _affine(x, h, p)
    i_pre, g_pre, o_pre = (a + b).chunk(3, dim=-1)
    i = _apply_clamp("i", torch.sigmoid(i_pre), clamp)
    # f_t = 1 - i_t
    f = _apply_clamp("f", 1.0 - i, clamp)
    g = _apply_clamp("g", torch.tanh(g_pre), clamp)
    o = _apply_clamp("o", torch.sigmoid(o_pre), clamp)
    c = f * c_prev + i * g
    h_new = o * torch.tanh(c)
    gates = {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h_new}
    return (h_new, c), gates, {"i": i_pre, "f": -i_pre, "g": g_pre, "o": o_pre}


def gru_step(x, h, p, clamp=None):
    """GRU as torch computes it (nn.GRU): the reset gate multiplies W_hn h + b_hn.

    r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)    reset gate
    z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)    update gate (share of the old state kept)
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    """
    a, b = _affine(x, h, p)
    a_r, a_z, a_n = a.chunk(3, dim=-1)
    b_r, b_z, b_n = b.chunk(3, dim=-1)
    r_pre, z_pre = a_r + b_r, a_z + b_z
    r = _apply_clamp("r", torch.sigmoid(r_pre), clamp)
    z = _apply_clamp("z", torch.sigmoid(z_pre), clamp)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    n_pre = a_n + r * b_n
    n = _apply_clamp("n", torch.tanh(n_pre), clamp)
    # h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    h_new = (1 - z) * n + z * h
    return h_new, {"r": r, "z": z, "n": n, "h": h_new}, {"r": r_pre, "z": z_pre, "n": n_pre}


def paper_gru_step(x, h, p, clamp=None):
    """GRU as Cho et al. (2014) wrote it: the reset gate multiplies h before W_hn.

    n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)       (torch: r_t * (W_hn h + b_hn))
    r_t, z_t and h_t as in ``gru_step``.
    """
    w_hr, w_hz, w_hn = p["weight_hh"].chunk(3)
    b_hr, b_hz, b_hn = p["bias_hh"].chunk(3)
    a_r, a_z, a_n = (p["ih"] if "ih" in p else x @ p["weight_ih"].T + p["bias_ih"]).chunk(3, dim=-1)
    r_pre = a_r + h @ w_hr.T + b_hr
    z_pre = a_z + h @ w_hz.T + b_hz
    r = _apply_clamp("r", torch.sigmoid(r_pre), clamp)
    z = _apply_clamp("z", torch.sigmoid(z_pre), clamp)
    # n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
    n_pre = a_n + (r * h) @ w_hn.T + b_hn
    n = _apply_clamp("n", torch.tanh(n_pre), clamp)
    h_new = (1 - z) * n + z * h
    return h_new, {"r": r, "z": z, "n": n, "h": h_new}, {"r": r_pre, "z": z_pre, "n": n_pre}


def minimal_gru_step(x, h, p, clamp=None):
    """The simplified GRU without a reset gate (rows z, n):

    z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + W_hn h_{t-1} + b_hn)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    """
    a, b = _affine(x, h, p)
    z_pre, n_pre = (a + b).chunk(2, dim=-1)
    z = _apply_clamp("z", torch.sigmoid(z_pre), clamp)
    n = _apply_clamp("n", torch.tanh(n_pre), clamp)
    h_new = (1 - z) * n + z * h
    return h_new, {"z": z, "n": n, "h": h_new}, {"z": z_pre, "n": n_pre}


# --- Cells whose gates read x_t only (no weight_hh, no bias_hh) ----------------------------
# Each is linear in h: h_t = a_t * h_{t-1} + b_t with a_t, b_t known for every t in advance, so a
# whole sequence can run as one scan (rnnviz.scan) instead of a loop. ``*_scan`` gives (a_t, b_t)
# for all t at once from the input projection ih = W_ih x_t + b_ih (..., G*H).


def _projection(x: Tensor, p: dict[str, Tensor]) -> Tensor:
    # W_ih x_t + b_ih (B, G*H), or precomputed by the caller as ``p["ih"]``
    return p["ih"] if "ih" in p else x @ p["weight_ih"].T + p["bias_ih"]


def min_gru_step(x, h, p, clamp=None):
    """minGRU (Feng et al. 2024, "Were RNNs all we needed?"): the GRU with gates that read x_t only.

    z_t = sigma(W_iz x_t + b_iz)                  (GRU: + W_hz h_{t-1} + b_hz)
    n_t = W_in x_t + b_in                         (GRU: tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}         (the GRU's own update)

    Rows of weight_ih: z, n (2*H); there is no weight_hh, no bias_hh and no reset gate (with
    nothing from h_{t-1} in n_t there is nothing to reset). z keeps lesson 6's meaning, the share
    of the old state kept; the paper writes z for the share of the candidate, h_t = (1 - z_t) *
    h_{t-1} + z_t * h~_t, so its z is our 1 - z. No tanh on n_t: the paper drops it because with
    h_{t-1} gone from the candidate nothing feeds back to blow up, and h_t, a convex mix of
    bounded candidates, stays within their range anyway; dropping it keeps the candidate linear.
    The step is linear in h: a_t = z_t, b_t = (1 - z_t) * n_t (``min_gru_scan``).
    """
    z_pre, n_pre = _projection(x, p).chunk(2, dim=-1)
    z = _apply_clamp("z", torch.sigmoid(z_pre), clamp)  # z_t = sigma(W_iz x_t + b_iz)
    n = _apply_clamp("n", n_pre, clamp)  # n_t = W_in x_t + b_in (no tanh)
    h_new = (1 - z) * n + z * h  # h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    return h_new, {"z": z, "n": n, "h": h_new}, {"z": z_pre, "n": n_pre}


def min_gru_scan(ih: Tensor) -> tuple[Tensor, Tensor]:
    """(a_t, b_t) of the minGRU for every t: a_t = z_t, b_t = (1 - z_t) * n_t."""
    z_pre, n = ih.chunk(2, dim=-1)
    z = torch.sigmoid(z_pre)
    return z, (1 - z) * n


def _min_lstm_gates(f_pre: Tensor, i_pre: Tensor) -> tuple[Tensor, Tensor]:
    # f'_t = f_t / (f_t + i_t) = sigma(log f_t - log i_t); i'_t = 1 - f'_t = sigma(log i_t - log f_t)
    # (the same numbers, computed from log-sigmoids so that f_t + i_t cannot underflow to 0)
    d = F.logsigmoid(f_pre) - F.logsigmoid(i_pre)
    return torch.sigmoid(d), torch.sigmoid(-d)


def min_lstm_step(x, h, p, clamp=None):
    """minLSTM (Feng et al. 2024): the LSTM with gates that read x_t only, no cell state, no output gate.

    f_t = sigma(W_if x_t + b_if)                  (LSTM: + W_hf h_{t-1} + b_hf)
    i_t = sigma(W_ii x_t + b_ii)                  (LSTM: + W_hi h_{t-1} + b_hi)
    g_t = W_ig x_t + b_ig                         (LSTM: tanh(... + W_hg h_{t-1} + b_hg))
    f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t)          normalised: f'_t + i'_t = 1
    h_t = f'_t * h_{t-1} + i'_t * g_t             (LSTM: c_t = f_t * c_{t-1} + i_t * g_t, then o_t, tanh)

    Rows of weight_ih: f, i, g (3*H); no weight_hh, no bias_hh. ``gates`` holds the normalised
    f'_t, i'_t under "f" and "i" (those are what multiply h_{t-1} and g_t, and what a clamp
    fixes), then "g" and "h"; ``pre`` holds the raw logits of f, i and g. The normalisation
    makes h_t a weighted mean of h_{t-1} and g_t, so h stays in the range of the g's whatever
    the sequence length (the paper's reason for it). a_t = f'_t, b_t = i'_t * g_t.
    """
    f_pre, i_pre, g_pre = _projection(x, p).chunk(3, dim=-1)
    f_norm, i_norm = _min_lstm_gates(f_pre, i_pre)  # f'_t, i'_t
    f = _apply_clamp("f", f_norm, clamp)
    i = _apply_clamp("i", i_norm, clamp)
    g = _apply_clamp("g", g_pre, clamp)  # g_t = W_ig x_t + b_ig (no tanh)
    h_new = f * h + i * g  # h_t = f'_t * h_{t-1} + i'_t * g_t
    return h_new, {"f": f, "i": i, "g": g, "h": h_new}, {"f": f_pre, "i": i_pre, "g": g_pre}


def min_lstm_scan(ih: Tensor) -> tuple[Tensor, Tensor]:
    """(a_t, b_t) of the minLSTM for every t: a_t = f'_t, b_t = i'_t * g_t."""
    f_pre, i_pre, g = ih.chunk(3, dim=-1)
    f_norm, i_norm = _min_lstm_gates(f_pre, i_pre)
    return f_norm, i_norm * g


def selective_step(x, h, p, clamp=None):
    """A diagonal linear recurrence with input-dependent decay: the idea of LRU, S4D and Mamba's S6, tiny.

    a_t = exp(-softplus(W_ia x_t + b_ia))         in (0, 1]: the share of h_{t-1} kept, per unit
    b_t = W_ib x_t + b_ib                         what is written
    h_t = a_t * h_{t-1} + b_t

    Rows of weight_ih: a, b (2*H); no weight_hh, no bias_hh. The decay is "selective": it depends
    on x_t, so the model can keep its memory on one input (a_t ~ 1) and drop it on another
    (a_t ~ 0); 1 / (1 - a_t) is the memory length in steps. (exp(-softplus(u)) equals
    sigma(-u); Mamba writes exp(-Delta_t A) with Delta_t = softplus(...) and a learned rate A
    per unit: here A = 1.) dh_t/dh_{t-1} = diag(a_t): no weight matrix multiplies the gradient
    on its way back, only the decays. Unlike the minGRU, keeping (a_t) and writing (b_t) are
    not tied. ``init_params`` starts b_ia so the memory lengths spread from 2 to 100 steps.
    """
    a_pre, b_pre = _projection(x, p).chunk(2, dim=-1)
    a = _apply_clamp("a", torch.exp(-F.softplus(a_pre)), clamp)  # a_t = exp(-softplus(W_ia x_t + b_ia))
    b = _apply_clamp("b", b_pre, clamp)  # b_t = W_ib x_t + b_ib
    h_new = a * h + b  # h_t = a_t * h_{t-1} + b_t
    return h_new, {"a": a, "b": b, "h": h_new}, {"a": a_pre, "b": b_pre}


def selective_scan(ih: Tensor) -> tuple[Tensor, Tensor]:
    """(a_t, b_t) of the selective recurrence for every t."""
    a_pre, b = ih.chunk(2, dim=-1)
    return torch.exp(-F.softplus(a_pre)), b


MEMORY_INIT = (2.0, 100.0)  # the selective cell's initial memory lengths 1 / (1 - a) span this range


def _decay_bias(hidden_size: int, generator: torch.Generator) -> Tensor:
    """b_ia so that, at x = 0, a = 1 - 1/L with L log-uniform in MEMORY_INIT (as LRU starts near |a| = 1).

    a = exp(-softplus(b)) = 1 / (1 + e^b) = 1 - 1/L  <=>  e^b = 1 / (L - 1)  <=>  b = -log(L - 1).
    """
    lo, hi = (math.log(v) for v in MEMORY_INIT)
    L = torch.exp(lo + (hi - lo) * torch.rand(hidden_size, generator=generator))  # memory lengths
    return -torch.log(L - 1)


@dataclass(frozen=True)
class CellSpec:
    step: Callable  # the step function
    rows: int  # gate blocks stacked in weight_ih / weight_hh (G)
    gates: tuple[str, ...]  # names in `gates`, in row order, then states
    has_cell_state: bool  # state is (h, c)
    peephole: bool = False  # has weight_ch (3*H,)
    fused: str | None = None  # torch module computing the same thing: "RNN_TANH", "LSTM", ...
    title: str = ""
    recurrent: bool = True  # False: no weight_hh / bias_hh, the gates read x_t only
    scan: Callable | None = None  # ih = W_ih x_t + b_ih (..., G*H) -> (a_t, b_t) of h_t = a_t h_{t-1} + b_t
    decay_init: bool = False  # rows (a, b): b_ia starts at memory lengths spread over MEMORY_INIT
    linear: tuple[str, ...] = ()  # gates with no nonlinearity (minGRU's n, minLSTM's g, selective's b)


CELLS: dict[str, CellSpec] = {
    "rnn_tanh": CellSpec(rnn_step, 1, ("h",), False, fused="RNN_TANH", title="Elman RNN (tanh)"),
    "rnn_relu": CellSpec(rnn_relu_step, 1, ("h",), False, fused="RNN_RELU", title="Elman RNN (ReLU)"),
    "lstm": CellSpec(lstm_step, 4, ("i", "f", "g", "o", "c", "h"), True, fused="LSTM", title="LSTM"),
    "lstm_peephole": CellSpec(
        peephole_lstm_step, 4, ("i", "f", "g", "o", "c", "h"), True, peephole=True, title="LSTM, peepholes"
    ),
    "lstm_coupled": CellSpec(
        coupled_lstm_step, 3, ("i", "f", "g", "o", "c", "h"), True, title="LSTM, coupled i/f gates"
    ),
    "gru": CellSpec(gru_step, 3, ("r", "z", "n", "h"), False, fused="GRU", title="GRU (torch form)"),
    "gru_paper": CellSpec(paper_gru_step, 3, ("r", "z", "n", "h"), False, title="GRU (paper form)"),
    "gru_minimal": CellSpec(minimal_gru_step, 2, ("z", "n", "h"), False, title="GRU without reset gate"),
    "min_gru": CellSpec(
        min_gru_step,
        2,
        ("z", "n", "h"),
        False,
        title="minGRU",
        recurrent=False,
        scan=min_gru_scan,
        linear=("n",),
    ),
    "min_lstm": CellSpec(
        min_lstm_step,
        3,
        ("f", "i", "g", "h"),
        False,
        title="minLSTM",
        recurrent=False,
        scan=min_lstm_scan,
        linear=("g",),
    ),
    "selective": CellSpec(
        selective_step,
        2,
        ("a", "b", "h"),
        False,
        title="Selective linear recurrence",
        recurrent=False,
        scan=selective_scan,
        decay_init=True,
        linear=("b",),
    ),
}


def value_range(cell: str, name: str) -> tuple[float, float] | None:
    """The values a gate can take: (0, 1) squashed (sigmoids, minLSTM's normalised f, i, the selective
    a), (-1, 1) for tanh (the LSTM's g, the GRU's n), None where unbounded: the gates with no
    nonlinearity (``CellSpec.linear``: minGRU's n, minLSTM's g, selective's b), and h, c.

    >>> value_range("gru", "n"), value_range("min_gru", "n"), value_range("selective", "a")
    ((-1.0, 1.0), None, (0.0, 1.0))
    """
    spec = CELLS[cell]
    if name in ("h", "c") or name in spec.linear:
        return None
    return (-1.0, 1.0) if name in ("g", "n") else (0.0, 1.0)


def init_params(spec: CellSpec, input_size: int, hidden_size: int, generator: torch.Generator) -> dict:
    """torch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).

    Cells that read x_t only get no weight_hh / bias_hh; the selective cell's b_ia is then
    redrawn so its memory lengths start spread (``_decay_bias``).
    """
    k = 1.0 / math.sqrt(hidden_size)
    shapes = {
        "weight_ih": (spec.rows * hidden_size, input_size),
        "weight_hh": (spec.rows * hidden_size, hidden_size),
        "bias_ih": (spec.rows * hidden_size,),
        "bias_hh": (spec.rows * hidden_size,),
    }
    if not spec.recurrent:
        del shapes["weight_hh"], shapes["bias_hh"]
    if spec.peephole:
        shapes["weight_ch"] = (3 * hidden_size,)
    params = {name: (torch.rand(shape, generator=generator) * 2 - 1) * k for name, shape in shapes.items()}
    if spec.decay_init:
        params["bias_ih"][:hidden_size] = _decay_bias(hidden_size, generator)  # rows a, b: the a block
    return params


class CellModule(nn.Module):
    """One instrumented cell as an nn.Module, shaped like ``nn.RNNCell``/``nn.LSTMCell``/``nn.GRUCell``.

    ``forward(x, state)`` returns the new state exactly as torch's cell does; ``step`` also
    returns the gates.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, seed: int = 0):
        super().__init__()
        self.cell, self.spec = cell, CELLS[cell]
        self.input_size, self.hidden_size = input_size, hidden_size
        params = init_params(self.spec, input_size, hidden_size, torch.Generator().manual_seed(seed))
        for name, value in params.items():
            setattr(self, name, nn.Parameter(value))

    def params(self) -> dict[str, Tensor]:
        return {name: p for name, p in self.named_parameters()}

    def step(self, x: Tensor, state, clamp: Clamp | None = None):
        return self.spec.step(x, state, self.params(), clamp)

    def forward(self, x: Tensor, state=None):
        if state is None:
            h = x.new_zeros(x.shape[0], self.hidden_size)
            state = (h, h) if self.spec.has_cell_state else h
        return self.step(x, state)[0]
