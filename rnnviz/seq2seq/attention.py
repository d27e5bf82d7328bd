"""Attention: score every encoder state against the decoder state, softmax, weighted sum.

Symbols (the lesson's, everywhere): encoder states ``e_t`` (t over the input), decoder state
``d_s`` (s over the output), ``score_{t,s}``, weights ``alpha_{t,s}``, context ``c_s``::

    score_{t,s} = e_t . d_s                             (dot product, Luong)
    score_{t,s} = v . tanh(W_e e_t + W_d d_s + b)       (additive, Bahdanau)
    alpha_{t,s} = softmax_t(score_{t,s})                (0 where t is padding)
    c_s         = sum_t alpha_{t,s} e_t

Shapes: ``e`` (B, T, H), ``mask`` (B, T) bool (True on real tokens), ``d`` (B, H);
scores and weights (B, T); context (B, H).

    >>> e = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])    # (1, 3, 2), t=2 is padding
    >>> d = torch.tensor([[2.0, 0.0]])
    >>> alpha, c = attend(dot_scores(e, d), e, torch.tensor([[True, True, False]]))
    >>> alpha                                    # alpha_t: 0 on the padding
    tensor([[0.8808, 0.1192, 0.0000]])
    >>> c                                        # c = sum_t alpha_t e_t
    tensor([[0.8808, 0.1192]])
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnviz.errors import InputError

KINDS = ("none", "dot", "additive")


def dot_scores(e: Tensor, d: Tensor) -> Tensor:
    """score_{t,s} = e_t . d_s for every t: (B, T, H), (B, H) -> (B, T)."""
    return torch.einsum("bth,bh->bt", e, d)


class AdditiveScore(nn.Module):
    """Bahdanau's scorer: a one-hidden-layer network that compares e_t with d_s."""

    def __init__(self, hidden_size: int, attn_size: int):
        super().__init__()
        self.W_e = nn.Linear(hidden_size, attn_size, bias=False)
        self.W_d = nn.Linear(hidden_size, attn_size)  # carries the bias b
        self.v = nn.Linear(attn_size, 1, bias=False)

    def project(self, e: Tensor) -> Tensor:
        """W_e e_t for every t, computed once per input sequence: (B, T, A)."""
        return self.W_e(e)

    def forward(self, e_proj: Tensor, d: Tensor) -> Tensor:
        # score_{t,s} = v . tanh(W_e e_t + W_d d_s + b)                        (B, T)
        return self.v(torch.tanh(e_proj + self.W_d(d)[:, None, :])).squeeze(-1)


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """alpha_{t,s} = softmax_t(score_{t,s}) over real tokens; exactly 0 on padding."""
    # exp(-inf) = 0: padded positions get no weight and do not change the normaliser
    return scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)


def context(alpha: Tensor, e: Tensor) -> Tensor:
    """c_s = sum_t alpha_{t,s} e_t: (B, T), (B, T, H) -> (B, H)."""
    return torch.einsum("bt,bth->bh", alpha, e)


def attend(scores: Tensor, e: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """Weights and context from raw scores: (alpha (B, T), c (B, H))."""
    alpha = masked_softmax(scores, mask)
    return alpha, context(alpha, e)


class Attention(nn.Module):
    """One scoring function (``"dot"`` or ``"additive"``) plus softmax and context."""

    def __init__(self, kind: str, hidden_size: int, attn_size: int = 64):
        super().__init__()
        if kind not in ("dot", "additive"):
            raise InputError(f"attention must be 'dot' or 'additive', not {kind!r}")
        self.kind = kind
        self.additive = AdditiveScore(hidden_size, attn_size) if kind == "additive" else None

    def prepare(self, e: Tensor) -> Tensor:
        """What the scorer needs from the encoder states, computed once per input."""
        return self.additive.project(e) if self.additive is not None else e

    def forward(self, prepared: Tensor, e: Tensor, mask: Tensor, d: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(score, alpha, c) for decoder state ``d`` (B, H) against all encoder states ``e``."""
        scores = self.additive(prepared, d) if self.additive is not None else dot_scores(e, d)
        alpha, c = attend(scores, e, mask)
        return scores, alpha, c
