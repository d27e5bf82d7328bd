"""A pointer network and the fixed-vocabulary seq2seq it is compared with.

Both read x_1 .. x_T with the same encoder and write one answer per decoder step s = 1, 2, ...

    v_t  = W_in x_t + b_in                          the input embedded      (B, T, H)
    e_t  = Cell(v_t, e_{t-1}),  e_0 = 0             torch's fused nn.LSTM / nn.GRU
    e_end                                           a learned vector: the state of the END choice
    d_s  = Cell(u_s, d_{s-1}),  d_0 = e_T           u_1 = a learned start vector

**Pointer network** (the decoder's input u_s = v_{y_{s-1}}, the input it pointed at last)::

    score_{t,s} = v . tanh(W_e e_t + W_d d_s + b)   t = end, 1 .. T  (rnnviz.seq2seq.attention)
    p(y_s = t)  = alpha_{t,s} = softmax_t(score_{t,s})   (-inf where t was already chosen)

The attention weights *are* the output distribution: T + 1 choices, whatever T is.

**Fixed vocabulary** (rnnviz.seq2seq.decoder.AttnDecoder, the lesson 7 decoder): the same
attention only builds a context c_s; the answer comes from a softmax over a vocabulary fixed when
the model is built, END and positions 1 .. n_train::

    p(y_s) = softmax(W_y tanh(W_c [d_s; c_s] + b_c) + b_y)      (V = 3 + n_train outputs)

It has no output for position n_train + 1: a longer input's answer cannot be written.

    >>> from rnnviz.tasks.sorting import SortTask
    >>> task = SortTask(length=4)
    >>> net = PointerNet(PointerConfig(features=1, hidden_size=8))
    >>> b = task.batch(2, torch.Generator().manual_seed(0))
    >>> out = net.decode(b.x, steps=b.y.shape[1], y=b.y)
    >>> out.alpha.shape, bool(torch.allclose(out.alpha.sum(-1), torch.ones(2, 5)))   # (B, S, T + 1)
    (torch.Size([2, 5, 5]), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.errors import InputError
from rnnviz.seq2seq.attention import Attention, masked_softmax
from rnnviz.seq2seq.decoder import AttnDecoder
from rnnviz.seq2seq.tokens import EOS
from rnnviz.tasks.base import check_int
from rnnviz.tasks.point_sets import END

CELLS = ("lstm", "gru")


@dataclass(frozen=True)
class PointerConfig:
    features: int  # F: 1 for numbers, 2 for points
    cell: str = "lstm"  # "lstm" | "gru": encoder and decoder
    hidden_size: int = 64  # H: size of v_t, e_t and d_s
    attn_size: int = 64  # hidden size of the additive scorer
    mask_used: bool = True  # score -inf at positions already pointed at (each input used once)
    n_train: int = 5  # the baseline's vocabulary: positions 1 .. n_train (unused by the pointer)
    seed: int = 0  # seeds the initial weights

    def __post_init__(self) -> None:
        check_int("features", self.features, 1, 2)
        if self.cell not in CELLS:
            raise InputError(f"the cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        check_int("hidden size", self.hidden_size, 2, 512)
        check_int("attention size", self.attn_size, 2, 512)
        check_int("the training length", self.n_train, 2, 100)


@dataclass
class PointerOut:
    pointers: Tensor  # (B, S) int64: the argmax position at each step (END = 0)
    score: Tensor  # (B, S, T + 1) score_{t,s}, column 0 = END (-inf where masked)
    alpha: Tensor  # (B, S, T + 1) p(y_s = t); each row sums to 1
    allowed: Tensor  # (B, S, T + 1) bool: the positions step s could choose
    e: Tensor  # (B, T + 1, H): e_end, e_1 .. e_T
    d: Tensor  # (B, S, H): d_1 .. d_S


def _encoder(cfg: PointerConfig) -> nn.Module:
    return (nn.LSTM if cfg.cell == "lstm" else nn.GRU)(cfg.hidden_size, cfg.hidden_size, batch_first=True)


def _final(state):
    """d_0 = e_T (and the LSTM's c_T): torch's (1, B, H) final states as (B, H)."""
    return (state[0][0], state[1][0]) if isinstance(state, tuple) else state[0]


class PointerNet(nn.Module):
    def __init__(self, cfg: PointerConfig):
        super().__init__()
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        H = cfg.hidden_size
        self.W_in = nn.Linear(cfg.features, H)
        self.encoder = _encoder(cfg)
        self.e_end = nn.Parameter(torch.randn(H) * 0.1)
        self.u_start = nn.Parameter(torch.randn(H) * 0.1)
        self.cell = (nn.LSTMCell if cfg.cell == "lstm" else nn.GRUCell)(H, H)
        self.attention = Attention("additive", H, cfg.attn_size)

    def encode(self, x: Tensor):
        """(v (B, T, H), e (B, T + 1, H) with e_end first, d_0)."""
        # v_t = W_in x_t + b_in
        v = self.W_in(x)
        # e_t = Cell(v_t, e_{t-1}), e_0 = 0
        e, state = self.encoder(v)
        e = torch.cat([self.e_end.expand(x.shape[0], 1, -1), e], dim=1)
        return v, e, _final(state)

    def decode(self, x: Tensor, steps: int, y: Tensor | None = None) -> PointerOut:
        """``steps`` decoder steps; teacher forced on ``y`` (B, S) when given, else free running."""
        B, T, _ = x.shape
        v, e, state = self.encode(x)
        prepared = self.attention.prepare(e)
        allowed = torch.ones(B, T + 1, dtype=torch.bool)
        u = self.u_start.expand(B, -1)
        rows: dict[str, list[Tensor]] = {"score": [], "alpha": [], "allowed": [], "d": []}
        for s in range(steps):
            # d_s = Cell(u_s, d_{s-1})
            state = self.cell(u, state)
            d = state[0] if isinstance(state, tuple) else state
            # score_{t,s} = v . tanh(W_e e_t + W_d d_s + b)                           (B, T + 1)
            score = self.attention.additive(prepared, d)
            score = score.masked_fill(~allowed, float("-inf"))
            # p(y_s = t) = alpha_{t,s} = softmax_t(score_{t,s})
            alpha = masked_softmax(score, allowed)
            rows["score"].append(score), rows["alpha"].append(alpha)
            rows["allowed"].append(allowed.clone()), rows["d"].append(d)
            chosen = y[:, s] if y is not None else alpha.argmax(-1)
            if self.cfg.mask_used:
                allowed = allowed.clone()
                allowed[torch.arange(B), chosen] = chosen == END  # END stays open
            # u_{s+1} = v_{y_s}: the input just pointed at (v of END: the start vector again)
            picked = v[torch.arange(B), (chosen - 1).clamp(min=0)]
            u = torch.where((chosen == END)[:, None], self.u_start.expand(B, -1), picked)
        out = {k: torch.stack(r, dim=1) for k, r in rows.items()}
        return PointerOut(pointers=out["alpha"].argmax(-1), e=e, **out)

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        """-log p(y_s) per real target step, teacher forced; metric: per-step accuracy ``acc``."""
        out = self.decode(batch.x, steps=batch.y.shape[1], y=batch.y)
        logp = out.score.log_softmax(-1)  # log alpha_{t,s}; a target is never a masked position
        loss = F.nll_loss(logp[batch.y_mask], batch.y[batch.y_mask])
        acc = (out.pointers == batch.y)[batch.y_mask].float().mean()
        return loss, {"acc": float(acc)}

    @torch.no_grad()
    def answer(self, x: Tensor) -> tuple[Tensor, PointerOut]:
        """Free-running positions (B, T + 1) (after the first END: END) and the trace."""
        was = self.training
        self.eval()
        out = self.decode(x, steps=x.shape[1] + 1)
        self.train(was)
        return _after_end(out.pointers), out


def _after_end(p: Tensor) -> Tensor:
    """Every position after the first END becomes END: the answer stopped there."""
    ended = (p == END).long().cumsum(dim=1) > 0
    shifted = torch.cat([torch.zeros_like(ended[:, :1]), ended[:, :-1]], dim=1)
    return p.masked_fill(shifted, END)


class VocabBaseline(nn.Module):
    """The same encoder, lesson 7's attention decoder, and an output vocabulary fixed at build
    time: token 2 = END (the decoder's <eos>), token 2 + t = position t for t = 1 .. n_train."""

    def __init__(self, cfg: PointerConfig):
        super().__init__()
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        H = cfg.hidden_size
        self.vocab_size = 3 + cfg.n_train  # <pad>, <sos>, END, positions 1 .. n_train
        self.W_in = nn.Linear(cfg.features, H)
        self.encoder = _encoder(cfg)
        self.decoder = AttnDecoder(cfg.cell, "additive", self.vocab_size, H, H, cfg.attn_size)

    def tokens_of(self, y: Tensor) -> Tensor:
        """Positions -> output tokens; a position past n_train has no token (-1)."""
        tok = torch.where(y == END, torch.full_like(y, EOS), y + 2)
        return tok.masked_fill(y > self.cfg.n_train, -1)

    def logits(self, x: Tensor, steps: int, y: Tensor | None = None) -> Tensor:
        e, state = self.encoder(self.W_in(x))
        mask = torch.ones(x.shape[:2], dtype=torch.bool)
        tok = None if y is None else self.tokens_of(y).clamp(min=0)
        return self.decoder(e, mask, _final(state), steps, tok).logits

    def loss(self, batch) -> tuple[Tensor, dict[str, float]]:
        tok = self.tokens_of(batch.y)
        if bool((tok[batch.y_mask] < 0).any()):
            raise InputError(
                f"the fixed vocabulary has positions 1 .. {self.cfg.n_train} only: train it at that length"
            )
        logits = self.logits(batch.x, batch.y.shape[1], batch.y)
        loss = F.cross_entropy(logits[batch.y_mask], tok[batch.y_mask])
        acc = (logits.argmax(-1) == tok)[batch.y_mask].float().mean()
        return loss, {"acc": float(acc)}

    @torch.no_grad()
    def answer(self, x: Tensor) -> Tensor:
        """Free-running positions (B, T + 1); a token that is no position (<pad>, <sos>) becomes -1."""
        was = self.training
        self.eval()
        tok = self.logits(x, x.shape[1] + 1).argmax(-1)
        self.train(was)
        pos = torch.where(tok == EOS, torch.full_like(tok, END), tok - 2).masked_fill(tok < EOS, -1)
        return _after_end(pos)
