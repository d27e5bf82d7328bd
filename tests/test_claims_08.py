"""Lesson 8's claims and equations against the page's own vectors and models.

The p(positive) readout is recomputed by hand in float64 from the classifier's weights; the
sentences about the cosine table and the predict-first question are computed and checked against
the charts; the statements about GloVe itself (fixed data) are pinned.
"""

import json

import numpy as np
import pytest
from test_page_07 import array

from rnnviz.embeddings import PRESETS, analogy, load_glove
from rnnviz.embeddings.similarity import NEAREST_RANKS, neighbours, top_k
from rnnviz.embeddings.transfer import UNSEEN_WORDS, TransferConfig, TransferExperiment, nearest_seen
from rnnviz.tasks.sentiment import LABELS, NEGATIVE, POSITIVE

PAGE = "08_embeddings.py"


@pytest.fixture(scope="module")
def wv():
    return load_glove()


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titled(at, text: str) -> dict:
    (fig,) = [f for f in figures(at) if f["layout"].get("title", {}).get("text", "") == text]
    return fig


def sig(x):
    return 1 / (1 + np.exp(-x))


def gru_last_state(x, p):
    """torch's GRU over x (T, D) from h_0 = 0, rows r, z, n, in float64: h_T."""
    h = np.zeros(p["weight_hh"].shape[1])
    H = h.shape[0]
    for x_t in x:
        gi, gh = p["weight_ih"] @ x_t + p["bias_ih"], p["weight_hh"] @ h + p["bias_hh"]
        r, z = sig(gi[:H] + gh[:H]), sig(gi[H : 2 * H] + gh[H : 2 * H])
        n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
        h = (1 - z) * n + z * h
    return h


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert not at.exception and not at.error
    return at


def test_p_positive_shown_is_the_softmax_of_the_readout(page):
    """p(positive) = softmax(W_hy h_T + b_y)_1, with x_t = e_{w_t} and h_t = GRU(x_t, h_{t-1})."""
    at = page
    exp = at.session_state["l8_exp"]
    review = at.text_input(key="l8_review").value
    ids = exp.task.encode(review).numpy()
    assert LABELS[1] == "positive"
    shown = {m.label: float(m.value) for m in at.metric if m.label.startswith("p(positive)")}
    assert len(shown) == 3
    for variant, model in exp.models.items():
        E = model.embedding.weight.detach().double().numpy()
        p = {k: v.detach().double().numpy() for k, v in model.layers[0].params().items()}
        h_T = gru_last_state(E[ids], p)
        logits = model.head.weight.detach().double().numpy() @ h_T + model.head.bias.detach().double().numpy()
        probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        label = next(
            k
            for k in shown
            if k.endswith(
                ("random E", "frozen GloVe", "fine-tuned GloVe")[
                    ("random", "frozen", "finetuned").index(variant)
                ]
            )
        )
        assert shown[label] == pytest.approx(probs[1], abs=5e-4)  # shown with 3 decimals
        assert probs[1] == pytest.approx(exp.predict(review)[variant], abs=1e-6)


def test_cosine_table_sentence_follows_the_table(open_url):
    for kind, pretrained in (("pretrained GloVe", True), ("random (as nn.Embedding starts)", False)):
        at = open_url(PAGE, {"l8_table": kind})
        assert not at.exception and not at.error
        title = "cos(e_u, e_v): " + ("GloVe rows" if pretrained else "random rows of E")
        fig = titled(at, title)
        cos = array(fig["data"][0]["z"])
        words = fig["data"][0]["x"]
        shown = "\n".join(m.value for m in at.markdown)
        for i in range(len(words)):
            j = max((j for j in range(len(words)) if j != i), key=lambda j: cos[i, j])
            pair = sorted([i, j])
            assert f"*{words[pair[0]]}* and *{words[pair[1]]}* ({cos[i, j]:.2f})" in shown
        assert ("With GloVe rows" in shown) == pretrained
        if pretrained:  # the default vocabulary pairs up as the try-this expects
            for u, v in (("cat", "dog"), ("king", "queen"), ("car", "truck")):
                assert f"*{u}* and *{v}*" in shown


