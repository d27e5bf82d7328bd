"""A few words and their neighbours drawn twice: PCA beside t-SNE (the Embedding Projector's view).

The word set: each typed word w (a *seed*, at most MAX_SEEDS) and its ``n_neighbours`` nearest
words by cos(e_w, e_v) over the whole vocabulary, every word once (a neighbour already in the set is
skipped and the next one taken). Both maps place the unit vectors ê_w (rows x_j of X, (n, 50)), so
the distance between two words in 50-D is ||ê_u - ê_v|| = sqrt(2 - 2 cos(e_u, e_v)):

    PCA      z_j = W^T (x_j - mu)                            a projection (rnnviz.embeddings.projection)
    t-SNE    p_{j|i} ∝ exp(-||x_i - x_j||^2 / 2 sigma_i^2)   sigma_i set so 2^{H(p_{.|i})} = perplexity
             p_ij = (p_{j|i} + p_{i|j}) / 2n
             q_ij ∝ (1 + ||y_i - y_j||^2 / a)^-(a+1)/2      Student-t on the map, a = dims - 1
                                                             (scikit-learn's choice: a = 1 in 2-D, 2 in 3-D)
             y = argmin KL(P || Q)                           gradient descent from a PCA or random start

t-SNE is scikit-learn's (``method="exact"``: no Barnes-Hut approximation, and at <= MAX_WORDS words
it takes well under a second). scikit-learn is imported only when a t-SNE map is asked for; without
it :class:`TSNEUnavailable` says how to install it::

    >>> from rnnviz.embeddings.vectors import load_glove
    >>> m = word_maps(load_glove(), "cat car", n_neighbours=4, dims=2, perplexity=2.0)
    >>> m.words.words
    ('cat', 'car', 'dog', 'rabbit', 'monkey', 'rat', 'truck', 'cars', 'vehicle', 'driver')
    >>> m.pca.shape, m.tsne.shape, m.words.group.tolist()
    ((10, 2), (10, 2), [0, 1, 0, 0, 0, 0, 1, 1, 1, 1])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnnviz.embeddings.onehot import WORD
from rnnviz.embeddings.projection import pca
from rnnviz.embeddings.similarity import top_k
from rnnviz.embeddings.vectors import MAX_WORD_CHARS, WordVectors, normalise_word
from rnnviz.errors import InputError
from rnnviz.tasks.base import check_text, quote

MAX_SEEDS = 8  # typed words: one Okabe-Ito colour each
MAX_NEIGHBOURS = 10  # neighbours added per typed word
MAX_WORDS = MAX_SEEDS * (1 + MAX_NEIGHBOURS)  # 88 points at most: exact t-SNE stays well under a second
MAX_TEXT_CHARS = 600  # the word box
PERPLEXITY_PER_WORD = 3  # usable perplexity <= (n - 1) / 3, the check of van der Maaten's bhtsne code
MIN_PERPLEXITY = 2.0  # the page's slider range; the largest is what the largest word set allows (29)
MAX_PERPLEXITY = float((MAX_WORDS - 1) // PERPLEXITY_PER_WORD)
MIN_WORDS = PERPLEXITY_PER_WORD * int(MIN_PERPLEXITY) + 1  # 7: the fewest words t-SNE can place
INITS = ("pca", "random")  # where t-SNE's descent starts: the PCA map, or random positions (seeded)
TSNE_ITERATIONS = 1000  # gradient steps (scikit-learn's default)
# scikit-learn's "auto" rate, max(n / 48, 50), is made for thousands of points: at <= 88 words its 50
# overshoots, in 3-D so far that the 3-D maps kept under half of the neighbours (KL 1.4 against 0.02);
# 10 fits better in 2-D and 3-D at every size measured (36, 54, 88 words)
TSNE_LEARNING_RATE = 10.0
SKLEARN_REQUIREMENT = "scikit-learn==1.9.1"


class TSNEUnavailable(InputError):
    """scikit-learn is not installed: the t-SNE map cannot be drawn (PCA still can)."""


@dataclass(frozen=True)
class WordSet:
    """The words a map draws: seeds first, then each seed's neighbours in order."""

    words: tuple[str, ...]  # every word once: the seeds, then their neighbours
    group: np.ndarray  # (n,) int: index into ``seeds`` of the seed each word came with
    seeds: tuple[str, ...]  # the typed words, normalised
    unit: np.ndarray  # (n, d) float64 ê_w = e_w / ||e_w||, row j for words[j]

    def __len__(self) -> int:
        return len(self.words)


