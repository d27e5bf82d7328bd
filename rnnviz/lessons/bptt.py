"""Lesson 2, backpropagation through time worked on real numbers, in float64.

The Elman RNN of the page, steps t = 1..T, h_0 = 0, loss L = sum_t L_t with L_t = -log y_t[x_{t+1}]:

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h), y_t = softmax(W_hy h_t + b_y)

Backward, from t = T down to 1 (delta_{T+1} = 0):

    dL/dh_t     = W_hy^T (y_t - e_t)          the step's own loss term L_t
                + W_hh^T delta_{t+1}           what flows back from t + 1 (through L_{t+1}, ..., L_T)
    delta_t     = dL/dh_t * (1 - h_t^2)        through the tanh: dL/d(pre-activation of step t)
    dL/dW_hh    = sum_t delta_t h_{t-1}^T      dL/dW_xh = sum_t delta_t x_t^T      dL/db_h = sum_t delta_t

``delta_table`` computes every number by hand; ``autograd`` gets the same from torch (the tests and
the page compare them). ``scalar_chain`` is the course notes' scalar RNN h_t = tanh(w_h h_{t-1} +
w_x x_t), whose dL_T/dw_x is a sum over the paths from each x_k to the last step's loss L_T.

>>> r = scalar_chain(w_h=0.5, w_x=1.0, xs=(1.0, 0.0), target=0.0)
>>> round(r.total, 6) == round(r.autograd, 6)
True
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.model import SeqModel


@dataclass(frozen=True)
class Params:
    W_xh: np.ndarray  # (H, V) weight_ih
    W_hh: np.ndarray  # (H, H) weight_hh
    b: np.ndarray  # (H,) b_h = bias_ih + bias_hh
    W_hy: np.ndarray  # (V, H) head.weight
    b_y: np.ndarray  # (V,) head.bias


def params_of(model: SeqModel) -> Params:
    """The one-layer, one-direction Elman RNN's weights in float64."""
    cfg = model.cfg
    if cfg.cell != "rnn_tanh" or cfg.num_layers != 1 or cfg.directions != 1 or cfg.embed_dim:
        raise InputError("the worked backward pass is for the one-layer Elman RNN: pick 'one layer'")
    p = {k: v.detach().double().numpy() for k, v in model.layers[0].params(0).items()}
    head_w = model.head.weight.detach().double().numpy()
    head_b = model.head.bias.detach().double().numpy()
    return Params(p["weight_ih"], p["weight_hh"], p["bias_ih"] + p["bias_hh"], head_w, head_b)


@dataclass(frozen=True)
class BPTT:
    x: np.ndarray  # (T,) ids of x_1..x_T
    targets: np.ndarray  # (T,) ids of the next characters x_2..x_{T+1}
    h: np.ndarray  # (T + 1, H) h_0 = 0, h_1, ..., h_T (row t is h_t)
    probs: np.ndarray  # (T, V) y_t, row t - 1
    loss_steps: np.ndarray  # (T,) L_t
    own: np.ndarray  # (T, H) W_hy^T (y_t - e_t)
    from_next: np.ndarray  # (T, H) W_hh^T delta_{t+1} (zeros at t = T)
    dh: np.ndarray  # (T, H) dL/dh_t = own + from_next
    delta: np.ndarray  # (T, H) dL/dh_t * (1 - h_t^2)
    dW_hh: np.ndarray  # (H, H) sum_t delta_t h_{t-1}^T
    dW_xh: np.ndarray  # (H, V) sum_t delta_t x_t^T
    db: np.ndarray  # (H,) sum_t delta_t
    dW_hy: np.ndarray  # (V, H) sum_t (y_t - e_t) h_t^T
    db_y: np.ndarray  # (V,) sum_t (y_t - e_t)

    @property
    def loss(self) -> float:
        return float(self.loss_steps.sum())

    def frame(self, vocab, i: int = 0, j: int = 0):
        """The delta table, one row per step from t = T down to 1, for unit i (and W_hh[i, j])."""
        import pandas as pd

        T = len(self.x)
        rows = []
        running = 0.0
        for t in range(T, 0, -1):
            k = t - 1  # row of step t in the (T, H) arrays
            part = self.delta[k, i] * self.h[t - 1, j]  # delta_t[i] h_{t-1}[j]
            running += part
            rows.append(
                {
                    "t": t,
                    "x_t": SHOWN.get(c := vocab[int(self.x[k])], c),
                    "next": SHOWN.get(c := vocab[int(self.targets[k])], c),
                    "L_t": self.loss_steps[k],
                    f"own term [{i}]": self.own[k, i],
                    f"from t+1 [{i}]": self.from_next[k, i],
                    f"dL/dh_t[{i}]": self.dh[k, i],
                    "‖dL/dh_t‖": float(np.linalg.norm(self.dh[k])),
                    f"δ_t[{i}]": self.delta[k, i],
                    f"δ_t[{i}]·h_(t−1)[{j}]": part,
                    f"Σ so far: dL/dW_hh[{i},{j}]": running,
                }
            )
        return pd.DataFrame(rows)


