"""Lesson 10's linear attention (Katharopoulos et al., 2020) read as an RNN on one short sequence:
its matrix state S_t step by step, and the recurrent form beside the parallel (masked) one.

    S_t = S_{t-1} + phi(k_t) v_t^T        (d_k, d_v)    z_t = z_{t-1} + phi(k_t)    (d_k,)
    out_t = S_t^T phi(q_t) / (z_t . phi(q_t))           S_0 = 0, z_0 = 0

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> q, k, v = (torch.randn(5, 3, generator=g, dtype=torch.float64) for _ in range(3))
>>> read = attention_read(q, k, v, list("hello"))
>>> read.S.shape, read.max_diff() < 1e-12
((5, 3, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnviz.linear_attention import parallel, phi, recurrent


@dataclass(frozen=True)
class AttentionRead:
    tokens: list[str]  # t = 1..T
    q: np.ndarray  # (T, d_k) queries
    k: np.ndarray  # (T, d_k) keys
    v: np.ndarray  # (T, d_v) values
    S: np.ndarray  # (T, d_k, d_v) S_t after step t
    z: np.ndarray  # (T, d_k) z_t
    recurrent: np.ndarray  # (T, d_v) out_t by the recurrence
    parallel: np.ndarray  # (T, d_v) out_t by masked attention over all s <= t at once

    @property
    def T(self) -> int:
        return len(self.tokens)

    def norms(self) -> np.ndarray:
        """(T,) ||S_t||, the Frobenius norm of the state after step t."""
        return np.linalg.norm(self.S.reshape(self.T, -1), axis=1)

    def max_diff(self) -> float:
        return float(np.abs(self.recurrent - self.parallel).max())

    def frame(self) -> pd.DataFrame:
        """One row per step t (from 1) and output dimension j: out_t by both forms."""
        T, dv = self.recurrent.shape
        steps, cols = np.repeat(np.arange(T), dv), np.tile(np.arange(dv), T)
        return pd.DataFrame(
            {
                "t": steps + 1,
                "token": [self.tokens[s] for s in steps],
                "j": cols,
                "out_t (recurrent)": self.recurrent[steps, cols],
                "out_t (parallel)": self.parallel[steps, cols],
                "|difference|": np.abs(self.recurrent - self.parallel)[steps, cols],
                "||S_t||": self.norms()[steps],
            }
        )


def projections(
    ids: torch.Tensor, vocab_size: int, d_k: int = 4, d_v: int = 4, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q_t = W_q e(x_t), k_t = W_k e(x_t), v_t = W_v e(x_t) for the word ids ``ids`` (T,), float64.

    e(x_t) is the one-hot vector of word x_t, so each word has its own fixed query, key and value: the
    columns of W_q (d_k, V), W_k (d_k, V), W_v (d_v, V), drawn N(0, 1) from ``seed`` (a layer that
    has not been trained: the equality of the two forms holds for any numbers).
    """
    g = torch.Generator().manual_seed(seed)
    W_q, W_k, W_v = (torch.randn(d, vocab_size, generator=g, dtype=torch.float64) for d in (d_k, d_k, d_v))
    one_hot = torch.eye(vocab_size, dtype=torch.float64)[ids]  # (T, V) e(x_t)
    return one_hot @ W_q.T, one_hot @ W_k.T, one_hot @ W_v.T  # (T, d_k), (T, d_k), (T, d_v)


@torch.no_grad()
def attention_read(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, tokens: list[str]) -> AttentionRead:
    """Both forms of linear attention on q, k, v (T, d), in float64."""
    q, k, v = (t.detach().double() for t in (q, k, v))
    out_r, S, z = recurrent(q, k, v)
    out_p = parallel(q, k, v)
    return AttentionRead(list(tokens), *(t.numpy() for t in (q, k, v, S, z, out_r, out_p)))


def state_sentences(read: AttentionRead, t: int) -> list[str]:
    """What the state view shows at step ``t`` (1-based), from its numbers."""
    norms = read.norms()
    dk, dv = read.S.shape[1:]
    grew = bool(np.all(np.diff(norms[:t]) >= -1e-12))
    diff = read.max_diff()
    return [
        f"After t = {t} ('{read.tokens[t - 1]}') the state S_t is the sum of {t} outer "
        f"{'product' if t == 1 else 'products'} φ(k_s) v_s^T: still {dk} x {dv} = {dk * dv} numbers, "
        f"whatever t is, where softmax attention keeps the {t} {'key' if t == 1 else 'keys'} and "
        f"{'value' if t == 1 else 'values'} so far. ||S_t|| = {norms[t - 1]:.3f}"
        + (
            ", and it has grown at every step so far."
            if grew and t > 1
            else "."
            if t == 1
            else ": it has also shrunk at some steps (the values v_s have both signs)."
        ),
        f"Over all {read.T} steps the recurrent form's output is at most **{diff:.1e}** away from the "
        "parallel (masked attention) form's: "
        + (
            "the same numbers up to float64 rounding."
            if diff < 1e-9
            else "more than rounding, so the two are not the same computation here."
        ),
    ]


def phi_check(k: np.ndarray) -> bool:
    """phi(x) = elu(x) + 1 > 0 everywhere: every weight phi(q_t) . phi(k_s) is positive."""
    return bool((phi(torch.as_tensor(k)) > 0).all())
