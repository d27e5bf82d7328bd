"""Lesson 3: backpropagation through time written out for the cell in use, checked against autograd.

For a text x_1..x_T the model reads x_1..x_{T-1}; step t reads x_t and predicts x_{t+1}:

    L = sum_{t=1}^{T-1} L_t,   L_t = -log y_t[x_{t+1}] = -log p(x_{t+1} | x_1..x_t)
    so L = -log p(x_2..x_T | x_1)  (x_1 itself is given, not predicted)

Column vectors throughout; h_0 = c_0 = 0. The direct term of every step is
e_t = dL_t/dh_t = W_hy^T (y_t - onehot(x_{t+1})). The recursions, run from t = T-1 down to 1
(``n`` = T-1 steps; a quantity at step n+1 is 0):

  Elman   dL/dh_t = e_t + W_hh^T delta_{t+1},   delta_t = dL/dh_t * (1 - h_t^2)
  LSTM    dL/dc_t = dL/dh_t * o_t * (1 - tanh^2 c_t) + f_{t+1} * dL/dc_{t+1}     (two paths into c_t)
          delta_t = [dL/dc_t * g_t * i_t(1-i_t); dL/dc_t * c_{t-1} * f_t(1-f_t);
                     dL/dc_t * i_t * (1-g_t^2);  dL/dh_t * tanh(c_t) * o_t(1-o_t)]   (i, f, g, o rows)
          dL/dh_t = e_t + W_hh^T delta_{t+1}
  GRU     dL/dh_t = e_t + z_{t+1} * dL/dh_{t+1} + W_hh^T delta_{t+1}   (torch's GRU, r on W_hn h + b_hn)

and in every case the shared weights' gradient is a sum over steps of outer products:

    dL/dW_hh = sum_{t=1}^{T-1} delta_t h_{t-1}^T        (step 1 adds 0: h_0 = 0)

Everything runs in float64 on a copy of the model and is compared with torch.autograd.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from rnnviz.errors import InputError
from rnnviz.model import SeqModel
from rnnviz.questions import Question
from rnnviz.trace import trace

CELLS_WRITTEN_OUT = ("rnn_tanh", "lstm", "gru")


@dataclass(frozen=True)
class BPTT:
    cell: str
    layer: int  # 0-based: the top layer, the one whose h_t feeds W_hy
    grad_h: np.ndarray  # (n, H) dL/dh_t from the recursion, t = 1..n (n = T-1 predictions)
    grad_c: np.ndarray | None  # (n, H) dL/dc_t (LSTM)
    delta: np.ndarray  # (n, G*H) delta_t: the gradient at W_hh h_{t-1} + b_hh of step t
    contributions: np.ndarray  # (n, G*H, H) delta_t h_{t-1}^T: step t's part of dL/dW_hh
    autograd_w_hh: np.ndarray  # (G*H, H) torch.autograd's dL/dW_hh of L = sum_t L_t
    autograd_grad_h: np.ndarray  # (n, H) autograd's dL/dh_t (rnnviz.trace)
    autograd_grad_c: np.ndarray | None  # (n, H) autograd's dL/dc_t (LSTM)
    direct: np.ndarray | None = None  # (n, H) e_t = dL_t/dh_t = W_hy^T (y_t - onehot(x_{t+1})): own loss only

    @property
    def w_hh(self) -> np.ndarray:
        """sum_t delta_t h_{t-1}^T: the recursion's dL/dW_hh."""
        return self.contributions.sum(axis=0)

    @property
    def contribution_norms(self) -> np.ndarray:
        """(n,) ||delta_t h_{t-1}^T||_F: how much each step adds to dL/dW_hh (0 at t = 1)."""
        return np.linalg.norm(self.contributions, axis=(1, 2))

    @property
    def w_hh_error(self) -> float:
        """max |sum_t delta_t h_{t-1}^T - autograd's dL/dW_hh|."""
        return float(np.max(np.abs(self.w_hh - self.autograd_w_hh)))

    @property
    def grad_h_error(self) -> float:
        """max |dL/dh_t (recursion) - dL/dh_t (autograd)| over t and units."""
        return float(np.max(np.abs(self.grad_h - self.autograd_grad_h)))

    @property
    def grad_c_error(self) -> float | None:
        if self.grad_c is None:
            return None
        return float(np.max(np.abs(self.grad_c - self.autograd_grad_c)))

    @property
    def relative_w_hh_error(self) -> float:
        """max difference over max |autograd's dL/dW_hh| (scale-free)."""
        return self.w_hh_error / max(float(np.max(np.abs(self.autograd_w_hh))), 1e-300)