def test_predict_question_is_graded_against_the_neighbours(page, wv):
    at = page
    ranked = neighbours(wv, "frog", k=max(NEAREST_RANKS))
    radio = at.radio(key="check_l8_predict")
    assert sorted(radio.options) == sorted(ranked[r - 1][0] for r in NEAREST_RANKS)
    right = list(radio.options).index(ranked[0][0])
    at.radio(key="check_l8_predict").set_value((right + 1) % 4).run()
    assert any(e.value.startswith("Not quite.") for e in at.error)
    at.radio(key="check_l8_predict").set_value(right).run()
    assert any(s.value.startswith("Right.") and f"{ranked[0][1]:.3f}" in s.value for s in at.success)


def test_pinned_statements_about_glove(wv):
    # try this: "GloVe answers larger, not smaller" for big : bigger :: small : ?
    assert analogy(wv, "big", "bigger", "small").best == "larger"
    # "Every unseen word's nearest seen word has the same sentiment"
    rows = nearest_seen(wv)
    assert len(rows) == len(UNSEEN_WORDS)
    for unseen, seen, _ in rows:
        assert (unseen in POSITIVE) == (seen in POSITIVE) and (unseen in NEGATIVE) == (seen in NEGATIVE)


def test_untrained_curves_start_near_chance(wv):
    """'the curves below begin with the untrained models (near chance, 0.5)'."""
    exp = TransferExperiment(TransferConfig(), wv)
    for v, curve in exp.curves.items():
        assert abs(curve["test_acc"][0] - 0.5) < 0.15, (v, curve["test_acc"][0])


def test_spread_and_exclusion_sentences_follow_the_numbers(page, wv):
    at = page
    shown = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    (fig,) = [f for f in figures(at) if any(t.get("name") == "product" for t in f["data"])]
    products = array(next(t for t in fig["data"] if t.get("name") == "product")["y"]).astype(float)
    i = int(np.argmax(products))
    share = products[i] / products[products > 0].sum()
    assert f"The largest term, dimension {i} ({products[i]:.3f}), is {100 * share:.0f}%" in shown
    assert share < 0.25 and "no single dimension carries the similarity" in shown  # cat, dog
    # the default analogy is the preset 'gender': without the exclusion, king itself wins
    assert "the closest word to t here would be *king* itself" in shown
    res = analogy(wv, "man", "woman", "king", k=1)
    assert top_k(wv, res.target, 1, exclude=())[0][0] == "king"
    for p in PRESETS[1:]:  # the others would be right even without leaving a, b, c out, as the page says
        res = analogy(wv, p.a, p.b, p.c, k=1)
        assert top_k(wv, res.target, 1, exclude=())[0][0] not in (p.a, p.b, p.c)


def test_try_this_and_check_premises(wv):
    # "add truck's neighbours bus and jeep"
    assert {"bus", "jeep"} <= {w for w, _ in neighbours(wv, "truck", k=10)}
    # the check question: frozen GloVe classifies unseen-word reviews far better than random E,
    # after one click of the page's default budget (200 steps each)
    exp = TransferExperiment(TransferConfig(), wv)
    exp.run(200, 120.0)
    assert exp.steps("frozen") == 200
    acc = {v: c["test_acc"][-1] for v, c in exp.curves.items()}
    assert acc["frozen"] > acc["random"] + 0.2 and abs(acc["random"] - 0.5) < 0.1


# --- section 4: PCA beside t-SNE (issue 18, item 3) ---------------------------------------------


def map_points(at, title_start: str) -> tuple[list[str], np.ndarray]:
    """The words and (n, dims) positions a word map shows, read from its chart."""
    (fig,) = [f for f in figures(at) if f["layout"].get("title", {}).get("text", "").startswith(title_start)]
    words, rows = [], []
    for trace in fig["data"]:
        if trace.get("mode") != "markers+text":
            continue
        words += list(trace["customdata"])
        rows.append(np.stack([array(trace[a]).astype(float) for a in "xyz" if a in trace], axis=1))
    return words, np.concatenate(rows)


def joint_p(x: np.ndarray, perplexity: float) -> np.ndarray:
    """p_ij of the page's equation: sigma_i by bisection so 2^H(p_.|i) = perplexity, symmetrised."""
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    n = len(x)
    p = np.zeros((n, n))
    for i in range(n):
        lo, hi = 1e-20, 1e20
        for _ in range(200):
            beta = np.sqrt(lo * hi)  # 1 / (2 sigma_i^2), bisected on a log scale
            di = d2[i].copy()
            di[i] = np.inf  # p_{i|i} = 0
            row = np.exp(-(di - di.min()) * beta)
            row /= row.sum()
            h = -(row[row > 0] * np.log2(row[row > 0])).sum()
            lo, hi = (beta, hi) if h > np.log2(perplexity) else (lo, beta)
        p[i] = row
    return (p + p.T) / (2 * n)


