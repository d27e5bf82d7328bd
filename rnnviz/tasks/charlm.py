"""Character-level language modelling: predict each next character of a text.

x_t is the id of character t, y_t the id of character t + 1; the loss is
L = -(1/T) sum_t log p(y_t | x_1..x_t). Windows of ``seq_len`` characters are cut at random
places in the first 90% of the text (``split="train"``) or in the last 10% (``split="val"``).

>>> task = CharLM("hello world, hello rnn", seq_len=4)
>>> task.vocab
(' ', ',', 'd', 'e', 'h', 'l', 'n', 'o', 'r', 'w')
>>> task.encode("hello").tolist()
[4, 3, 5, 5, 7]
>>> b = task.batch(2, torch.Generator().manual_seed(0))
>>> b.x.tolist(), b.y.tolist()
([[0, 4, 3, 5], [5, 5, 7, 0]], [[4, 3, 5, 5], [5, 7, 0, 8]])
>>> print(task.describe(b, row=0))
input  ' hel'
target 'hell'
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import torch

from rnnviz.errors import InputError
from rnnviz.tasks.base import MAX_TEXT_CHARS, Batch, Task, Vocab, check_int, check_seed, unknown_message

VAL_FRACTION = 0.1  # the last 10% of the text is held out for validation


def _codepoints(text: str) -> np.ndarray:
    """(N,) uint32 Unicode code points, one per character (fast for megabyte texts)."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def check_text(text, what: str = "text") -> str:
    """A text a character model can learn from, else InputError saying what to paste."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be a string of characters, not {type(text).__name__}")
    if not text:
        raise InputError(f"{what} is empty: paste at least a few sentences (at least 2 different characters)")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"{what} has {len(text):,} characters; the most is {MAX_TEXT_CHARS:,}: "
            "trim it or use a shorter file"
        )
    if len(set(text[:1000])) < 2 and len(set(text)) < 2:
        raise InputError(
            f"{what} uses only one character ({text[0]!r}), so there is nothing to predict: "
            "paste a text with at least 2 different characters"
        )
    return text


@dataclasses.dataclass(frozen=True)
class CharLM(Task):
    """Next-character prediction on ``text``; vocab = the sorted distinct characters of the text."""

    text: str = dataclasses.field(repr=False)  # the corpus; its last 10% is the validation split
    seq_len: int = 64  # characters per window T (the truncated-BPTT length)
    seed: int = 0  # seeds example() and the default generator

    name = "charlm"
    input_kind = "tokens"
    head = "many_to_many"
    loss_kind = "ce"

    def __post_init__(self):
        check_text(self.text)
        check_seed(self.seed)
        n_train = self.split_sizes["train"]
        if n_train < 3:
            raise InputError(f"text has only {len(self.text)} characters: paste at least a sentence")
        check_int(
            "seq_len",
            self.seq_len,
            2,
            n_train - 1,
            f": a window needs seq_len + 1 characters of the training part (first 90% = {n_train:,} chars)",
        )

    @functools.cached_property
    def vocab(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.text)))

    @property
    def labels(self) -> tuple[str, ...]:
        return self.vocab  # the output classes are the next character

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @property
    def output_size(self) -> int:
        return len(self.vocab)

    @property
    def split_sizes(self) -> dict[str, int]:
        n_val = int(len(self.text) * VAL_FRACTION)
        return {"train": len(self.text) - n_val, "val": n_val}

    @functools.cached_property
    def _vocab(self) -> Vocab:
        return Vocab(self.vocab)

    @functools.cached_property
    def _sorted_codes(self) -> np.ndarray:
        return _codepoints("".join(self.vocab))

    @functools.cached_property
    def ids(self) -> torch.Tensor:
        """(N,) int64 ids of the whole text."""
        return self.encode(self.text)

    def encode(self, text: str) -> torch.Tensor:
        """(len(text),) int64 ids; characters the training text lacks raise InputError naming them."""
        if not isinstance(text, str):
            raise InputError(f"text to encode must be a string, not {type(text).__name__}")
        codes = _codepoints(text)
        pos = np.minimum(np.searchsorted(self._sorted_codes, codes), len(self.vocab) - 1)
        unknown_at = np.flatnonzero(self._sorted_codes[pos] != codes)
        if unknown_at.size:
            unknown = list(dict.fromkeys(text[i] for i in unknown_at[:10_000]))
            hint = "use only characters of the training text, or add them to it and train again"
            raise InputError(unknown_message(unknown, "character", hint))
        return torch.from_numpy(pos.astype(np.int64))

    def decode(self, ids) -> str:
        return "".join(self._vocab.decode(ids))

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x, y: (B, seq_len) int64 windows of the split, y shifted one character ahead; mask None."""
        g = self._start_batch(batch_size, generator, split)
        T, n = self.seq_len, self.split_sizes[split]
        if n < T + 1:
            raise InputError(
                f"the validation part (last 10% of the text, {n:,} characters) is shorter than "
                f"seq_len + 1 = {T + 1}: use a longer text or a shorter seq_len"
            )
        ids = self.ids if split == "train" else self.ids[-n:]
        starts = torch.randint(0, n - T, (batch_size,), generator=g)  # (B,)
        idx = starts[:, None] + torch.arange(T)  # (B, T)
        return Batch(ids[idx], ids[idx + 1], None)

    def describe(self, batch: Batch, row: int = 0) -> str:
        return f"input  {self.decode(batch.x[row])!r}\ntarget {self.decode(batch.y[row])!r}"
