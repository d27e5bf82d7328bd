"""Part-of-speech tagging of sentences from a small generated grammar (many-to-many).

Some words take two tags ("we fish" / "we eat fish", "a fast boat" / "they run fast"), so the
right tag depends on the neighbours: a forward RNN sees only the left ones, a bidirectional one
both. Sentences are right-padded with PAD; ``mask`` marks the real words.

>>> task = Tagging()
>>> b = task.batch(2, torch.Generator().manual_seed(3))
>>> b.x.tolist()
[[31, 17, 32, 18, 0, 0, 0, 0, 0], [60, 14, 8, 68, 29, 8, 32, 39, 19]]
>>> b.mask.int().tolist()
[[1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]]
>>> print(task.describe(b, row=1).replace(" ", "\\n"))
some/Determiner
cats/Noun
book/Verb
this/Determiner
green/Adjective
book/Noun
in/Preposition
my/Determiner
dog/Noun
"""

from __future__ import annotations

import dataclasses
import functools

import torch

from rnnviz.errors import InputError
from rnnviz.tasks.base import PAD, Batch, Rng, Task, Vocab, check_seed, check_text, pad_rows

TAGS = ("Pronoun", "Determiner", "Adjective", "Noun", "Verb", "Adverb", "Preposition")

# The lexicon: word lists by grammatical role; the tag of each role is in ROLE_TAG.
LEXICON = {
    "pron_subj": ("i", "you", "we", "they"),
    "pron_obj": ("me", "you", "us", "them", "it"),
    "det_sg": ("the", "a", "this", "my", "our", "every"),
    "det_pl": ("the", "some", "my", "our", "these"),
    "adj": ("big", "small", "old", "red", "happy", "quiet", "fast", "light", "cold", "green"),
    "noun_sg": (
        "dog",
        "cat",
        "book",
        "watch",
        "park",
        "river",
        "boat",
        "song",
        "cook",
        "light",
        "game",
        "play",
    ),
    "noun_pl": ("dogs", "cats", "birds", "books", "children", "friends", "fish", "cooks", "games", "boats"),
    "noun_mass": ("cake", "fish", "music", "water", "bread", "rice", "tea"),
    "verb_tr": (
        "like",
        "eat",
        "watch",
        "see",
        "love",
        "cook",
        "read",
        "play",
        "find",
        "need",
        "book",
        "catch",
    ),
    "verb_intr": ("fish", "run", "swim", "sleep", "play", "walk", "read", "cook", "work", "sing"),
    "adv": ("quickly", "slowly", "well", "fast", "often", "today", "together", "quietly"),
    "prep": ("in", "near", "with", "like", "under", "after", "behind"),
}
ROLE_TAG = {
    "pron_subj": "Pronoun",
    "pron_obj": "Pronoun",
    "det_sg": "Determiner",
    "det_pl": "Determiner",
    "adj": "Adjective",
    "noun_sg": "Noun",
    "noun_pl": "Noun",
    "noun_mass": "Noun",
    "verb_tr": "Verb",
    "verb_intr": "Verb",
    "adv": "Adverb",
    "prep": "Preposition",
}


def word_tags() -> dict[str, set[str]]:
    """Every tag each word of the lexicon can take."""
    tags: dict[str, set[str]] = {}
    for role, words in LEXICON.items():
        for w in words:
            tags.setdefault(w, set()).add(ROLE_TAG[role])
    return tags


AMBIGUOUS = frozenset(w for w, t in word_tags().items() if len(t) > 1)  # fish, watch, like, light, ...


