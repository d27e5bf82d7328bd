"""Subject-verb agreement across a distractor clause: "the cat which already ate the mice ... was".

A sentence is "the", a subject noun (singular or plural), then a distractor clause of ``length``
words (a relative or prepositional clause, prepositional phrases, adverbs) whose nouns have the
opposite number with probability ``attractors``; it ends where the main verb would come. The label,
read at the last step, is the number of that verb: 0 = singular (was / is), 1 = plural (were / are).
The verb's tense is the template's (a past clause verb -> was/were, else is/are) and is not part of
the label. Only the subject's number matters, so a model must carry it across the clause; the
nearest noun is no help when ``attractors`` is 0.5 (it agrees half the time).

>>> task = Agreement(min_length=4, max_length=7, seed=0)
>>> task.labels
('singular', 'plural')
>>> b = task.batch(2, torch.Generator().manual_seed(0))
>>> b.x.shape, b.y.tolist()
(torch.Size([2, 7]), [0, 0])
>>> print(task.describe(b, row=0))
the farmer that can like the birds -> is (singular)
>>> parse("the cat which already ate the mice".split()).clause_numbers
(1,)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import torch

from rnnviz.errors import InputError
from rnnviz.tasks.base import PAD, Batch, Rng, Task, Vocab, check_int, check_seed, check_text, pad_rows

LABELS = ("singular", "plural")  # the class of the verb: its number
NOUNS = (
    ("cat", "cats"), ("dog", "dogs"), ("boy", "boys"), ("girl", "girls"), ("teacher", "teachers"),
    ("bird", "birds"), ("child", "children"), ("man", "men"), ("mouse", "mice"), ("farmer", "farmers"),
)  # fmt: skip
PAST = ("ate", "saw", "chased", "fed", "liked", "met")  # the same for either number
BASE = ("see", "chase", "feed", "like", "meet")  # after a modal: the same for either number
MODALS = ("can", "will")
PREPS = ("near", "with", "behind", "beside")
ADVERBS = ("already", "often", "again", "quietly")
VERBS = {"past": ("was", "were"), "present": ("is", "are")}  # the main verb: (singular, plural)
# the clause templates: words between the subject and the verb ("N" = a noun of chosen number)
TEMPLATES = (
    ("which", "already", "PAST", "the", "N"),  # subject relative, past: ... was / were
    ("that", "the", "N", "PAST"),  # object relative, past
    ("that", "MODAL", "BASE", "the", "N"),  # subject relative with a modal: ... is / are
    ("near", "the", "N"),  # prepositional: ... is / are
)
MIN_LENGTH, MAX_LENGTH = 3, 60  # words of the distractor clause
VERB_WORDS = frozenset(w for pair in VERBS.values() for w in pair)
NUMBER = {w: k for pair in NOUNS for k, w in enumerate(pair)}  # noun -> 0 singular, 1 plural
VOCAB = (
    PAD, "the", *(w for pair in NOUNS for w in pair), *PAST, *BASE, *MODALS, "which", "that", *PREPS, *ADVERBS
)  # fmt: skip
_VOCAB = Vocab(VOCAB, unit="word", casefold=True)


def words_hint() -> str:
    """The task's words for a text box's help: the nouns in pairs, then the rest."""
    nouns = ", ".join("/".join(pair) for pair in NOUNS)
    rest = ", ".join(w for w in VOCAB if w not in (PAD, "the") and w not in NUMBER)
    return f"Start with 'the' and a noun ({nouns}); then any of: {rest}. Leave out the verb."


@dataclasses.dataclass(frozen=True)
class Parsed:
    """What a sentence of this task says: where its subject is, the numbers, the verb it needs."""

    subject: int | None  # 0-based position of the subject (the first noun), None when there is none
    number: int | None  # the subject's number: 0 singular, 1 plural
    clause_numbers: tuple[int, ...]  # numbers of the nouns after the subject, in order
    tense: str  # "past" when the clause has a past verb (was / were), else "present" (is / are)

    @property
    def verb(self) -> str | None:
        """The verb the sentence needs, e.g. "were"; None without a subject."""
        return None if self.number is None else VERBS[self.tense][self.number]

    @property
    def attractors(self) -> int:
        """Nouns of the clause whose number differs from the subject's."""
        return sum(k != self.number for k in self.clause_numbers)


def parse(words: Sequence[str]) -> Parsed:
    """Subject, numbers and tense of any sentence of the task's words (PAD ignored)."""
    words = [w.lower() for w in words if w != PAD]
    nouns = [(i, NUMBER[w]) for i, w in enumerate(words) if w in NUMBER]
    tense = "past" if any(w in PAST for w in words) else "present"
    if not nouns:
        return Parsed(None, None, (), tense)
    (where, number), rest = nouns[0], nouns[1:]
    return Parsed(where, number, tuple(k for _, k in rest), tense)


