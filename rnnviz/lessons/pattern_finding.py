"""Lesson 3: the finding beside the pattern search: which unit tells "inside a tag" / "inside a string".

:func:`separating_unit` finds the unit whose state best splits a text into inside / outside a region:
the best balanced accuracy of any cut h_t[j] > c (or < c) on any unit. :func:`region_for` gives the
region to look for in a text and the default selection of the search (the first tag / short string).

>>> inside_tag("<b>x</b>").astype(int).tolist()
[1, 1, 1, 0, 1, 1, 1, 1]
>>> h = np.array([[0.9, 0.1], [0.8, -0.2], [-0.5, 0.3], [-0.6, 0.0]])
>>> sep = separating_unit(h, np.array([True, True, False, False]))
>>> sep.unit, sep.above, round(sep.threshold, 4), sep.balanced_accuracy
(0, True, 0.15, 1.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rnnviz.errors import InputError
from rnnviz.lessons.pattern_search import MAX_SPAN
from rnnviz.tasks.pysource import string_mask

FINDING_CHARS = 10_000  # characters the separating unit is looked for over


def inside_tag(text: str) -> np.ndarray:
    """(len(text),) bool: the characters of a tag, from its '<' to its '>' (markup)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    opened = np.cumsum(codes == ord("<")) - np.cumsum(codes == ord(">"))  # > 0 after '<' until its '>'
    return (opened > 0) | (codes == ord(">"))


@dataclass(frozen=True)
class Separation:
    unit: int  # j
    above: bool  # True: h_t[j] > threshold means inside; False: below means inside
    threshold: float  # the best cut
    inside_hit: float  # share of inside characters on the inside side of the cut
    outside_hit: float  # share of outside characters on the outside side
    n_chars: int  # characters compared

    @property
    def balanced_accuracy(self) -> float:
        """(inside_hit + outside_hit) / 2: 0.5 is a coin, 1 a perfect split."""
        return (self.inside_hit + self.outside_hit) / 2


def separating_unit(h: np.ndarray, mask: np.ndarray) -> Separation:
    """The unit and cut h_t[j] > c (or < c) with the best balanced accuracy at telling ``mask`` from not.

    For each unit the values are sorted once; the cut between the k-th and (k+1)-th value leaves the k
    lowest on the outside: inside_hit = 1 - (inside among them) / P, outside_hit = (outside among them) /
    (N - P). Only cuts between two different values count. Vectorised over units and cuts."""
    h = np.asarray(h, dtype=np.float32)  # float16 states compare exactly in float32
    mask = np.asarray(mask, dtype=bool)
    if h.ndim != 2 or mask.shape != (len(h),):
        raise InputError(f"need h (N, H) and a mask (N,), got {h.shape} and {mask.shape}")
    p = int(mask.sum())
    if p == 0 or p == len(mask):
        raise InputError("the region never changes on this text: there is nothing to separate")
    order = np.argsort(h, axis=0, kind="stable")  # (N, H)
    vals = np.take_along_axis(h, order, axis=0)
    ins = np.cumsum(mask[order], axis=0)  # inside characters among the k + 1 lowest
    k = np.arange(1, len(h) + 1)[:, None]  # k lowest values below the cut after row k - 1
    outside_low = k - ins  # outside characters among them
    inside_hit = 1 - ins / p  # predicted inside: above the cut
    outside_hit = outside_low / (len(h) - p)
    ba = (inside_hit + outside_hit) / 2  # (N, H), for the "above means inside" direction
    valid = np.zeros_like(ba, dtype=bool)
    valid[:-1] = vals[1:] > vals[:-1]  # a cut between two different values
    gain = np.where(valid, np.abs(ba - 0.5), -1.0)
    r, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
    if gain[r, j] < 0:
        raise InputError("every unit is constant on this text: there is no cut to make")
    cut = float((vals[r, j] + vals[r + 1, j]) / 2)
    above = bool(ba[r, j] >= 0.5)
    ih, oh = float(inside_hit[r, j]), float(outside_hit[r, j])
    if not above:  # inside means below the cut: the hits swap to the other side
        ih, oh = 1 - ih, 1 - oh
    return Separation(int(j), above, cut, ih, oh, len(h))


def separation_sentence(sep: Separation, region: str, step: int) -> str:
    """The finding, in words, from the numbers just computed."""
    side = ">" if sep.above else "<"
    ba = sep.balanced_accuracy
    verdict = (
        "tracks it well"
        if ba >= 0.9
        else "tracks it partly"
        if ba >= 0.75
        else "hardly tracks it: no unit does better"
    )
    return (
        f"At training step {step}, the unit that best tells '{region}' from the rest of the first "
        f"{sep.n_chars:,} characters is **unit {sep.unit}**: h_t[{sep.unit}] {side} {sep.threshold:.2f} on "
        f"{sep.inside_hit:.0%} of the characters {region} and on {1 - sep.outside_hit:.0%} of the others "
        f"(balanced accuracy {ba:.0%}; 50% is a coin). It {verdict}."
    )


# The regions a finding looks for, and the default selection: the first tag / short string literal.
REGIONS = {
    "inside a tag": (lambda text: inside_tag(text), re.compile(r"</?[A-Za-z][A-Za-z0-9]*>")),
    "inside a string": (
        lambda text: string_mask(text).astype(bool),
        re.compile(r"'[^'\\\n]{1,20}'|\"[^\"\\\n]{1,20}\""),
    ),
}


@dataclass(frozen=True)
class Region:
    name: str  # "inside a tag" | "inside a string"
    mask: np.ndarray  # (N,) bool over the searched text
    span: tuple[int, int]  # the default selection, 0-based [start, stop): the first tag / short string


def region_for(text: str, prefer: str | None = None) -> Region | None:
    """The region to look for in ``text``: ``prefer`` if it occurs and varies there, else the first of
    REGIONS that does; None when none does (no tag, no string literal)."""
    names = [prefer] if prefer in REGIONS else []
    for name in [*names, *REGIONS]:
        mask_of, pattern = REGIONS[name]
        found = pattern.search(text)
        if found is None:
            continue
        mask = mask_of(text)
        if 0 < mask.sum() < len(mask):
            return Region(name, mask, (found.start(), min(found.end(), found.start() + MAX_SPAN)))
    return None
