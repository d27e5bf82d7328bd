"""Lesson 4 (vanishing and exploding gradients): the numbers the page draws, without streamlit.

Scalar chain (one input, one state, one weight):

    z_t = s_{t-1} w_h + x_t w_x + b,   s_t = tanh(z_t),   ds_t/dz_t = 1 - tanh^2(z_t) in (0, 1]
    ds_t/ds_{t-1} = w_h (1 - s_t^2),   ds_t/ds_0 = prod_{k=1..t} w_h (1 - s_k^2),  |ds_t/ds_0| <= |w_h|^t

Vector case, a tanh RNN ``h_t = tanh(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)`` (W_xh is torch's
weight_ih) with the loss L read at the last step T (t = 1..T from h_0 = 0; array row t - 1 is step t):

    dh_t/dh_{t-1} = D_t W_hh,          D_t = diag(1 - h_t^2)
    ||dL/dh_t|| <= ||dL/dh_T|| prod_{s=t+1..T} ||D_s W_hh||                         (``step_bound``)
                <= ||dL/dh_T|| prod_{s=t+1..T} ||D_s|| * ||W_hh||^(T-t)              (``bound``)

with spectral norms, ||D_s|| = max_j (1 - h_{s,j}^2). ``with_spectral_radius`` rescales a copy of
W_hh so that max |eigenvalue| = rho; ``GradientRecorder`` is a Trainer callback that keeps
||dL/dh_t|| of one probe sequence as training goes. Exploding in practice: ``rnnviz.lessons.exploding``;
short vs long memory: ``rnnviz.lessons.memory_lag``.

>>> chain = scalar_chain(ScalarConfig(w_h=0.9, x=0.0, steps=5))   # s stays 0, so 1 - s_t^2 = 1
>>> np.round(chain.product, 4).tolist()                           # ds_t/ds_0 = 0.9^t exactly
[0.9, 0.81, 0.729, 0.6561, 0.5905]
>>> setup = GradientsConfig(lag=8, hidden_size=16)
>>> model = setup.model(); x, y = setup.probe()
>>> prof = gradient_profile(with_spectral_radius(model, 0.5), x, y)
>>> bool(np.all(prof.bound >= prof.grad_norm)), round(prof.radius, 3)
(True, 0.5)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from rnnviz.errors import InputError
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.tasks.base import check_int
from rnnviz.trace import trace
from rnnviz.train import LogRow, TrainConfig, Trainer

PATTERNS = ("first step only", "constant", "alternating", "random", "typed")
MAX_TYPED = 50  # typed inputs at most
MAX_SCALAR_STEPS = 200
RADIUS_RANGE = (0.05, 3.0)  # spectral radii the page offers lie well inside this


def _finite(name: str, value: float, lo: float, hi: float) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
        raise InputError(f"{name} must be a number from {lo:g} to {hi:g}, not {value!r}")
    return float(value)


# ------------------------------------------------------------------------------------------------
# 1. The scalar chain


@dataclass(frozen=True)
class ScalarConfig:
    w_h: float = 0.9  # recurrent weight
    w_x: float = 1.0  # input weight
    b: float = 0.0  # bias
    x: float = 1.0  # input amplitude: the size of x_t
    pattern: str = "first step only"  # how x_t changes over time, one of PATTERNS
    steps: int = 40  # T, steps after s_0 = 0
    seed: int = 0  # draws the "random" inputs
    typed: tuple[float, ...] = ()  # "typed": x_1, x_2, ... as typed (times x), then zeros

    def __post_init__(self) -> None:
        _finite("w_h", self.w_h, -5, 5)
        _finite("w_x", self.w_x, -5, 5)
        _finite("b", self.b, -5, 5)
        _finite("the input x", self.x, -5, 5)
        if self.pattern not in PATTERNS:
            raise InputError(f"input pattern must be one of {PATTERNS}, not {self.pattern!r}")
        check_int("number of steps T", self.steps, 1, MAX_SCALAR_STEPS)
        if self.pattern == "typed" and not self.typed:
            raise InputError("type at least one input, e.g. 1, 0, -0.5")

    def inputs(self) -> np.ndarray:
        """x_1 ... x_T (T,)."""
        T, t = self.steps, np.arange(1, self.steps + 1)
        if self.pattern == "first step only":
            return np.where(t == 1, self.x, 0.0)
        if self.pattern == "constant":
            return np.full(T, self.x)
        if self.pattern == "alternating":
            return self.x * (-1.0) ** (t - 1)
        if self.pattern == "typed":
            out = np.zeros(T)
            n = min(T, len(self.typed))
            out[:n] = self.x * np.asarray(self.typed[:n], dtype=np.float64)
            return out
        return self.x * np.random.default_rng(self.seed).uniform(-1, 1, T)


def parse_inputs(text: str) -> tuple[float, ...]:
    """ "1, 0, -0.5" -> (1.0, 0.0, -0.5): numbers separated by commas or spaces, each in [-5, 5]."""
    parts = [p for p in str(text).replace(",", " ").replace(";", " ").split() if p]
    if not parts:
        raise InputError("type at least one input, e.g. 1, 0, -0.5")
    if len(parts) > MAX_TYPED:
        raise InputError(f"type at most {MAX_TYPED} inputs (got {len(parts)}); later steps get x_t = 0")
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise InputError(f"{p!r} is not a number: type numbers like 1, 0, -0.5") from None
        if not math.isfinite(v) or abs(v) > 5:
            raise InputError(f"inputs must lie between -5 and 5 (got {p}): larger ones saturate tanh anyway")
        values.append(v)
    return tuple(values)


@dataclass(frozen=True)
class ScalarChain:
    x: np.ndarray  # (T,) x_1 .. x_T
    z: np.ndarray  # (T,) z_t = s_{t-1} w_h + x_t w_x + b
    s: np.ndarray  # (T,) s_t = tanh(z_t)
    dsdz: np.ndarray  # (T,) ds_t/dz_t = 1 - tanh^2(z_t)
    step: np.ndarray  # (T,) ds_t/ds_{t-1} = w_h (1 - s_t^2)
    product: np.ndarray  # (T,) ds_t/ds_0 = prod_{k=1..t} ds_k/ds_{k-1}
    bound: np.ndarray  # (T,) |w_h|^t, since 1 - s^2 <= 1

    def frame(self) -> pd.DataFrame:
        """Every step t = 1..T of the chain: x_t, z_t, s_t and the derivatives."""
        return pd.DataFrame(
            {
                "t": range(1, len(self.s) + 1),
                "x_t": self.x,
                "z_t": self.z,
                "s_t": self.s,
                "ds_t/dz_t": self.dsdz,
                "ds_t/ds_{t-1}": self.step,
                "ds_t/ds_0": self.product,
                "|w_h|^t": self.bound,
            }
        )


def scalar_chain(cfg: ScalarConfig) -> ScalarChain:
    """Run s_t = tanh(s_{t-1} w_h + x_t w_x + b) from s_0 = 0 and keep every derivative."""
    x = cfg.inputs()
    z, s = np.empty(cfg.steps), np.empty(cfg.steps)
    prev = 0.0
    for t in range(cfg.steps):
        # z_t = s_{t-1} w_h + x_t w_x + b
        z[t] = prev * cfg.w_h + x[t] * cfg.w_x + cfg.b
        # s_t = tanh(z_t)
        s[t] = prev = math.tanh(z[t])
    # ds_t/dz_t = 1 - tanh^2(z_t)
    dsdz = 1.0 - np.tanh(z) ** 2
    # ds_t/ds_{t-1} = w_h (1 - s_t^2)
    step = cfg.w_h * dsdz
    t = np.arange(1, cfg.steps + 1)
    return ScalarChain(x, z, s, dsdz, step, np.cumprod(step), np.abs(cfg.w_h) ** t)


# ------------------------------------------------------------------------------------------------
# 2. The vector case: a tanh RNN on remember-the-first-word


@dataclass(frozen=True)
class GradientsConfig:
    lag: int = 20  # distractor words between the country and the query; T = lag + 2
    hidden_size: int = 32  # H, units of the tanh RNN
    n_countries: int = 4  # classes of the task
    lr: float = 1e-2  # Adam learning rate for the live training
    seed: int = 0  # initial weights, batches and the probe sequence

    def __post_init__(self) -> None:
        check_int("lag", self.lag, 1, 200)
        check_int("hidden size", self.hidden_size, 2, 256)

    def task(self) -> FirstWord:
        return FirstWord(lag=self.lag, n_countries=self.n_countries, seed=self.seed)

    def model(self) -> SeqModel:
        return SeqModel(
            ModelConfig.for_task(self.task(), cell="rnn_tanh", hidden_size=self.hidden_size, seed=self.seed)
        )

    def trainer(self) -> Trainer:
        cfg = TrainConfig(
            lr=self.lr, batch_size=32, clip=1.0, seed=self.seed, log_every=5, checkpoint_every=0
        )
        return Trainer(self.model(), self.task(), cfg)

    def probe(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed sequence whose gradients the page draws: x (T,) ids, y () its label."""
        b = self.task().example(0)
        return b.x[0], b.y[0]


