"""What every task shares: the Batch, the Vocab, input checks and a version-stable random source.

A task is a frozen dataclass (its knobs + ``seed``) that also inherits :class:`Task`, which adds
``example(index)`` and ``generator(offset)``. See the Task contract in ARCHITECTURE.md.

>>> v = Vocab((PAD, "i", "like", "cake"), unit="word", casefold=True)
>>> v.encode("I like cake".split()).tolist()
[1, 2, 3]
>>> v.decode([0, 1, 2, 3])
['i', 'like', 'cake']
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import random
from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
import torch

from rnnviz.errors import InputError

MAX_TEXT_CHARS = 2_000_000  # longest text accepted: memory, and a training run that fits a lesson
MAX_SENTENCE_CHARS = 5_000  # longest typed sentence a word or symbol task encodes (a page shows 200 words)
QUOTE_CHARS = 60  # most characters of the user's input a message quotes
MAX_LAG = 500  # longest memory gap: beyond it even an LSTM needs far longer than a class to learn
MAX_BATCH = 10_000  # largest batch a task will draw at once
MAX_SEED = 2**31 - 1  # seeds are non-negative 32-bit ints so they survive a URL and any RNG
PAD = "<pad>"  # padding token of word-level tasks, always id 0 when present
SPLITS = ("train", "val")  # "val" is held out where the task has finite data, else fresh draws


@dataclasses.dataclass(frozen=True, eq=False)
class Batch:
    """One batch: ``x`` (B, T) int64 ids or (B, T, F) float32 vectors; ``y`` (B, T) int64 per step,
    (B,) int64 per sequence or (B,) float32 targets; ``mask`` (B, T) bool marks the steps whose loss
    counts (None: every step counts). Where ``mask`` is False, ``y`` holds 0, a valid class id."""

    x: torch.Tensor  # inputs, batch first
    y: torch.Tensor  # targets
    mask: torch.Tensor | None = None  # which steps count for the loss

    def __len__(self) -> int:
        return self.x.shape[0]

    def row(self, i: int) -> Batch:
        """Sequence ``i`` alone, as a batch of one (what ``trace`` replays)."""
        m = None if self.mask is None else self.mask[i : i + 1]
        return Batch(self.x[i : i + 1], self.y[i : i + 1], m)


@dataclasses.dataclass(frozen=True)
class Vocab:
    """Token strings <-> ids (index in ``tokens`` = id). Word vocabularies put PAD at id 0."""

    tokens: tuple[str, ...]  # distinct token strings; position = id
    unit: str = "character"  # what one token is, used in messages: "character", "word", "symbol"
    casefold: bool = False  # words: also accept other capitalisations ("France" for "france")

    @functools.cached_property
    def index(self) -> dict[str, int]:
        ids = {t: i for i, t in enumerate(self.tokens)}
        if self.casefold:
            for t, i in list(ids.items()):
                ids.setdefault(t.lower(), i)
        return ids

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int | None:
        return self.index.get(PAD)

    def encode(self, tokens: Iterable[str], hint: str = "") -> torch.Tensor:
        """1-D int64 ids; unknown tokens raise InputError naming up to 5 of them."""
        ids, unknown = [], {}  # unknown: a dict keeps first-seen order with O(1) membership
        for t in tokens:
            i = self.index.get(t)
            if i is None and self.casefold:
                i = self.index.get(t.lower())
            if i is None:
                unknown[t] = None
            else:
                ids.append(i)
        if unknown:
            raise InputError(unknown_message(list(unknown), self.unit, hint or self.suggestion()))
        return torch.tensor(ids, dtype=torch.int64)

    def decode(self, ids: Iterable[int] | torch.Tensor | np.ndarray, skip_pad: bool = True) -> list[str]:
        """Token strings of ``ids`` (1-D), PAD left out unless ``skip_pad`` is False."""
        flat = np.asarray(ids.detach().cpu() if isinstance(ids, torch.Tensor) else ids).reshape(-1)
        bad = flat[(flat < 0) | (flat >= len(self.tokens))]
        if bad.size:
            raise InputError(
                f"id {int(bad[0])} is outside this vocabulary of {len(self.tokens)} {self.unit}s"
            )
        out = [self.tokens[int(i)] for i in flat]
        return [t for t in out if t != PAD] if skip_pad else out

    def suggestion(self) -> str:
        shown = ", ".join(t for t in self.tokens[:12] if t != PAD)
        return f"use {self.unit}s this task knows, e.g. {shown}"


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` as a message quotes it: its repr, cut to ``limit`` characters of the text.

    >>> quote("hello"), quote("x" * 100, 5)
    ("'hello'", "'xxxxx...' (and 95 more characters)")
    """
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    cut = repr(text[:limit])
    return f"{cut[:-1]}...{cut[-1]} (and {len(text) - limit:,} more characters)"