def _sigmoid_d(s: np.ndarray) -> np.ndarray:
    # d sigma / d pre = sigma (1 - sigma)
    return s * (1 - s)


def bptt(model: SeqModel, ids: torch.Tensor) -> BPTT:
    """The recursion above on the top layer for the text ``ids`` (T,), beside autograd's numbers."""
    cfg = model.cfg
    if cfg.cell not in CELLS_WRITTEN_OUT:
        raise InputError(
            f"the backward pass is written out for {', '.join(CELLS_WRITTEN_OUT)}, not {cfg.cell}"
        )
    if cfg.bidirectional or cfg.pyramid or cfg.head != "many_to_many":
        raise InputError("the written-out BPTT is for a left-to-right language model")
    ids = torch.as_tensor(ids)
    if ids.dim() != 1 or len(ids) < 2:
        raise InputError("give a text of at least 2 characters")
    m64 = copy.deepcopy(model).double()
    k = cfg.num_layers - 1
    tr = trace(m64, ids[:-1], ids[1:], grad_of="total", jacobians=False)
    top = tr.layer(k)
    p = top.params
    W_hh, b_hh = p["weight_hh"], p["bias_hh"]  # (G*H, H), (G*H,)
    H = cfg.hidden_size
    n = len(ids) - 1
    h = top.h  # (n, H) h_1..h_n
    h_prev = np.vstack([np.zeros((1, H)), h[:-1]])  # h_0 = 0, h_1..h_{n-1}
    # e_t = dL_t/dh_t = W_hy^T (y_t - onehot(x_{t+1})): the direct term of each step
    W_hy = m64.head.weight.detach().numpy()  # (V, H)
    err = tr.probs.copy()
    err[np.arange(n), ids[1:].numpy()] -= 1.0
    e = err @ W_hy  # (n, H)
    gh = np.zeros((n, H))
    delta = np.zeros((n, W_hh.shape[0]))
    gc = np.zeros((n, H)) if cfg.cell == "lstm" else None
    g = top.gates
    for t in reversed(range(n)):  # 0-based row t is step t + 1
        later = t + 1 < n
        # dL/dh_t = e_t + W_hh^T delta_{t+1} (+ z_{t+1} * dL/dh_{t+1} for the GRU)
        gh[t] = e[t] + (W_hh.T @ delta[t + 1] if later else 0.0)
        if cfg.cell == "gru" and later:
            gh[t] += g["z"][t + 1] * gh[t + 1]
        if cfg.cell == "rnn_tanh":
            # delta_t = dL/dh_t * (1 - h_t^2)
            delta[t] = gh[t] * (1 - h[t] ** 2)
        elif cfg.cell == "lstm":
            c = top.c
            c_prev = c[t - 1] if t > 0 else np.zeros(H)
            # dL/dc_t = dL/dh_t * o_t * (1 - tanh^2 c_t) + f_{t+1} * dL/dc_{t+1}
            gc[t] = gh[t] * g["o"][t] * (1 - np.tanh(c[t]) ** 2) + (
                g["f"][t + 1] * gc[t + 1] if later else 0.0
            )
            delta[t] = np.concatenate(
                [
                    gc[t] * g["g"][t] * _sigmoid_d(g["i"][t]),  # dL/di_pre
                    gc[t] * c_prev * _sigmoid_d(g["f"][t]),  # dL/df_pre
                    gc[t] * g["i"][t] * (1 - g["g"][t] ** 2),  # dL/dg_pre
                    gh[t] * np.tanh(c[t]) * _sigmoid_d(g["o"][t]),  # dL/do_pre
                ]
            )
        else:  # torch's GRU: h_t = (1 - z_t) n_t + z_t h_{t-1}, n_t = tanh(a_n + r_t (W_hn h_{t-1} + b_hn))
            u_n = W_hh[2 * H :] @ h_prev[t] + b_hh[2 * H :]
            d_npre = gh[t] * (1 - g["z"][t]) * (1 - g["n"][t] ** 2)
            d_z = gh[t] * (h_prev[t] - g["n"][t])
            delta[t] = np.concatenate(
                [d_npre * u_n * _sigmoid_d(g["r"][t]), d_z * _sigmoid_d(g["z"][t]), d_npre * g["r"][t]]
            )
    # dL/dW_hh = sum_t delta_t h_{t-1}^T
    contributions = delta[:, :, None] * h_prev[:, None, :]  # (n, G*H, H)
    # autograd's dL/dW_hh of L = sum_t L_t, on the fused model in float64
    m64.zero_grad(set_to_none=True)
    logits, _ = m64(ids[None, :-1])
    F.cross_entropy(logits[0], ids[1:], reduction="sum").backward()
    w_grad = next(
        q.grad
        for name, q in m64.named_parameters()
        if name.startswith(f"layers.{k}.") and name.endswith("weight_hh_l0")
    )
    return BPTT(
        cfg.cell,
        k,
        gh,
        gc,
        delta,
        contributions,
        w_grad.detach().numpy().copy(),
        top.grad_h,
        top.grad_c if gc is not None else None,
        e,
    )