def spectral_radius(w) -> float:
    """rho(W) = max |eigenvalue| of a square matrix."""
    w = torch.as_tensor(w, dtype=torch.float64)
    return float(torch.linalg.eigvals(w).abs().max())


def with_spectral_radius(model: SeqModel, rho: float) -> SeqModel:
    """A copy of ``model`` whose first-layer W_hh is scaled so that rho(W_hh) = ``rho``."""
    rho = _finite("spectral radius", rho, *RADIUS_RANGE)
    out = copy.deepcopy(model)
    w = out.layers[0].params(0)["weight_hh"]
    now = spectral_radius(w.detach())
    if now < 1e-12:
        raise InputError("W_hh has no non-zero eigenvalue, so it cannot be rescaled: reset the model")
    with torch.no_grad():
        w.mul_(rho / now)  # eigenvalues scale with the matrix: rho(c W) = c rho(W)
    return out


@dataclass(frozen=True)
class GradientProfile:
    grad_norm: np.ndarray  # (T,) ||dL/dh_t||, measured by backpropagation
    step_bound: np.ndarray  # (T,) ||dL/dh_T|| prod_{s=t+1..T} ||D_s W_hh||
    bound: np.ndarray  # (T,) ||dL/dh_T|| prod_{s=t+1..T} ||D_s|| ||W_hh||^(T-t)
    jac_norm: np.ndarray  # (T,) ||dh_t/dh_{t-1}|| = ||D_t W_hh||_2
    d_norm: np.ndarray  # (T,) ||D_t|| = max_j (1 - h_{t,j}^2)
    w_norm: float  # ||W_hh||_2, the largest singular value
    radius: float  # rho(W_hh), the largest |eigenvalue|
    loss: float  # the final-step loss L
    h: np.ndarray = field(repr=False)  # (T, H) hidden states
    grad_h: np.ndarray = field(repr=False)  # (T, H) dL/dh_t


