"""Lesson 8's PCA-beside-t-SNE maps: the word set, t-SNE's determinism, the figures that compare the
maps (neighbours kept, rank correlation, the pair they disagree about most) and refused input."""

import importlib.util
import sys
from dataclasses import replace

import numpy as np
import pytest

from rnnviz.embeddings import load_glove, neighbours
from rnnviz.embeddings.map_compare import (
    compare,
    disagreement_sentence,
    kept_question,
    kept_sentence,
    neighbour_kept,
    order_sentence,
    pair_distances,
    percentiles,
    ranks,
    spearman,
)
from rnnviz.embeddings.wordmap import (
    MAX_NEIGHBOURS,
    MAX_PERPLEXITY,
    MAX_SEEDS,
    MAX_WORDS,
    MIN_WORDS,
    TSNEUnavailable,
    WordMaps,
    WordSet,
    tsne,
    usable_perplexity,
    word_maps,
    word_set,
)
from rnnviz.errors import InputError

# requirements.txt installs scikit-learn; without it the page says so (the last test)
needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="scikit-learn missing")


@pytest.fixture(scope="module")
def wv():
    return load_glove()


def test_word_set_is_the_seeds_then_their_nearest_neighbours(wv):
    ws = word_set(wv, " Cat, car cat", 3)
    assert ws.seeds == ("cat", "car")
    assert ws.words[:2] == ("cat", "car") and len(ws) == 8
    cat = [w for w, _ in neighbours(wv, "cat", k=3)]
    assert list(ws.words[2:5]) == cat and ws.group.tolist() == [0, 1, 0, 0, 0, 1, 1, 1]
    # car's neighbours skip the words already in the set (and so are still 3)
    assert len(set(ws.words)) == len(ws)
    assert np.allclose(np.linalg.norm(ws.unit, axis=1), 1)
    assert np.allclose(ws.unit[0], wv.unit[wv.index_of("cat")])


@needs_sklearn
def test_the_largest_set_is_capped_and_runs(wv):
    text = "cat dog king paris apple car guitar river"
    m = word_maps(wv, text, MAX_NEIGHBOURS, 2, MAX_PERPLEXITY)
    assert len(m.words) == MAX_WORDS == MAX_SEEDS * (1 + MAX_NEIGHBOURS) and m.note == ""
    assert m.tsne.shape == (MAX_WORDS, 2) and np.isfinite(m.tsne).all()


@needs_sklearn
def test_tsne_is_deterministic_per_seed(wv):
    x = word_set(wv, "cat car paris", 4).unit
    a, b = tsne(x, 2, 3.0, "random", seed=1), tsne(x, 2, 3.0, "random", seed=1)
    assert np.array_equal(a, b)
    assert not np.allclose(a, tsne(x, 2, 3.0, "random", seed=2))  # another start, another picture
    # from the PCA map the seed changes nothing
    assert np.array_equal(tsne(x, 3, 3.0, "pca", seed=1), tsne(x, 3, 3.0, "pca", seed=5))


@needs_sklearn
def test_a_3d_map_minimises_the_pages_objective_with_a_2(wv):
    """In 3-D, q_ij uses a = 2: the map is a minimum of that KL (and the map kept its neighbours)."""
    from test_claims_08 import joint_p, kl

    m = word_maps(wv, "cat car paris guitar", 8, 3, 10.0)
    p = joint_p(m.words.unit, 10.0)
    base = kl(p, m.tsne)
    rng = np.random.default_rng(0)
    for _ in range(10):
        assert kl(p, m.tsne + rng.normal(0, 0.02 * m.tsne.std(), m.tsne.shape)) > base
    assert compare(m).kept_tsne > 0.8  # at scikit-learn's own learning rate (50) it kept 42%


def test_neighbour_kept_on_a_planted_set():
    """Two tight clusters A = {0, 1, 2}, B = {3, 4, 5}; the map swaps points 2 and 5."""
    rng = np.random.default_rng(0)
    high = np.concatenate([rng.normal(0, 0.01, (3, 5)), rng.normal(0, 0.01, (3, 5)) + 10])
    low = high.copy()
    low[[2, 5]] = high[[5, 2]]
    kept = neighbour_kept(high, low, k=2)
    # 2 and 5 land among the other cluster: none of their 2 neighbours kept; the rest keep 1 of 2
    assert kept.tolist() == [0.5, 0.5, 0.0, 0.5, 0.5, 0.0]
    assert neighbour_kept(high, high * 3 + 1, k=2).tolist() == [1.0] * 6
    with pytest.raises(InputError, match="k must be 1 to 5"):
        neighbour_kept(high, low, k=6)


def test_ranks_and_spearman_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    v = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    assert ranks(v).tolist() == [3.0, 0.0, 1.5, 1.5, 4.0]
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=40), rng.normal(size=40)
    b[:5] = a[:5]
    assert spearman(a, a**3) == pytest.approx(1.0)
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert percentiles(np.array([0.3, 0.1, 0.2])).tolist() == [1.0, 0.0, 0.5]