def delta_table(model: SeqModel, x: torch.Tensor, targets: torch.Tensor) -> BPTT:
    """Forward and backward through the Elman RNN by hand, float64, L = sum_t L_t."""
    p = params_of(model)
    x = np.asarray(x, dtype=int)
    targets = np.asarray(targets, dtype=int)
    T, H, V = len(x), p.W_hh.shape[0], p.W_hy.shape[0]
    if T < 1 or len(targets) != T:
        raise InputError("the worked backward pass needs a sequence and one target per step")
    h = np.zeros((T + 1, H))  # h[0] = h_0 = 0
    probs = np.zeros((T, V))
    for t in range(1, T + 1):
        # h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h); one-hot x_t: W_xh x_t is column x_t of W_xh
        h[t] = np.tanh(p.W_hh @ h[t - 1] + p.W_xh[:, x[t - 1]] + p.b)
        z = p.W_hy @ h[t] + p.b_y  # z_t = W_hy h_t + b_y
        e = np.exp(z - z.max())
        probs[t - 1] = e / e.sum()  # y_t = softmax(z_t)
    loss_steps = -np.log(probs[np.arange(T), targets])  # L_t = -log y_t[x_{t+1}]
    err = probs.copy()
    err[np.arange(T), targets] -= 1.0  # dL_t/dz_t = y_t - e_t
    own = err @ p.W_hy  # (T, H): W_hy^T (y_t - e_t)
    from_next, dh, delta = np.zeros((T, H)), np.zeros((T, H)), np.zeros((T, H))
    for t in range(T, 0, -1):
        k = t - 1
        if t < T:
            from_next[k] = p.W_hh.T @ delta[k + 1]  # W_hh^T delta_{t+1}
        dh[k] = own[k] + from_next[k]  # dL/dh_t
        delta[k] = dh[k] * (1.0 - h[t] ** 2)  # delta_t = dL/dh_t * tanh'(.)
    onehot = np.eye(p.W_xh.shape[1])[x]  # (T, V) x_t
    return BPTT(
        x=x,
        targets=targets,
        h=h,
        probs=probs,
        loss_steps=loss_steps,
        own=own,
        from_next=from_next,
        dh=dh,
        delta=delta,
        dW_hh=delta.T @ h[:-1],  # sum_t delta_t h_{t-1}^T
        dW_xh=delta.T @ onehot,  # sum_t delta_t x_t^T
        db=delta.sum(0),  # sum_t delta_t
        dW_hy=err.T @ h[1:],  # sum_t (y_t - e_t) h_t^T
        db_y=err.sum(0),
    )


@dataclass(frozen=True)
class Autograd:
    loss: float
    dh: np.ndarray  # (T, H) dL/dh_t, every path
    dW_hh: np.ndarray
    dW_xh: np.ndarray
    db: np.ndarray  # the gradient of bias_ih (equal to that of bias_hh and of their sum b)
    dW_hy: np.ndarray
    db_y: np.ndarray


