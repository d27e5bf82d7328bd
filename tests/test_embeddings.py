"""Lesson 8 backend: GloVe loading, cosine, neighbours, analogies, PCA, one-hot lookup."""

import math

import numpy as np
import pytest
import torch

from rnnviz.embeddings import (
    PRESETS,
    analogy,
    cosine,
    cosine_breakdown,
    cosine_matrix,
    load_glove,
    neighbours,
    one_hot_demo,
    parse_words,
    pca,
    plot_pairs,
    random_table,
)
from rnnviz.embeddings.analogy_set import RELATIONS, analogy_set
from rnnviz.embeddings.transfer import (
    SEEN_WORDS,
    UNSEEN_WORDS,
    VARIANTS,
    TransferConfig,
    TransferExperiment,
    build_model,
    make_data,
    nearest_seen,
)
from rnnviz.embeddings.vectors import glove_files
from rnnviz.errors import InputError
from rnnviz.tasks.sentiment import POLARITY, Sentiment, label_of


@pytest.fixture(scope="module")
def wv():
    return load_glove(20_000)


@pytest.fixture(scope="module")
def wv_full():
    """The page's vocabulary (100k words): covers every word of the sentiment task."""
    return load_glove()


@pytest.fixture(scope="module")
def raw():
    """The packaged table and word list, read independently of the loader."""
    import pandas as pd

    npy, parquet = glove_files()
    return np.load(npy, mmap_mode="r"), pd.read_parquet(parquet)["index"].tolist()


def direct_cos(u, v):
    dot = sum(float(a) * float(b) for a, b in zip(u, v, strict=True))
    nu = math.sqrt(sum(float(a) ** 2 for a in u))
    nv = math.sqrt(sum(float(b) ** 2 for b in v))
    return dot / (nu * nv)


# --- loader -------------------------------------------------------------------------------------


def test_loader_keeps_n_most_frequent_words_read_only(raw):
    table, words = raw
    wv = load_glove(1234)
    assert len(wv) == 1234 and wv.vectors.shape == (1234, 50) and wv.unit.shape == (1234, 50)
    assert list(wv.words) == words[:1234]
    np.testing.assert_array_equal(wv.vectors, table[:1234])
    np.testing.assert_allclose(np.linalg.norm(wv.unit, axis=1), 1.0, atol=1e-5)
    for arr in (wv.vectors, wv.unit):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0, 0] = 1.0
    assert wv.index_of("the") == 0


@pytest.mark.parametrize("n", [0, 5, 400_001, 2.5])
def test_loader_rejects_bad_sizes(n):
    with pytest.raises(InputError):
        load_glove(n)


# --- words: normalisation and unknown words ----------------------------------------------------


def test_case_and_spaces_are_normalised(wv):
    assert wv.index_of("  King ") == wv.index_of("king") == wv.index_of("KING")
    assert "\tQueen\n" in wv
    a = analogy(wv, " MAN", "Woman ", "king", k=3)
    assert (a.a, a.b, a.c) == ("man", "woman", "king")
    b = cosine_breakdown(wv, "Cat ", " DOG")
    assert (b.word_u, b.word_v) == ("cat", "dog")


def test_unknown_word_raises_input_error_with_suggestions(wv):
    with pytest.raises(InputError) as err:
        wv.index_of("kingg")
    msg = str(err.value)
    assert "kingg" in msg and "Did you mean" in msg and "king" in msg.split("Did you mean")[1]
    with pytest.raises(InputError, match="queen"):
        analogy(wv, "man", "woman", "Quen")
    with pytest.raises(InputError, match="excellent"):
        neighbours(wv, "exellent")


def test_unknown_word_without_close_spelling_still_explains(wv):
    with pytest.raises(InputError, match="not among the 20,000 most frequent words"):
        wv.index_of("zzqxjv")


@pytest.mark.parametrize("bad", ["", "   ", "new york"])
def test_empty_or_multiword_input_raises(wv, bad):
    with pytest.raises(InputError):
        wv.index_of(bad)


# --- cosine and neighbours ---------------------------------------------------------------------


def test_cosine_matches_the_direct_formula():
    rng = np.random.default_rng(3)
    for _ in range(5):
        u, v = rng.normal(size=7), rng.normal(size=7)
        assert cosine(u, v) == pytest.approx(direct_cos(u, v), abs=1e-12)
    assert cosine(u, 3 * u) == pytest.approx(1.0) and cosine(u, -u) == pytest.approx(-1.0)
    rows = rng.normal(size=(4, 6))
    m = cosine_matrix(rows)
    for i in range(4):
        for j in range(4):
            assert m[i, j] == pytest.approx(direct_cos(rows[i], rows[j]), abs=1e-12)
    with pytest.raises(InputError):
        cosine(np.zeros(3), np.ones(3))