def parse_seeds(text: str) -> tuple[str, ...]:
    """The typed words (1 to MAX_SEEDS, letters/digits/'/- only), lower case, repeats dropped."""
    check_text("the word box", text, MAX_TEXT_CHARS)
    typed = list(dict.fromkeys(w for raw in text.replace(",", " ").split() if (w := normalise_word(raw))))
    if len(typed) > MAX_SEEDS:
        raise InputError(
            f"type at most {MAX_SEEDS} words (one colour each; you typed {len(typed)}): the map adds "
            "their neighbours"
        )
    if not typed:
        raise InputError("type at least one word, e.g. 'cat car paris'")
    odd = sorted({ch for w in typed for ch in w if not WORD.fullmatch(ch)} - {"'", "-"})
    if odd:  # named by character, never by word: a word may be Markdown (as lesson 8's vocabulary box)
        shown = ", ".join(map(repr, odd[:10]))
        raise InputError(f"a word may have letters, digits, ' and - only, not {shown}")
    bad = next((w for w in typed if not WORD.fullmatch(w) or len(w) > MAX_WORD_CHARS), None)
    if bad is not None:
        raise InputError(
            f"a word has letters or digits joined by ' or - and at most {MAX_WORD_CHARS} characters, "
            f"not {quote(bad)}"
        )
    return tuple(typed)


def word_set(wv: WordVectors, text: str, n_neighbours: int) -> WordSet:
    """The typed words and their ``n_neighbours`` nearest words each, every word once."""
    if not isinstance(n_neighbours, (int, np.integer)) or not 0 <= n_neighbours <= MAX_NEIGHBOURS:
        raise InputError(f"add between 0 and {MAX_NEIGHBOURS} neighbours per word, not {n_neighbours!r}")
    seeds = parse_seeds(text)
    rows = [wv.index_of(w) for w in seeds]  # unknown words raise with suggestions
    group = list(range(len(seeds)))
    for s, row in enumerate(list(rows)):
        if n_neighbours:
            # the nearest words by cos(e_seed, e_w), leaving out every word already in the set
            for word, _ in top_k(wv, wv.unit[row], int(n_neighbours), exclude=tuple(rows)):
                rows.append(wv.index_of(word))
                group.append(s)
    words = tuple(wv.words[r] for r in rows)
    if len(words) < MIN_WORDS:
        raise InputError(
            f"t-SNE needs at least {MIN_WORDS} words to place (here {len(words)}): type more words or add "
            "more neighbours"
        )
    unit = np.asarray(wv.unit[rows], dtype=np.float64)  # (n, d)
    return WordSet(words=words, group=np.array(group), seeds=seeds, unit=unit)


def usable_perplexity(perplexity: float, n_words: int) -> tuple[float, str]:
    """The perplexity t-SNE runs with and a note when it had to be lowered ("" if not).

    Perplexity is roughly how many neighbours each word listens to; it must stay below (n - 1) / 3."""
    if isinstance(perplexity, bool) or not isinstance(perplexity, (int, float, np.number)):
        raise InputError(f"perplexity must be a number, not {type(perplexity).__name__}")
    perplexity = float(perplexity)
    if not math.isfinite(perplexity) or not MIN_PERPLEXITY <= perplexity <= MAX_PERPLEXITY:
        raise InputError(
            f"perplexity must be between {MIN_PERPLEXITY:g} and {MAX_PERPLEXITY:g}, not {perplexity}"
        )
    most = (n_words - 1) / PERPLEXITY_PER_WORD
    if perplexity <= most:
        return perplexity, ""
    used = math.floor(most * 10) / 10  # one decimal, rounded down so it stays allowed
    return used, (
        f"Perplexity {perplexity:g} is too large for {n_words} words (t-SNE needs {PERPLEXITY_PER_WORD} × "
        f"perplexity < n - 1 = {n_words - 1}), so the map uses {used:g}. Add words or neighbours to use more."
    )


