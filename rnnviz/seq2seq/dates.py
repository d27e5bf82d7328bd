"""Dates written in words -> digits: a toy translation task whose alignment you can see.

Each source is a date phrase, read as words or as characters; each target is the date
written in characters::

    >>> task = DateTask(min_words=2, max_words=10, tokens="words")
    >>> task.parse("monday the twenty first of march two thousand five")
    '21-03-2005'
    >>> task.encode("twenty one march")          # x: word ids, (T,) int64
    tensor([70, 40, 28])
    >>> task.encode_target("21-03")              # y: '2' '1' '-' '0' '3' <eos>
    tensor([ 5,  4, 13,  3,  6,  2])
    >>> DateTask(tokens="chars").encode("one may")   # one id per character, spaces included
    tensor([15, 14,  6,  1, 13,  2, 24])

Grammar (optional parts in brackets): ``[weekday] [the] DAY [of] MONTH [YEAR]``, DAY in
cardinal ("twenty one") or ordinal ("twenty first") words, YEAR from 1900 to 2099
("nineteen oh five", "two thousand twenty one"). Inputs take 2 to 10 words; a batch draws
the length uniformly from ``[min_words, max_words]``, so longer ranges ask more of a plain
encoder-decoder. The weekday is the true one when a year is written, a random one otherwise:
it never changes the target, it is only there to be ignored.

Target ids: ``<pad>`` 0, ``<sos>`` 1, ``<eos>`` 2, then ``0-9`` and ``-``. ``y`` ends with
``<eos>``; ``y_mask`` marks real target positions (padding after ``<eos>`` is False).
"""

from __future__ import annotations

import calendar
import datetime
import difflib
import random
from dataclasses import dataclass
from functools import cached_property

import torch

from rnnviz.errors import InputError
from rnnviz.seq2seq.tokens import EOS, PAD, SPECIALS, decode_ids
from rnnviz.tasks.base import quote

TARGET_CHARS = "0123456789-"
TGT_VOCAB = (*SPECIALS, *TARGET_CHARS)
MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
WEEKDAYS = tuple(d.lower() for d in calendar.day_name)
ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen")
TEENS = (*TEENS, "nineteen")
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
ORD_ONES = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
ORD_TEENS = ("tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth")
ORD_TEENS = (*ORD_TEENS, "seventeenth", "eighteenth", "nineteenth")
LONGEST = 10  # weekday + the + 2 day words + of + month + 4 year words
SHORTEST = 2  # "first march"
MAX_TYPED_WORDS = 16
NAMED_UNKNOWN = 5  # unknown words an error message names (the rest are counted)


def cardinal(n: int) -> tuple[str, ...]:
    """1..99 in words: ``cardinal(21) == ("twenty", "one")``."""
    if n < 10:
        return (ONES[n - 1],)
    if n < 20:
        return (TEENS[n - 10],)
    tens, ones = divmod(n, 10)
    return (TENS[tens - 2],) if ones == 0 else (TENS[tens - 2], ONES[ones - 1])


def ordinal(n: int) -> tuple[str, ...]:
    """1..31 in ordinal words: ``ordinal(21) == ("twenty", "first")``, ``ordinal(30) == ("thirtieth",)``."""
    if n < 10:
        return (ORD_ONES[n - 1],)
    if n < 20:
        return (ORD_TEENS[n - 10],)
    tens, ones = divmod(n, 10)
    if ones == 0:
        return (("twentieth", "thirtieth")[tens - 2],)
    return (TENS[tens - 2], ORD_ONES[ones - 1])


def year_words(y: int) -> tuple[str, ...]:
    """1900..2099: 1900 "nineteen hundred", 1905 "nineteen oh five", 2021 "two thousand twenty one"."""
    if 1900 <= y <= 1999:
        rest = y - 1900
        if rest == 0:
            return ("nineteen", "hundred")
        return ("nineteen", "oh", ONES[rest - 1]) if rest < 10 else ("nineteen", *cardinal(rest))
    if 2000 <= y <= 2099:
        return ("two", "thousand", *(cardinal(y - 2000) if y > 2000 else ()))
    raise InputError(f"years run from 1900 to 2099, not {y}")


# Every day and year phrase, by length: the sampler picks a length first, then a phrase of it.
DAY_PHRASES = {
    style: {d: f(d) for d in range(1, 32)} for style, f in (("cardinal", cardinal), ("ordinal", ordinal))
}
YEAR_PHRASES = {y: year_words(y) for y in range(1900, 2100)}
_DAY_LOOKUP = {words: d for phrases in DAY_PHRASES.values() for d, words in phrases.items()}
_YEAR_LOOKUP = {words: y for y, words in YEAR_PHRASES.items()}
WORDS = tuple(
    sorted({w for ws in (*_DAY_LOOKUP, *_YEAR_LOOKUP) for w in ws} | {*MONTHS, *WEEKDAYS, "the", "of"})
)
LONGEST_WORD = max(map(len, WORDS))  # a typed word far longer than this gets no spelling hint


