"""The linear recurrence h_t = a_t * h_{t-1} + b_t, three ways.

Every cell whose gates read x_t only (minGRU, minLSTM, the selective recurrence in
``rnnviz.cells``) updates its state this way: elementwise, with a_t and b_t known for every t
before the first step runs. That is what lets a whole sequence be computed without a loop.

- ``scan_loop``      T dependent steps, one per t: the plain RNN loop.
- ``scan_doubling``  Hillis-Steele / Kogge-Stone doubling: ceil(log2 T) rounds, each one
                     elementwise over the whole sequence. The parallel scan's log depth, made visible.
- ``scan_log``       the log-space form (Heinsen 2023, used by Feng et al. 2024 for minGRU/minLSTM):
                     one cumsum and one logcumsumexp over T. Stable for long T and a_t near 0.

All take a, b (B, T, H), h0 (B, H) or None (= zeros: h_0 = 0) and return h_1..h_T as (B, T, H).

>>> import torch
>>> a = torch.full((1, 3, 1), 0.5); b = torch.ones(1, 3, 1)
>>> scan_loop(a, b)[0, :, 0].tolist()                 # h_1 = 1, h_2 = 0.5 + 1, h_3 = 0.75 + 1
[1.0, 1.5, 1.75]
>>> rounds(4096, "loop"), rounds(4096, "doubling")
(4096, 12)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from rnnviz.errors import InputError

METHODS = ("loop", "doubling", "log")


def _check(a: Tensor, b: Tensor, h0: Tensor | None) -> None:
    if a.dim() != 3 or a.shape != b.shape:
        raise InputError(f"a and b must both be (B, T, H), not {tuple(a.shape)} and {tuple(b.shape)}")
    if h0 is not None and tuple(h0.shape) != (a.shape[0], a.shape[2]):
        raise InputError(f"h0 must be (B, H) = {(a.shape[0], a.shape[2])}, not {tuple(h0.shape)}")


def scan_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """h_t = a_t * h_{t-1} + b_t for t = 1..T, one dependent step at a time."""
    _check(a, b, h0)
    h = a.new_zeros(a.shape[0], a.shape[2]) if h0 is None else h0  # h_0
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]  # h_t = a_t * h_{t-1} + b_t
        out.append(h)
    return torch.stack(out, dim=1)


def scan_doubling(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Hillis-Steele doubling: after round k, (A_t, B_t) maps h_{t-2^k} to h_t.

    Each step t is the affine map h -> a_t h + b_t. Two maps compose into one:
        (A_t, B_t) o (A_s, B_s) = (A_t A_s, A_t B_s + B_t)          (apply s first, then t)
    Round k composes every t with t - d, d = 2^k, all t at once; after ceil(log2 T) rounds
    (A_t, B_t) covers steps 1..t, and h_t = A_t h_0 + B_t. h_0 is folded into b_1 first.
    """
    _check(a, b, h0)
    A, B = a, b
    if h0 is not None:
        B = torch.cat([(a[:, 0] * h0 + b[:, 0])[:, None], b[:, 1:]], dim=1)  # b_1 <- a_1 h_0 + b_1
    T, d = a.shape[1], 1
    while d < T:  # ceil(log2 T) rounds
        A_prev = torch.cat(
            [A.new_ones(A.shape[0], d, A.shape[2]), A[:, :-d]], dim=1
        )  # A_{t-d} (1 before t = 1)
        B_prev = torch.cat(
            [B.new_zeros(B.shape[0], d, B.shape[2]), B[:, :-d]], dim=1
        )  # B_{t-d} (0 before t = 1)
        A, B = A * A_prev, A * B_prev + B  # (A_t, B_t) o (A_{t-d}, B_{t-d})
        d *= 2
    return B  # h_t = A_t h_0 + B_t, with h_0 already inside B


def _log_abs(v: Tensor, keep: Tensor) -> Tensor:
    """log|v| where ``keep``, log(smallest normal number) elsewhere: finite, so no NaN gradients.

    Standing in for log 0 = -inf, it adds at most T * 2e-308 (float64) or T * 1e-38 (float32) to h_t.
    """
    tiny = torch.finfo(v.dtype).tiny
    return torch.where(keep, v.abs(), torch.full_like(v, tiny)).log()


def scan_log(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """The log-space scan. Requires 0 < a_t <= 1 (every minGRU / minLSTM / selective gate is).

    Unrolling the recurrence with a*_t = sum_{k<=t} log a_k (so prod_{k<=t} a_k = exp(a*_t)):
        h_t = exp(a*_t) * (h_0 + sum_{k<=t} exp(-a*_k) b_k)
    In logs, with b split by sign (b = b+ - b-, both >= 0) so a negative b works:
        h_t = exp(a*_t + logcumsumexp_k(log b+_k - a*_k)) - exp(a*_t + logcumsumexp_k(log b-_k - a*_k))
    h_0 joins the sums as the term k = 0 with a*_0 = 0. Nothing is exponentiated before the
    large terms a*_t and -a*_k have cancelled, so T = 4096 with a_t near 0 stays finite.
    """
    _check(a, b, h0)
    if a.numel() and not bool(((a > 0) & (a <= 1)).all()):
        bad = a[~((a > 0) & (a <= 1))].reshape(-1)[0]
        raise InputError(f"the log-space scan needs every a_t in (0, 1]; found {float(bad):g}")
    a_star = torch.cumsum(a.log(), dim=1)  # a*_t = sum_{k<=t} log a_k
    v, shift = b, -a_star  # the terms: exp(-a*_k) b_k, k = 1..t
    if h0 is not None:  # the term k = 0: exp(-a*_0) h_0 = h_0
        v = torch.cat([h0[:, None], b], dim=1)
        shift = torch.cat([torch.zeros_like(a_star[:, :1]), shift], dim=1)
    pos = torch.logcumsumexp(_log_abs(v, v > 0) + shift, dim=1)  # log sum_k exp(-a*_k) b+_k
    neg = torch.logcumsumexp(_log_abs(v, v < 0) + shift, dim=1)  # log sum_k exp(-a*_k) b-_k
    if h0 is not None:
        pos, neg = pos[:, 1:], neg[:, 1:]  # h_1..h_T
    return torch.exp(a_star + pos) - torch.exp(a_star + neg)  # h_t = exp(a*_t) * (sum+ - sum-)


SCANS = {"loop": scan_loop, "doubling": scan_doubling, "log": scan_log}


def rounds(T: int, method: str) -> int:
    """Dependent rounds each method takes for a sequence of T steps.

    "loop": T, one per step. "doubling": ceil(log2 T) (0 for T = 1), each round elementwise over
    the whole sequence. "log": one cumsum and one logcumsumexp along T. On this CPU torch runs
    each of those as a sequential pass along T inside one kernel (vectorised over B and H), so
    it is still T dependent additions: what it saves is the T Python-level steps and kernel
    calls of the loop, not the dependency chain. (On a GPU torch's cumsum is a parallel scan of
    log depth; the log depth on this page is the doubling scan's.)
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}, not {method!r}")
    if not isinstance(T, int) or T < 1:
        raise InputError(f"T must be a whole number of steps >= 1, not {T!r}")
    if method == "doubling":
        return math.ceil(math.log2(T)) if T > 1 else 0
    return T
