"""A generated nested-markup corpus: one element per line, tags closed in order.

A small LSTM trained on it learns to close tags in the right order; :func:`tag_depth` gives the
nesting depth after each character, to find the hidden unit that counts it.

>>> print(markup(4, max_depth=3, seed=1), end="")
<em>run</em>
<i>dog</i>
<u><a>hi</a></u>
<i>big</i>
>>> is_well_formed("<b><i>x</i></b>"), is_well_formed("<b><i>x</b></i>")
(True, False)
>>> tag_depth("<b><i>x</i></b>").tolist()
[0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0]
"""

from __future__ import annotations

import re

import numpy as np

from rnnviz.errors import InputError
from rnnviz.tasks.base import MAX_TEXT_CHARS, Rng, check_int, check_seed

TAGS = ("a", "b", "i", "p", "u", "em")  # default tag names
WORDS = ("hi", "ok", "yes", "no", "cat", "dog", "sun", "red", "big", "run", "top", "sky")  # text inside
MAX_DEPTH = 10  # deepest nesting markup() will generate
MAX_LINES = 200_000  # most lines markup() will generate

_TAG_OR_BRACKET = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)>|[<>]")
_TAG_OR_NEWLINE = re.compile(r"<(/?)[A-Za-z][A-Za-z0-9]*>|\n")
_NAME = re.compile(r"[a-z][a-z0-9]*")


def markup(n_lines: int = 3000, max_depth: int = 4, tags: tuple[str, ...] = TAGS, seed: int = 0) -> str:
    """``n_lines`` lines, each one element nested 1..``max_depth`` deep (uniformly), ending in "\\n".

    An element holds either a short word or one child element, sometimes with a word or a
    one-word sibling element beside it; a child never repeats its parent's tag.
    """
    check_int("n_lines", n_lines, 1, MAX_LINES)
    check_int("max_depth", max_depth, 1, MAX_DEPTH)
    check_seed(seed)
    tags = tuple(tags)
    bad = [t for t in tags if not isinstance(t, str) or not _NAME.fullmatch(t)]
    if bad:
        raise InputError(
            f"tag names must be lowercase letters and digits starting with a letter, not {bad[0]!r}"
        )
    if len(set(tags)) < 2:
        raise InputError("give at least 2 different tag names, so a child can differ from its parent")
    rng = Rng(seed)
    lines = [_element(rng, 1 + rng.below(max_depth), tags, parent="") for _ in range(n_lines)]
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"{n_lines:,} lines make more than {MAX_TEXT_CHARS:,} characters: ask for fewer lines"
        )
    return text


def _element(rng: Rng, depth: int, tags: tuple[str, ...], parent: str) -> str:
    """One element exactly ``depth`` levels deep."""
    tag = rng.pick([t for t in tags if t != parent])
    if depth == 1:
        inner = rng.pick(WORDS)
    else:
        inner = _element(rng, depth - 1, tags, parent=tag)
        if rng.chance(0.2):
            inner = f"{rng.pick(WORDS)} {inner}"
        if rng.chance(0.2):
            inner = f"{inner} {rng.pick(WORDS)}"
        elif rng.chance(0.2):
            inner = f"{inner}{_element(rng, 1, tags, parent=tag)}"
    return f"<{tag}>{inner}</{tag}>"


def is_well_formed(line: str) -> bool:
    """True when ``line`` has at least one tag, every tag is closed in order (last opened, first
    closed) and no '<' or '>' stands outside a tag."""
    stack: list[str] = []
    seen = False
    for m in _TAG_OR_BRACKET.finditer(line):
        if m.group(2) is None:  # a stray bracket
            return False
        seen = True
        if not m.group(1):
            stack.append(m.group(2))
        elif not stack or stack.pop() != m.group(2):
            return False
    return seen and not stack


def tag_depth(text: str) -> np.ndarray:
    """(len(text),) int64: how many elements are open after reading each character.

    The depth changes on the '>' that completes a tag; a newline resets it to 0 (one element per
    line); a stray closing tag never makes it negative. Works on any text, broken or not.
    """
    depth = np.zeros(len(text), dtype=np.int64)
    d, last = 0, 0
    for m in _TAG_OR_NEWLINE.finditer(text):
        pos = m.end() - 1  # the '>' or the newline
        depth[last:pos] = d
        if m.group() == "\n":
            d = 0
        elif m.group(1):
            d = max(d - 1, 0)
        else:
            d += 1
        depth[pos] = d
        last = pos + 1
    depth[last:] = d
    return depth
