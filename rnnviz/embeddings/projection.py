"""PCA: the 2 or 3 directions along which a handful of word vectors spread the most.

For n vectors x_j (rows of X, shape (n, d)):

    mu = mean_j x_j                     centre
    C  = (X - mu)^T (X - mu) / (n - 1)  covariance, (d, d)
    C w_k = lambda_k w_k                principal directions w_k, largest lambda_k first
    z_j = W^T (x_j - mu)                coordinates of word j, (k,)

Computed from the eigenvectors of C (``np.linalg.eigh``); the tests check it against the SVD
of the centred X. Each direction's sign is fixed so its largest-magnitude loading is positive,
so the same words always draw the same picture::

    >>> p = pca(np.array([[0., 0.], [2., 0.], [4., 0.1]]), k=1)
    >>> p.coords.round(2).ravel()            # spread along the first axis
    array([-2., -0.,  2.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.errors import InputError


@dataclass(frozen=True)
class PCAResult:
    coords: np.ndarray  # (n, k) z_j: each word's position along the k principal directions
    components: np.ndarray  # (k, d) w_k as rows, unit length, largest variance first
    mean: np.ndarray  # (d,) mu, the centre that was subtracted
    explained: np.ndarray  # (k,) lambda_k / sum(lambda): share of the spread each direction shows


def pca(x: np.ndarray, k: int = 2) -> PCAResult:
    """Project the rows of ``x`` (n, d) onto their top-``k`` principal directions."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"PCA needs a (words, dims) table, got shape {x.shape}")
    n, d = x.shape
    if not 1 <= k <= d:
        raise InputError(f"PCA can show 1 to {d} directions, not {k}")
    if n < 2:
        raise InputError("PCA needs at least 2 different words to find a direction")
    # mu = mean_j x_j
    mean = x.mean(axis=0)
    xc = x - mean
    # C = Xc^T Xc / (n - 1)
    cov = xc.T @ xc / (n - 1)
    # C w = lambda w; eigh returns ascending eigenvalues, we want the largest first
    lam, vecs = np.linalg.eigh(cov)
    order = np.argsort(lam)[::-1]
    lam = np.clip(lam[order], 0.0, None)
    comps = vecs[:, order[:k]].T  # (k, d)
    # fix each direction's sign: its largest-|.| loading is positive
    flip = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    comps = comps * np.where(flip == 0, 1.0, flip)[:, None]
    # z_j = W^T (x_j - mu)
    coords = xc @ comps.T
    total = lam.sum()
    explained = lam[:k] / total if total > 0 else np.zeros(k)
    return PCAResult(coords=coords, components=comps, mean=mean, explained=explained)


@dataclass(frozen=True)
class PairProjection:
    """Words of some (x, y) pairs placed by PCA of their unit vectors, ready to draw as arrows."""

    words: tuple[str, ...]  # every distinct word of the pairs, in first-seen order
    pairs: tuple[tuple[str, str], ...]  # the arrows x -> y
    coords: np.ndarray  # (n, k) PCA coordinates of ê_w for each word
    explained: np.ndarray  # (k,) share of the spread along each direction
    target: np.ndarray | None  # (k,) coordinates of an extra vector (e.g. t), or None


def project_pairs(wv, pairs, k: int = 2, target: np.ndarray | None = None) -> PairProjection:
    """PCA of the unit vectors ê_w of the words in ``pairs``; ``target`` is placed with the same map."""
    words: list[str] = []
    for pair in pairs:
        for w in pair:
            if w not in words:
                words.append(w)
    if len(words) <= k:
        raise InputError(f"a {k}-D picture needs more than {k} different words; the pairs have {len(words)}")
    x = np.stack([wv.unit[wv.index_of(w)] for w in words]).astype(np.float64)
    p = pca(x, k)
    # z = W^T (t - mu): the same map as the words
    placed = None if target is None else (np.asarray(target, dtype=np.float64) - p.mean) @ p.components.T
    return PairProjection(
        words=tuple(words),
        pairs=tuple(tuple(p_) for p_ in pairs),
        coords=p.coords,
        explained=p.explained,
        target=placed,
    )