# The recursion as the page shows it, per cell (the same symbols as the code above).
_DIRECT = r"\underbrace{W_{hy}^\top(\hat y_t - \mathbf{1}_{x_{t+1}})}_{\partial L_t / \partial h_t}"
RECURSION_LATEX = {
    "rnn_tanh": (
        r"\frac{\partial L}{\partial h_t} = " + _DIRECT + r" + W_{hh}^\top \delta_{t+1},"
        r"\qquad \delta_t = \frac{\partial L}{\partial h_t} \odot (1 - h_t^2)",
    ),
    "lstm": (
        r"\frac{\partial L}{\partial h_t} = " + _DIRECT + r" + W_{hh}^\top \delta_{t+1},\qquad "
        r"\frac{\partial L}{\partial c_t} = \underbrace{\frac{\partial L}{\partial h_t} \odot o_t \odot "
        r"(1 - \tanh^2 c_t)}_{\text{through } h_t} + \underbrace{f_{t+1} \odot "
        r"\frac{\partial L}{\partial c_{t+1}}}_{\text{through } c_{t+1}}",
        r"\delta_t = \Big[\tfrac{\partial L}{\partial c_t} \odot g_t \odot i_t(1 - i_t);\ "
        r"\tfrac{\partial L}{\partial c_t} \odot c_{t-1} \odot f_t(1 - f_t);\ "
        r"\tfrac{\partial L}{\partial c_t} \odot i_t \odot (1 - g_t^2);\ "
        r"\tfrac{\partial L}{\partial h_t} \odot \tanh c_t \odot o_t(1 - o_t)\Big]",
    ),
    "gru": (
        r"\frac{\partial L}{\partial h_t} = "
        + _DIRECT
        + r" + z_{t+1} \odot \frac{\partial L}{\partial h_{t+1}}"
        r" + W_{hh}^\top \delta_{t+1}",
        r"\delta_t = \Big[d_t \odot (W_{hn} h_{t-1} + b_{hn}) \odot r_t(1 - r_t);\ "
        r"\tfrac{\partial L}{\partial h_t} \odot (h_{t-1} - n_t) \odot z_t(1 - z_t);\ d_t \odot r_t\Big],"
        r"\quad d_t = \tfrac{\partial L}{\partial h_t} \odot (1 - z_t) \odot (1 - n_t^2)",
    ),
}
SUM_LATEX = (
    r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^{T-1} \delta_t\, h_{t-1}^\top"
    r"\qquad (h_0 = 0,\ \text{so step 1 adds nothing})"
)
PATHS = {  # how the gradient reaches h_t (and c_t) from the next step, per cell
    "rnn_tanh": "In the Elman RNN the only path back is through $h_{t+1} = \\tanh(W_{xh} x_{t+1} + "
    "W_{hh} h_t + b_h)$.",
    "lstm": "The LSTM has **two paths** back: through the gates of step $t+1$, which read $h_t$ "
    "(via $W_{hh}$), and through the cell $c_{t+1} = f_{t+1} \\odot c_t + i_{t+1} \\odot g_{t+1}$ "
    "(via $f_{t+1}$). $\\partial L / \\partial c_t$ collects the path through $h_t = o_t \\odot \\tanh "
    "c_t$ and "
    "the one through $c_{t+1}$.",
    "gru": "The GRU has two paths back: through its gates and candidate (via $W_{hh}$) and directly through "
    "$h_{t+1} = (1 - z_{t+1}) \\odot n_{t+1} + z_{t+1} \\odot h_t$ (via $z_{t+1}$).",
}