def _backward_products(factors: np.ndarray) -> np.ndarray:
    """out[t] = prod_{s=t+1..T} factors[s] (out[T] = 1), in log space so that nothing overflows."""
    with np.errstate(divide="ignore"):
        logs = np.log(np.asarray(factors, dtype=np.float64))
    tail = np.concatenate([np.cumsum(logs[::-1])[::-1][1:], [0.0]])
    return np.exp(tail)


def gradient_profile(model: SeqModel, x: torch.Tensor, y: torch.Tensor) -> GradientProfile:
    """||dL/dh_t|| for the final-step loss, the two bounds over it, and the step Jacobian norms.

    The head reads only h_T, so dL/dh_t = (dh_T/dh_t)^T dL/dh_T exactly and both bounds hold.
    """
    if model.cfg.cell != "rnn_tanh" or model.cfg.num_layers != 1 or model.cfg.bidirectional:
        raise InputError("the gradient bound is drawn for a one-layer, one-direction tanh RNN")
    tr = trace(model, x, y, grad_of="final")
    lt = tr.layer(0)
    w = lt.params["weight_hh"].astype(np.float64)
    w_norm = float(np.linalg.norm(w, ord=2))
    # ||D_t|| = max_j |1 - h_{t,j}^2|
    d_norm = np.max(np.abs(1.0 - lt.h.astype(np.float64) ** 2), axis=1)
    g_T = float(lt.grad_h_norm[-1])
    jac = lt.jac_norm.astype(np.float64)
    # ||dL/dh_T|| prod_{s=t+1..T} ||D_s W_hh||
    step_bound = g_T * _backward_products(jac)
    # ||dL/dh_T|| prod_{s=t+1..T} ||D_s|| ||W_hh||^(T-t)
    bound = g_T * _backward_products(d_norm * w_norm)
    return GradientProfile(
        grad_norm=lt.grad_h_norm.astype(np.float64),
        step_bound=step_bound,
        bound=bound,
        jac_norm=jac,
        d_norm=d_norm,
        w_norm=w_norm,
        radius=spectral_radius(w),
        loss=tr.loss,
        h=lt.h,
        grad_h=lt.grad_h,
    )


