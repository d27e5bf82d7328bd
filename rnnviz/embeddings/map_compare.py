"""What a 2-D or 3-D map of word vectors keeps: neighbourhoods, and the order of distances.

For n words with 50-D unit vectors x_j and map positions y_j (PCA or t-SNE):

    kept_k(i) = |N_k(x, i) ∩ N_k(y, i)| / k       N_k(., i): the k words nearest to word i
    kept      = mean_i kept_k(i)                  share of each word's k nearest neighbours the map keeps
    rho       = Spearman(d_x, d_y)                rank correlation of the n(n-1)/2 pairwise distances:
                                                  1 when the map orders every pair as the 50-D space does
    pct(u, v) = share of the other pairs that are closer than (u, v)   (0 = the closest pair, 1 = farthest)

The pair on which PCA and t-SNE disagree most is the one with the largest |pct_PCA - pct_t-SNE|.
On a line of 4 points with a map that swaps the two ends' neighbours::

    >>> high = np.array([[0.], [1.], [2.], [3.]])
    >>> neighbour_kept(high, np.array([[0.], [2.], [1.], [3.]]), k=1).tolist()
    [0.0, 0.0, 0.0, 0.0]
    >>> neighbour_kept(high, high * 2, k=1).tolist()
    [1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.embeddings.wordmap import WordMaps
from rnnviz.errors import InputError

NEIGHBOURS_KEPT = 5  # k of the neighbour-preservation figure
SAME = 0.05  # two shares closer than this read as "about the same"


def pair_distances(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, ||x_i - x_j||) for every pair i < j, in the order of np.triu_indices."""
    x = np.asarray(x, dtype=np.float64)
    i, j = np.triu_indices(len(x), k=1)
    # ||x_i - x_j|| for each pair
    return i, j, np.linalg.norm(x[i] - x[j], axis=1)


def ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 0..m-1 of ``v`` (smallest first), tied values sharing their mean rank."""
    v = np.asarray(v, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(len(v))
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return sums[inverse] / counts[inverse]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: the correlation of the ranks of ``a`` and ``b``."""
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(np.sqrt((ra @ ra) * (rb @ rb)))
    if denom == 0:
        raise InputError("every distance is the same, so their order says nothing")
    # rho = cov(rank a, rank b) / (sd(rank a) sd(rank b))
    return float(ra @ rb / denom)


def nearest(x: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each row's k nearest other rows, nearest first (ties: lower index first)."""
    x = np.asarray(x, dtype=np.float64)
    if not 1 <= k < len(x):
        raise InputError(f"each of {len(x)} words has {len(x) - 1} others, so k must be 1 to {len(x) - 1}")
    d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)  # (n, n)
    np.fill_diagonal(d, np.inf)  # a word is not its own neighbour
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def neighbour_kept(high: np.ndarray, low: np.ndarray, k: int = NEIGHBOURS_KEPT) -> np.ndarray:
    """(n,) kept_k(i) = |N_k(high, i) ∩ N_k(low, i)| / k for each row i."""
    if len(high) != len(low):
        raise InputError(f"{len(high)} vectors but {len(low)} map positions")
    a, b = nearest(high, k), nearest(low, k)
    return np.array([len(set(a[i]) & set(b[i])) / k for i in range(len(a))])


@dataclass(frozen=True)
class MapComparison:
    """How well each map keeps the 50-D neighbourhoods and distances, and where they disagree most."""

    k: int  # neighbours per word in the preservation figure
    kept_pca: float  # mean share of each word's k nearest 50-D neighbours that stay among its k on the map
    kept_tsne: float
    rho_pca: float  # Spearman rho between the 50-D pairwise distances and the map's
    rho_tsne: float
    rho_maps: float  # Spearman rho between the PCA map's distances and the t-SNE map's
    n_pairs: int
    pair: tuple[str, str]  # the pair whose place in the order of distances changes most between the maps
    pct_high: float  # share of the other pairs closer than this pair in 50-D
    pct_pca: float  # ... on the PCA map
    pct_tsne: float  # ... on the t-SNE map
    cos: float  # cos(e_u, e_v) of the pair


def percentiles(d: np.ndarray) -> np.ndarray:
    """pct for each pair: its rank among the m pair distances over m - 1 (0 closest, 1 farthest)."""
    return ranks(d) / (len(d) - 1)


