"""Linear attention is an RNN (Katharopoulos et al. 2020, "Transformers are RNNs").

Causal attention with the similarity sim(q_t, k_s) = phi(q_t) . phi(k_s) instead of exp(q_t . k_s):

    out_t = sum_{s<=t} (phi(q_t) . phi(k_s)) v_s  /  sum_{s<=t} phi(q_t) . phi(k_s)      (parallel)

phi(q_t) factors out of both sums, which leaves two running sums over s <= t, a matrix and a vector:

    S_t = S_{t-1} + phi(k_t) v_t^T      (d_k, d_v),  S_0 = 0
    z_t = z_{t-1} + phi(k_t)            (d_k,),      z_0 = 0
    out_t = S_t^T phi(q_t) / (z_t . phi(q_t))                                            (recurrent)

so the model is an RNN whose state (S_t, z_t) has a fixed size however long the text: generating
the next token costs the same at t = 10 and at t = 10 000, where softmax attention rereads every
k_s, v_s. phi(x) = elu(x) + 1 > 0, so every similarity and every denominator is positive.

All functions take q, k (..., T, d_k) and v (..., T, d_v); leading dimensions are batch.

>>> import torch
>>> q, k, v = (torch.randn(5, 3, generator=torch.Generator().manual_seed(s)) for s in (0, 1, 2))
>>> out, S, z = recurrent(q, k, v)
>>> out.shape, S.shape, z.shape
(torch.Size([5, 3]), torch.Size([5, 3, 3]), torch.Size([5, 3]))
>>> bool(torch.allclose(out, parallel(q, k, v), atol=1e-6))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.errors import InputError
from rnnviz.model import sequence_loss

MAX_D_MODEL = 256
MAX_VOCAB = 100_000


def phi(x: Tensor) -> Tensor:
    """The feature map phi(x) = elu(x) + 1: x + 1 for x > 0, e^x for x <= 0; always > 0."""
    return F.elu(x) + 1


def _check(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.dim() < 2 or q.shape != k.shape or k.shape[:-1] != v.shape[:-1]:
        raise InputError(
            f"q and k must be (..., T, d_k) and v (..., T, d_v); got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )


def _causal(T: int, like: Tensor) -> Tensor:
    return torch.ones(T, T, dtype=torch.bool, device=like.device).tril()  # s <= t


def linear_weights(q: Tensor, k: Tensor) -> Tensor:
    """A_ts = phi(q_t) . phi(k_s) / sum_{s'<=t} phi(q_t) . phi(k_s') for s <= t, else 0: (..., T, T).

    Each row sums to 1, like softmax attention's weights; out = A v is ``parallel``'s output.
    """
    _check(q, k, k)
    sim = phi(q) @ phi(k).transpose(-1, -2)  # phi(q_t) . phi(k_s), (..., T, T)
    sim = sim.masked_fill(~_causal(q.shape[-2], q), 0.0)  # causal: only s <= t
    return sim / sim.sum(-1, keepdim=True)  # normalise by sum_{s<=t} phi(q_t) . phi(k_s)


def parallel(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal (masked) linear attention, all t at once: out_t = sum_{s<=t} A_ts v_s, (..., T, d_v).

    A_ts = phi(q_t).phi(k_s) / sum_{s'<=t} phi(q_t).phi(k_s'): a T x T matrix, O(T^2) work.
    """
    _check(q, k, v)
    return linear_weights(q, k) @ v  # out_t = sum_{s<=t} A_ts v_s