def decay_rate(grad_norm: np.ndarray) -> float:
    """Average factor per step by which ||dL/dh_t|| changes going back in time (geometric mean).

    < 1: the gradient vanishes towards the start of the sequence; > 1: it grows.
    """
    g = np.asarray(grad_norm, dtype=np.float64)
    T = len(g)
    if T < 2 or not (g[0] > 0 and g[-1] > 0):
        return 0.0 if T >= 2 else 1.0
    return float((g[0] / g[-1]) ** (1 / (T - 1)))


# ------------------------------------------------------------------------------------------------
# 3. Gradients while training


class GradientRecorder:
    """Trainer callback: every ``every`` training steps, ||dL/dh_t|| of one probe sequence.

    >>> setup = GradientsConfig(lag=8, hidden_size=16)
    >>> trainer = setup.trainer(); x, y = setup.probe()
    >>> rec = GradientRecorder(x, y, every=10); rec.record(trainer.model, step=0)
    >>> trainer.run(50, max_seconds=600.0, callback=rec).status  # 50 steps end it, never the clock
    'done'
    >>> rec.steps, rec.grid().shape  # one row per 10 steps, one column per time step t
    ([0, 10, 20, 30, 40, 50], (6, 10))
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, every: int = 10):
        self.x, self.y = x, y
        self.every = check_int("recording interval", every, 1, 100_000)
        self.steps: list[int] = []  # training step of each row
        self.rows: list[np.ndarray] = []  # (T,) ||dL/dh_t|| at that step

    def record(self, model, step: int) -> None:
        g = trace(model, self.x, self.y, grad_of="final", jacobians=False).layer(0).grad_h_norm
        self.steps.append(int(step))
        self.rows.append(np.asarray(g, dtype=np.float64))

    def __call__(self, trainer: Trainer, row: LogRow) -> None:
        if not self.steps or trainer.step - self.steps[-1] >= self.every:
            if math.isfinite(row.loss):
                self.record(trainer.model, trainer.step)

    def grid(self) -> np.ndarray:
        """(rows, T): row k is ||dL/dh_t|| after ``steps[k]`` training steps."""
        return np.stack(self.rows) if self.rows else np.zeros((0, len(self.x)))

    def latest_sentence(self) -> str | None:
        """The latest row in words: how the first word's gradient compares with the last step's
        (None while the last step's is 0)."""
        last = self.grid()[-1]
        if not last[-1] > 0:
            return None
        share = last[0] / last[-1]  # ||dL/dh_1|| / ||dL/dh_T||
        more = "less" if share < 1 else "more"
        return (
            f"Latest row (training step {self.steps[-1]}): ‖dL/dh_1‖ / ‖dL/dh_T‖ = {share:.3g}, so the first "
            f"word gets {more} learning signal than the last step."
        )

    def frame(self, tokens: list[str]) -> pd.DataFrame:
        """The heatmap's numbers, one row per (training step, t): ``tokens`` are the probe's words."""
        rows = [
            {"training step": step, "t": t, "x_t (word)": word, "||dL/dh_t||": g}
            for step, row in zip(self.steps, self.grid(), strict=True)
            for t, (word, g) in enumerate(zip(tokens, row, strict=True), start=1)
        ]
        return pd.DataFrame(rows, columns=["training step", "t", "x_t (word)", "||dL/dh_t||"])