def _days_in(month: int, year: int | None) -> int:
    return calendar.monthrange(2000 if year is None else year, month)[1]  # 2000 is a leap year


def _templates() -> dict[int, list[dict]]:
    """Every sentence shape by its word count: optional parts x day length x year length."""
    out: dict[int, list[dict]] = {}
    for weekday in (0, 1):
        for style in ("cardinal", "ordinal"):
            for the in (0, 1) if style == "ordinal" else (0,):
                for of in (0, 1) if style == "ordinal" else (0,):
                    for day_len in (1, 2):
                        for year_len in (0, 2, 3, 4):
                            n = weekday + the + day_len + of + 1 + year_len
                            shape = dict(weekday=weekday, style=style, the=the, of=of, day_len=day_len)
                            out.setdefault(n, []).append({**shape, "year_len": year_len})
    return out


SHAPES = _templates()
_YEARS_BY_LEN = {n: [y for y, ws in YEAR_PHRASES.items() if len(ws) == n] for n in (2, 3, 4)}
_DAYS_BY_LEN = {
    (style, n): [d for d, ws in DAY_PHRASES[style].items() if len(ws) == n]
    for style in DAY_PHRASES
    for n in (1, 2)
}


@dataclass(frozen=True)
class DateBatch:
    x: torch.Tensor  # (B, T) int64 source word ids, right-padded with 0
    x_mask: torch.Tensor  # (B, T) bool, True on real words (attention over padding is 0)
    y: torch.Tensor  # (B, S) int64 target char ids ending with <eos>, right-padded with 0
    y_mask: torch.Tensor  # (B, S) bool, True on real target positions (<eos> included)


