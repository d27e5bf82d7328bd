"""Encoder-decoder for the date task: a fused GRU/LSTM reads the input, a stepped cell writes.

    e_1 .. e_T   = Encoder(x_1 .. x_T)                  torch's fused nn.GRU / nn.LSTM
    d_0          = e_T                                  the state after the last real token
    d_s, c_s, p(y_s)                                    see ``decoder.py`` (same cell as the encoder)

Without attention the whole input must squeeze through ``d_0 = e_T``; with attention every
output step looks back at all of ``e_1 .. e_T``.

    >>> from rnnviz.seq2seq.dates import DateTask
    >>> task = DateTask(tokens="words")
    >>> model = Seq2Seq(Seq2SeqConfig.for_task(task, attention="dot"))
    >>> b = task.batch(8, torch.Generator().manual_seed(0), length=10)
    >>> out = model.decode(b.x, b.x_mask, steps=b.y.shape[1], y=b.y)   # teacher forcing
    >>> out.logits.shape, out.alpha.shape            # (B, S, V), (B, S, T)
    (torch.Size([8, 11, 14]), torch.Size([8, 11, 10]))
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnviz.errors import InputError
from rnnviz.seq2seq.attention import KINDS
from rnnviz.seq2seq.decoder import AttnDecoder, EncoderDecoder
from rnnviz.seq2seq.sampling import SCHEDULES, coin_flips, own_probability

CELLS = ("gru", "lstm")


@dataclass(frozen=True)
class Seq2SeqConfig:
    src_vocab_size: int  # input words (with <pad> = 0)
    tgt_vocab_size: int  # output characters (with <pad> 0, <sos> 1, <eos> 2)
    cell: str = "gru"  # "gru" | "lstm": encoder and decoder use the same cell
    attention: str = "dot"  # "none" | "dot" | "additive"
    embed_dim: int = 32  # size of the word and character embeddings
    hidden_size: int = 64  # H: size of e_t and d_s
    attn_size: int = 64  # hidden size of the additive scorer (unused otherwise)
    seed: int = 0  # seeds the initial weights
    sampling: str = "teacher"  # "teacher" (teacher forcing) | "scheduled" (scheduled sampling, sampling.py)
    sampling_k: float = 50.0  # k of the inverse sigmoid: p_own = 1/2 at training step k ln k

    def __post_init__(self) -> None:
        if self.sampling not in SCHEDULES:
            raise InputError(f"training input must be one of {SCHEDULES}, not {self.sampling!r}")
        if not 1.0 <= self.sampling_k <= 10_000.0:
            raise InputError(f"the schedule's k must be between 1 and 10000, not {self.sampling_k}")
        if self.cell not in CELLS:
            raise InputError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.attention not in KINDS:
            raise InputError(f"attention must be one of {KINDS}, not {self.attention!r}")
        if not 2 <= self.hidden_size <= 512 or not 2 <= self.embed_dim <= 512:
            raise InputError("hidden size and embedding size must be between 2 and 512")

    @classmethod
    def for_task(cls, task, **overrides) -> Seq2SeqConfig:
        return cls(src_vocab_size=len(task.src_vocab), tgt_vocab_size=len(task.tgt_vocab), **overrides)


class Seq2Seq(EncoderDecoder):
    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        H, E = cfg.hidden_size, cfg.embed_dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.src_embed = nn.Embedding(cfg.src_vocab_size, E, padding_idx=0)
            self.encoder = (nn.GRU if cfg.cell == "gru" else nn.LSTM)(E, H, batch_first=True)
            self.decoder = AttnDecoder(cfg.cell, cfg.attention, cfg.tgt_vocab_size, E, H, cfg.attn_size)
        if cfg.sampling == "scheduled":  # training steps taken, for the schedule (saved with the weights)
            self.register_buffer("sampled_steps", torch.zeros((), dtype=torch.long))

    def loss(self, batch):
        """Teacher forcing; with scheduled sampling, while training, each (date, step) coin decides
        whether step s + 1 is fed y_s or the model's own guess (``sampling.py``)."""
        if self.cfg.sampling != "scheduled" or not self.training:
            return super().loss(batch)
        step = int(self.sampled_steps)
        own = coin_flips(step, self.cfg.sampling_k, batch.y.shape, self.cfg.seed)
        self.sampled_steps += 1
        out = self.decode(batch.x, batch.x_mask, steps=batch.y.shape[1], y=batch.y, own=own)
        loss = F.cross_entropy(out.logits[batch.y_mask], batch.y[batch.y_mask])
        acc = (out.tokens == batch.y)[batch.y_mask].float().mean()
        return loss, {"acc": float(acc), "p_own": own_probability(step, self.cfg.sampling_k)}

    def encode(self, x: Tensor, x_mask: Tensor):
        """Encoder states e (B, T, H) and d_0: the state after the last *real* token of each input."""
        lengths = x_mask.sum(1)
        if int(lengths.min()) < 1:
            raise InputError("every input needs at least one token")
        if self.cfg.cell == "gru":
            # Right padding comes after the real tokens, so e_t on real tokens is exact and the
            # GRU's state after the last real token is e at that position. (Faster than packing.)
            e, _ = self.encoder(self.src_embed(x))  # (B, T, H)
            e = e * x_mask[..., None]
            return e, e[torch.arange(x.shape[0]), lengths - 1]
        # LSTM: the cell state is not in the output, so pack: each sequence stops at its length
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_embed(x), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, (h, cell) = self.encoder(packed)  # each (1, B, H)
        e, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return e, (h[0], cell[0])