AGREE = 1e-9  # relative difference below which the page says the recursion equals autograd (float64)


def check_sentence(bp: BPTT, model_layers: int = 1) -> str:
    """The page's sentence on this sequence's written-out BPTT against autograd, from the numbers."""
    which = f", top layer (layer {bp.layer + 1}, the one W_hy reads)" if model_layers > 1 else ""
    scale = max(float(np.max(np.abs(bp.autograd_grad_h))), 1e-300)
    h_ok = bp.grad_h_error / scale < AGREE
    w_ok = bp.relative_w_hh_error < AGREE
    big = int(np.argmax(bp.contribution_norms))
    verdict = (
        "the recursion above, run in float64 on the model's weights, gives the same $\\partial L / "
        "\\partial h_t$ "
        f"as autograd at every step (largest difference {bp.grad_h_error:.1e}), and "
        f"$\\sum_t \\delta_t h_{{t-1}}^\\top$ equals autograd's $\\partial L / \\partial W_{{hh}}$ "
        f"(largest difference "
        f"{bp.w_hh_error:.1e}; its largest entry is {np.max(np.abs(bp.autograd_w_hh)):.3g})"
        if h_ok and w_ok
        else f"the recursion DIFFERS from autograd: dL/dh_t by up to {bp.grad_h_error:.3g}, "
        f"dL/dW_hh by up to {bp.w_hh_error:.3g} (please report this)"
    )
    return (
        f"**BPTT on this sequence{which}:** {verdict}. Step t = 1 adds nothing to the sum ($h_0 = 0$); "
        f"the step that adds most is t = {big + 1} ($\\|\\delta_t h_{{t-1}}^\\top\\| = "
        f"{bp.contribution_norms[big]:.3g}$)."
    )


def first_step_question(bp: BPTT) -> Question:
    """PREDICT on the live model: is ||dL/dh_1|| (every later loss included) larger or smaller than the
    norm of step 1's own part ||dL_1/dh_1||? Vectors add; their norms need not: the answer is measured."""
    total, own = float(np.linalg.norm(bp.autograd_grad_h[0])), float(np.linalg.norm(bp.direct[0]))
    later = float(np.linalg.norm(bp.autograd_grad_h[0] - bp.direct[0]))
    n = len(bp.grad_h)
    answer = 2 if math.isclose(total, own, rel_tol=1e-9) else 0 if total > own else 1
    options = [
        "Larger: the later losses add to it.",
        "Smaller: what flows back from the later steps partly cancels step 1's own part.",
        "The same: only step 1's own loss reaches h_1.",
    ]
    why = (
        f"On this sequence ||dL/dh_1|| = {total:.4g} and ||dL_1/dh_1|| = {own:.4g}. The later losses "
        f"(t = 2..{n}) send back W_hh^T delta_2, a vector of norm {later:.4g}"
        + (" (the LSTM's cell path arrives through delta_2's gates as well)" if bp.cell == "lstm" else "")
        + ". Gradients add as vectors, so the total is the sum of the two: its norm "
        + ("exceeds" if total > own else "falls short of" if total < own else "equals")
        + " the own part's here. Whether it grows depends on the directions, not only on the sizes."
    )
    reaches = (
        "h_1 influences every later step through h_2, h_3, ..., so every later loss sends gradient back "
        "to it (only the last step gets nothing from later)."
    )
    none_later = (
        "This sequence has one prediction: nothing comes after step 1, so only its own loss reaches h_1."
    )
    hints = {
        0: {1: "Here the later part adds more than it cancels: the total is larger.", 2: reaches},
        1: {0: "Vectors add, norms need not: look at the directions of the two parts, not only their sizes.",
            2: reaches},
        2: {0: none_later, 1: none_later},
    }[answer]  # fmt: skip
    question = (
        f"Section 4's sequence has {n} predictions. Predict, for the model you look at: the gradient "
        "that reaches h_1, dL/dh_1, collects step 1's own part dL_1/dh_1 and everything the later losses "
        "send back. Is ||dL/dh_1|| larger or smaller than ||dL_1/dh_1||?"
    )
    return Question(question, options, answer, why, hints)
