"""What the two pointer tasks share: the batch, the end position, and reading a typed list.

Positions count from 1, as everywhere in rnnviz: the inputs are x_1 .. x_T. Position 0 is not an
input: it is **end**, the answer "stop here" that every target finishes with, so a target is a
list of input positions followed by 0::

    >>> parse_values("0.3, 0.1 0.2")
    [[0.3], [0.1], [0.2]]
    >>> parse_points("0 0; 1 0; 0.5 1")
    [[0.0, 0.0], [1.0, 0.0], [0.5, 1.0]]
    >>> collate([[[0.3], [0.1]]], [[2, 1, 0]]).y
    tensor([[2, 1, 0]])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch

from rnnviz.errors import InputError
from rnnviz.tasks.base import quote

END = 0  # the target position that means "stop": inputs are positions 1 .. T
MAX_TYPED = 30  # most numbers / points a typed list may hold (the model trained on far fewer)
MAX_TYPED_CHARS = 2_000  # longest typed list, in characters
MAX_ABS = 1e6  # largest absolute value accepted in a typed list


@dataclass(frozen=True, eq=False)
class PointerBatch:
    """``x`` (B, T, F) float32 inputs (F = 1 numbers, 2 points); ``y`` (B, S) int64 target positions
    (1 .. T, then END = 0, right-padded with 0); ``y_mask`` (B, S) bool, True on real target steps."""

    x: torch.Tensor
    y: torch.Tensor
    y_mask: torch.Tensor

    def __len__(self) -> int:
        return self.x.shape[0]


def collate(inputs: list[list[list[float]]], targets: list[list[int]]) -> PointerBatch:
    """Same-length inputs and their targets (each ending with END) as one padded batch."""
    S = max(len(t) for t in targets)
    y = torch.zeros(len(targets), S, dtype=torch.int64)
    y_mask = torch.zeros(len(targets), S, dtype=torch.bool)
    for b, t in enumerate(targets):
        y[b, : len(t)] = torch.tensor(t)
        y_mask[b, : len(t)] = True
    return PointerBatch(torch.tensor(inputs, dtype=torch.float32), y, y_mask)


def _numbers(text: str, what: str) -> list[float]:
    if not isinstance(text, str):
        raise InputError(f"the {what} must be text, not {type(text).__name__}")
    if len(text) > MAX_TYPED_CHARS:
        raise InputError(
            f"the {what} has {len(text):,} characters; the most is {MAX_TYPED_CHARS:,}: type a shorter list"
        )
    parts = [p for p in re.split(r"[\s,;()\[\]]+", text.strip()) if p]
    if not parts:
        raise InputError(
            f"the {what} is empty: type numbers separated by commas or spaces, e.g. 0.4, 0.1, 0.7"
        )
    values = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise InputError(
                f"{quote(p)} is not a number: type numbers such as 0.25 separated by commas or spaces"
            ) from None
        if not math.isfinite(v) or abs(v) > MAX_ABS:
            raise InputError(f"{quote(p)} is not a number between -{MAX_ABS:g} and {MAX_ABS:g}")
        values.append(v)
    return values


def parse_values(text: str, fewest: int = 2) -> list[list[float]]:
    """A typed number list -> [[v_1], .. [v_T]]; InputError if empty, not numbers, too few or too many."""
    values = _numbers(text, "number list")
    if not fewest <= len(values) <= MAX_TYPED:
        raise InputError(f"type between {fewest} and {MAX_TYPED} numbers (got {len(values)})")
    return [[v] for v in values]


def parse_points(text: str, fewest: int = 3) -> list[list[float]]:
    """A typed point list "x y; x y; ..." -> [[x_1, y_1], ..]; InputError if odd, too few or too many."""
    values = _numbers(text, "point list")
    if len(values) % 2:
        raise InputError(
            f"{len(values)} numbers do not make points: give each point two numbers, x and y, "
            "e.g. 0.1 0.2; 0.8 0.3; 0.5 0.9"
        )
    points = [values[i : i + 2] for i in range(0, len(values), 2)]
    if not fewest <= len(points) <= MAX_TYPED:
        raise InputError(f"type between {fewest} and {MAX_TYPED} points (got {len(points)})")
    if len({tuple(p) for p in points}) < len(points):
        raise InputError("two points are the same: every point must be a different (x, y)")
    return points
