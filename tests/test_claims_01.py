"""Lesson 1: every claim the page's prose makes, at its defaults and at a shared link's settings (the
lesson has no presets; the link is its other fixed view), and every equation on screen against the
models' own numbers, float64 where it matters.
"""

import base64
import copy
import json
import re

import numpy as np
import pytest
import torch

from rnnviz.lessons import recurrence
from rnnviz.model import param_count
from rnnviz.sample import sample
from rnnviz.seq2seq.dates import DateTask
from rnnviz.tasks.sentiment import label_of
from rnnviz.tasks.tagging import word_tags
from rnnviz.trace import trace

PAGE = "01_why_recurrence.py"
LINK = {"l1_D": "5", "l1_H": "9", "l1_K": "3", "l1_n": "7", "seed": "3", "l1_word": "awful"}
VIEWS = ["defaults", "link"]


def errors(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.fixture(params=VIEWS)
def view(request, open_page, open_url):
    at = open_page(PAGE) if request.param == "defaults" else open_url(PAGE, LINK)
    assert errors(at) == []
    return at


def sizes(at) -> tuple[int, int, int, int, int]:
    D, H, K, n = (at.slider(key=f"l1_{k}").value for k in "DHKn")
    return D, H, K, n, int(at.session_state["seed"]) if "seed" in at.session_state else 0


def section1(at):
    D, H, K, n, seed = sizes(at)
    model = recurrence.rnn_model(D, H, K, seed)
    xs = recurrence.random_sequence(n, D, seed)
    return model, xs, trace(model, xs, jacobians=False)


def array(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def heatmap_columns(at, title_part: str) -> list[np.ndarray]:
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if title_part in c.proto.spec)
    return [array(d["z"])[::-1, 0] for d in spec["data"] if d["type"] == "heatmap"]


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def metric(at, start: str) -> int:
    return int(next(m for m in at.metric if m.label.startswith(start)).value.replace(",", ""))


# --- section 1 ------------------------------------------------------------------------------


def test_every_cell_of_the_unrolled_picture_is_the_rnns_number(view):
    """'Every coloured cell is a real number of this (untrained) RNN run on n random input vectors'"""
    at = view
    D, H, K, n, _ = sizes(at)
    model, xs, tr = section1(at)
    cols = heatmap_columns(at, "The RNN unrolled")
    assert len(cols) == 1 + 3 * n and not cols[0].any()  # h_0 = 0, then x_t, h_t, y_t per step
    for t in range(n):
        for want in (xs.numpy()[t], tr.layer(0).h[t], tr.logits[t]):
            assert any(c.shape == want.shape and np.allclose(c, want, atol=1e-6) for c in cols), t
    # and the picture's h_t is torch's nn.RNN, in float64
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        torch_h, _ = m.layers[0].rnn(xs.double()[None])
    np.testing.assert_allclose(tr.layer(0).h, torch_h[0].numpy(), atol=1e-6)


def test_the_caption_parts_add_up_to_the_count(view):
    """'Each box f holds W_xh (HxD), W_hh (HxH), b_h (2H numbers), W_hy (KxH), b_y (K): N parameters'"""
    at = view
    D, H, K, n, _ = sizes(at)
    model, *_ = section1(at)
    rnn = model.layers[0].rnn
    assert rnn.weight_ih_l0.shape == (H, D) and rnn.weight_hh_l0.shape == (H, H)
    assert model.head.weight.shape == (K, H)
    total = H * D + H * H + 2 * H + K * H + K
    assert total == param_count(model) == metric(at, "RNN, any n")
    cap = next(c.value for c in at.caption if "Each box f holds" in c.value)
    assert f"W_xh ({H}x{D}), W_hh ({H}x{H}), b_h ({H}, " in cap and f"so {2 * H} numbers" in cap
    assert f"W_hy ({K}x{H}) and b_y ({K}): {total} parameters" in cap


def test_as_big_for_5_inputs_as_for_5000():
    """'The weights inside f are the same at every step, so the network is as big for 5 inputs as 5,000'"""
    model = recurrence.rnn_model(3, 4, 2)
    before = param_count(model)
    with torch.no_grad():
        for n in (5, 5000):
            out, _ = model(recurrence.random_sequence(n, 3)[None])  # (1, n, D)
            assert out.shape == (1, n, 2)
    assert param_count(model) == before == recurrence.rnn_params(3, 4, 2)


def test_more_steps_grow_the_picture_not_the_count(open_page):
    """'Change n: the picture grows, the parameter count does not.'"""
    at = open_page(PAGE)
    before = (len(heatmap_columns(at, "The RNN unrolled")), metric(at, "RNN, any n"))
    at.slider(key="l1_n").set_value(8).run()
    after = (len(heatmap_columns(at, "The RNN unrolled")), metric(at, "RNN, any n"))
    assert after[0] == 1 + 3 * 8 > before[0] and after[1] == before[1]


# --- section 2 ------------------------------------------------------------------------------


def test_counts_are_counted_on_torch_modules_and_equal_the_formula(view):
    """'The three numbers above are counted on real torch modules; the curve is the formula'"""
    at = view
    D, H, K, n, _ = sizes(at)
    fc = recurrence.fc_model(n, D, H, K)
    assert fc[1].weight.shape == (H, n * D)  # 'its first weight matrix has nD columns'
    assert metric(at, f"Fully connected over n = {n}") == param_count(fc) == n * D * H + H + K * H + K
    n_max = max(60, n)
    assert metric(at, f"Fully connected over n = {n_max}") == param_count(recurrence.fc_model(n_max, D, H, K))
    spec = next(
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Parameters for D" in c.proto.spec
    )
    curves = {d["name"]: array(d["y"]) for d in spec["data"] if d.get("name")}
    fc_curve = next(v for k, v in curves.items() if "fully" in k.lower())
    assert fc_curve[n - 1] == param_count(fc)


# --- section 3: the usage patterns ------------------------------------------------------------


def test_the_tabs_run_small_tanh_rnns(view):
    """'Each tab runs a real small RNN (tanh cell, H = 24 or 48) from this course's tasks.'"""
    ex = recurrence.build_examples(recurrence.ExamplesConfig(seed=sizes(view)[4]))
    for model in (ex.sentiment, ex.tagging, ex.lm):
        assert model.cfg.cell == "rnn_tanh" and model.cfg.hidden_size in (24, 48)


@pytest.mark.parametrize("train", [False, True])
def test_one_step_is_a_feedforward_net_in_float64(train):
    """y = softmax(W_hy tanh(W_xh x_1 + b_h) + b_y): the one-to-one equation against the model itself."""
    ex = recurrence.build_examples(recurrence.ExamplesConfig(seed=0, steps=30, lm_steps=1), train=train)
    task = ex.sentiment_task
    m = copy.deepcopy(ex.sentiment).double()
    for word in ("good", "awful", "terrible", "loved"):
        ff, rnn = recurrence.one_step_as_feedforward(ex.sentiment, task, word)
        with torch.no_grad():
            logits, _ = m(task.encode(word)[None])  # torch's nn.RNN, one step from h_0 = 0
        np.testing.assert_allclose(ff, torch.softmax(logits[0], -1).numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(rnn, recurrence.classify(ex.sentiment, task, word).probs, atol=1e-6)


def test_one_to_one_caption_prints_both_numbers(view):
    at = view
    word = at.selectbox(key="l1_word").value
    ex = recurrence.build_examples(recurrence.ExamplesConfig(seed=sizes(at)[4]))
    ff, rnn = recurrence.one_step_as_feedforward(ex.sentiment, ex.sentiment_task, word)
    best = int(rnn.argmax())
    cap = next(c.value for c in at.caption if c.value.startswith("As a feedforward net"))
    assert f"p({ex.sentiment_task.labels[best]}) = {ff[best]:.6f}" in cap and f"gives {rnn[best]:.6f}." in cap


def test_generation_is_the_start_then_60_characters_at_temperature_07(view):
    at = view
    prime = at.text_input(key="l1_prime").value
    ex = recurrence.build_examples(recurrence.ExamplesConfig(seed=sizes(at)[4]))
    shown = at.code[0].value
    assert shown.startswith(prime) and len(shown) == len(prime) + 60
    assert shown == sample(ex.lm, ex.lm_task, prime=prime, length=60, temperature=0.7, seed=sizes(at)[4]).text
    assert any("60 drawn characters (temperature 0.7)" in c.value for c in at.caption)


def test_many_to_one_caption_is_the_rules_and_the_model(view):
    at = view
    review = at.text_input(key="l1_review").value
    ex = recurrence.build_examples(recurrence.ExamplesConfig(seed=sizes(at)[4]))
    res = recurrence.classify(ex.sentiment, ex.sentiment_task, review)
    cap = next(c.value for c in at.caption if c.value.startswith("The rules"))
    assert f"say: **{label_of(review) or 'no sentiment word in the last clause'}**" in cap
    assert f"The model says: **{res.label}**" in cap


def test_tagging_prose_is_the_tasks_grammar():
    """'I like cake is Pronoun Verb Noun; in they swim like fish the same like is a Preposition'"""
    tags = word_tags()
    assert {"Verb", "Preposition"} <= tags["like"] and "Pronoun" in tags["i"] and "Noun" in tags["cake"]
    assert {"Verb", "Noun"} <= tags["fish"]  # try this 4: 'the same word gets two tags'


@pytest.mark.parametrize("phrase", ["twenty one march", "first of may"])
def test_unaligned_caption_counts_words_and_characters(open_page, phrase):
    at = open_page(PAGE)
    at.text_input(key="l1_phrase").set_value(phrase).run()
    target = DateTask().parse(phrase)
    words = len(phrase.split())
    cap = next(c.value for c in at.caption if c.value.startswith("Target for"))
    assert f"`{target}`" in cap and f"{words} words in, {len(target)} characters out." in cap


def test_section_4_uses_section_1s_sizes(view):
    D, H, *_ = sizes(view)
    assert any(f"Sizes from section 1: D = {D}, H = {H}." in c.value for c in view.caption)


# --- the check question -------------------------------------------------------------------------


def test_check_answer_is_measured_on_section_1s_rnn(view):
    at = view
    D, H, K, n, seed = sizes(at)
    model, xs, _ = section1(at)
    # zero x_1 and run torch's nn.RNN and head in float64 here: every output moves
    m = copy.deepcopy(model).double()
    cut = xs.double().clone()
    cut[0] = 0
    with torch.no_grad():
        y, y_cut = m(xs.double()[None])[0][0], m(cut[None])[0][0]
    moved = (y_cut - y).norm(dim=-1).numpy()
    assert (moved > 0).all()
    np.testing.assert_allclose(recurrence.first_input_reach(model, xs), moved, rtol=1e-12)
    answer = recurrence.reach_answer(moved)
    assert recurrence.REACH_OPTIONS[answer].startswith("Every y_t")
    at.radio(key=f"check_{PAGE}").set_value(answer).run()
    right = next(s.value for s in at.success if s.value.startswith("Right."))
    assert f"y_1 by {moved[0]:.3g}" in right and f"y_{n} by {moved[-1]:.3g}" in right


def test_check_answer_follows_the_model_when_the_state_is_cut():
    """With W_hh = 0 only y_1 hears of x_1: the computed answer changes with the model."""
    model = recurrence.rnn_model(3, 4, 2, seed=0)
    with torch.no_grad():
        model.layers[0].rnn.weight_hh_l0.zero_()
    moved = recurrence.first_input_reach(model, recurrence.random_sequence(4, 3, 0))
    assert moved[0] > 0 and not moved[1:].any()
    assert recurrence.reach_answer(moved) == 0
    assert recurrence.reach_answer(np.zeros(4)) == 2


def test_check_question_is_not_answered_on_the_page(open_page):
    """The old question (does the count grow with n?) was answered by a printed metric; this one's answer
    (the measured changes) appears only after answering."""
    at = open_page(PAGE)
    assert not any(re.search(r"y_1 by \d", t) for t in texts(at).split("\n"))


def test_generation_prose_says_whether_the_model_is_trained(open_page):
    at = open_page(PAGE)
    said = next(m.value for m in at.markdown if "One input, many outputs" in m.value)
    assert "(untrained until you train the examples)" in said and "trained" not in said.replace(
        "untrained", ""
    )
