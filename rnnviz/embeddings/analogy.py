"""Analogies a : b :: c : ? by vector arithmetic on unit word vectors (3CosAdd).

    t = ê_b - ê_a + ê_c,   ê_w = e_w / ||e_w||,   d = argmax_{w not in {a, b, c}} cos(t, e_w)

"man is to woman as king is to ?" with GloVe 6B 50d::

    >>> from rnnviz.embeddings.vectors import load_glove
    >>> wv = load_glove()
    >>> r = analogy(wv, "man", "woman", "king", k=3)
    >>> [(w, round(s, 3)) for w, s in r.answers]
    [('queen', 0.852), ('throne', 0.766), ('prince', 0.759)]

The three query words are excluded from the answers: without that rule, t is usually
closest to c itself ("king"), which is why published analogy scores exclude them too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.embeddings.similarity import top_k
from rnnviz.embeddings.vectors import WordVectors, normalise_word
from rnnviz.errors import InputError


@dataclass(frozen=True)
class Preset:
    """A classic analogy a : b :: c : ? plus more pairs with the same relation (for the plot)."""

    name: str  # label in the preset menu
    a: str  # the relation goes a -> b ...
    b: str
    c: str  # ... and is applied to c
    expected: str  # the answer a person would give
    more_pairs: tuple[tuple[str, str], ...] = ()  # other (x, y) pairs with the same offset y - x


PRESETS: tuple[Preset, ...] = (
    Preset("gender: man : woman :: king : ?", "man", "woman", "king", "queen",
           (("boy", "girl"), ("he", "she"), ("uncle", "aunt"))),
    Preset("capital: france : paris :: japan : ?", "france", "paris", "japan", "tokyo",
           (("germany", "berlin"), ("italy", "rome"), ("russia", "moscow"))),
    Preset("verb tense: walk : walked :: swim : ?", "walk", "walked", "swim", "swam",
           (("play", "played"), ("go", "went"), ("eat", "ate"))),
    Preset("comparative: strong : stronger :: weak : ?", "strong", "stronger", "weak", "weaker",
           (("good", "better"), ("big", "bigger"), ("fast", "faster"))),
    Preset("plural: car : cars :: dog : ?", "car", "cars", "dog", "dogs",
           (("apple", "apples"), ("child", "children"), ("city", "cities"))),
)  # fmt: skip


@dataclass(frozen=True)
class AnalogyResult:
    """Everything the page shows for one analogy query."""

    a: str  # normalised query words
    b: str
    c: str
    answers: tuple[tuple[str, float], ...]  # top-k (word, cos(t, e_w)), best first; never a, b or c
    unit_a: np.ndarray  # (d,) ê_a = e_a / ||e_a||
    unit_b: np.ndarray  # (d,) ê_b
    unit_c: np.ndarray  # (d,) ê_c
    target: np.ndarray  # (d,) t = ê_b - ê_a + ê_c
    unit_d: np.ndarray  # (d,) ê_d of the top answer d

    @property
    def best(self) -> str:
        return self.answers[0][0]

    def frame(self) -> pd.DataFrame:
        """The answers as a table: rank, word d, cos(t, e_d), best first."""
        return pd.DataFrame(
            {"rank": range(1, len(self.answers) + 1), "word d": [w for w, _ in self.answers],
             "cos(t, e_d)": [s for _, s in self.answers]}
        )  # fmt: skip


def analogy(wv: WordVectors, a: str, b: str, c: str, k: int = 5) -> AnalogyResult:
    """Solve a : b :: c : ? and return the top-``k`` answers with the vectors used.

    The three words must differ: with a = b the relation is empty (t = ê_c, so the "answer" is just
    a neighbour of c), and with c = a or c = b there is no third word to carry the relation to."""
    ia, ib, ic = wv.index_of(a), wv.index_of(b), wv.index_of(c)
    for (n1, i1), (n2, i2) in (
        (("a", ia), ("b", ib)),
        (("a", ia), ("c", ic)),
        (("b", ib), ("c", ic)),
    ):
        if i1 == i2:
            word = wv.words[i1]
            raise InputError(
                f'{n1} and {n2} are both "{word}": an analogy a : b :: c : ? needs three different words '
                "(a relation a -> b between two of them, carried over to a third), e.g. man : woman :: king"
            )
    ua, ub, uc = wv.unit[ia], wv.unit[ib], wv.unit[ic]
    # t = ê_b - ê_a + ê_c: move from a to b, starting at c
    target = ub - ua + uc
    # d = argmax over w not in {a, b, c} of cos(t, ê_w)
    answers = top_k(wv, target, k, exclude=(ia, ib, ic))
    return AnalogyResult(
        a=normalise_word(a),
        b=normalise_word(b),
        c=normalise_word(c),
        answers=tuple(answers),
        unit_a=ua,
        unit_b=ub,
        unit_c=uc,
        target=target,
        unit_d=wv.unit[wv.index_of(answers[0][0])],
    )


def plot_pairs(wv: WordVectors, result: AnalogyResult, preset: Preset | None = None) -> list[tuple[str, str]]:
    """The (x, y) pairs to project and draw as offset arrows: a->b, c->d, then the preset's extras.

    Extras whose words are missing from the kept vocabulary are skipped.
    """
    pairs = [(result.a, result.b), (result.c, result.best)]
    if preset is not None and (preset.a, preset.b, preset.c) == (result.a, result.b, result.c):
        pairs += [(x, y) for x, y in preset.more_pairs if (x, y) not in pairs and x in wv and y in wv]
    return pairs


def without_exclusion(wv: WordVectors, result: AnalogyResult) -> tuple[str, float]:
    """The word closest to t when a, b and c are not left out: (word, cos(t, ê_w))."""
    ((word, score),) = top_k(wv, result.target, 1, exclude=())
    return word, score


def exclusion_sentence(wv: WordVectors, result: AnalogyResult) -> str:
    """Why a, b and c are left out, from this analogy's own numbers."""
    word, score = without_exclusion(wv, result)
    if word in (result.a, result.b, result.c):
        return (
            f"Without leaving out the query words, the closest word to t here would be *{word}* itself "
            f"(cos = {score:.3f}), which is why they are left out."
        )
    return (
        f"Here the closest word to t would be *{word}* (cos = {score:.3f}) even without leaving out the "
        "query words; for some analogies c itself comes out on top (the preset *gender*: king)."
    )
