"""Per-character facts about Python source, to look for hidden units that track them.

>>> src = 'def f(x):\\n    return "a#b"  # c\\n'
>>> "".join("s" if m else "." for m in string_mask(src))
'.....................sssss......'
>>> indent_level(src).tolist()
[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

import re

import numpy as np

# A string literal (triple or single quoted, escapes honoured) or a comment. Unterminated
# literals end at the end of the text (triple) or of the line (single), so cut-off samples work.
_LITERAL_OR_COMMENT = re.compile(
    r"""
      \#[^\n]*
    | '''(?:\\.|[^\\])*?(?:'''|\Z)
    | \"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)
    | '(?:\\.|[^\\'\n])*(?:'|(?=\n)|\Z)
    | "(?:\\.|[^\\"\n])*(?:"|(?=\n)|\Z)
    """,
    re.S | re.X,
)


def string_mask(text: str) -> np.ndarray:
    """(len(text),) bool: True for characters inside a string literal, quotes included.

    A lexical scan, not a parse: prefixes (r, b, f) are left out and an f-string's {fields}
    count as string. Quotes inside comments start nothing.
    """
    mask = np.zeros(len(text), dtype=bool)
    for m in _LITERAL_OR_COMMENT.finditer(text):
        if m.group()[0] != "#":
            mask[m.start() : m.end()] = True
    return mask


def indent_level(text: str, width: int = 4) -> np.ndarray:
    """(len(text),) int64: indentation of each character's line, in steps of ``width`` spaces.

    A tab advances to the next multiple of 8 columns, as Python reads it; the newline belongs
    to the line it ends.
    """
    levels = np.zeros(len(text), dtype=np.int64)
    start = 0
    for line in text.splitlines(keepends=True):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        columns = len(lead.expandtabs(8))
        levels[start : start + len(line)] = columns // width
        start += len(line)
    return levels
