"""Convex hull as pointing: the output is the hull's points, counter-clockwise from the lowest.

x_t = (x, y) drawn uniformly from the unit square. The target lists the positions t of the hull's
vertices, starting from the lowest point (smallest y, then smallest x) and going counter-clockwise,
then END (0). Points on an edge but not at a corner are not vertices::

    >>> hull_labels([[0, 0], [1, 0], [0.5, 0.2], [1, 1], [0, 1]])
    [1, 2, 4, 5, 0]
    >>> b = HullTask(length=6).batch(3, torch.Generator().manual_seed(0))
    >>> b.x.shape, bool(b.y_mask[:, 0].all())    # (B, T, 2); every hull has a first point
    (torch.Size([3, 6, 2]), True)

``hull_labels`` is Andrew's monotone chain, O(T log T); tests check it against brute force.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnviz.tasks.base import check_int, check_seed
from rnnviz.tasks.point_sets import END, MAX_TYPED, PointerBatch, collate, parse_points

FEATURES = 2  # x_t is a point (x, y)


def cross(o, a, b) -> float:
    """(a - o) x (b - o): > 0 when o -> a -> b turns left (counter-clockwise)."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def hull_labels(points) -> list[int]:
    """Hull vertex positions (1-based), counter-clockwise from the lowest point, then END."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    # sorted by (y, x): the first is the lowest point, the start of the answer
    order = sorted(range(len(pts)), key=lambda i: (pts[i][1], pts[i][0]))
    if len(order) < 3:
        return [i + 1 for i in order] + [END]
    pivot = pts[order[0]]

    def chain(idx: list[int]) -> list[int]:
        out: list[int] = []
        for i in idx:
            # pop while the last two and this one do not turn left (collinear points are dropped)
            while len(out) >= 2 and cross(pts[out[-2]], pts[out[-1]], pts[i]) <= 0:
                out.pop()
            out.append(i)
        return out

    by_x = sorted(range(len(pts)), key=lambda i: (pts[i][0], pts[i][1]))
    lower, upper = chain(by_x), chain(by_x[::-1])
    ring = lower[:-1] + upper[:-1]  # counter-clockwise, from the leftmost point
    if not ring:
        return [order[0] + 1, END]
    start = ring.index(min(ring, key=lambda i: (pts[i][1], pts[i][0])))
    ring = ring[start:] + ring[:start]
    assert pts[ring[0]] == pivot
    return [i + 1 for i in ring] + [END]


@dataclass(frozen=True)
class HullTask:
    length: int = 8  # T: points per training input
    seed: int = 0  # seeds the example and test sets

    name = "hull"
    features = FEATURES
    fewest = 3  # fewest typed points

    def __post_init__(self) -> None:
        check_int("the number of points", self.length, 3, MAX_TYPED)
        check_seed(self.seed)

    def inputs(
        self, n: int, generator: torch.Generator, length: int | None = None
    ) -> list[list[list[float]]]:
        T = self.length if length is None else check_int("the number of points", length, 3, MAX_TYPED)
        return torch.rand(n, T, 2, generator=generator).tolist()

    def labels(self, x) -> list[int]:
        return hull_labels(x)

    def batch(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> PointerBatch:
        xs = self.inputs(check_int("batch size", batch_size, 1, 10_000), generator, length)
        return collate(xs, [self.labels(x) for x in xs])

    def parse(self, text: str) -> list[list[float]]:
        return parse_points(text, self.fewest)
