"""Lesson 7's claims and equations against the page's own model and numbers.

Every sentence about the live model is computed (rnnviz.seq2seq.focus) or pinned here; every
equation on screen is recomputed by hand in float64 from the model's weights and compared with
what the page draws. Training stays short (25 steps on characters) to keep the suite quick.
"""

import numpy as np
import pytest
import torch
from test_page_07 import PAGE, array, figures, heatmap, texts

from rnnviz.seq2seq.captions import object_sentence
from rnnviz.seq2seq.dates import WORDS, DateTask
from rnnviz.seq2seq.focus import NEARLY_UNIFORM, focus, prefix_words, roles, spread
from rnnviz.seq2seq.model import Seq2Seq, Seq2SeqConfig
from rnnviz.seq2seq.trace import trace_caption, trace_date

DEFAULT_TEXT = "monday the twenty first of march two thousand five"


def sig(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    z = np.exp(x - x.max())
    return z / z.sum()


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """torch's GRU cell, rows r, z, n: h' = (1 - z) * n + z * h."""
    gi, gh = w_ih @ x + b_ih, w_hh @ h + b_hh
    H = h.shape[0]
    r = sig(gi[:H] + gh[:H])
    z = sig(gi[H : 2 * H] + gh[H : 2 * H])
    n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
    return (1 - z) * n + z * h


def lstm_step(x, state, w_ih, w_hh, b_ih, b_hh):
    """torch's LSTM cell, rows i, f, g, o: c' = f * c + i * g, h' = o * tanh(c')."""
    h, c = state
    a = w_ih @ x + b_ih + w_hh @ h + b_hh
    H = h.shape[0]
    i, f, g, o = sig(a[:H]), sig(a[H : 2 * H]), np.tanh(a[2 * H : 3 * H]), sig(a[3 * H :])
    c = f * c + i * g
    return o * np.tanh(c), c


def np64(t) -> np.ndarray:
    return t.detach().double().numpy()


def by_hand(model, task, text, steps):
    """The lesson's equations, written out in float64: e_t, d_0 = e_T, d_s, score, alpha, c_s, p(y_s),
    free running (step s is fed the argmax of step s - 1)."""
    cfg = model.cfg
    x = task.encode(text)
    emb = np64(model.src_embed.weight)[x.numpy()]
    enc = {
        k: np64(getattr(model.encoder, k + "_l0")) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }
    H = cfg.hidden_size
    step = gru_step if cfg.cell == "gru" else lstm_step
    state = np.zeros(H) if cfg.cell == "gru" else (np.zeros(H), np.zeros(H))
    e = []
    for x_t in emb:  # e_t = Cell(x_t, e_{t-1})
        state = step(x_t, state, enc["weight_ih"], enc["weight_hh"], enc["bias_ih"], enc["bias_hh"])
        e.append(state if cfg.cell == "gru" else state[0])
    e = np.array(e)  # (T, H)
    dec = model.decoder
    cell = {k: np64(getattr(dec.cell, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    W_c, b_c = np64(dec.W_c.weight), np64(dec.W_c.bias)
    W_y, b_y = np64(dec.W_y.weight), np64(dec.W_y.bias)
    out = {"score": [], "alpha": [], "c": [], "probs": [], "d": []}
    prev = 1  # <sos>
    for _ in range(steps):
        # d_s = Cell(y_{s-1}, d_{s-1}), d_0 = e_T (the state, and the LSTM's cell state too)
        state = step(np64(dec.embed.weight)[prev], state, *cell.values())
        d = state if cfg.cell == "gru" else state[0]
        if dec.attention is None:
            pre = W_c @ d + b_c  # p(y_s) = softmax(W_y tanh(W_c d_s))
        else:
            if cfg.attention == "dot":
                score = e @ d  # score_{t,s} = e_t . d_s
            else:
                sc = dec.attention.additive
                W_e, W_d, b, v = (
                    np64(p) for p in (sc.W_e.weight, sc.W_d.weight, sc.W_d.bias, sc.v.weight[0])
                )
                score = np.tanh(e @ W_e.T + W_d @ d + b) @ v  # v . tanh(W_e e_t + W_d d_s + b)
            alpha = softmax(score)  # alpha_{t,s} = softmax_t(score_{t,s})
            c = alpha @ e  # c_s = sum_t alpha_{t,s} e_t
            pre = W_c @ np.concatenate([d, c]) + b_c  # p(y_s) = softmax(W_y tanh(W_c [d_s; c_s]))
            out["score"].append(score), out["alpha"].append(alpha), out["c"].append(c)
        probs = softmax(W_y @ np.tanh(pre) + b_y)
        out["probs"].append(probs), out["d"].append(d)
        prev = int(probs.argmax())
        if prev == 2:  # <eos>
            break
    return e, {k: np.array(v) for k, v in out.items()}


@pytest.fixture
def trained(open_page):
    """The page at its defaults (characters, GRU, dot attention), trained 25 steps by its own button."""
    at = open_page(PAGE)
    at.select_slider(key="l7_steps").set_value(25).run()
    at.button(key="l7_train").click().run()
    assert not at.exception and not at.error
    return at


def title(fig: dict) -> str:
    return fig["layout"].get("title", {}).get("text", "")


def step_figure(at) -> dict:
    (fig,) = [f for f in figures(at) if title(f).startswith("output step s=")]
    return fig


def p_figure(at) -> dict:
    (fig,) = [f for f in figures(at) if title(f).startswith("p(y_")]
    return fig


# --- equations ------------------------------------------------------------------------------------
def test_decoder_and_readout_shown_match_the_equations_in_float64(trained):
    at = trained
    model = at.session_state["l7_trainer"][1].model
    task = DateTask(tokens="chars")
    e, ref = by_hand(model, task, DEFAULT_TEXT, task.max_target_len)
    # the heatmap: alpha_{t,s}, row s = 1..S
    np.testing.assert_allclose(array(heatmap(at)["data"][0]["z"]), ref["alpha"], atol=2e-5)
    # one decoder step (s = 1 by default): the score and alpha bars, and p(y_1)
    bars = step_figure(at)["data"]
    np.testing.assert_allclose(array(bars[0]["y"]), ref["score"][0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(array(bars[1]["y"]), ref["alpha"][0], atol=2e-5)
    shown_p = array(p_figure(at)["data"][0]["y"])
    np.testing.assert_allclose(shown_p, np.sort(ref["probs"][0])[::-1][: len(shown_p)], atol=2e-5)
    # the context chart's last row is c_1 = sum_t alpha_{t,1} e_t
    (ctx,) = [f for f in figures(at) if title(f).startswith("building the context")]
    np.testing.assert_allclose(array(ctx["data"][0]["z"])[-1], ref["c"][0], atol=2e-5)
    np.testing.assert_allclose(ref["c"][0], ref["alpha"][0] @ e)


@pytest.mark.parametrize(("cell", "attention"), [("lstm", "additive"), ("gru", "none")])
def test_the_other_cells_and_scores_match_the_equations(cell, attention):
    task = DateTask(tokens="words")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, cell=cell, attention=attention, seed=3))
    text = "the fifth of may nineteen ninety"
    tr = trace_date(model, task, text)
    _, ref = by_hand(model, task, text, task.max_target_len)
    np.testing.assert_allclose(tr.probs, ref["probs"], atol=2e-6)
    np.testing.assert_allclose(tr.d, ref["d"], atol=2e-6)
    if attention != "none":
        np.testing.assert_allclose(tr.score, ref["score"], atol=2e-5)
        np.testing.assert_allclose(tr.alpha, ref["alpha"], atol=2e-6)


def test_caption_encoder_shown_matches_its_equation(open_page):
    at = open_page(PAGE)
    model = at.session_state["l7_cap_trainer"][1].model
    task = at.session_state["l7_cap_trainer"][1].task
    image, _ = task.example(0)
    x = np64(task.patches(image[None])[0])  # (N, P*P*3)
    # e_t = tanh(W_p x_t + p_t)
    e = np.tanh(x @ np64(model.W_p.weight).T + np64(model.W_p.bias) + np64(model.p))
    with torch.no_grad():
        e_model, d0 = model.encode(task.patches(image[None]), torch.ones(1, task.n_cells, dtype=torch.bool))
    np.testing.assert_allclose(np64(e_model[0]), e, atol=1e-6)
    # d_0 = tanh(W_0 mean_t e_t)
    np.testing.assert_allclose(
        np64(d0[0]), np.tanh(np64(model.W_0.weight) @ e.mean(0) + np64(model.W_0.bias)), atol=1e-6
    )


# --- claims -------------------------------------------------------------------------------------
def test_untrained_attention_is_nearly_uniform_as_the_caption_says(open_url):
    """'Untrained ... the output is gibberish and the attention weights are nearly uniform', pinned for
    every cell, score and token kind at step 0."""
    for params in ({}, {"l7_tokens": "words (up to 10)", "l7_attn": "additive attention", "l7_cell": "LSTM"}):
        at = open_url(PAGE, params)
        weights = array(heatmap(at)["data"][0]["z"])
        assert spread(weights) > NEARLY_UNIFORM
        tr = at.session_state["l7_trainer"][1]
        task = tr.task
        assert trace_date(tr.model, task, DEFAULT_TEXT).answer != task.parse(DEFAULT_TEXT)
    assert "The weights are nearly uniform" in texts(at)


def test_where_the_weight_goes_is_computed_from_the_heatmap(trained):
    at = trained
    weights = array(heatmap(at)["data"][0]["z"])
    assert spread(weights) < NEARLY_UNIFORM  # 25 steps already focus the weights
    src = list(DEFAULT_TEXT)
    space = np.array([ch == " " for ch in src])
    # 'decided': the letters read so far fit one word of the task only (or it is the last letter)
    decided = np.zeros(len(src), bool)
    start = 0
    for w in DEFAULT_TEXT.split():
        for j in range(len(w)):
            decided[start + j] = [v for v in WORDS if v.startswith(w[: j + 1])] == [w]
        start += len(w) + 1
    decided[-1] = True
    shares = {
        "space": weights[:, space].sum(1).mean(),
        "decided": weights[:, decided].sum(1).mean(),
        "open": weights[:, ~space & ~decided].sum(1).mean(),
    }
    shown = texts(at)
    assert f"Spaces are {100 * space.mean():.0f}% of the input and get {100 * shares['space']:.0f}%" in shown
    assert (
        f"decided are {100 * decided.mean():.0f}% of the input and get {100 * shares['decided']:.0f}%"
        in shown
    )
    assert f"still open get {100 * shares['open']:.0f}%" in shown
    ratio = shares["space"] / space.mean()
    verdict = "more weight" if ratio > 1.2 else ("less weight" if ratio < 0.8 else "about their number")
    assert verdict in shown


def test_the_weight_on_the_field_being_written():
    """'While writing a digit, x% of the weight is on the words of the field it writes'."""
    task = DateTask(tokens="chars")
    words = DEFAULT_TEXT.split()
    T = len(DEFAULT_TEXT)
    # a decoder that puts all its weight on the space after 'march' for every step: month steps 4, 5
    alpha = np.zeros((11, T))
    alpha[:, DEFAULT_TEXT.index("march") + 5] = 1
    f = focus(task, words, alpha)
    assert f.on_field == pytest.approx(2 / 8)  # 2 of the 8 digit steps write the month
    assert f.weight["space"] == 1 and f.spread == 0
    assert "25% of the weight is on the words of the field" in " ".join(f.sentences())


def test_why_spaces_explanation_holds_for_the_task_and_the_encoder():
    # the explanation's examples: four begins longer words; after 'marc' only march fits
    assert {"four", "six", "seven"} <= set(prefix_words())
    assert all(any(v != w and v.startswith(w) for v in WORDS) for w in prefix_words())
    assert [w for w in WORDS if w.startswith("marc")] == ["march"]
    assert {"fourth", "fourteen"} <= {w for w in WORDS if w.startswith("four")}
    # 'e_t has read x_1 .. x_t and nothing after': change what follows a space, e_t up to it stays
    task = DateTask(tokens="chars")
    model = Seq2Seq(Seq2SeqConfig.for_task(task, attention="dot", seed=1))
    a = trace_date(model, task, "twenty one march two thousand five")
    b = trace_date(model, task, "twenty one march nineteen oh five")
    cut = len("twenty one march ")
    np.testing.assert_array_equal(a.e[:cut], b.e[:cut])
    assert not np.allclose(a.e[cut], b.e[cut])
    assert roles(task, ["four", "march"])[:5] == ["open"] * 4 + ["space"]


def test_the_step_sentence_names_what_the_encoder_had_read(trained):
    at = trained
    at.select_slider(key="l7_s").set_value(4).run()  # s = 4: the month's first digit
    weights = array(heatmap(at)["data"][0]["z"])
    best = int(weights[3].argmax())
    shown = texts(at)
    assert f"is at $t={best + 1}$" in shown
    if DEFAULT_TEXT[best] == " ":
        assert "It is the space after" in shown
    else:
        assert "It is letter" in shown and ("only" in shown or "still fit" in shown)


# --- section 4 of the issue: the softmax written with the wrong index ----------------------------
def titled(at, text: str) -> np.ndarray:
    (fig,) = [f for f in figures(at) if title(f) == text]
    return array(fig["data"][0]["z"])


def test_written_softmax_panel_is_uniform_beside_the_real_weights(trained):
    at = trained
    model = at.session_state["l7_trainer"][1].model
    task = DateTask(tokens="chars")
    e, ref = by_hand(model, task, DEFAULT_TEXT, task.max_target_len)
    T = len(DEFAULT_TEXT)
    written, correct = titled(at, "as often written"), titled(at, "correct softmax")
    np.testing.assert_allclose(written, 1 / T, rtol=1e-12)  # every weight 1/T, whatever the scores
    np.testing.assert_allclose(correct, ref["alpha"], atol=2e-5)
    np.testing.assert_allclose(correct, array(heatmap(at)["data"][0]["z"]), atol=1e-6)
    assert np.abs(correct - written).max() > 0.1  # the trained weights are far from uniform
    # what the model answers with c_s = mean_t e_t: the decoder by hand with the uniform context
    dec = model.decoder
    cell = [np64(getattr(dec.cell, k)) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    state, c, prev, answer = e[-1], e.mean(0), 1, []
    for _ in range(task.max_target_len):
        state = gru_step(np64(dec.embed.weight)[prev], state, *cell)
        pre = np64(dec.W_c.weight) @ np.concatenate([state, c]) + np64(dec.W_c.bias)
        prev = int((np64(dec.W_y.weight) @ np.tanh(pre) + np64(dec.W_y.bias)).argmax())
        if prev == 2:
            break
        answer.append(task.tgt_vocab[prev])
    shown = texts(at)
    assert f"every weight is 1/T = 1/{T} = {1 / T:.3f}" in shown
    tr = trace_date(model, task, DEFAULT_TEXT)
    if "".join(answer) == tr.answer:
        assert f"This model still answers `{tr.answer}`" in shown
    else:
        assert f"this model answers `{''.join(answer) or '(nothing)'}` instead of `{tr.answer}`" in shown


# --- section 5: the predict-first question -------------------------------------------------------
def test_predict_question_is_graded_against_the_heatmap(trained):
    at = trained
    weights = array(heatmap(at)["data"][0]["z"])
    S = weights.shape[0]
    s = 4 if S >= 4 else 1
    best = int(weights[s - 1].argmax())
    radio = at.radio(key="check_l7_predict")
    assert f"$s={s}$" in radio.label
    options = list(radio.options)
    right = [i for i, o in enumerate(options) if o.startswith(f"$t={best + 1}$:")]
    assert len(right) == 1 and len(options) == 4
    wrong = next(i for i in range(4) if i != right[0])
    at.radio(key="check_l7_predict").set_value(wrong).run()
    assert any(
        e.value.startswith("Not quite.") and f"{weights[s - 1, best]:.3f}" in e.value for e in at.error
    )
    at.radio(key="check_l7_predict").set_value(right[0]).run()
    assert any(
        m.value.startswith("Right.") and f"= {weights[s - 1, best]:.3f}" in m.value for m in at.success
    )


# --- section 7: captions -----------------------------------------------------------------------------
def test_caption_sentence_follows_the_image_weights(open_page):
    at = open_page(PAGE)
    tr = at.session_state["l7_cap_trainer"][1]
    task = tr.task
    objects, _ = task.example_objects(0)
    (fig,) = [f for f in figures(at) if any(t.get("type") == "image" for t in f["data"])]
    alpha = np.array([array(t["z"]).ravel() for t in fig["data"] if t.get("type") == "heatmap"])
    cap = trace_caption(tr.model, task, *task.example(0))
    np.testing.assert_allclose(alpha, cap.alpha, atol=1e-6)  # the overlay is the model's alpha
    shares = [
        alpha[s, [c for c, col, shp in objects if w in (col, shp)]].sum() for s, w in enumerate(cap.out)
    ]
    shares = [x for x, w in zip(shares, cap.out, strict=True) if any(w in o[1:] for o in objects)]
    shown = texts(at)
    if shares:
        assert f"words put on average {100 * np.mean(shares):.0f}% of their weight" in shown
        assert ("do not look at their object yet" in shown) == (np.mean(shares) <= 2 / task.n_cells)
    else:
        assert "no colour or shape word of an object" in shown


def test_object_sentence_branches():
    objects = [(0, "red", "circle"), (8, "blue", "square")]
    out = ["red", "circle", "left", "of", "blue", "square", "<eos>"]
    alpha = np.full((7, 9), 1 / 9)
    assert "do not look at their object yet" in object_sentence(objects, out, alpha)
    alpha = np.zeros((7, 9))
    alpha[:2, 0] = alpha[4:6, 8] = 1
    assert "100% of their weight" in object_sentence(objects, out, alpha)
    assert "they look at their object" in object_sentence(objects, out, alpha)


def test_the_readout_and_encoders_on_screen_carry_their_biases(open_page):
    at = open_page(PAGE)
    latex = "\n".join(x.value for x in at.latex)
    assert r"W_y \tanh(W_c\,[d_s; c_s] + b_c) + b_y" in latex and r"\tanh(W_c\, d_s + b_c) + b_y" in latex
    prose = "\n".join(m.value for m in at.markdown)
    assert r"e_t = \tanh(W_p x_t + b_p + p_t)" in prose and r"d_0 = \tanh(W_0 \bar e + b_0)" in prose