def check_text(what: str, text, limit: int = MAX_SENTENCE_CHARS) -> str:
    """``text`` if it is a string of at most ``limit`` characters, else InputError stating the cap."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be a string, not {type(text).__name__}")
    if len(text) > limit:
        raise InputError(f"{what} has {len(text):,} characters; the most is {limit:,}: type a shorter one")
    return text


def unknown_message(unknown: Sequence[str], unit: str, hint: str) -> str:
    """E.g. "2 characters are not in the vocabulary ('é', '\\t'): <hint>", at most 5 named, each cut
    to 60 characters (a message never echoes a whole pasted text)."""
    shown = ", ".join(quote(t) for t in unknown[:5]) + (
        f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
    )
    count = f"1 {unit} is" if len(unknown) == 1 else f"{len(unknown):,} {unit}s are"
    return f"{count} not in the vocabulary ({shown}): {hint}"


class Task:
    """Mixin for task dataclasses: deterministic single examples drawn from the task's own seed."""

    name: ClassVar[str]  # short id, the key in TASKS
    input_kind: ClassVar[str]  # "tokens" or "vectors"
    head: ClassVar[str]  # "many_to_many" or "many_to_one"
    loss_kind: ClassVar[str]  # "ce" or "mse"

    def generator(self, offset: int = 0) -> torch.Generator:
        """A torch.Generator seeded from ``self.seed`` (and ``offset``): same task -> same stream."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + offset)

    def example(self, index: int = 0, split: str = "train") -> Batch:
        """Sequence number ``index`` of this task's fixed example list, as a batch of one."""
        index = check_int("example index", index, 0, 1_000_000)
        return self.batch(1, self.generator(index + 1), split=split)

    def _start_batch(self, batch_size: int, generator: torch.Generator | None, split: str) -> torch.Generator:
        """Checks shared by every ``batch()``; returns the generator to draw from."""
        check_int("batch_size", batch_size, 1, MAX_BATCH)
        if split not in SPLITS:
            raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
        if generator is None:
            return self.generator()
        if not isinstance(generator, torch.Generator):
            raise InputError("generator must be a torch.Generator (or None for the task's own seed)")
        return generator


def check_int(name: str, value, lo: int, hi: int, hint: str = "") -> int:
    """``value`` as an int in [lo, hi], else InputError saying which bound to respect."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be a whole number, not {value!r}")
    value = int(value)
    if value < lo:
        raise InputError(f"{name} must be at least {lo} (got {value}){hint}")
    if value > hi:
        raise InputError(f"{name} must be at most {hi:,} (got {value:,}){hint}")
    return value


def check_seed(seed) -> int:
    return check_int("seed", seed, 0, MAX_SEED)


def check_lag(lag) -> int:
    return check_int(
        "lag",
        lag,
        1,
        MAX_LAG,
        f": the gap to remember is 1 to {MAX_LAG} steps; longer gaps do not train within a lesson",
    )


class Rng:
    """Python random source that gives the same draws on every Python version.

    Only ``random.Random(seed)`` and ``.random()`` are promised stable across versions, so every
    draw here goes through ``.random()``. Used for the generated-language tasks, whose per-word
    choices would be slow as one torch call each; its seed is drawn from the torch.Generator.
    """

    def __init__(self, seed: int):
        self._r = random.Random(seed)

    @classmethod
    def from_generator(cls, generator: torch.Generator) -> Rng:
        return cls(int(torch.randint(0, 2**62, (1,), generator=generator)))

    def below(self, n: int) -> int:
        return min(int(self._r.random() * n), n - 1)

    def pick(self, seq: Sequence):
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self._r.random() < p


def pad_rows(rows: Sequence[list[int]], pad_id: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Id lists as one (B, T) int64 tensor padded with ``pad_id`` on the left or right, and the
    (B, T) bool mask of real tokens. Many-to-one tasks pad left so the last step is a real token."""
    T = max(len(r) for r in rows)
    x = [[pad_id] * (T - len(r)) + r if left else r + [pad_id] * (T - len(r)) for r in rows]
    lengths = torch.tensor([len(r) for r in rows])[:, None]  # (B, 1)
    mask = torch.arange(T) >= T - lengths if left else torch.arange(T) < lengths  # (B, T)
    return torch.tensor(x, dtype=torch.int64), mask
