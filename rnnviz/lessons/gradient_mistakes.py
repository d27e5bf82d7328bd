"""Lesson 4, section 7: three things course notes often write about the gradient through time, each
computed beside its correction on the page's own models.

1. The product of step Jacobians written with the factors gathered, (prod_s D_s) W_hh^(T-t). The
   matrices do not commute, so the true product keeps its order:

       dh_T/dh_t = D_T W_hh D_{T-1} W_hh ... D_{t+1} W_hh          (ordered, t = 1..T, h_0 = 0)
       as often written:  (D_T D_{T-1} ... D_{t+1}) W_hh^(T-t)     (commuted)

2. "The sigmoid's derivative is less than one": sigma'(z) = sigma(z) (1 - sigma(z)) <= 1/4, equal at
   z = 0; tanh'(z) = 1 - tanh^2(z) <= 1, equal at z = 0.
3. "||D_s|| < 1 for ReLU": relu'(z) is 0 or 1, so ||D_s|| = max_j relu'(z_{s,j}) = 1 as soon as one
   unit is active: the ReLU never shrinks the gradient's largest stretch.

>>> from rnnviz.lessons.gradients import GradientsConfig
>>> setup = GradientsConfig(lag=8, hidden_size=8); x, y = setup.probe()
>>> o = ordered_vs_commuted(setup.model(), x, y)
>>> o.relative_difference > 0.1                     # the commuted product is a different matrix
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.trace import trace


@dataclass(frozen=True)
class OrderedProduct:
    t: int  # the step h_t the gradient reaches (1 = the first word's state)
    ordered: np.ndarray  # (H, H) dh_T/dh_t = D_T W_hh ... D_{t+1} W_hh
    commuted: np.ndarray  # (H, H) (D_T ... D_{t+1}) W_hh^(T-t)
    grad_ordered: float  # ||(dh_T/dh_t)^T g_T|| = ||dL/dh_t||, as backpropagation measures it
    grad_commuted: float  # ||commuted^T g_T||
    grad_measured: float  # ||dL/dh_t|| from autograd (the trace)
    relative_difference: float  # ||ordered - commuted||_F / ||ordered||_F


def ordered_vs_commuted(model, x: torch.Tensor, y: torch.Tensor, t: int = 1) -> OrderedProduct:
    """Both products for the tanh RNN ``model`` on one sequence, from h_T back to h_t (1-based t)."""
    tr = trace(model, x, y, grad_of="final", jacobians=False)
    lt = tr.layer(0)
    w = lt.params["weight_hh"].astype(np.float64)
    h = lt.h.astype(np.float64)  # (T, H): row s - 1 holds h_s
    T, H = h.shape
    ordered, d_prod = np.eye(H), np.eye(H)
    for s in range(T, t, -1):  # s = T, T-1, ..., t+1
        d_s = np.diag(1.0 - h[s - 1] ** 2)  # D_s = diag(1 - h_s^2)
        # dh_T/dh_{s-1} = (dh_T/dh_s) D_s W_hh
        ordered = ordered @ d_s @ w
        d_prod = d_prod @ d_s
    # (D_T ... D_{t+1}) W_hh^(T-t)
    commuted = d_prod @ np.linalg.matrix_power(w, T - t)
    g_T = lt.grad_h[-1].astype(np.float64)
    norm = np.linalg.norm(ordered)
    return OrderedProduct(
        t=t,
        ordered=ordered,
        commuted=commuted,
        grad_ordered=float(np.linalg.norm(ordered.T @ g_T)),
        grad_commuted=float(np.linalg.norm(commuted.T @ g_T)),
        grad_measured=float(lt.grad_h_norm[t - 1]),
        relative_difference=float(np.linalg.norm(ordered - commuted) / norm) if norm > 0 else 0.0,
    )


@dataclass(frozen=True)
class DerivativeMax:
    name: str  # "sigmoid" | "tanh"
    largest: float  # max over the grid of the derivative, by autograd
    at: float  # the z where it is reached


def derivative_max(name: str, lo: float = -6.0, hi: float = 6.0, n: int = 1201) -> DerivativeMax:
    """max_z f'(z) on a grid through 0, with f' from autograd: 1/4 for the sigmoid, 1 for tanh."""
    z = torch.linspace(lo, hi, n, dtype=torch.float64, requires_grad=True)
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}[name]
    (d,) = torch.autograd.grad(f(z).sum(), z)  # each z_k only feeds f(z_k): d_k = f'(z_k)
    k = int(torch.argmax(d))
    return DerivativeMax(name, float(d[k]), float(z[k].detach()))


@dataclass(frozen=True)
class ReluD:
    d_norm: np.ndarray  # (T,) ||D_s|| = max_j relu'(z_{s,j}), relu' from autograd
    active: np.ndarray  # (T,) how many units are active (z > 0) at step s
    hidden: int  # H


def relu_d_norms(model, x: torch.Tensor) -> ReluD:
    """||D_s|| of a ReLU RNN on one sequence: relu'(z_s) taken by autograd at each step's z_s."""
    tr = trace(model, x, None, grad_of="final", jacobians=False)
    lt = tr.layer(0)
    # z_s = W_xh x_s + b_ih + W_hh h_{s-1} + b_hh, with h_0 = 0
    h_prev = np.vstack([np.zeros((1, lt.h.shape[1])), lt.h[:-1]]).astype(np.float64)
    p = {k: v.astype(np.float64) for k, v in lt.params.items()}
    z_np = (
        lt.x.astype(np.float64) @ p["weight_ih"].T + p["bias_ih"] + h_prev @ p["weight_hh"].T + p["bias_hh"]
    )
    z = torch.tensor(z_np, requires_grad=True)
    (d,) = torch.autograd.grad(torch.relu(z).sum(), z)  # relu'(z) elementwise: 0 or 1
    d = d.numpy()
    return ReluD(d.max(axis=1), (z_np > 0).sum(axis=1), int(d.shape[1]))


def ordered_story(here: OrderedProduct, saturated: OrderedProduct | None, saturated_scale: float) -> str:
    """Markdown for the panel: how far the commuted product is from the true one, in numbers."""
    t = here.t
    text = (
        f"On the copy of section 2, from $h_T$ back to $h_{t}$: the ordered product gives "
        f"$\\|dL/dh_{t}\\| = {here.grad_ordered:.4g}$ (backpropagation measures {here.grad_measured:.4g}); "
        f"the commuted one gives {here.grad_commuted:.4g}, and the two matrices differ by "
        f"{here.relative_difference:.1%} of the true one (Frobenius norm)."
    )
    if here.relative_difference < 0.01:
        text += (
            " They nearly agree here because the units are barely saturated: every $D_s \\approx I$, and "
            "$I$ commutes with everything."
        )
        if saturated is not None:
            text += (
                f" With input scale {saturated_scale:g} (the same $\\rho$) the units saturate and the two "
                f"part: {saturated.grad_ordered:.4g} (ordered) against {saturated.grad_commuted:.4g} "
                f"(commuted), matrices {saturated.relative_difference:.0%} apart."
            )
    return text


def derivative_sentence(sig: DerivativeMax, tanh_max: DerivativeMax, w_norm: float) -> str:
    """The correction of "the sigmoid's derivative is less than one", with the autograd maxima and
    what they cap a step factor at for this W_hh (||D_s W_hh|| <= max f' * ||W_hh||)."""
    return (
        f"Correct: $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z)) \\le \\tfrac14$. By autograd on 1,201 "
        f"points from -6 to 6, the largest $\\sigma'$ is {sig.largest:.4f} (at "
        f"$z = {round(sig.at, 6) + 0.0:g}$) "
        f"and the largest $\\tanh'$ is {tanh_max.largest:.4f}. A sigmoid RNN with this $W_{{hh}}$ would "
        f"have every step factor at most $\\|W_{{hh}}\\| / 4 = {w_norm / 4:.3f}$, where tanh allows "
        f"{w_norm:.3f}."
    )


def relu_sentence(relu: ReluD) -> str:
    """The correction of "||D_s|| < 1 for ReLU": at how many steps ||D_s|| = 1, and how many units act."""
    ones = int(np.sum(relu.d_norm == 1.0))
    return (
        f"Correct: $\\mathrm{{relu}}'(z)$ is 0 or 1, so $\\|D_s\\| \\le 1$ and $\\|D_s\\| = 1$ as soon "
        f"as one "
        f"unit is active. On section 4's ReLU RNN at its initial weights, by autograd: $\\|D_s\\| = 1$ at "
        f"{ones} of {len(relu.d_norm)} steps ({int(relu.active.min())} to {int(relu.active.max())} of "
        f"{relu.hidden} units active). The ReLU never shrinks the largest stretch; $W_{{hh}}$ alone "
        f"decides it."
    )