def tsne(
    x: np.ndarray, dims: int = 2, perplexity: float = 10.0, init: str = "pca", seed: int = 0
) -> np.ndarray:
    """t-SNE coordinates (n, dims) of the rows of ``x``; the same arguments always give the same map.

    ``init="pca"`` starts from the PCA map (then ``seed`` changes nothing); ``"random"`` from random
    positions drawn with ``seed``."""
    if dims not in (2, 3):
        raise InputError(f"a map has 2 or 3 dimensions, not {dims!r}")
    if init not in INITS:
        raise InputError(f"t-SNE starts from one of {', '.join(INITS)}, not {init!r}")
    x = np.asarray(x, dtype=np.float64)
    perplexity, _ = usable_perplexity(perplexity, len(x))
    if len(x) < MIN_WORDS or len(x) > MAX_WORDS:
        raise InputError(f"t-SNE here places {MIN_WORDS} to {MAX_WORDS} words, not {len(x)}")
    try:
        from sklearn.manifold import TSNE  # lazy: 1 s and ~200 MB on disk, only when a map is drawn
    except ImportError as err:
        raise TSNEUnavailable(
            f"The t-SNE map needs scikit-learn, which is not installed here: pip install "
            f"{SKLEARN_REQUIREMENT} (it is in requirements.txt). The PCA map does not need it."
        ) from err
    model = TSNE(
        n_components=dims,
        perplexity=perplexity,
        init=init,
        random_state=int(seed),
        method="exact",
        max_iter=TSNE_ITERATIONS,
        learning_rate=TSNE_LEARNING_RATE,
    )
    return np.asarray(model.fit_transform(x), dtype=np.float64)


@dataclass(frozen=True)
class WordMaps:
    """One word set drawn by PCA and by t-SNE, in the same number of dimensions."""

    words: WordSet
    dims: int  # 2 or 3
    pca: np.ndarray  # (n, dims) z_j, PCA coordinates of ê_w
    explained: np.ndarray  # (dims,) share of the spread each PCA direction shows
    tsne: np.ndarray | None  # (n, dims) t-SNE coordinates (no units: only who is near whom is fitted)
    perplexity: float  # the perplexity t-SNE ran with
    note: str  # why the perplexity asked for was lowered, or ""
    init: str  # "pca" or "random"
    seed: int


def word_maps(
    wv: WordVectors,
    text: str,
    n_neighbours: int = 5,
    dims: int = 2,
    perplexity: float = 10.0,
    init: str = "pca",
    seed: int = 0,
    with_tsne: bool = True,
) -> WordMaps:
    """The word set of ``text`` and its PCA and t-SNE maps (perplexity lowered, with a note, if needed).

    ``with_tsne=False``: the PCA map only (``tsne`` is None), for when scikit-learn is missing."""
    ws = word_set(wv, text, n_neighbours)
    used, note = usable_perplexity(perplexity, len(ws))
    if dims not in (2, 3):
        raise InputError(f"a map has 2 or 3 dimensions, not {dims!r}")
    p = pca(ws.unit, dims)
    coords = tsne(ws.unit, dims, used, init, seed) if with_tsne else None
    return WordMaps(
        words=ws, dims=dims, pca=p.coords, explained=p.explained, tsne=coords,
        perplexity=used, note=note, init=init, seed=int(seed),
    )  # fmt: skip