@dataclass(frozen=True)
class DateTask:
    min_words: int = 2  # shortest source phrase, in words (2 = "first march")
    max_words: int = 10  # longest source phrase, in words (10 = weekday + the + day + of + month + year)
    tokens: str = "words"  # "words" (one input token per word) or "chars" (per character, spaces too)
    seed: int = 0  # seeds the fixed example and evaluation sets

    name = "dates"

    def __post_init__(self) -> None:
        if self.tokens not in ("words", "chars"):
            raise InputError(f"tokens must be 'words' or 'chars', not {self.tokens!r}")
        if not SHORTEST <= self.min_words <= self.max_words <= LONGEST:
            raise InputError(
                f"input lengths must satisfy {SHORTEST} <= shortest <= longest <= {LONGEST} words, "
                f"not {self.min_words}..{self.max_words}"
            )

    @cached_property
    def src_vocab(self) -> tuple[str, ...]:
        if self.tokens == "chars":
            return ("<pad>", " ", *sorted({ch for w in WORDS for ch in w}))
        return ("<pad>", *WORDS)

    def src_tokens(self, words) -> list[str]:
        """The input tokens of a phrase: its words, or its characters with single spaces."""
        return list(" ".join(words)) if self.tokens == "chars" else list(words)

    @property
    def tgt_vocab(self) -> tuple[str, ...]:
        return TGT_VOCAB

    @cached_property
    def _src_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.src_vocab)}

    @property
    def max_target_len(self) -> int:
        return len("dd-mm-yyyy") + 1  # + <eos>

    # --- sampling -------------------------------------------------------------------------
    def sample(self, rng: random.Random, length: int) -> tuple[tuple[str, ...], str]:
        """One (source words, target string) pair whose source has exactly ``length`` words."""
        shapes = SHAPES.get(length)
        if not shapes:
            raise InputError(f"no date phrase has {length} words: pick {SHORTEST} to {LONGEST}")
        s = rng.choice(shapes)
        year = None
        if s["year_len"]:
            year = rng.choice(_YEARS_BY_LEN[s["year_len"]])
        day = rng.choice(_DAYS_BY_LEN[s["style"], s["day_len"]])
        month = rng.choice([m for m in range(1, 13) if day <= _days_in(m, year)])
        words: list[str] = []
        if s["weekday"]:
            wd = datetime.date(year, month, day).weekday() if year else rng.randrange(7)
            words.append(WEEKDAYS[wd])
        words += ["the"] * s["the"] + list(DAY_PHRASES[s["style"]][day]) + ["of"] * s["of"]
        words += [MONTHS[month - 1], *(YEAR_PHRASES[year] if year else ())]
        target = f"{day:02d}-{month:02d}" + (f"-{year}" if year else "")
        return tuple(words), target

    def pairs(self, n: int, generator: torch.Generator, length: int | None = None) -> list:
        """``n`` (words, target) pairs; lengths uniform in the task's range unless ``length`` is given."""
        rng = random.Random(int(torch.randint(2**62, (1,), generator=generator)))
        lengths = [length or rng.randint(self.min_words, self.max_words) for _ in range(n)]
        return [self.sample(rng, n_words) for n_words in lengths]

    def collate(self, pairs: list) -> DateBatch:
        """Pad a list of (words, target) pairs into a batch (right padding, masks)."""
        sources = [[self._src_index[tok] for tok in self.src_tokens(ws)] for ws, _ in pairs]
        T = max(len(ids) for ids in sources)
        S = max(len(t) for _, t in pairs) + 1
        x = torch.zeros(len(pairs), T, dtype=torch.long)
        y = torch.zeros(len(pairs), S, dtype=torch.long)
        for b, (ids, (_, target)) in enumerate(zip(sources, pairs, strict=True)):
            x[b, : len(ids)] = torch.tensor(ids)
            y[b, : len(target) + 1] = self.encode_target(target)
        return DateBatch(x=x, x_mask=x != PAD, y=y, y_mask=y != PAD)

    def batch(self, batch_size: int, generator: torch.Generator, length: int | None = None) -> DateBatch:
        return self.collate(self.pairs(batch_size, generator, length))

    def examples(self, n: int = 6) -> list[tuple[str, str]]:
        """A fixed, seeded set of (source text, target) pairs to show the task."""
        g = torch.Generator().manual_seed(self.seed)
        return [(" ".join(ws), t) for ws, t in self.pairs(n, g)]

    # --- text <-> ids ---------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """Split typed text into known words, or raise InputError naming the unknown ones."""
        words = text.lower().replace(",", " ").replace("-", " ").split()
        if not words:
            raise InputError('type a date in words, e.g. "twenty one march two thousand five"')
        if len(words) > MAX_TYPED_WORDS:
            raise InputError(f"that is {len(words)} words: a date here takes at most {LONGEST}")
        unknown = list(dict.fromkeys(w for w in words if w not in WORDS))  # each once, in order
        if unknown:
            hints = []
            for w in unknown[:NAMED_UNKNOWN]:  # a message names a few, each cut (never a whole paste)
                hintable = len(w) <= 2 * LONGEST_WORD
                close = difflib.get_close_matches(w, WORDS, n=3, cutoff=0.6) if hintable else []
                hints.append(quote(w) + (f" (did you mean {' / '.join(close)}?)" if close else ""))
            more = f" and {len(unknown) - NAMED_UNKNOWN:,} more" if len(unknown) > NAMED_UNKNOWN else ""
            raise InputError(
                f"not in the task's vocabulary: {', '.join(hints)}{more}. "
                "The task knows weekdays, months, "
                "'the', 'of' and number words (one ... ninety, first ... thirtieth, oh, hundred, thousand)."
            )
        return words

    def encode(self, text: str) -> torch.Tensor:
        """Typed text -> (T,) int64 word ids (InputError for unknown words, with suggestions)."""
        return torch.tensor(
            [self._src_index[tok] for tok in self.src_tokens(self.words(text))], dtype=torch.long
        )

    def encode_target(self, target: str) -> torch.Tensor:
        """'21-03' -> (6,) int64 char ids ending with <eos>."""
        return torch.tensor([TGT_VOCAB.index(ch) for ch in target] + [EOS], dtype=torch.long)

    def decode(self, ids) -> str:
        """Target ids -> string, stopping at <eos> and skipping <pad>/<sos>."""
        return "".join(decode_ids(ids, TGT_VOCAB))

    def parse(self, text: str) -> str:
        """The correct target for a typed date phrase, or InputError if it is not one."""
        ws = self.words(text)
        if ws[0] in WEEKDAYS:
            ws = ws[1:]
        if ws[:1] == ["the"]:
            ws = ws[1:]
        n = next((n for n in (2, 1) if tuple(ws[:n]) in _DAY_LOOKUP), 0)
        if not n:
            raise InputError(
                f"'{text}' does not start with a day: try 'twenty one march' or 'the first of may'"
            )
        day, ws = _DAY_LOOKUP[tuple(ws[:n])], ws[n:]
        ws = ws[1:] if ws[:1] == ["of"] else ws
        if not ws or ws[0] not in MONTHS:
            raise InputError(f"'{text}' has no month after the day: try 'twenty one march'")
        month = MONTHS.index(ws[0]) + 1
        year = None
        if ws[1:]:
            year = _YEAR_LOOKUP.get(tuple(ws[1:]))
            if year is None:
                raise InputError(
                    f"'{' '.join(ws[1:])}' is not a year the task writes: 1900-2099, e.g. 'two thousand five'"
                )
        if day > _days_in(month, year):
            raise InputError(f"{MONTHS[month - 1]} has no day {day}{' in ' + str(year) if year else ''}")
        return f"{day:02d}-{month:02d}" + (f"-{year}" if year else "")
