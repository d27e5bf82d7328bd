"""Texts to train character models on: built-in corpora and uploaded files.

``BUILTIN_TEXTS`` maps a display name to a callable returning the text (keywords optional):

>>> sorted(BUILTIN_TEXTS)
['Nested markup', 'Python standard library']
>>> BUILTIN_TEXTS["Nested markup"](n_lines=2, seed=3)
'<p>cat</p>\\n<p><a><b>top</b></a></p>\\n'
>>> decode_upload(b"\\xef\\xbb\\xbfline one\\r\\nline two\\r")
'line one\\nline two\\n'

Per-character facts for probing hidden units live beside the texts they describe:
``tag_depth`` and ``is_well_formed`` (markup), ``string_mask`` and ``indent_level`` (Python).
"""

from __future__ import annotations

import re
import sysconfig
from pathlib import Path

from rnnviz.errors import InputError
from rnnviz.tasks.base import MAX_TEXT_CHARS, check_int
from rnnviz.tasks.markup import is_well_formed, markup, tag_depth
from rnnviz.tasks.pysource import indent_level, string_mask

__all__ = [
    "BUILTIN_TEXTS",
    "STDLIB_FILES",
    "decode_upload",
    "indent_level",
    "is_well_formed",
    "markup",
    "stdlib_source",
    "string_mask",
    "tag_depth",
]

_NON_ASCII_LINE = re.compile(r"^.*[^\n -~].*\n?", re.M)  # a line with a char outside printable ASCII

# Pure-Python standard library modules present in every CPython 3.9+, in reading order.
STDLIB_FILES = (
    "textwrap.py",
    "string.py",
    "json/__init__.py",
    "json/decoder.py",
    "json/encoder.py",
    "glob.py",
    "fnmatch.py",
    "heapq.py",
    "bisect.py",
    "colorsys.py",
    "operator.py",
    "queue.py",
    "keyword.py",
    "copy.py",
    "contextlib.py",
    "functools.py",
    "dataclasses.py",
    "csv.py",
    "difflib.py",
    "pprint.py",
    "random.py",
    "calendar.py",
    "argparse.py",
)


def stdlib_source(
    max_chars: int = 300_000, files: tuple[str, ...] = STDLIB_FILES, ascii_only: bool = True
) -> str:
    """Source of ``files`` from the running interpreter's standard library, concatenated in order
    (blank line between files) and cut at the last newline before ``max_chars``.

    ``ascii_only`` drops the few lines with other characters (an author's name in a comment),
    which keeps the vocabulary to ~95 characters. Deterministic for a given Python version (the
    files change between versions); files missing on this server are skipped.
    """
    check_int("max_chars", max_chars, 1, MAX_TEXT_CHARS)
    root = Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for name in files:
        path = root / name
        if not path.is_file():
            continue
        source = path.read_text(encoding="utf-8")
        parts.append(_NON_ASCII_LINE.sub("", source) if ascii_only else source)
        total += len(parts[-1]) + 1
        if total >= max_chars:
            break
    if not parts:
        raise InputError("this server has no Python standard library source to read: upload a text instead")
    text = "\n".join(parts)[:max_chars]
    cut = text.rfind("\n")
    return text[: cut + 1] if cut > 0 else text


def decode_upload(data: bytes) -> str:
    """An uploaded file as text: UTF-8 (a leading BOM removed), newlines as "\\n", size checked;
    UTF-16 (recognised by its byte-order mark) and other encodings are refused with a message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"upload must be bytes, not {type(data).__name__}")
    if len(data) == 0:
        raise InputError("the file is empty: upload a text file with at least a few sentences")
    if len(data) > 4 * MAX_TEXT_CHARS:  # no UTF-8 character is longer than 4 bytes
        raise InputError(f"the file is {len(data):,} bytes; the most is {MAX_TEXT_CHARS:,} characters")
    data = bytes(data)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # what Windows' Notepad calls "Unicode"
        raise InputError(
            "the file is UTF-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8 "
            "(e.g. 'Save as... > UTF-8' in your editor) and upload it again"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"the file is not UTF-8 text (byte 0x{data[err.start]:02x} at position {err.start:,}): "
            "save it as UTF-8 plain text (e.g. 'Save as... > UTF-8' in your editor) and upload it again"
        ) from None
    if "\x00" in text:
        raise InputError("the file contains NUL bytes, so it is not plain text: upload a .txt or source file")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise InputError("the file is empty: upload a text file with at least a few sentences")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"the file has {len(text):,} characters; the most is {MAX_TEXT_CHARS:,}: "
            "upload a shorter part of it"
        )
    return text


BUILTIN_TEXTS = {
    "Python standard library": stdlib_source,  # real code: indentation, strings, brackets
    "Nested markup": markup,  # one element per line: tags to close in order
}