def clause(rng: Rng, length: int, subject: int, attractors: float) -> list[str]:
    """A distractor clause of exactly ``length`` words: a template that fits, adverbs, then
    prepositional phrases "near the N" (3 words each); each noun opposite to ``subject`` with
    probability ``attractors``."""
    fits = [t for t in TEMPLATES if len(t) <= length]
    template = rng.pick(fits)
    extra = length - len(template)
    n_phrases, n_adverbs = extra // 3, extra % 3
    adverbs = [a for a in ADVERBS if a not in template]
    words = list(template)
    for _ in range(n_adverbs):  # distinct adverbs: "often again", never "often often"
        words.append(adverbs.pop(rng.below(len(adverbs))))
    for _ in range(n_phrases):
        words += [rng.pick(PREPS), "the", "N"]
    out = []
    for w in words:
        if w == "N":
            number = 1 - subject if rng.chance(attractors) else subject
            w = rng.pick(NOUNS)[number]
        else:
            w = {"PAST": PAST, "BASE": BASE, "MODAL": MODALS}.get(w, (w,))
            w = rng.pick(w)
        out.append(w)
    return out


@dataclasses.dataclass(frozen=True)
class Agreement(Task):
    """Many-to-one: the number of the verb after "the <subject> <clause>"."""

    min_length: int = 4  # fewest words in the distractor clause
    max_length: int = 12  # most words; each sentence draws its length uniformly in between
    attractors: float = 0.5  # chance that a noun of the clause has the subject's opposite number
    seed: int = 0  # seeds example() and the default generator

    name = "agreement"
    input_kind = "tokens"
    head = "many_to_one"
    loss_kind = "ce"
    labels = LABELS
    output_size = 2
    vocab = VOCAB

    def __post_init__(self):
        check_int("min_length", self.min_length, MIN_LENGTH, MAX_LENGTH, " (words of the distractor clause)")
        check_int("max_length", self.max_length, self.min_length, MAX_LENGTH, " (and at least min_length)")
        if isinstance(self.attractors, bool) or not isinstance(self.attractors, int | float):
            raise InputError(f"attractors is a chance from 0 to 1, not {self.attractors!r}")
        if not 0 <= self.attractors <= 1:
            raise InputError(f"attractors is a chance from 0 to 1, not {self.attractors}")
        check_seed(self.seed)

    @property
    def input_size(self) -> int:
        return len(VOCAB)

    @property
    def chance(self) -> float:
        return 0.5

    def with_length(self, length: int) -> Agreement:
        """The same task with every clause exactly ``length`` words (accuracy against length)."""
        return dataclasses.replace(self, min_length=length, max_length=length)

    @functools.cached_property
    def _noun_ids(self) -> dict[int, int]:
        return {_VOCAB.index[w]: k for w, k in NUMBER.items()}

    def encode(self, text: str) -> torch.Tensor:
        """Word ids of a sentence without its verb, e.g. "the cats near the dog"."""
        check_text("sentence", text)
        words = text.replace(",", " ").replace(".", " ").split()
        if not words:
            raise InputError('the sentence is empty: type one such as "the cats near the dog"')
        verbs = [w for w in words if w.lower() in VERB_WORDS]
        if verbs:
            raise InputError(
                f"leave out the verb {verbs[0]!r}: the model predicts it (type the words before it, "
                'such as "the cats near the dog")'
            )
        return _VOCAB.encode(words, hint="use words of the task, e.g. " + ", ".join(VOCAB[1:13]))

    def decode(self, ids) -> str:
        return " ".join(_VOCAB.decode(ids))

    def sentence(self, rng: Rng) -> tuple[list[str], int]:
        """One sentence (words, without the verb) and its label, drawn from ``rng``."""
        subject = rng.below(2)
        length = self.min_length + rng.below(self.max_length - self.min_length + 1)
        words = ["the", rng.pick(NOUNS)[subject], *clause(rng, length, subject, self.attractors)]
        return words, subject

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x (B, T) int64 left-padded with PAD, T = 2 + the longest clause; y (B,) int64; mask None.
        ``split`` makes no difference: every batch is fresh sentences."""
        g = self._start_batch(batch_size, generator, split)
        rng = Rng.from_generator(g)
        rows = [self.sentence(rng) for _ in range(batch_size)]
        x, _ = pad_rows([[_VOCAB.index[w] for w in words] for words, _ in rows], 0, left=True)
        return Batch(x, torch.tensor([k for _, k in rows], dtype=torch.int64), None)

    def parse_ids(self, ids) -> Parsed:
        return parse(_VOCAB.decode(ids))

    def describe(self, batch: Batch, row: int = 0) -> str:
        words = self.decode(batch.x[row])
        number = int(batch.y[row])
        return f"{words} -> {VERBS[parse(words.split()).tense][number]} ({LABELS[number]})"