@dataclasses.dataclass(frozen=True)
class Tagging(Task):
    """Tag every word of a generated sentence: Pronoun, Determiner, Adjective, Noun, Verb, ..."""

    ambiguous: bool = True  # include words with two tags (fish, watch, like, light, fast, ...)
    seed: int = 0  # seeds example() and the default generator

    name = "tagging"
    input_kind = "tokens"
    head = "many_to_many"
    loss_kind = "ce"
    labels = TAGS
    output_size = len(TAGS)

    def __post_init__(self):
        if not isinstance(self.ambiguous, bool):
            raise InputError(f"ambiguous must be True or False, not {self.ambiguous!r}")
        check_seed(self.seed)

    @functools.cached_property
    def lexicon(self) -> dict[str, tuple[str, ...]]:
        keep = (lambda w: True) if self.ambiguous else (lambda w: w not in AMBIGUOUS)
        return {role: tuple(w for w in words if keep(w)) for role, words in LEXICON.items()}

    @functools.cached_property
    def vocab(self) -> tuple[str, ...]:
        return (PAD, *sorted({w for words in self.lexicon.values() for w in words}))

    @property
    def input_size(self) -> int:
        return len(self.vocab)

    @functools.cached_property
    def _vocab(self) -> Vocab:
        return Vocab(self.vocab, unit="word", casefold=True)

    def encode(self, text: str) -> torch.Tensor:
        """Word ids of a space-separated sentence, e.g. "we fish in the river"."""
        check_text("text to encode", text)
        return self._vocab.encode(text.replace(".", " ").split())

    def decode(self, ids) -> str:
        return " ".join(self._vocab.decode(ids))

    def sentence(self, rng: Rng) -> list[tuple[str, str]]:
        """One generated sentence as (word, tag) pairs."""
        parts = [self._subject(rng)]
        form = rng.below(4)
        if form == 0:  # they eat the red cake (quickly)
            parts += [["verb_tr"], self._object(rng), ["adv"] if rng.chance(0.3) else []]
        elif form == 1:  # we fish (today)
            parts += [["verb_intr"], ["adv"] if rng.chance(0.5) else []]
        elif form == 2:  # the children swim in the river
            parts += [["verb_intr"], ["prep"], self._object(rng, pronoun=0.1)]
        else:  # i watch the boat with my friends
            parts += [["verb_tr"], self._object(rng), ["prep"], self._object(rng, pronoun=0.1)]
        roles = [r for p in parts for r in p]
        return [(rng.pick(self.lexicon[r]), ROLE_TAG[r]) for r in roles]

    def _subject(self, rng: Rng) -> list[str]:
        if rng.chance(0.5):
            return ["pron_subj"]
        return (["det_pl"] if rng.chance(0.7) else []) + (["adj"] if rng.chance(0.3) else []) + ["noun_pl"]

    def _object(self, rng: Rng, pronoun: float = 0.2) -> list[str]:
        if rng.chance(pronoun):
            return ["pron_obj"]
        adj = ["adj"] if rng.chance(0.3) else []
        if rng.chance(0.5):
            return ["det_sg", *adj, "noun_sg"]
        noun = "noun_pl" if rng.chance(0.5) else "noun_mass"
        return (["det_pl"] if rng.chance(0.5) else []) + adj + [noun]

    def batch(self, batch_size: int, generator: torch.Generator | None = None, split: str = "train") -> Batch:
        """x, y (B, T) int64 right-padded to the longest sentence, mask (B, T) bool = real words."""
        g = self._start_batch(batch_size, generator, split)
        rng = Rng.from_generator(g)
        tag_id = {t: i for i, t in enumerate(TAGS)}
        words, tags = [], []
        for _ in range(batch_size):
            pairs = self.sentence(rng)
            words.append([self._vocab.index[w] for w, _ in pairs])
            tags.append([tag_id[t] for _, t in pairs])
        x, mask = pad_rows(words, self._vocab.pad_id, left=False)
        y, _ = pad_rows(tags, 0, left=False)
        return Batch(x, y, mask)

    def describe(self, batch: Batch, row: int = 0) -> str:
        n = int(batch.mask[row].sum())
        words = self._vocab.decode(batch.x[row, :n])
        return " ".join(f"{w}/{TAGS[int(t)]}" for w, t in zip(words, batch.y[row, :n], strict=True))
