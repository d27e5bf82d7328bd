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