def autograd(model: SeqModel, x: torch.Tensor, targets: torch.Tensor) -> Autograd:
    """The same gradients from torch: the model's own nn.RNN in float64, one step at a time."""
    params_of(model)  # the same check of the architecture
    m = copy.deepcopy(model).double()
    m.zero_grad()
    rnn = m.layers[0].rnn
    inputs = m.embed(x[None])  # (1, T, V) one-hot
    h = torch.zeros(1, 1, m.cfg.hidden_size, dtype=torch.float64)  # h_0 = 0
    states = []
    for t in range(len(x)):  # the fused module, called per step so every h_t can keep its gradient
        _, h = rnn(inputs[:, t : t + 1], h)
        h.retain_grad()
        states.append(h)
    logits = m.head(torch.cat([s[0] for s in states]))  # (T, V)
    loss = torch.nn.functional.cross_entropy(logits, targets, reduction="sum")  # L = sum_t L_t
    loss.backward()
    g = {k: v.grad.numpy() for k, v in m.layers[0].params(0).items()}
    return Autograd(
        loss=loss.item(),
        dh=torch.cat([s.grad[0] for s in states]).numpy(),
        dW_hh=g["weight_hh"],
        dW_xh=g["weight_ih"],
        db=g["bias_ih"],
        dW_hy=m.head.weight.grad.numpy(),
        db_y=m.head.bias.grad.numpy(),
    )


def largest_difference(hand: BPTT, auto: Autograd) -> float:
    """max |hand - autograd| over dL/dh_t and every weight gradient."""
    pairs = [(hand.dh, auto.dh), (hand.dW_hh, auto.dW_hh), (hand.dW_xh, auto.dW_xh), (hand.db, auto.db)]
    pairs += [(hand.dW_hy, auto.dW_hy), (hand.db_y, auto.db_y)]
    return max(float(np.abs(a - b).max()) for a, b in pairs)


# --- the course notes' scalar chain ------------------------------------------------------------

MAX_SCALAR_STEPS = 12
SHOWN = {" ": "␣", "\n": "↵", "\t": "⇥"}  # whitespace made visible in tables


@dataclass(frozen=True)
class ScalarChain:
    w_h: float
    w_x: float
    xs: np.ndarray  # (T,) x_1..x_T
    target: float  # y in L_T = (h_T - y)^2 / 2
    h: np.ndarray  # (T + 1,) h_0 = 0, h_1, ..., h_T
    dL_dhT: float  # dL_T/dh_T = h_T - y
    direct: np.ndarray  # (T,) dh_k/dw_x with h_{k-1} held fixed: (1 - h_k^2) x_k
    chain: np.ndarray  # (T,) prod_{s=k+1}^{T} w_h (1 - h_s^2): how a change of h_k reaches h_T
    paths: np.ndarray  # (T,) dL_T/dh_T * chain_k * direct_k, the path through x_k
    total: float  # dL_T/dw_x = sum over the paths
    autograd: float  # the same from torch.autograd in float64

    def frame(self):
        import pandas as pd

        T = len(self.xs)
        return pd.DataFrame(
            {
                "k (path through x_k)": np.arange(1, T + 1),
                "x_k": self.xs,
                "h_k": self.h[1:],
                "(1−h_k²)·x_k": self.direct,
                "∏_(s=k+1..T) w_h(1−h_s²)": self.chain,
                "(h_T−y)·∏·(1−h_k²)x_k": self.paths,
            }
        )


