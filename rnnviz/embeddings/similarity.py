"""Cosine similarity, shown with its numbers, and nearest neighbours of a word.

    cos(u, v) = u . v / (||u|| ||v||)

Example with GloVe 6B 50d::

    >>> from rnnviz.embeddings.vectors import load_glove
    >>> wv = load_glove()
    >>> b = cosine_breakdown(wv, "cat", "dog")
    >>> round(b.dot, 2), round(b.norm_u, 2), round(b.norm_v, 2), round(b.cos, 3)
    (19.74, 4.41, 4.86, 0.922)
    >>> [(w, round(s, 3)) for w, s in neighbours(wv, "frog", k=3)]
    [('snake', 0.845), ('ape', 0.794), ('toad', 0.791)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.embeddings.vectors import WordVectors, normalise_word
from rnnviz.errors import InputError

MAX_K = 50  # most neighbours / answers a page may ask for


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    """cos(u, v) = u . v / (||u|| ||v||); zero vectors have no direction, so they raise."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if u.shape != v.shape or u.ndim != 1:
        raise InputError(f"cosine needs two vectors of the same length, got shapes {u.shape} and {v.shape}")
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        raise InputError("cosine similarity of a zero vector is undefined: it has no direction")
    # cos = u . v / (||u|| ||v||)
    return float(u @ v / (nu * nv))


def cosine_matrix(rows: np.ndarray) -> np.ndarray:
    """(n, n) matrix of cos(row_i, row_j) for (n, d) rows."""
    rows = np.asarray(rows, dtype=np.float64)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise InputError("cosine similarity of a zero vector is undefined: it has no direction")
    unit = rows / norms
    return unit @ unit.T


@dataclass(frozen=True)
class CosineBreakdown:
    """Every number in cos(e_u, e_v) = e_u . e_v / (||e_u|| ||e_v||) for two words."""

    word_u: str  # first word (normalised)
    word_v: str  # second word (normalised)
    u: np.ndarray  # (d,) e_u, raw GloVe vector
    v: np.ndarray  # (d,) e_v
    products: np.ndarray  # (d,) e_u,i * e_v,i; their sum is the dot product
    dot: float  # e_u . e_v = sum_i e_u,i e_v,i
    norm_u: float  # ||e_u|| = sqrt(sum_i e_u,i^2)
    norm_v: float  # ||e_v||
    cos: float  # dot / (norm_u * norm_v), in [-1, 1]

    def frame(self) -> pd.DataFrame:
        """The dimensions as a table: i, e_u,i, e_v,i and their product (the products sum to the dot)."""
        return pd.DataFrame(
            {"i": range(len(self.u)), f"e_{self.word_u},i": self.u, f"e_{self.word_v},i": self.v,
             "e_u,i * e_v,i": self.products}
        )  # fmt: skip


def cosine_breakdown(wv: WordVectors, word_u: str, word_v: str) -> CosineBreakdown:
    """The dot product, both norms and the cosine for two vocabulary words."""
    u = wv.vector(word_u).astype(np.float64)
    v = wv.vector(word_v).astype(np.float64)
    # e_u,i * e_v,i for every dimension i
    products = u * v
    # e_u . e_v = sum_i e_u,i e_v,i
    dot = float(products.sum())
    # ||e|| = sqrt(e . e)
    norm_u, norm_v = float(np.sqrt(u @ u)), float(np.sqrt(v @ v))
    return CosineBreakdown(
        word_u=normalise_word(word_u),
        word_v=normalise_word(word_v),
        u=u,
        v=v,
        products=products,
        dot=dot,
        norm_u=norm_u,
        norm_v=norm_v,
        cos=dot / (norm_u * norm_v),
    )


def check_k(k: int) -> int:
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise InputError(f"ask for between 1 and {MAX_K} words, not {k!r}")
    return int(k)


def top_k(
    wv: WordVectors, query: np.ndarray, k: int, exclude: tuple[int, ...] = ()
) -> list[tuple[str, float]]:
    """The ``k`` words whose unit vectors have the highest cosine with ``query``, best first.

    Rows in ``exclude`` never appear in the answer (e.g. the query words themselves).
    """
    k = check_k(k)
    q = np.asarray(query, dtype=np.float32)
    norm = float(np.linalg.norm(q))
    if norm == 0:
        raise InputError("the query vector is zero: it has no direction, so nothing is closest")
    # cos(q, e_w) = (q / ||q||) . (e_w / ||e_w||) for every word at once: (V,)
    scores = wv.unit @ (q / norm)
    if exclude:
        scores[list(exclude)] = -np.inf
    k = min(k, len(wv) - len(set(exclude)))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(wv.words[i], float(scores[i])) for i in best]


def neighbours(wv: WordVectors, word: str, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` nearest words to ``word`` by cosine similarity (the word itself left out)."""
    row = wv.index_of(word)
    return top_k(wv, wv.unit[row], k, exclude=(row,))


NEAREST_RANKS = (1, 5, 20, 50)  # the neighbours offered by the predict-first question


def nearest_of_four(wv: WordVectors, word: str) -> tuple[list[tuple[str, float]], int]:
    """Four words at neighbour ranks 1, 5, 20 and 50 of ``word``, in alphabetical order, with
    their cos(e_word, e_w); and the index of the nearest one (rank 1), for a predict question."""
    ranked = neighbours(wv, word, k=max(NEAREST_RANKS))
    picks = sorted((ranked[r - 1] for r in NEAREST_RANKS), key=lambda p: p[0])
    return picks, picks.index(ranked[0])


def spread_sentence(b: CosineBreakdown) -> str:
    """How much of e_u . e_v its largest single term carries, in words from the numbers."""
    pos = b.products[b.products > 0].sum()
    i = int(np.argmax(b.products))
    share = float(b.products[i] / pos) if pos > 0 else 0.0
    where = (
        "no single dimension carries the similarity, it is spread out over many"
        if share < 0.25
        else (
            "one dimension carries a large part of it" if share < 0.5 else "one dimension carries most of it"
        )
    )
    return (
        f"The largest term, dimension {i} ({b.products[i]:.3f}), is {100 * share:.0f}% of the sum of the "
        f"positive terms, so {where}."
    )


def neighbours_frame(nb: list[tuple[str, float]]) -> pd.DataFrame:
    """:func:`neighbours`' answer as a table: rank, word, cos(e_query, e_w)."""
    return pd.DataFrame(
        {"rank": range(1, len(nb) + 1), "word w": [w for w, _ in nb], "cos(e_query, e_w)": [s for _, s in nb]}
    )
