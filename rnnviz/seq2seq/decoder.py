"""The decoder both lessons share: one recurrent cell stepped by hand, attending to e_1 .. e_T.

    d_s    = Cell(embed(y_{s-1}), d_{s-1})        nn.GRUCell / nn.LSTMCell, d_0 from the encoder
    c_s    = sum_t alpha_{t,s} e_t                 (with attention, see ``attention.py``)
    h~_s   = tanh(W_c [d_s; c_s])                  without attention: tanh(W_c d_s)
    p(y_s) = softmax(W_y h~_s)

Training feeds the true previous token y_{s-1} (teacher forcing); generation feeds the
model's own previous guess (free running, greedy). ``EncoderDecoder`` adds the shared loss
and exact-match metric to any model that can ``encode(x, x_mask) -> (e, d_0)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.seq2seq.attention import Attention
from rnnviz.seq2seq.tokens import SOS


@dataclass
class DecodeOut:
    tokens: Tensor  # (B, S) int64 argmax prediction at each output step
    logits: Tensor  # (B, S, V)
    d: Tensor  # (B, S, H) decoder states d_s
    e: Tensor  # (B, T, H) encoder states e_t (zeros on padding)
    score: Tensor | None = None  # (B, S, T) score_{t,s}; None without attention
    alpha: Tensor | None = None  # (B, S, T) alpha_{t,s}; each row sums to 1 over real tokens
    c: Tensor | None = None  # (B, S, H) context c_s


class AttnDecoder(nn.Module):
    def __init__(
        self, cell: str, attention: str, vocab_size: int, embed_dim: int, hidden: int, attn_size: int
    ):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.cell = (nn.GRUCell if cell == "gru" else nn.LSTMCell)(embed_dim, hidden)
        self.attention = Attention(attention, hidden, attn_size) if attention != "none" else None
        self.W_c = nn.Linear(2 * hidden if self.attention is not None else hidden, hidden)
        self.W_y = nn.Linear(hidden, vocab_size)

    def step(self, prev: Tensor, state, prepared, e: Tensor, mask: Tensor):
        """One decoder step from the previous token ``prev`` (B,) and state d_{s-1}.

        Returns (state d_s, logits (B, V), d_s (B, H), score, alpha, c); the last three are None
        without attention. ``forward`` and the beam search (``beam.py``) both step through here."""
        # d_s = Cell(embed(y_{s-1}), d_{s-1})
        state = self.cell(self.embed(prev), state)
        d = state[0] if isinstance(state, tuple) else state
        score = alpha = c = None
        if self.attention is not None:
            # alpha_{t,s} = softmax_t(score_{t,s});  c_s = sum_t alpha_{t,s} e_t
            score, alpha, c = self.attention(prepared, e, mask, d)
            # h~_s = tanh(W_c [d_s; c_s])
            h_tilde = torch.tanh(self.W_c(torch.cat([d, c], dim=-1)))
        else:
            h_tilde = torch.tanh(self.W_c(d))
        # p(y_s) = softmax(W_y h~_s)
        return state, self.W_y(h_tilde), d, score, alpha, c

    def prepare(self, e: Tensor):
        """What the scorer needs from the encoder states, once per input (None without attention)."""
        return self.attention.prepare(e) if self.attention is not None else None

    def forward(
        self,
        e: Tensor,
        mask: Tensor,
        state,
        steps: int,
        y: Tensor | None = None,
        own: Tensor | None = None,
    ) -> DecodeOut:
        """``steps`` decoder steps from ``state`` = d_0 (or (d_0, cell_0) for an LSTM).

        With the target ``y`` (B, S): teacher forcing, step s is fed y_{s-1}. Without: free
        running, step s is fed the argmax of step s-1. ``own`` (B, S) bool (scheduled sampling,
        ``sampling.py``): where True, step s + 1 is fed the model's own argmax of step s instead
        of y_s (detached: no gradient flows through the choice).
        """
        prepared = self.prepare(e)
        prev = torch.full((e.shape[0],), SOS, dtype=torch.long)
        rows: dict[str, list[Tensor]] = {"logits": [], "d": [], "score": [], "alpha": [], "c": []}
        for s in range(steps):
            state, logits, d, score, alpha, c = self.step(prev, state, prepared, e, mask)
            if score is not None:
                rows["score"].append(score), rows["alpha"].append(alpha), rows["c"].append(c)
            rows["logits"].append(logits), rows["d"].append(d)
            prev = y[:, s] if y is not None and s < y.shape[1] else logits.argmax(-1)
            if own is not None and s < own.shape[1]:
                prev = torch.where(own[:, s], logits.detach().argmax(-1), prev)
        stack = {k: torch.stack(v, dim=1) if v else None for k, v in rows.items()}
        return DecodeOut(tokens=stack["logits"].argmax(-1), e=e, **stack)


class EncoderDecoder(nn.Module):
    """Base for models with ``encode(x, x_mask) -> (e, d_0)`` and an ``AttnDecoder`` named ``decoder``."""

    decoder: AttnDecoder  # each subclass also defines encode(x, x_mask) -> (e, d_0)

    def decode(
        self, x: Tensor, x_mask: Tensor, steps: int, y: Tensor | None = None, own: Tensor | None = None
    ) -> DecodeOut:
        e, state = self.encode(x, x_mask)
        return self.decoder(e, x_mask, state, steps, y, own)

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        """Cross-entropy per real target token, teacher forced; metric: token accuracy ``acc``."""
        out = self.decode(batch.x, batch.x_mask, steps=batch.y.shape[1], y=batch.y)
        loss = F.cross_entropy(out.logits[batch.y_mask], batch.y[batch.y_mask])
        acc = (out.tokens == batch.y)[batch.y_mask].float().mean()
        return loss, {"acc": float(acc)}

    @torch.no_grad()
    def exact_match(self, batch) -> Tensor:
        """(B,) bool: the free-running (greedy) output equals the target up to and including <eos>."""
        was_training = self.training
        self.eval()
        out = self.decode(batch.x, batch.x_mask, steps=batch.y.shape[1])
        self.train(was_training)
        return ((out.tokens == batch.y) | ~batch.y_mask).all(dim=1)