def kl(p: np.ndarray, y: np.ndarray) -> float:
    """sum_ij p_ij log(p_ij / q_ij), the page's q_ij ∝ (1 + ||y_i - y_j||^2 / a)^-(a+1)/2, a = dims - 1."""
    a = max(y.shape[1] - 1, 1)
    w = (1 + ((y[:, None] - y[None]) ** 2).sum(-1) / a) ** (-(a + 1) / 2)
    np.fill_diagonal(w, 0)
    q = w / w.sum()
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


def test_word_maps_are_pca_and_a_minimum_of_the_tsne_objective(page, wv):
    """The PCA map is z_j = W^T (x_j - mu) of the unit vectors (distances checked against an SVD);
    the t-SNE map minimises KL(P || Q) with the perplexity in its title: every small move raises it."""
    at = page
    words, z = map_points(at, "PCA, 2-D")
    x = np.stack([wv.unit[wv.index_of(w)] for w in words]).astype(np.float64)
    xc = x - x.mean(0)
    svd = xc @ np.linalg.svd(xc, full_matrices=False)[2][:2].T
    assert np.allclose(np.abs(z), np.abs(svd), atol=1e-6)
    twords, y = map_points(at, "t-SNE, 2-D, perplexity 10")
    assert twords == words and len(words) == 54  # 6 words x (1 + 8 neighbours)
    p = joint_p(x, 10.0)
    base = kl(p, y)
    rng = np.random.default_rng(0)
    for _ in range(10):
        assert kl(p, y + rng.normal(0, 0.02 * y.std(), y.shape)) > base
    assert base < kl(p, z / z.std() * y.std())  # the PCA map, scaled alike, fits P worse


def test_map_sentences_are_computed_from_the_maps_shown(page, wv):
    stats = pytest.importorskip("scipy.stats")
    at = page
    words, z = map_points(at, "PCA, 2-D")
    _, y = map_points(at, "t-SNE, 2-D")
    x = np.stack([wv.unit[wv.index_of(w)] for w in words]).astype(np.float64)
    shown = "\n".join(m.value for m in at.markdown)

    def kept(low, k=5):  # share of each word's k nearest in 50-D that stay among its k on the map
        def nn(a):
            d = ((a[:, None] - a[None]) ** 2).sum(-1)
            np.fill_diagonal(d, np.inf)
            return [set(np.argsort(r, kind="stable")[:k]) for r in d]

        return np.mean([len(a & b) / k for a, b in zip(nn(x), nn(low), strict=True)])

    k_t, k_p = kept(y), kept(z)
    kept_text = f"the t-SNE map keeps {100 * k_t:.0f}% among its 5 nearest on the map and the PCA map"
    assert f"{kept_text} {100 * k_p:.0f}%" in shown
    assert k_t > k_p + 0.05 and "t-SNE keeps more of the neighbourhoods" in shown  # pinned at the defaults
    i, j = np.triu_indices(len(x), 1)
    d = [np.linalg.norm(a[i] - a[j], axis=1) for a in (x, z, y)]
    rho_p, rho_t = stats.spearmanr(d[0], d[1]).statistic, stats.spearmanr(d[0], d[2]).statistic
    assert f"ρ = {rho_p:.2f} for PCA and ρ = {rho_t:.2f} for t-SNE" in shown
    assert rho_p > rho_t + 0.05 and "PCA keeps the overall order of distances" in shown
    pct = [stats.rankdata(v) - 1 for v in d]
    worst = int(np.argmax(np.abs(pct[1] - pct[2])))
    u, v = words[i[worst]], words[j[worst]]
    assert f"The two maps disagree most about *{u}* and *{v}*" in shown
    m = len(d[0]) - 1
    assert f"PCA draws them farther apart than {100 * pct[1][worst] / m:.0f}% of the pairs" in shown
    assert f"they are farther apart than {100 * pct[0][worst] / m:.0f}% of the pairs" in shown
    # the prose: a projection never draws two words farther apart than they are in 50-D
    assert (d[1] <= d[0] + 1e-9).all()
    # the check question's answer is the sentence's verdict
    assert at.session_state["check_l8_map_predict_answer"] == 0
