"""Sentiment of short reviews with negation, intensifiers and "but" (many-to-one).

Rules the generator follows and :func:`label_of` reads back: a clause's polarity is its one
sentiment word's ("good", "hated", ...), flipped by "not" / "never" ("not bad at all" is
positive); intensifiers ("very", "really") change nothing; in "A but B" the label is B's.
Sentences are left-padded with PAD so the last step is the last word. Every word is ordinary
lowercase English, so pretrained word vectors (GloVe) cover them.

>>> task = Sentiment(n_val=50)
>>> b = task.batch(3, torch.Generator().manual_seed(5))
>>> b.x.shape, b.y.tolist()
(torch.Size([3, 13]), [1, 0, 0])
>>> b.x[2].tolist()  # left-padded: PAD is id 0
[0, 0, 0, 0, 0, 0, 34, 37, 14, 48, 38, 61, 59]
>>> print(task.describe(b, row=0))
i did not enjoy the show but i did not hate the movie -> positive
>>> label_of("the movie was not good"), label_of("not bad at all")
('negative', 'positive')
"""

from __future__ import annotations

import dataclasses
import functools

import torch

from rnnviz.tasks.base import PAD, Batch, Rng, Task, Vocab, check_int, check_seed, check_text, pad_rows

LABELS = ("negative", "positive")
SUBJECTS = (
    "movie", "film", "food", "service", "book", "hotel", "music", "show",
    "story", "game", "ending", "acting", "room", "plot",
)  # fmt: skip
POSITIVE = (
    "good", "great", "excellent", "wonderful", "nice", "fun", "amazing", "lovely",
    "fantastic", "enjoyable", "perfect", "brilliant",
)  # fmt: skip
NEGATIVE = (
    "bad", "terrible", "awful", "boring", "poor", "horrible", "dull", "disappointing",
    "mediocre", "weak", "annoying", "bland",
)  # fmt: skip
INTENSIFIERS = ("very", "really", "so", "extremely", "quite", "truly")
NEGATIONS = ("not", "never")
OPENERS = ("honestly", "overall", "frankly", "well")
VERBS = {"loved": 1, "liked": 1, "enjoyed": 1, "adored": 1, "hated": 0, "disliked": 0}  # past: polarity
BASE_VERBS = {"like": 1, "enjoy": 1, "love": 1, "hate": 0}  # after "did not"
POLARITY = {**dict.fromkeys(POSITIVE, 1), **dict.fromkeys(NEGATIVE, 0), **VERBS, **BASE_VERBS}
MAX_POOL = 20_000  # most sentences a fixed train or val pool may hold
GLUE = ("the", "was", "i", "did", "but", "at", "all")  # the remaining words of the templates
VOCAB = (PAD, *sorted({*GLUE, *SUBJECTS, *INTENSIFIERS, *OPENERS, *NEGATIONS, *POLARITY}))
_VOCAB = Vocab(VOCAB, unit="word", casefold=True)


def _pick_polar(rng: Rng, words: dict[str, int]) -> str:
    """A word of ``words`` whose polarity is drawn 50/50 first, so labels stay balanced."""
    polarity = rng.below(2)
    return rng.pick([w for w, p in words.items() if p == polarity])


def _clause(rng: Rng) -> tuple[list[str], int]:
    """One clause and its polarity (1 positive, 0 negative)."""
    subject = ["the", rng.pick(SUBJECTS)]
    form = rng.below(4)
    if form == 0:  # the film was (really) good
        adj = rng.pick(POSITIVE if rng.chance(0.5) else NEGATIVE)
        return [*subject, "was", *([rng.pick(INTENSIFIERS)] if rng.chance(0.4) else []), adj], POLARITY[adj]
    if form == 1:  # the film was not (very) good (at all) / the plot was never boring
        positive = rng.chance(0.5)
        adj = rng.pick(POSITIVE if positive else NEGATIVE)
        very = [rng.pick(INTENSIFIERS)] if positive and rng.chance(0.3) else []  # "not very bad" is unclear
        negation = rng.pick(NEGATIONS)
        at_all = ["at", "all"] if negation == "not" and rng.chance(0.3) else []
        return [*subject, "was", negation, *very, adj, *at_all], 1 - POLARITY[adj]
    if form == 2:  # i (really) loved the film
        verb = _pick_polar(rng, VERBS)
        return ["i", *(["really"] if rng.chance(0.3) else []), verb, *subject], VERBS[verb]
    verb = _pick_polar(rng, BASE_VERBS)
    return ["i", "did", "not", verb, *subject], 1 - BASE_VERBS[verb]  # i did not enjoy the film


