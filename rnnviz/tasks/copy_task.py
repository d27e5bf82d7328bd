"""Copy / recall: read a few symbols, wait ``lag`` blank steps, then write the symbols back in order.

Input: ``length`` random symbols, ``lag`` blanks '_', the delimiter '=', then ``length`` - 1 more
blanks, so T = 2 * length + lag. From the delimiter step on, the target at each step is the next
symbol to recall: y_{L+lag+k} = s_k. Only those ``length`` steps count (``mask``); elsewhere y is 0.
Guessing gives accuracy 1 / n_symbols.

>>> task = CopyTask(n_symbols=4, length=3, lag=2)
>>> task.vocab
('A', 'B', 'C', 'D', '_', '=')
>>> b = task.batch(1, torch.Generator().manual_seed(0))
>>> b.x.tolist(), b.y.tolist(), b.mask.int().tolist()
([[0, 3, 1, 4, 4, 5, 4, 4]], [[0, 0, 0, 0, 0, 0, 3, 1]], [[0, 0, 0, 0, 0, 1, 1, 1]])
>>> print(task.describe(b))
input  ADB__=__
target      ADB
"""

from __future__ import annotations

import dataclasses
import functools
import string

import torch

from rnnviz.tasks.base import Batch, Task, Vocab, check_int, check_lag, check_seed, check_text

BLANK, DELIM = "_", "="


@dataclasses.dataclass(frozen=True)
class CopyTask(Task):
    """Many-to-many recall of ``length`` symbols after a gap of ``lag`` blanks."""

    n_symbols: int = 8  # alphabet size: symbols A, B, C, ...
    length: int = 5  # symbols to remember per sequence
    lag: int = 20  # blank steps between the last symbol and the delimiter '='
    seed: int = 0  # seeds example() and the default generator

    name = "copy"
    input_kind = "tokens"
    head = "many_to_many"
    loss_kind = "ce"

    def __post_init__(self):
        check_int("n_symbols", self.n_symbols, 2, 26, ": the symbols are the letters A to Z")
        check_int("length", self.length, 1, 50)
        check_lag(self.lag)
        check_seed(self.seed)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(string.ascii_uppercase[: self.n_symbols])

    @property
    def vocab(self) -> tuple[str, ...]:
        return (*self.labels, BLANK, DELIM)  # symbol ids equal their class ids

    @property
    def input_size(self) -> int:
        return self.n_symbols + 2

    @property
    def output_size(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return 2 * self.length + self.lag

    @property
    def chance(self) -> float:
        return 1 / self.n_symbols

    @functools.cached_property
    def _vocab(self) -> Vocab:
        return Vocab(self.vocab, unit="symbol")

    def encode(self, text: str) -> torch.Tensor:
        """One id per character of ``text`` (spaces ignored), e.g. "AB__=_"."""
        check_text("text to encode", text)
        hint = f"use the letters {self.labels[0]} to {self.labels[-1]}, {BLANK!r} and {DELIM!r}"
        return self._vocab.encode(text.replace(" ", ""), hint=hint)

    def decode(self, ids) -> str:
        return "".join(self._vocab.decode(ids))

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x, y (B, T) int64 and mask (B, T) bool, True on the ``length`` recall steps."""
        g = self._start_batch(batch_size, generator, split)
        B, L, T = batch_size, self.length, self.seq_len
        start = L + self.lag  # the delimiter step, where recall begins
        symbols = torch.randint(0, self.n_symbols, (B, L), generator=g)
        x = torch.full((B, T), self.n_symbols, dtype=torch.int64)  # blanks
        x[:, :L] = symbols
        x[:, start] = self.n_symbols + 1  # the delimiter
        y = torch.zeros((B, T), dtype=torch.int64)
        y[:, start:] = symbols  # y_{L+lag+k} = s_k
        mask = torch.zeros((B, T), dtype=torch.bool)
        mask[:, start:] = True
        return Batch(x, y, mask)

    def describe(self, batch: Batch, row: int = 0) -> str:
        mask = batch.mask[row]
        target = "".join(self.labels[int(c)] if m else " " for c, m in zip(batch.y[row], mask, strict=True))
        return f"input  {self.decode(batch.x[row])}\ntarget {target.rstrip()}"