def planted_maps(high, pca, tsne_) -> WordMaps:
    n = len(high)
    ws = WordSet(tuple(f"w{k}" for k in range(n)), np.zeros(n, int), ("w0",), np.asarray(high, float))
    return WordMaps(ws, high.shape[1], np.asarray(pca, float), np.ones(2), np.asarray(tsne_, float),
                    2.0, "", "pca", 0)  # fmt: skip


def test_the_disagreement_is_the_pair_whose_place_changes_most():
    """On a line of 7 points PCA draws the truth; the planted t-SNE map brings w0 next to w6."""
    high = np.array([[float(k), 0.0] for k in range(7)])
    t = high.copy()
    t[0] = [6.0, 0.5]  # w0 beside w6: the farthest pair becomes the closest
    c = compare(planted_maps(high, high, t), k=1)
    assert c.pair == ("w0", "w6")
    assert c.pct_high == c.pct_pca == 1.0 and c.pct_tsne == 0.0
    assert c.rho_pca == pytest.approx(1.0) and c.rho_tsne < 0.5 and c.kept_pca == 1.0
    assert "PCA is nearer the truth" in disagreement_sentence(c)
    options, right = kept_question(c)  # the predict question follows the same numbers
    assert c.kept_tsne < c.kept_pca - 0.05 and options[right] == "PCA keeps more"  # w0 lost its neighbour
    assert kept_question(replace(c, kept_pca=0.5, kept_tsne=0.9))[1] == 0
    assert kept_question(replace(c, kept_pca=0.9, kept_tsne=0.5))[1] == 1
    assert kept_question(replace(c, kept_pca=0.8, kept_tsne=0.82))[1] == 2
    assert "keep about as many" in kept_sentence(replace(c, kept_pca=0.8, kept_tsne=0.82))
    assert "PCA keeps the overall order" in order_sentence(c)


@needs_sklearn
def test_comparison_on_glove_is_computed_from_the_maps(wv):
    m = word_maps(wv, "cat dog king paris apple car", 8, 2, 10.0)
    c = compare(m)
    i, j, d_high = pair_distances(m.words.unit)
    _, _, d_pca = pair_distances(m.pca)
    _, _, d_tsne = pair_distances(m.tsne)
    # brute force: the share of other pairs closer, for every pair
    share = [(d[:, None] > d[None, :]).sum(axis=1) / (len(d) - 1) for d in (d_high, d_pca, d_tsne)]
    gap = np.abs(share[1] - share[2])
    worst = int(np.argmax(gap))
    assert c.pair == (m.words.words[i[worst]], m.words.words[j[worst]])
    assert (c.pct_high, c.pct_pca, c.pct_tsne) == pytest.approx([s[worst] for s in share])
    u, v = (wv.index_of(w) for w in c.pair)
    assert c.cos == pytest.approx(float(wv.unit[u] @ wv.unit[v]), abs=1e-5)
    assert c.n_pairs == len(m.words) * (len(m.words) - 1) // 2
    # a projection onto orthonormal directions never lengthens a distance (the page says so)
    assert (d_pca <= d_high + 1e-9).all()
    for sentence in (kept_sentence(c), order_sentence(c), disagreement_sentence(c)):
        assert "%" in sentence or "ρ" in sentence


def test_too_large_a_perplexity_is_lowered_with_a_note():
    assert usable_perplexity(10, 31) == (10.0, "")
    used, note = usable_perplexity(29, 31)
    assert used == 10.0 and "too large for 31 words" in note and "uses 10" in note
    used, note = usable_perplexity(29, 54)
    assert used == 17.6 and 3 * used < 54 - 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda wv: word_set(wv, "", 5), "at least one word"),
        (lambda wv: word_set(wv, "a b c d e f g h i", 5), f"at most {MAX_SEEDS} words"),
        (lambda wv: word_set(wv, "cat", 11), f"between 0 and {MAX_NEIGHBOURS}"),
        (lambda wv: word_set(wv, "cat car", 2), f"at least {MIN_WORDS} words"),
        (lambda wv: word_set(wv, "kingg", 5), "Did you mean"),
        (lambda wv: word_set(wv, "c<at>", 5), "letters, digits"),
        (lambda wv: word_set(wv, "x" * 700, 5), "the most is 600"),
        (lambda wv: usable_perplexity(1.0, 40), "between 2 and 29"),
        (lambda wv: usable_perplexity(float("nan"), 40), "between 2 and 29"),
        (lambda wv: usable_perplexity("10", 40), "must be a number"),
        (lambda wv: word_maps(wv, "cat car", 5, dims=4), "2 or 3 dimensions"),
        (lambda wv: word_maps(wv, "cat car", 5, init="umap"), "starts from one of"),
    ],
)
def test_bad_input_is_refused_with_a_message(wv, call, message):
    with pytest.raises(InputError, match=message):
        call(wv)


def test_without_sklearn_the_map_says_how_to_install_it(wv, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)  # import fails as if not installed
    with pytest.raises(TSNEUnavailable, match="pip install scikit-learn==1.9.1"):
        word_maps(wv, "cat car", 5)
    pca_only = word_maps(wv, "cat car", 5, with_tsne=False)  # what the page draws then
    assert pca_only.tsne is None and pca_only.pca.shape == (12, 2)