def test_cosine_breakdown_numbers(wv, raw):
    table, words = raw
    u, v = table[words.index("cat")], table[words.index("dog")]
    b = cosine_breakdown(wv, "cat", "dog")
    assert b.dot == pytest.approx(sum(float(x) * float(y) for x, y in zip(u, v, strict=True)), rel=1e-9)
    assert b.norm_u == pytest.approx(math.sqrt(sum(float(x) ** 2 for x in u)), rel=1e-9)
    assert b.products.sum() == pytest.approx(b.dot)
    assert b.cos == pytest.approx(direct_cos(u, v), abs=1e-9)
    assert b.cos > cosine_breakdown(wv, "cat", "car").cos  # cat is closer to dog than to car


def test_neighbours_are_the_brute_force_top_k(wv):
    got = neighbours(wv, "frog", k=6)
    q = wv.vector("frog").astype(np.float64)
    scores = [direct_cos(q, wv.vectors[i]) for i in range(len(wv))]
    order = [i for i in np.argsort(scores)[::-1] if wv.words[i] != "frog"][:6]
    assert [w for w, _ in got] == [wv.words[i] for i in order]
    for (_, s), i in zip(got, order, strict=True):
        assert s == pytest.approx(scores[i], abs=1e-5)
    assert all(a >= b for (_, a), (_, b) in zip(got[:-1], got[1:], strict=True))
    with pytest.raises(InputError):
        neighbours(wv, "frog", k=0)


# --- analogies ---------------------------------------------------------------------------------


def test_gender_analogy_gives_queen_first(wv, wv_full):
    r = analogy(wv, "man", "woman", "king", k=5)
    assert r.best == "queen"
    # the same query on the full default vocabulary (100k words)
    assert analogy(wv_full, "man", "woman", "king", k=1).best == "queen"


def test_analogy_excludes_query_words_and_scores_are_cosines(wv):
    r = analogy(wv, "man", "woman", "king", k=10)
    words = [w for w, _ in r.answers]
    assert not {"man", "woman", "king"} & set(words)
    # without the exclusion rule a query word would win: that is why the rule exists
    t = wv.unit[wv.index_of("woman")] - wv.unit[wv.index_of("man")] + wv.unit[wv.index_of("king")]
    all_scores = wv.unit @ (t / np.linalg.norm(t))
    assert wv.words[int(np.argmax(all_scores))] in {"man", "woman", "king"}
    np.testing.assert_allclose(r.target, t)
    for w, s in r.answers:
        assert s == pytest.approx(direct_cos(t, wv.vectors[wv.index_of(w)]), abs=1e-5)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name.split(":")[0])
def test_presets_resolve_and_their_pairs_are_in_vocab(wv, preset):
    r = analogy(wv, preset.a, preset.b, preset.c, k=5)
    assert preset.expected in [w for w, _ in r.answers]
    pairs = plot_pairs(wv, r, preset)
    assert pairs[:2] == [(preset.a, preset.b), (preset.c, r.best)]
    assert len(pairs) == 2 + len(preset.more_pairs)


def test_analogy_set_has_60_analogies_over_known_words(wv):
    rows = analogy_set()
    assert len(rows) == 60 and len(RELATIONS) == 5
    assert all(w in wv for row in rows for w in row[1:])


# --- PCA ---------------------------------------------------------------------------------------


def test_pca_matches_svd_up_to_sign(wv):
    words = ["man", "woman", "king", "queen", "boy", "girl", "uncle", "aunt"]
    x = np.stack([wv.vector(w) for w in words]).astype(np.float64)
    p = pca(x, k=3)
    xc = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    for k in range(3):
        sign = np.sign(p.components[k] @ vt[k])
        assert abs(sign) == 1
        np.testing.assert_allclose(p.components[k], sign * vt[k], atol=1e-8)
        np.testing.assert_allclose(p.coords[:, k], sign * (xc @ vt[k]), atol=1e-8)
    np.testing.assert_allclose(p.explained, (s**2 / (s**2).sum())[:3], atol=1e-10)
    with pytest.raises(InputError):
        pca(x[:1], k=2)


# --- one-hot vs dense --------------------------------------------------------------------------


def test_one_hot_times_matrix_is_the_row():
    words = parse_words("Cat, dog  car cat")
    assert words == ("cat", "dog", "car")
    table = random_table(len(words), 4, seed=1)
    demo = one_hot_demo(words, table, " DOG")
    assert demo.chosen == 1 and demo.onehot.tolist() == [0.0, 1.0, 0.0]
    np.testing.assert_array_equal(demo.product, table[1])
    np.testing.assert_allclose(demo.cos_onehot, np.eye(3))
    assert demo.cos_dense[0, 1] == pytest.approx(direct_cos(table[0], table[1]))
    np.testing.assert_array_equal(random_table(3, 4, seed=1), table)
    assert not np.array_equal(random_table(3, 4, seed=2), table)
    with pytest.raises(InputError):
        one_hot_demo(words, table, "king")
    with pytest.raises(InputError):
        parse_words("cat")


# --- transfer learning -------------------------------------------------------------------------

SMALL = TransferConfig(n_train=40, n_test=30, hidden_size=8, seed=3)


