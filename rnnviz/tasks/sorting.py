"""Sorting as pointing: the output is the input positions in increasing order of their values.

x_t is one number drawn uniformly from [0, 1); the target lists the positions t of x_1 .. x_T from
the smallest value to the largest (ties: the earlier position first), then END (0)::

    >>> sort_labels([0.7, 0.2, 0.9, 0.2])
    [2, 4, 1, 3, 0]
    >>> b = SortTask(length=4).batch(2, torch.Generator().manual_seed(0))
    >>> b.x.shape, b.y.shape                     # (B, T, 1), (B, T + 1)
    (torch.Size([2, 4, 1]), torch.Size([2, 5]))

A pointer network answers with positions, so the same weights sort 5 numbers or 20.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnviz.tasks.base import check_int, check_seed
from rnnviz.tasks.point_sets import END, MAX_TYPED, PointerBatch, collate, parse_values

FEATURES = 1  # x_t is one number


def sort_labels(values) -> list[int]:
    """Positions 1 .. T in increasing order of value (stable), then END."""
    flat = [float(v[0]) if isinstance(v, list | tuple) else float(v) for v in values]
    return [i + 1 for i in sorted(range(len(flat)), key=lambda i: (flat[i], i))] + [END]


@dataclass(frozen=True)
class SortTask:
    length: int = 5  # T: numbers per training input
    seed: int = 0  # seeds the example and test sets

    name = "sort"
    features = FEATURES
    fewest = 2  # shortest typed list

    def __post_init__(self) -> None:
        check_int("the list length", self.length, 2, MAX_TYPED)
        check_seed(self.seed)

    def inputs(
        self, n: int, generator: torch.Generator, length: int | None = None
    ) -> list[list[list[float]]]:
        T = self.length if length is None else check_int("the list length", length, 2, MAX_TYPED)
        return torch.rand(n, T, 1, generator=generator).tolist()

    def labels(self, x) -> list[int]:
        return sort_labels(x)

    def batch(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> PointerBatch:
        xs = self.inputs(check_int("batch size", batch_size, 1, 10_000), generator, length)
        return collate(xs, [self.labels(x) for x in xs])

    def parse(self, text: str) -> list[list[float]]:
        return parse_values(text, self.fewest)
