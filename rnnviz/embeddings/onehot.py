"""One-hot vectors versus an embedding matrix, on a vocabulary small enough to print.

With V words, word w is the one-hot vector o_w (length V, a single 1 at position w). An
embedding matrix E has one row per word, shape (V, d), laid out like torch's
``nn.Embedding.weight``. Multiplying picks out a row:

    e_w = o_w^T E      (the same as E^T o_w; books that store E as (d, V) write E o_w)

Example with V = 3, d = 2::

    >>> demo = one_hot_demo(("cat", "dog", "car"), np.array([[1., 2.], [3., 4.], [5., 6.]]), "dog")
    >>> demo.onehot, demo.product                # o_dog^T E == E[1], the row of "dog"
    (array([0., 1., 0.]), array([3., 4.]))

Every pair of distinct one-hot vectors is orthogonal, so cos(o_u, o_v) = 0: one-hot codes say
nothing about which words are alike. Dense rows of E can.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from rnnviz.embeddings.similarity import cosine_matrix
from rnnviz.embeddings.vectors import MAX_WORD_CHARS, WordVectors, normalise_word
from rnnviz.errors import InputError
from rnnviz.tasks.base import check_text, quote

MAX_DEMO_WORDS = 12  # the demo prints the whole matrix: keep it readable
WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")  # letters or digits, joined by ' or - (don't, x-ray)
MAX_VOCAB_CHARS = 600  # the vocabulary box: 12 words of up to MAX_WORD_CHARS, with room for spaces
DEFAULT_DEMO_WORDS = ("cat", "dog", "king", "queen", "car", "truck")


@dataclass(frozen=True)
class OneHotDemo:
    """The lookup e_w = o_w^T E with every number, plus both cosine tables."""

    words: tuple[str, ...]  # the small vocabulary, index = row of E
    table: np.ndarray  # (V, d) E
    chosen: int  # row of the looked-up word w
    onehot: np.ndarray  # (V,) o_w
    product: np.ndarray  # (d,) o_w^T E, computed as a real matrix product
    cos_onehot: np.ndarray  # (V, V) cos(o_u, o_v): the identity matrix
    cos_dense: np.ndarray  # (V, V) cos(e_u, e_v) of the rows of E

    @property
    def word(self) -> str:
        return self.words[self.chosen]


def parse_words(text: str) -> tuple[str, ...]:
    """``"Cat, dog  king"`` -> ``("cat", "dog", "king")``: split on commas/spaces, drop repeats."""
    check_text("the small vocabulary", text, MAX_VOCAB_CHARS)
    words = tuple(dict.fromkeys(w for raw in text.replace(",", " ").split() if (w := normalise_word(raw))))
    if len(words) < 2:
        raise InputError(
            "type at least 2 different words, separated by spaces or commas (e.g. 'cat dog car')"
        )
    if len(words) > MAX_DEMO_WORDS:
        raise InputError(
            f"type at most {MAX_DEMO_WORDS} words so the matrix stays readable (you typed {len(words):,})"
        )
    bad = [w for w in words if not WORD.fullmatch(w)]
    odd = sorted({ch for w in bad for ch in w if not WORD.fullmatch(ch)} - {"'", "-"})
    if odd:  # named by character, never by word: the page prints messages, and a word may be Markdown
        shown = ", ".join(map(repr, odd[:10])) + (f" and {len(odd) - 10} more" if len(odd) > 10 else "")
        raise InputError(f"a word may have letters, digits, ' and - only, not {shown} (e.g. 'cat dog car')")
    if bad:
        raise InputError(f"' and - join letters or digits, as in x-ray or don't: not {quote(bad[0])}")
    too_long = next((w for w in words if len(w) > MAX_WORD_CHARS), None)
    if too_long is not None:
        raise InputError(f"a word has at most {MAX_WORD_CHARS} characters, not {quote(too_long)}")
    return words


def random_table(n_words: int, dim: int, seed: int) -> np.ndarray:
    """(V, d) E as ``nn.Embedding`` initialises it: every entry drawn from N(0, 1), seeded."""
    if not 1 <= dim <= 64:
        raise InputError(f"embedding size d must be between 1 and 64, not {dim}")
    g = torch.Generator().manual_seed(int(seed))
    emb = torch.nn.Embedding(n_words, dim)
    with torch.no_grad():
        emb.weight.normal_(0.0, 1.0, generator=g)  # the same N(0, 1) init, with our generator
    return emb.weight.detach().numpy().astype(np.float64)


def glove_table(wv: WordVectors, words: tuple[str, ...]) -> np.ndarray:
    """(V, d) E whose rows are the pretrained GloVe vectors of ``words`` (unknown words raise)."""
    return np.stack([wv.vector(w) for w in words]).astype(np.float64)


def one_hot_demo(words: tuple[str, ...], table: np.ndarray, word: str) -> OneHotDemo:
    """Look ``word`` up in ``table`` by multiplying with its one-hot vector."""
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] != len(words):
        raise InputError(f"the table needs one row per word: {len(words)} words, shape {table.shape}")
    w = normalise_word(word)
    if w not in words:
        raise InputError(f'"{w}" is not in the small vocabulary {", ".join(words)}: pick one of those')
    chosen = words.index(w)
    # o_w: length V, 1 at position w
    eye = np.eye(len(words))
    onehot = eye[chosen]
    # e_w = o_w^T E: (V,) @ (V, d) -> (d,)
    product = onehot @ table
    return OneHotDemo(
        words=tuple(words),
        table=table,
        chosen=chosen,
        onehot=onehot,
        product=product,
        cos_onehot=cosine_matrix(eye),
        cos_dense=cosine_matrix(table),
    )


def closest_pairs(words: tuple[str, ...], cos: np.ndarray) -> list[tuple[str, str, float]]:
    """Each word's closest other word by cos(e_u, e_v), as pairs (each pair once), highest first."""
    cos = np.asarray(cos, dtype=np.float64)
    out = {}
    for i in range(len(words)):
        others = [j for j in range(len(words)) if j != i]
        j = max(others, key=lambda j: cos[i, j])
        out[tuple(sorted((i, j)))] = float(cos[i, j])
    return sorted(((words[i], words[j], c) for (i, j), c in out.items()), key=lambda p: -p[2])


def pairs_sentence(pairs: list[tuple[str, str, float]], pretrained: bool) -> str:
    """What the page says about the dense cosine table, from its numbers."""
    shown = ", ".join(f"*{u}* and *{v}* ({c:.2f})" for u, v, c in pairs)
    if pretrained:
        return (
            f"With GloVe rows, each word's closest other word gives these pairs: {shown}. The similarity "
            "was *learned*: nothing in the spelling says that cats resemble dogs."
        )
    return (
        f"A freshly initialised $E$ has random cosines; here each word's closest other word gives: {shown}. "
        "Nothing but chance put them there. Training (or pretraining, below) is what moves related words "
        "together. Switch to **pretrained GloVe**."
    )