def parse_inputs(text: str) -> tuple[float, ...]:
    """'1, 0.5, -1' -> (1.0, 0.5, -1.0); an InputError that says what to type otherwise."""
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        xs = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError("type the inputs as numbers separated by commas, e.g. 1, 0.5, -1") from None
    if not 1 <= len(xs) <= MAX_SCALAR_STEPS:
        raise InputError(f"type from 1 to {MAX_SCALAR_STEPS} inputs, e.g. 1, 0.5, -1")
    if not all(np.isfinite(xs)) or max(abs(v) for v in xs) > 100:
        raise InputError("keep every input between -100 and 100")
    return xs


def scalar_chain(w_h: float, w_x: float, xs, target: float = 0.0) -> ScalarChain:
    """dL_T/dw_x for h_t = tanh(w_h h_{t-1} + w_x x_t), h_0 = 0, L_T = (h_T - y)^2 / 2, path by path."""
    xs = np.asarray(xs, dtype=np.float64)
    for name, v in (("w_h", w_h), ("w_x", w_x), ("y", target)):
        if not np.isfinite(v) or abs(v) > 100:
            raise InputError(f"{name} must be a number between -100 and 100")
    T = len(xs)
    if not 1 <= T <= MAX_SCALAR_STEPS:
        raise InputError(f"type from 1 to {MAX_SCALAR_STEPS} inputs")
    h = np.zeros(T + 1)
    for t in range(1, T + 1):
        h[t] = np.tanh(w_h * h[t - 1] + w_x * xs[t - 1])  # h_t = tanh(w_h h_{t-1} + w_x x_t)
    dL_dhT = h[T] - target  # L_T = (h_T - y)^2 / 2
    slope = 1.0 - h[1:] ** 2  # tanh' at step t = 1 - h_t^2
    direct = slope * xs  # dh_k/dw_x through x_k only
    # dh_s/dh_{s-1} = w_h (1 - h_s^2); the path from h_k to h_T multiplies the factors of s = k+1..T
    factors = w_h * slope
    chain = np.array([np.prod(factors[k:]) for k in range(1, T + 1)])
    paths = dL_dhT * chain * direct
    return ScalarChain(
        w_h,
        w_x,
        xs,
        target,
        h,
        dL_dhT,
        direct,
        chain,
        paths,
        float(paths.sum()),
        _scalar_autograd(w_h, w_x, xs, target),
    )


def _scalar_autograd(w_h: float, w_x: float, xs: np.ndarray, target: float) -> float:
    wx = torch.tensor(w_x, dtype=torch.float64, requires_grad=True)
    wh = torch.tensor(w_h, dtype=torch.float64)
    h = torch.zeros((), dtype=torch.float64)
    for x in xs:
        h = torch.tanh(wh * h + wx * float(x))
    loss = 0.5 * (h - target) ** 2
    loss.backward()
    return float(wx.grad)


# --- the check question: what does W_hh = 0 do to the backward pass? ---------------------------

CUT_OUTCOMES = (
    "Every dL/dh_t and the whole dL/dW_hh become 0: with W_hh = 0 nothing flows through time.",
    "The 'from t+1' column becomes 0, so each dL/dh_t is its step's own term; dL/dW_hh = Σ δ_t h_(t−1)ᵀ "
    "stays non-zero.",
    "Nothing changes: the backward pass does not depend on W_hh.",
    "Only the row of the last step t = T changes.",
)


def cut_outcome(model: SeqModel, x: torch.Tensor, targets: torch.Tensor) -> int:
    """Which of CUT_OUTCOMES the delta table of ``model`` with W_hh = 0 shows (computed, not assumed)."""
    from rnnviz.lessons.elman import WeightEdit, edited

    before = delta_table(model, x, targets)
    cut = delta_table(edited(model, WeightEdit(scale=0.0)), x, targets)
    no_flow = not np.abs(cut.from_next).any()
    if no_flow and not np.abs(cut.dW_hh).any():
        return 0
    if no_flow:
        return 1
    changed = np.abs(cut.dh - before.dh).max(axis=1) > 1e-12  # (T,) rows that moved
    if not changed.any():
        return 2
    return 3 if changed.tolist() == [False] * (len(changed) - 1) + [True] else 1