@pytest.fixture
def one_thread():
    """Tiny models on a shared 2-core machine: one torch thread, as app.py sets it."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_transfer_data_keeps_unseen_words_out_of_training():
    data = make_data(SMALL)
    assert (len(data.train), len(data.test_unseen), len(data.test_seen)) == (40, 30, 30)
    unseen = set(UNSEEN_WORDS)
    for text, label in data.train + data.test_seen:
        assert not unseen & set(text.split())
        assert label_of(text) == label
    for text, label in data.test_unseen:
        polar = [w for w in text.split() if w in POLARITY]
        assert polar and set(polar) <= unseen
        assert label_of(text) == label
    texts = [t for t, _ in data.train + data.test_unseen + data.test_seen]
    assert len(set(texts)) == len(texts)  # no sentence in two sets
    assert make_data(SMALL) == data and make_data(TransferConfig(n_train=40, n_test=30, seed=4)) != data
    assert set(SEEN_WORDS) | unseen == set(POLARITY) and not set(SEEN_WORDS) & unseen


def test_models_share_weights_except_the_embedding(wv_full):
    task = Sentiment(n_val=1, seed=SMALL.seed)
    models = {v: build_model(SMALL, v, task, wv_full) for v in VARIANTS}
    ref = models["random"].state_dict()
    for v in ("frozen", "finetuned"):
        for name, value in models[v].state_dict().items():
            if name != "embedding.weight":
                assert torch.equal(value, ref[name]), name
    e = models["frozen"].embedding.weight
    for k, w in enumerate(task.vocab):
        expected = np.zeros(50) if w == "<pad>" else wv_full.vector(w)
        np.testing.assert_array_equal(e[k].detach().numpy(), expected)
    assert torch.equal(e, models["finetuned"].embedding.weight)
    assert not torch.equal(e, models["random"].embedding.weight)
    assert not e.requires_grad and models["finetuned"].embedding.weight.requires_grad


def test_training_updates_only_trainable_embeddings(wv_full, one_thread):
    exp = TransferExperiment(SMALL, wv_full, log_every=10)
    before = {v: m.embedding.weight.detach().clone() for v, m in exp.models.items()}
    results = exp.run(20, 60.0)
    assert all(r.steps == 20 for r in results.values())
    assert all(exp.steps(v) == 20 for v in VARIANTS)
    assert torch.equal(exp.models["frozen"].embedding.weight, before["frozen"])
    for v in ("random", "finetuned"):
        assert not torch.equal(exp.models[v].embedding.weight, before[v])
    for v in VARIANTS:
        assert exp.curves[v]["step"] == [0, 10, 20]
        assert all(0 <= a <= 1 for a in exp.curves[v]["test_acc"])
    # a time budget that runs out mid-run still leaves all three at the same step
    results = exp.run(500, 0.05)
    assert {r.status for r in results.values()} == {"budget"}
    assert len({exp.steps(v) for v in VARIANTS}) == 1 and 20 < exp.steps("random") < 520
    probs = exp.predict("the plot was not brilliant")
    assert set(probs) == set(VARIANTS) and all(0 < p < 1 for p in probs.values())
    with pytest.raises(InputError, match="superb"):
        exp.predict("the plot was superb")


def test_every_unseen_word_has_a_same_sentiment_neighbour_in_glove(wv_full):
    rows = nearest_seen(wv_full)
    assert [w for w, _, _ in rows] == list(UNSEEN_WORDS)
    for unseen, seen, score in rows:
        assert POLARITY[unseen] == POLARITY[seen], (unseen, seen)
        assert score == pytest.approx(cosine(wv_full.vector(unseen), wv_full.vector(seen)), abs=1e-5)


@pytest.mark.slow
def test_frozen_glove_beats_random_embeddings_on_unseen_words(wv_full, one_thread):
    """The lesson's claim, measured: same seed, data and steps; only E differs."""
    exp = TransferExperiment(TransferConfig(), wv_full, log_every=50)
    exp.run(100, 120.0)
    final = {v: exp.curves[v]["test_acc"][-1] for v in VARIANTS}
    assert final["random"] < 0.62  # unseen words are noise to a random E: near chance
    assert final["frozen"] > final["random"] + 0.15
    # all three learn the words they saw
    assert all(exp.curves[v]["train_acc"][-1] > 0.9 for v in VARIANTS)


def test_labels_of_words_that_sit_close_together_go_to_opposite_sides():
    from rnnviz.charts.embeddings import projection_2d_figure

    words = ["king", "queen", "uncle", "man", "woman", "boy"]
    coords = np.array(
        [[0.6, 0.23], [0.39, -0.10], [0.39, -0.04], [-0.3, 0.18], [-0.36, -0.08], [-0.30, -0.13]]
    )
    fig = projection_2d_figure(
        words, coords, [("man", "woman"), ("king", "queen")], np.array([0.4, 0.3]), "map"
    )
    side = dict(zip(words, fig.data[0].textposition, strict=True))
    assert (side["uncle"], side["queen"]) == ("middle left", "middle right")  # uncle sits just above queen
    assert (side["woman"], side["boy"]) == ("middle left", "middle right")  # boy is to the right
    assert side["king"] == "top center"  # far from everyone: the side its arrow gives
