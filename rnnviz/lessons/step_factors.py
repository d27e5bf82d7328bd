"""Lesson 4, section 2: the factor that really acts on the gradient, beside the worst case.

Steps count t = 1..T with h_0 = 0; the loss L is read at the last step T and g_t = dL/dh_t.
One step back is exact (the head reads only h_T, so h_{t-1} reaches L only through h_t):

    g_{t-1} = (D_t W_hh)^T g_t,        D_t = diag(1 - h_t^2)
    worst case   ||D_t W_hh||_2 = max over unit v of ||(D_t W_hh)^T v||        (the spectral norm)
    acting       a_t = ||(D_t W_hh)^T g_t|| / ||g_t||  =  ||g_{t-1}|| / ||g_t||   (a_t <= worst case)
    so           ||g_t|| = ||g_T|| prod_{s=t+1..T} a_s   exactly.

Why they differ: the spectral norm is the stretch along one worst-case direction, and g_t is not
along it. W_hh is not normal (W W^T != W^T W), so ||W_hh|| > rho(W_hh); for a normal matrix the two
are equal. The long-run rate of repeating one matrix is rho: ||(W^T)^n g||^(1/n) -> rho(W) as n grows.

The drawn copy: ``drawn_copy`` rescales W_hh to spectral radius rho and the input drive
W_xh x_t + b_h by ``input_scale``: small inputs keep the tanh units out of saturation (D_t ~ I),
so rho alone decides whether the gradient vanishes or explodes.

>>> from rnnviz.lessons.gradients import GradientsConfig, gradient_profile
>>> setup = GradientsConfig(lag=20, hidden_size=32); x, y = setup.probe()
>>> model = drawn_copy(setup.model(), rho=1.5, input_scale=0.03)
>>> sf = step_factors(model, x, y)
>>> bool(np.all(sf.acting <= sf.worst * (1 + 1e-6))), sf.explodes
(True, True)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.lessons.gradients import GradientProfile, gradient_profile, spectral_radius, with_spectral_radius

INPUT_SCALES = (0.01, 0.03, 0.1, 0.3, 1.0)  # the input scales the page offers
POWER_STEPS = 400  # steps of W_hh^T alone for the long-run rate
POWER_TAIL = 100  # ... of which the last POWER_TAIL are averaged


def drawn_copy(model, rho: float | None, input_scale: float = 1.0):
    """A copy with rho(W_hh) = ``rho`` (None: W_hh as it is) and W_xh, b_h scaled by ``input_scale``."""
    if not (isinstance(input_scale, (int, float)) and 0 < input_scale <= 1):
        raise InputError(f"the input scale must lie in (0, 1], not {input_scale!r}")
    out = with_spectral_radius(model, rho) if rho is not None else copy.deepcopy(model)
    p = out.layers[0].params(0)
    with torch.no_grad():
        # a (W_xh x_t + b_h): the words push the state a times as hard
        for name in ("weight_ih", "bias_ih", "bias_hh"):
            p[name].mul_(input_scale)
    return out


def acting_factors(w_hh: np.ndarray, h: np.ndarray, grad_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a_t for t = 1..T, g_0): a_t = ||(D_t W_hh)^T g_t|| / ||g_t||, g_0 = (D_1 W_hh)^T g_1 = dL/dh_0."""
    w = np.asarray(w_hh, dtype=np.float64)
    h, g = np.asarray(h, dtype=np.float64), np.asarray(grad_h, dtype=np.float64)
    # (D_t W_hh)^T g_t = W_hh^T (D_t g_t), D_t = diag(1 - h_t^2): one row per step t = 1..T
    back = ((1.0 - h**2) * g) @ w
    norms = np.linalg.norm(g, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        acting = np.where(norms > 0, np.linalg.norm(back, axis=1) / norms, 0.0)
    return acting, back[0]


def long_run_rate(w_hh: np.ndarray, g: np.ndarray, steps: int = POWER_STEPS, tail: int = POWER_TAIL) -> float:
    """Geometric-mean factor of v <- W_hh^T v over the last ``tail`` of ``steps`` steps (-> rho)."""
    w, v = np.asarray(w_hh, dtype=np.float64), np.asarray(g, dtype=np.float64)
    logs = []
    for _ in range(steps):
        nv = np.linalg.norm(v)
        if not nv > 0:
            return 0.0
        v = w.T @ (v / nv)
        logs.append(np.log(max(np.linalg.norm(v), 1e-300)))
    return float(np.exp(np.mean(logs[-tail:])))


@dataclass(frozen=True)
class StepFactors:
    profile: GradientProfile  # the measured norms and bounds (rnnviz.lessons.gradients)
    worst: np.ndarray  # (T,) ||D_t W_hh||_2, t = 1..T
    acting: np.ndarray  # (T,) a_t = ||(D_t W_hh)^T g_t|| / ||g_t||
    grad_h0: float  # ||dL/dh_0|| = ||(D_1 W_hh)^T g_1||
    w_norm: float  # ||W_hh||_2
    radius: float  # rho(W_hh)
    departure: float  # ||W W^T - W^T W||_F / ||W||_F^2: 0 for a normal matrix
    long_run: float  # long_run_rate(W_hh, g_T): the rate of W_hh^T alone after many steps
    d_mean: float  # mean of 1 - h_{t,j}^2 over every step and unit: 1 = no saturation

    @property
    def ratio(self) -> float:
        """||dL/dh_1|| / ||dL/dh_T||: how much of the final gradient reaches the first word's state."""
        g = self.profile.grad_norm
        return float(g[0] / g[-1]) if g[-1] > 0 else float("nan")

    @property
    def rate(self) -> float:
        """Geometric mean of a_2..a_T: the measured factor per step back from h_T to h_1."""
        a = self.acting[1:]
        return float(np.exp(np.mean(np.log(np.clip(a, 1e-300, None))))) if len(a) else 1.0

    @property
    def explodes(self) -> bool:
        return self.ratio > 1

    def frame_columns(self) -> dict[str, np.ndarray]:
        return {"||D_t W_hh|| (worst case)": self.worst, "a_t (acting on g_t)": self.acting}

    def frame(self, tokens: list[str]) -> pd.DataFrame:
        """Per step t = 1..T (``tokens``: its words): ||dL/dh_t||, both bounds and both factors."""
        prof = self.profile
        return pd.DataFrame(
            {
                "t": range(1, len(tokens) + 1),
                "x_t (word)": tokens,
                "||dL/dh_t||": prof.grad_norm,
                "bound": prof.bound,
                "product of ||D_s W_hh||": prof.step_bound,
                "||D_t W_hh||": self.worst,
                "a_t = ||(D_t W_hh)^T g_t|| / ||g_t||": self.acting,
                "||D_t||": prof.d_norm,
            }
        )


def step_factors(model, x: torch.Tensor, y: torch.Tensor) -> StepFactors:
    """Measured gradient, both per-step factors and the numbers that explain their difference."""
    prof = gradient_profile(model, x, y)
    w = model.layers[0].params(0)["weight_hh"].detach().double().numpy()
    acting, g0 = acting_factors(w, prof.h, prof.grad_h)
    fro2 = float(np.sum(w**2))
    departure = float(np.linalg.norm(w @ w.T - w.T @ w) / fro2) if fro2 > 0 else 0.0
    return StepFactors(
        profile=prof,
        worst=prof.jac_norm,
        acting=acting,
        grad_h0=float(np.linalg.norm(g0)),
        w_norm=prof.w_norm,
        radius=spectral_radius(w),
        departure=departure,
        long_run=long_run_rate(w, prof.grad_h[-1]),
        d_mean=float(np.mean(1.0 - np.asarray(prof.h, dtype=np.float64) ** 2)),
    )


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def factor_story(sf: StepFactors) -> str:
    """Markdown, every word chosen by the numbers: worst case vs acting factor, and why they differ."""
    T = len(sf.acting)
    worst_lo, worst_hi = float(sf.worst[1:].min()), float(sf.worst[1:].max())
    act_lo, act_hi = float(sf.acting[1:].min()), float(sf.acting[1:].max())

    def span(lo: float, hi: float) -> str:
        return f"are all {lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"lie between {lo:.2f} and {hi:.2f}"

    above = int(np.sum(sf.worst[1:] > 1))
    acting_above = int(np.sum(sf.acting[1:] > 1))
    n = T - 1
    trend = "shrinks" if sf.ratio < 1 else "grows"
    parts = [
        f"From $h_T$ back to $h_1$ the gradient {trend}: $\\|dL/dh_1\\| / \\|dL/dh_T\\| = {_fmt(sf.ratio)}$, "
        f"a factor of {sf.rate:.3f} per step back. The worst-case factors $\\|D_t W_{{hh}}\\|$ of steps 2 to "
        f"{T} {span(worst_lo, worst_hi)} ({above} of {n} above 1); the factors that "
        f"actually act on the gradient, $a_t = \\|(D_t W_{{hh}})^\\top g_t\\| / \\|g_t\\|$, "
        f"{span(act_lo, act_hi)} ({acting_above} of {n} above 1), and their product is the measured "
        "curve exactly.",
    ]
    closest = float(np.max(sf.acting[1:] / np.clip(sf.worst[1:], 1e-300, None)))
    why = (
        "The spectral norm is the stretch along the one direction $D_t W_{hh}$ stretches most, and $g_t$ "
        + ("does not point that way" if closest < 0.999 else "rarely points that way")
        + f" (at best $a_t$ reaches {closest:.0%} of the worst case)"
    )
    if sf.departure > 1e-6:
        why += (
            f". $W_{{hh}}$ is not normal ($W W^\\top \\ne W^\\top W$), so its largest stretch "
            f"$\\|W_{{hh}}\\| = {sf.w_norm:.2f}$ is {sf.w_norm / sf.radius:.2f} times its spectral radius "
            f"$\\rho = {sf.radius:.2f}$ (for a normal matrix they are equal), and that largest stretch "
            f"is not "
            "repeated step after step"
        )
    why += (
        f". Repeated, one matrix grows like $\\rho^n$: applying $W_{{hh}}^\\top$ alone {POWER_STEPS} times "
        f"to $g_T$, the factor per step settles at {sf.long_run:.3f}"
        + (
            f", which is $\\rho$ = {sf.radius:.3f}."
            if abs(sf.long_run - sf.radius) < 0.01 * sf.radius
            else "."
        )
    )
    if sf.rate < 0.99 * sf.long_run:
        why += (
            f" Over the {n} steps shown the factor per step back, {sf.rate:.3f}, is below that: $g_T$ "
            f"is a mix "
            "of many directions, most of which $W_{hh}^\\top$ scales by less than $\\rho$, and $D_t \\le 1$ "
            "shrinks it further."
        )
    elif sf.rate > 1.01 * sf.long_run:
        why += (
            f" Over the {n} steps shown the factor per step back, {sf.rate:.3f}, is above that: a "
            f"matrix that "
            "is not normal can stretch a mix of directions more than $\\rho$ for a while."
        )
    parts.append(why)
    if sf.d_mean < 0.9:
        parts.append(
            f"The tanh units are partly saturated here (mean $1 - h_t^2$ = {sf.d_mean:.2f}), so $D_t$ "
            f"shrinks "
            "the gradient too; a smaller input scale keeps them nearer 0."
        )
    return " ".join(parts)
