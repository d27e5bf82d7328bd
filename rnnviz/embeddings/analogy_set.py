"""A small analogy test set written for this project: 5 relations x 12 analogies = 60.

Each relation is a list of 13 (x, y) word pairs; consecutive pairs make one analogy
x_i : y_i :: x_{i+1} : ?, expected y_{i+1}. For example the first gender analogy is
``man : woman :: king : ?`` -> ``queen``. Every word is among the 20 000 most frequent
GloVe words, so the set works for any kept vocabulary of that size or more.
"""

from __future__ import annotations

import numpy as np

from rnnviz.embeddings.analogy import analogy
from rnnviz.embeddings.vectors import WordVectors

RELATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "gender": (
        ("man", "woman"), ("king", "queen"), ("boy", "girl"), ("brother", "sister"), ("father", "mother"),
        ("son", "daughter"), ("uncle", "aunt"), ("husband", "wife"), ("he", "she"), ("prince", "princess"),
        ("nephew", "niece"), ("grandfather", "grandmother"), ("actor", "actress"),
    ),
    "capital-country": (
        ("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("japan", "tokyo"),
        ("spain", "madrid"), ("russia", "moscow"), ("china", "beijing"), ("egypt", "cairo"),
        ("greece", "athens"), ("canada", "ottawa"), ("poland", "warsaw"), ("norway", "oslo"),
        ("kenya", "nairobi"),
    ),
    "tense": (
        ("walk", "walked"), ("play", "played"), ("go", "went"), ("swim", "swam"), ("eat", "ate"),
        ("run", "ran"), ("see", "saw"), ("write", "wrote"), ("take", "took"), ("sing", "sang"),
        ("jump", "jumped"), ("speak", "spoke"), ("give", "gave"),
    ),
    "comparative": (
        ("strong", "stronger"), ("weak", "weaker"), ("good", "better"), ("bad", "worse"), ("big", "bigger"),
        ("small", "smaller"), ("fast", "faster"), ("slow", "slower"), ("high", "higher"), ("low", "lower"),
        ("young", "younger"), ("old", "older"), ("cheap", "cheaper"),
    ),
    "plural": (
        ("car", "cars"), ("dog", "dogs"), ("apple", "apples"), ("child", "children"), ("city", "cities"),
        ("woman", "women"), ("house", "houses"), ("man", "men"), ("mouse", "mice"), ("country", "countries"),
        ("bird", "birds"), ("foot", "feet"), ("tree", "trees"),
    ),
}  # fmt: skip


def analogy_set() -> list[tuple[str, str, str, str, str]]:
    """All analogies as (relation, a, b, c, expected d)."""
    rows = []
    for rel, pairs in RELATIONS.items():
        for (a, b), (c, d) in zip(pairs[:-1], pairs[1:], strict=True):
            rows.append((rel, a, b, c, d))
    return rows


def analogy_accuracy(wv: WordVectors) -> dict:
    """Share of analogies whose top answer is the expected word, overall and per relation."""
    hits: dict[str, list[bool]] = {rel: [] for rel in RELATIONS}
    misses: list[str] = []
    for rel, a, b, c, d in analogy_set():
        best = analogy(wv, a, b, c, k=1).best
        hits[rel].append(best == d)
        if best != d:
            misses.append(f"{a}:{b}::{c}:{d} got {best}")
    per = {rel: float(np.mean(h)) for rel, h in hits.items()}
    total = [x for h in hits.values() for x in h]
    return {"n": len(total), "accuracy": float(np.mean(total)), "per_relation": per, "misses": misses}
