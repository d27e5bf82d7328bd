"""A user-style structured text for lesson 3's overfitting checks: a stock list, one record a line.

Each line is ``YYYY-MM-DD fruit quantity status``: a date of 2024, one of 8 fruit names, a quantity
from 1 to 99 and one of 3 statuses. The format is strict and easy to learn; the values are drawn
at random, so what a model could learn by heart of the training lines does not help on the held-out
lines (the page's overfitting warning is meant to catch exactly that).

>>> records_text(60, seed=0)
'2024-11-18 melon 27 ok\\n2024-01-03 apple 18 lost\\n2024-08-26 melon 61 lost\\n'
>>> is_record_line("2024-11-22 lemon 24 late"), is_record_line("2024-13-22 lemon 24 late")
(True, False)
"""

from __future__ import annotations

import re

import numpy as np

FRUIT = ("apple", "kiwi", "lemon", "mango", "melon", "peach", "pear", "plum")
STATUS = ("ok", "late", "lost")
_LINE = re.compile(
    r"2024-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]) ("
    + "|".join(FRUIT)
    + r") ([1-9][0-9]?) ("
    + "|".join(STATUS)
    + ")"
)


def records_text(n_chars: int, seed: int = 0) -> str:
    """Whole lines of records, at least ``n_chars`` characters in all."""
    rng = np.random.default_rng(seed)
    lines, size = [], 0
    while size < n_chars:
        month, day = rng.integers(1, 13), rng.integers(1, 29)
        fruit, qty, status = FRUIT[rng.integers(len(FRUIT))], rng.integers(1, 100), STATUS[rng.integers(3)]
        line = f"2024-{month:02d}-{day:02d} {fruit} {qty} {status}\n"
        lines.append(line)
        size += len(line)
    return "".join(lines)


def is_record_line(line: str) -> bool:
    """The format's own rule: a valid date of 2024 (days 1-28), a known fruit, 1-99, a known status."""
    return _LINE.fullmatch(line) is not None