def compare(maps: WordMaps, k: int = NEIGHBOURS_KEPT) -> MapComparison:
    """Neighbour preservation and distance order of both maps of ``maps``, and their worst disagreement."""
    x, words = maps.words.unit, maps.words.words
    k = min(k, len(words) - 1)
    i, j, d_high = pair_distances(x)
    _, _, d_pca = pair_distances(maps.pca)
    _, _, d_tsne = pair_distances(maps.tsne)
    p_high, p_pca, p_tsne = percentiles(d_high), percentiles(d_pca), percentiles(d_tsne)
    worst = int(np.argmax(np.abs(p_pca - p_tsne)))  # first of the largest, in triu order
    u, v = int(i[worst]), int(j[worst])
    return MapComparison(
        k=k,
        kept_pca=float(neighbour_kept(x, maps.pca, k).mean()),
        kept_tsne=float(neighbour_kept(x, maps.tsne, k).mean()),
        rho_pca=spearman(d_high, d_pca),
        rho_tsne=spearman(d_high, d_tsne),
        rho_maps=spearman(d_pca, d_tsne),
        n_pairs=len(d_high),
        pair=(words[u], words[v]),
        pct_high=float(p_high[worst]),
        pct_pca=float(p_pca[worst]),
        pct_tsne=float(p_tsne[worst]),
        # ||ê_u - ê_v||^2 = 2 - 2 cos(e_u, e_v)
        cos=float(1 - d_high[worst] ** 2 / 2),
    )


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def _ahead(tsne: float, pca: float) -> str:
    """Which map scores higher: "t-SNE", "PCA", or "same" within SAME (what every sentence and the
    question below branch on)."""
    if abs(tsne - pca) < SAME:
        return "same"
    return "t-SNE" if tsne > pca else "PCA"


def kept_sentence(c: MapComparison) -> str:
    """Which map keeps more of each word's nearest neighbours, from the two shares."""
    verdict = {
        "same": "the two maps keep about as many",
        "t-SNE": "t-SNE keeps more of the neighbourhoods, which is what it is built to do",
        "PCA": "here PCA keeps more of them than t-SNE",
    }[_ahead(c.kept_tsne, c.kept_pca)]
    return (
        f"Of each word's {c.k} nearest neighbours in 50-D, the t-SNE map keeps {_pct(c.kept_tsne)} among its "
        f"{c.k} nearest on the map and the PCA map {_pct(c.kept_pca)}: {verdict}."
    )


KEPT_OPTIONS = ("t-SNE keeps more", "PCA keeps more", f"about as many (within {100 * SAME:.0f} points)")


def kept_question(c: MapComparison) -> tuple[list[str], int]:
    """The options of "which map keeps more of the neighbours?" and the right one, as kept_sentence says."""
    return list(KEPT_OPTIONS), {"t-SNE": 0, "PCA": 1, "same": 2}[_ahead(c.kept_tsne, c.kept_pca)]


def order_sentence(c: MapComparison) -> str:
    """Which map keeps the order of all pairwise distances better, from the two rank correlations."""
    verdict = {
        "same": "both keep the overall order of distances about equally well",
        "PCA": "PCA keeps the overall order of distances (which words are far apart) better",
        "t-SNE": "here t-SNE keeps the overall order of distances better than PCA",
    }[_ahead(c.rho_tsne, c.rho_pca)]
    return (
        f"Over all {c.n_pairs:,} pairs, the rank correlation between the 50-D distances and the drawn "
        f"ones is ρ = {c.rho_pca:.2f} for PCA and ρ = {c.rho_tsne:.2f} for t-SNE (1 would keep every "
        "pair's order): "
        f"{verdict}."
    )


def disagreement_sentence(c: MapComparison) -> str:
    """The pair the two maps disagree about most, and which map is nearer the 50-D truth for it."""
    u, v = c.pair
    off_pca, off_tsne = abs(c.pct_pca - c.pct_high), abs(c.pct_tsne - c.pct_high)
    if abs(off_pca - off_tsne) < SAME:
        who = "the two maps are about equally far from the truth for this pair"
    else:
        who = f"{'PCA' if off_pca < off_tsne else 't-SNE'} is nearer the truth for this pair"
    return (
        f"The two maps disagree most about *{u}* and *{v}*: PCA draws them farther apart than "
        f"{_pct(c.pct_pca)} of the pairs, t-SNE farther than {_pct(c.pct_tsne)}. In 50-D (cos = {c.cos:.2f}) "
        f"they are farther apart than {_pct(c.pct_high)} of the pairs, so {who}."
    )
