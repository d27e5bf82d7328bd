"""A memory task that needs a reset: the *latest* country counts, so a second country must replace
the first. Lesson 10 trains the selective recurrence on it beside lessons 4-6's task (the first
country counts, no word calls for a reset), to see whether its decay a_t learns to drop there.

>>> task = LatestCountry(lag=4, n_countries=3)
>>> b = task.batch(4, torch.Generator().manual_seed(0))
>>> for row in range(4):
...     print(task.describe(b, row))
Italy school and the school fluent -> Italian
France the in friends with fluent -> French
Italy near Spain later with fluent -> Spanish
France near old every in fluent -> French
>>> latest_country(task, task.encode("Spain the Italy sea fluent").tolist())
2
"""

from __future__ import annotations

import dataclasses

import torch

from rnnviz.tasks.base import Batch
from rnnviz.tasks.first_word import FirstWord

SECOND_SHARE = 0.5  # share of the sentences with a second country among the fillers


@dataclasses.dataclass(frozen=True)
class LatestCountry(FirstWord):
    """FirstWord, except that half the sentences name a second country at a random filler position,
    and the label is the language of the latest country before 'fluent'."""

    name = "latest_country"

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x (B, lag + 2) int64 as FirstWord's; in a share SECOND_SHARE of the rows one filler (uniform
        over positions 1..lag) becomes a second country (uniform, may repeat the first); y its id."""
        g = self._start_batch(batch_size, generator, split)
        first = super().batch(batch_size, g, split)  # then the second countries from the same stream
        B, K = batch_size, self.n_countries
        second = torch.rand(B, generator=g) < SECOND_SHARE
        where = torch.randint(1, self.lag + 1, (B,), generator=g)
        country = torch.randint(0, K, (B,), generator=g)
        x, y = first.x.clone(), first.y.clone()
        rows = torch.nonzero(second).flatten()
        x[rows, where[rows]] = country[rows]
        y[rows] = country[rows]
        return Batch(x, y, None)


def latest_country(task: FirstWord, ids: list[int]) -> int | None:
    """The id (= the language) of the last country before the query word, or None if none."""
    countries = [i for i in ids[:-1] if i < task.n_countries]
    return countries[-1] if countries else None