def sentence(rng: Rng) -> tuple[str, str]:
    """One review and its label: a clause, "A but B", or a fragment like "not bad at all"."""
    form = rng.below(10)
    if form < 5:
        words, pol = _clause(rng)
        if rng.chance(0.3):
            words = [rng.pick(OPENERS), *words]
    elif form < 8:  # the label is the second clause's
        first, _ = _clause(rng)
        second, pol = _clause(rng)
        words = [*first, "but", *second]
    else:  # really good / not bad at all
        adj = rng.pick(POSITIVE if rng.chance(0.5) else NEGATIVE)
        if rng.chance(0.5):
            words, pol = [rng.pick(INTENSIFIERS), adj], POLARITY[adj]
        else:
            words, pol = ["not", adj, *(["at", "all"] if rng.chance(0.5) else [])], 1 - POLARITY[adj]
    return " ".join(words), LABELS[pol]


def label_of(text: str) -> str | None:
    """The label the rules give ``text`` (the last "but" clause decides; a negation flips), or None
    when that clause has no sentiment word. Reads any typed sentence, not only generated ones."""
    words = text.lower().replace(",", " ").replace(".", " ").split()
    if "but" in words:
        words = words[len(words) - words[::-1].index("but") :]
    polar = [POLARITY[w] for w in words if w in POLARITY]
    if not polar:
        return None
    flipped = any(w in NEGATIONS for w in words)
    return LABELS[polar[-1] ^ flipped]


@dataclasses.dataclass(frozen=True)
class Sentiment(Task):
    """Positive or negative review; optional fixed training pool, always a fixed held-out pool."""

    n_train: int = 0  # 0: fresh sentences every batch; > 0: batches draw from this many fixed ones
    n_val: int = 200  # fixed held-out sentences (split="val"), never drawn for training
    seed: int = 0  # seeds the fixed pools, example() and the default generator

    name = "sentiment"
    input_kind = "tokens"
    head = "many_to_one"
    loss_kind = "ce"
    labels = LABELS
    output_size = 2

    def __post_init__(self):
        check_int("n_train", self.n_train, 0, MAX_POOL, " (0 means fresh sentences every batch)")
        check_int("n_val", self.n_val, 1, MAX_POOL)
        check_seed(self.seed)

    @property
    def vocab(self) -> tuple[str, ...]:
        return VOCAB

    @property
    def input_size(self) -> int:
        return len(VOCAB)

    def encode(self, text: str) -> torch.Tensor:
        """Word ids of a sentence, e.g. "the movie was not good"."""
        check_text("text to encode", text)
        return _VOCAB.encode(text.replace(",", " ").replace(".", " ").split())

    def decode(self, ids) -> str:
        return " ".join(_VOCAB.decode(ids))

    def sentences(self, n: int, generator: torch.Generator | None = None) -> list[tuple[str, str]]:
        """``n`` fresh (text, label) pairs; repeats and held-out sentences are possible."""
        check_int("n", n, 1, MAX_POOL)
        rng = Rng.from_generator(generator if generator is not None else self.generator())
        return [sentence(rng) for _ in range(n)]

    @functools.cached_property
    def fixed_split(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(train, val) lists of distinct (text, label) pairs drawn from ``seed``; no sentence is in
        both. train is empty when ``n_train`` is 0 (training then draws fresh sentences)."""
        rng = Rng(self.seed)
        seen: set[str] = set()
        pools: list[list[tuple[str, str]]] = [[], []]
        for pool, size in ((pools[1], self.n_val), (pools[0], self.n_train)):
            while len(pool) < size:
                text, label = sentence(rng)
                if text not in seen:
                    seen.add(text)
                    pool.append((text, label))
        return pools[0], pools[1]

    @functools.cached_property
    def _val_texts(self) -> frozenset[str]:
        return frozenset(text for text, _ in self.fixed_split[1])

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x (B, T) int64 left-padded with PAD to the longest sentence, y (B,) int64; mask None."""
        g = self._start_batch(batch_size, generator, split)
        train, val = self.fixed_split
        pool = val if split == "val" else train
        if pool:
            picks = torch.randint(0, len(pool), (batch_size,), generator=g).tolist()
            pairs = [pool[i] for i in picks]
        else:  # fresh sentences, never one of the held-out ones
            rng, pairs = Rng.from_generator(g), []
            while len(pairs) < batch_size:
                text, label = sentence(rng)
                if text not in self._val_texts:
                    pairs.append((text, label))
        x, _ = pad_rows([[_VOCAB.index[w] for w in t.split()] for t, _ in pairs], _VOCAB.pad_id, left=True)
        y = torch.tensor([LABELS.index(label) for _, label in pairs], dtype=torch.int64)
        return Batch(x, y, None)

    def describe(self, batch: Batch, row: int = 0) -> str:
        return f"{self.decode(batch.x[row])} -> {LABELS[int(batch.y[row])]}"