def recurrent(
    q: Tensor, k: Tensor, v: Tensor, S0: Tensor | None = None, z0: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """The same attention as a recurrence over t, one step at a time: (out, S, z).

    out (..., T, d_v), S (..., T, d_k, d_v) = S_1..S_T, z (..., T, d_k) = z_1..z_T. S0, z0 continue
    from an earlier state (S_0 = 0, z_0 = 0 by default). O(T) work, state of fixed size.
    """
    _check(q, k, v)
    fq, fk = phi(q), phi(k)
    S = v.new_zeros(*v.shape[:-2], k.shape[-1], v.shape[-1]) if S0 is None else S0  # S_0 = 0
    z = k.new_zeros(*k.shape[:-2], k.shape[-1]) if z0 is None else z0  # z_0 = 0
    outs, Ss, zs = [], [], []
    for t in range(q.shape[-2]):
        S = S + fk[..., t, :, None] * v[..., t, None, :]  # S_t = S_{t-1} + phi(k_t) v_t^T
        z = z + fk[..., t, :]  # z_t = z_{t-1} + phi(k_t)
        num = (fq[..., t, :, None] * S).sum(-2)  # S_t^T phi(q_t)
        den = (z * fq[..., t, :]).sum(-1, keepdim=True)  # z_t . phi(q_t)
        outs.append(num / den)  # out_t = S_t^T phi(q_t) / (z_t . phi(q_t))
        Ss.append(S)
        zs.append(z)
    return torch.stack(outs, -2), torch.stack(Ss, -3), torch.stack(zs, -2)


def softmax_attention(q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """Causal softmax attention, for comparison: (out (..., T, d_v), weights (..., T, T)).

    w_ts = exp(q_t . k_s / sqrt(d_k)) / sum_{s'<=t} exp(q_t . k_s' / sqrt(d_k)) for s <= t, else 0;
    out_t = sum_{s<=t} w_ts v_s. No state of fixed size: step t needs every k_s, v_s with s <= t.
    """
    _check(q, k, v)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # q_t . k_s / sqrt(d_k)
    scores = scores.masked_fill(~_causal(q.shape[-2], q), float("-inf"))
    w = torch.softmax(scores, dim=-1)  # each row sums to 1 over s <= t
    return w @ v, w


@dataclass(frozen=True)
class LinearAttentionConfig:
    """What ``rnnviz.sample`` and the pages read from a model's ``cfg``: a next-token model."""

    vocab: int  # V, the characters
    d_model: int  # d = d_k = d_v
    seed: int = 0
    input_kind: str = "tokens"
    head: str = "many_to_many"
    loss_kind: str = "ce"

    @property
    def input_size(self) -> int:
        return self.vocab

    @property
    def output_size(self) -> int:
        return self.vocab


@dataclass(frozen=True)
class LinearAttentionTrace:
    """One sequence through the recurrent form; every array indexed by t = 1..T along its first axis."""

    x: np.ndarray  # (T,) token ids
    q: np.ndarray  # (T, d) q_t = W_q e_t
    k: np.ndarray  # (T, d) k_t = W_k e_t
    v: np.ndarray  # (T, d) v_t = W_v e_t
    S: np.ndarray  # (T, d, d) S_t = S_{t-1} + phi(k_t) v_t^T
    z: np.ndarray  # (T, d) z_t = z_{t-1} + phi(k_t)
    out: np.ndarray  # (T, d) out_t = S_t^T phi(q_t) / (z_t . phi(q_t))
    logits: np.ndarray  # (T, V) y_t = W_hy (e_t + out_t) + b_y


def _uniform(shape, k: float, g: torch.Generator) -> Tensor:
    return (torch.rand(shape, generator=g) * 2 - 1) * k  # U(-k, k), torch's Linear init


class LinearAttentionLM(nn.Module):
    """A one-layer, one-head linear-attention character model, small enough to train in a lesson.

        e_t = E[x_t]                                       embedding (V, d)
        q_t = W_q e_t,  k_t = W_k e_t,  v_t = W_v e_t      (d, d) each, no bias
        out_t = linear attention over s <= t                (``parallel`` in training)
        y_t = W_hy (e_t + out_t) + b_y                      the residual keeps e_t's own bigram path

    There are no positions: out_t is a similarity-weighted mean of the v_s so far. ``forward``
    returns (logits, (S_T, z_T)) and continues from a state it is given, like ``SeqModel``, so
    ``rnnviz.sample`` can generate from it one token at a time with a state of fixed size.
    Same seed, same weights.
    """

    def __init__(self, vocab: int, d_model: int = 32, seed: int = 0):
        super().__init__()
        for name, value, top in (
            ("vocabulary size", vocab, MAX_VOCAB),
            ("model size d", d_model, MAX_D_MODEL),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
                raise InputError(f"{name} must be a whole number from 1 to {top}, not {value!r}")
        self.cfg = LinearAttentionConfig(vocab, d_model, seed)
        g = torch.Generator().manual_seed(seed)
        k = d_model**-0.5
        self.embedding = nn.Parameter(torch.randn(vocab, d_model, generator=g))  # E
        self.W_q = nn.Parameter(_uniform((d_model, d_model), k, g))
        self.W_k = nn.Parameter(_uniform((d_model, d_model), k, g))
        self.W_v = nn.Parameter(_uniform((d_model, d_model), k, g))
        self.W_hy = nn.Parameter(_uniform((vocab, d_model), k, g))
        self.b_y = nn.Parameter(_uniform((vocab,), k, g))

    def embed(self, x: Tensor) -> Tensor:
        """(B, T) ids -> e_t (B, T, d)."""
        if x.dtype not in (torch.int64, torch.int32) or x.dim() != 2:
            raise InputError(f"x must be (B, T) token ids, not {tuple(x.shape)} {x.dtype}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.cfg.vocab):
            raise InputError(f"token ids must be between 0 and {self.cfg.vocab - 1}")
        return self.embedding[x]

    def qkv(self, e: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return e @ self.W_q.T, e @ self.W_k.T, e @ self.W_v.T  # q_t = W_q e_t, k_t = W_k e_t, v_t = W_v e_t

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        """Logits (B, T, V) and the state (S_T (B, d, d), z_T (B, d)) after the last step."""
        e = self.embed(x)
        q, k, v = self.qkv(e)
        fk = phi(k)
        if state is None:
            out = parallel(q, k, v)  # the masked T x T form: every t at once
            S0, z0 = 0.0, 0.0
        else:  # continuing: out_t = phi(q_t)^T (S_0 + sum_{s<=t} phi(k_s) v_s^T) / (phi(q_t) . (z_0 + ...))
            S0, z0 = state
            fq = phi(q)
            sim = (fq @ fk.transpose(-1, -2)).masked_fill(~_causal(x.shape[1], q), 0.0)
            num = fq @ S0 + sim @ v  # phi(q_t)^T S_0 + sum_{s<=t} (phi(q_t) . phi(k_s)) v_s
            den = (fq * z0[:, None]).sum(-1, keepdim=True) + sim.sum(-1, keepdim=True)
            out = num / den
        S_T = S0 + fk.transpose(-1, -2) @ v  # S_T = S_0 + sum_t phi(k_t) v_t^T
        z_T = z0 + fk.sum(1)  # z_T = z_0 + sum_t phi(k_t)
        return (e + out) @ self.W_hy.T + self.b_y, (S_T, z_T)  # y_t = W_hy (e_t + out_t) + b_y

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        logits, _ = self(batch.x)
        return sequence_loss(logits, batch.y, getattr(batch, "mask", None), "ce")

    @torch.no_grad()
    def trace(self, x: Tensor) -> LinearAttentionTrace:
        """One sequence x (T,) through the recurrent form: q, k, v, S_t, z_t, out_t, logits."""
        if x.dim() != 1 or len(x) == 0:
            raise InputError("trace one non-empty sequence of token ids (T,)")
        e = self.embed(x[None])[0]
        q, k, v = self.qkv(e)
        out, S, z = recurrent(q, k, v)  # S_t = S_{t-1} + phi(k_t) v_t^T, one step at a time
        logits = (e + out) @ self.W_hy.T + self.b_y
        arrays = (q, k, v, S, z, out, logits)
        return LinearAttentionTrace(x.numpy().copy(), *(a.numpy().copy() for a in arrays))
