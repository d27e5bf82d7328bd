"""Remember the first word: "I grew up in France ... I speak fluent French".

A sequence is a country, ``lag`` distractor words, then the query word "fluent"; the label, read
at the last step, is the country's language. Only the first word matters, so a model must carry
it across ``lag`` steps; guessing gives accuracy 1 / n_countries.

>>> task = FirstWord(lag=4, n_countries=3)
>>> task.labels
('French', 'Spanish', 'Italian')
>>> b = task.batch(2, torch.Generator().manual_seed(0))
>>> b.x.shape, b.y.tolist()
(torch.Size([2, 6]), [2, 0])
>>> print(task.describe(b, row=0))
Italy walked i school and fluent -> Italian
"""

from __future__ import annotations

import dataclasses
import functools

import torch

from rnnviz.tasks.base import Batch, Task, Vocab, check_int, check_lag, check_seed, check_text

COUNTRIES = (
    ("France", "French"),
    ("Spain", "Spanish"),
    ("Italy", "Italian"),
    ("Germany", "German"),
    ("Portugal", "Portuguese"),
    ("Greece", "Greek"),
    ("Poland", "Polish"),
    ("Sweden", "Swedish"),
    ("Japan", "Japanese"),
    ("China", "Chinese"),
)
DISTRACTORS = (
    "i", "grew", "up", "in", "we", "lived", "near", "the", "sea", "and", "my", "friends",
    "played", "school", "every", "summer", "rain", "city", "old", "house", "music", "books",
    "often", "walked", "to", "market", "with", "family", "later", "moved",
)  # fmt: skip
QUERY = "fluent"  # the last word, where the answer is read


@dataclasses.dataclass(frozen=True)
class FirstWord(Task):
    """Many-to-one classification of the first token's language after ``lag`` distractors."""

    lag: int = 20  # distractor words between the country and the query; T = lag + 2
    n_countries: int = 4  # classes K: the first K countries of COUNTRIES
    seed: int = 0  # seeds example() and the default generator

    name = "first_word"
    input_kind = "tokens"
    head = "many_to_one"
    loss_kind = "ce"

    def __post_init__(self):
        check_lag(self.lag)
        check_int("n_countries", self.n_countries, 2, len(COUNTRIES))
        check_seed(self.seed)

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(c for c, _ in COUNTRIES[: self.n_countries])

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(lang for _, lang in COUNTRIES[: self.n_countries])

    @property
    def vocab(self) -> tuple[str, ...]:
        return (*self.countries, *DISTRACTORS, QUERY)  # country ids equal their class ids

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @property
    def output_size(self) -> int:
        return self.n_countries

    @property
    def seq_len(self) -> int:
        return self.lag + 2

    @property
    def chance(self) -> float:
        return 1 / self.n_countries

    @functools.cached_property
    def _vocab(self) -> Vocab:
        return Vocab(self.vocab, unit="word", casefold=True)

    def encode(self, text: str) -> torch.Tensor:
        """Word ids of a space-separated sentence, e.g. "Spain the rain fluent"."""
        check_text("text to encode", text)
        return self._vocab.encode(text.split())

    def decode(self, ids) -> str:
        return " ".join(self._vocab.decode(ids))

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x (B, lag + 2) int64, y (B,) int64 = the first word's id (= its language); mask None."""
        g = self._start_batch(batch_size, generator, split)
        B, K = batch_size, self.n_countries
        first = torch.randint(0, K, (B,), generator=g)
        middle = K + torch.randint(0, len(DISTRACTORS), (B, self.lag), generator=g)
        query = torch.full((B, 1), len(self.vocab) - 1, dtype=torch.int64)
        return Batch(torch.cat([first[:, None], middle, query], dim=1), first, None)

    def describe(self, batch: Batch, row: int = 0) -> str:
        return f"{self.decode(batch.x[row])} -> {self.labels[int(batch.y[row])]}"
