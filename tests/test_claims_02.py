"""Lesson 2: every claim the page's prose makes, at its defaults and at each architecture (its presets),
and every equation on screen against the model's own numbers (torch.nn.RNN in float64).

Each test names the sentence it pins. A claim the page computes (its wording branches on numbers) is
checked against the same numbers computed here without the page's helper where possible.
"""

import base64
import copy
import json
import re

import numpy as np
import pytest
import torch

from rnnviz.charts import elman as charts
from rnnviz.lessons import bidirectional as bidir
from rnnviz.lessons import bptt
from rnnviz.lessons.elman import (
    ElmanConfig,
    WeightEdit,
    edited,
    make_model,
    make_task,
    output_terms,
    pyramid_tokens,
    sequence_ids,
    step_terms,
)
from rnnviz.lessons.elman_tables import outputs_frame, states_frame
from rnnviz.model import halve_time
from rnnviz.trace import trace
from rnnviz.train import TrainConfig, Trainer

PAGE = "02_elman_rnn.py"
ARCHS = ["single", "stacked", "bidirectional", "pyramid"]
NUM = r"-?\d+\.\d+(?:e[-+]?\d+)?"


def errors(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def opened(open_page, arch: str = "single"):
    at = open_page(PAGE)
    if arch != "single":
        at.radio(key="l2_arch").set_value(arch).run()
    assert errors(at) == []
    return at


def page_cfg(at) -> ElmanConfig:
    return ElmanConfig(
        sequence=at.text_input(key="l2_sequence").value,
        hidden_size=at.slider(key="l2_H").value,
        architecture=at.radio(key="l2_arch").value,
        num_layers=at.slider(key="l2_layers").value,
    )


def model_of(at):
    return at.session_state["l2_model_trainer"][1].model


def page_numbers(at):
    cfg = page_cfg(at)
    task = make_task(cfg)
    x, y = sequence_ids(cfg, task)
    model = model_of(at)
    return cfg, task, model, x, y, trace(model, x, y, jacobians=False)


def texts(at) -> str:
    return "\n".join(
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    )


def array(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def bmatrices(tex: str) -> list[np.ndarray]:
    blocks = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", tex)
    return [np.array([float(v) for v in re.findall(r"-?\d+\.\d+", b)]) for b in blocks]


def torch_layers64(model, x):
    """Every layer's input and torch.nn.RNN output, float64: [(input (T, D), output (T, dirs*H))]."""
    m = copy.deepcopy(model).double()
    assert all(isinstance(layer.rnn, torch.nn.RNN) for layer in m.layers)  # torch's own module
    h = m.embed(x[None])
    out = []
    with torch.no_grad():
        for k, layer in enumerate(m.layers):
            if m.cfg.pyramid and k > 0:
                h = halve_time(h)
            inp = h
            h, _ = layer(h)
            out.append((inp[0].numpy(), h[0].numpy()))
    return m, out


# --- the equations ---------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_step_equation_is_torch_rnn_in_float64(open_page, arch):
    """h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) with the page's matrices, h_0 = 0 (h<-_{T+1} = 0)."""
    at = opened(open_page, arch)
    cfg, task, model, x, y, tr = page_numbers(at)
    _, layers = torch_layers64(model, x)
    H = cfg.hidden_size
    for lt in tr.layers:
        inp, out = layers[lt.layer]
        T = len(lt.h)
        for i in range(T):
            terms = step_terms(tr, i, lt.layer, lt.direction)
            torch_h = out[i, lt.direction * H : (lt.direction + 1) * H]
            prev = i - 1 if lt.direction == 0 else i + 1
            h_prev = out[prev, lt.direction * H : (lt.direction + 1) * H] if 0 <= prev < T else np.zeros(H)
            # the equation with the page's own W_hh, W_xh, b_h, in float64, against torch.nn.RNN
            mine = np.tanh(terms.W_hh @ h_prev + terms.W_xh @ inp[i] + terms.b)
            np.testing.assert_allclose(mine, torch_h, rtol=0, atol=1e-12)
            np.testing.assert_allclose(terms.h, torch_h, atol=2e-6)  # what the page prints (from float32)
            assert (terms.prev_step is None) == (not 0 <= prev < T)


@pytest.mark.parametrize("arch", ARCHS)
def test_output_equation_is_the_models_head_in_float64(open_page, arch):
    """y_t = softmax(W_hy h_t + b_y), with [h->_t; h<-_t] for the bidirectional net."""
    at = opened(open_page, arch)
    cfg, task, model, x, y, tr = page_numbers(at)
    m, layers = torch_layers64(model, x)
    with torch.no_grad():
        logits, _ = m(x[None])
    torch_p = torch.softmax(logits[0], -1).numpy()
    feats = layers[-1][1]
    rows = [None] if tr.head == "many_to_one" else range(len(x))
    for i in rows:
        out = output_terms(model, tr, i)
        h = (
            np.concatenate([feats[-1, : cfg.hidden_size], feats[0, cfg.hidden_size :]])
            if i is None and (cfg.architecture == "bidirectional")
            else (feats[-1] if i is None else feats[i])
        )
        z = out.W_hy @ h + out.b_y  # with the page's W_hy, b_y
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(p, torch_p if i is None else torch_p[i], rtol=0, atol=1e-12)
        np.testing.assert_allclose(out.probs, torch_p if i is None else torch_p[i], atol=1e-6)


@pytest.mark.parametrize("arch", ARCHS)
def test_the_shown_step_is_torchs_at_the_last_step(open_page, arch):
    """The LaTeX step equation at t = T prints torch's h_T (2 decimals), with steps counted from 1."""
    at = opened(open_page, arch)
    cfg, task, model, x, y, tr = page_numbers(at)
    T = len(cfg.sequence)
    at.slider(key="l2_t").set_value(T).run()
    assert errors(at) == []
    layer = 0 if cfg.layers == 1 else at.radio(key="l2_eq_layer").value
    eq = next(x.value for x in at.latex if r"\begin{aligned}" in x.value)
    _, layers = torch_layers64(model, x)
    out = layers[layer][1]
    row = (T - 1) // 2**layer if cfg.architecture == "pyramid" else T - 1
    np.testing.assert_allclose(bmatrices(eq)[-1], out[row, : cfg.hidden_size], atol=0.006)
    assert f"_{{{row + 1}}} &=" in eq and f"x_{{{row + 1}}}" in eq


def test_first_step_starts_from_h0_and_the_backward_one_from_hT_plus_1(open_page):
    at = opened(open_page)
    eq = next(x.value for x in at.latex if r"\begin{aligned}" in x.value)
    assert at.slider(key="l2_t").value == 1 and "{h}_{0} = 0" in eq and "x_{1}" in eq
    at = opened(open_page, "bidirectional")
    T = len(page_cfg(at).sequence)
    at.slider(key="l2_t").set_value(T).run()
    at.radio(key="l2_eq_dir").set_value(1).run()
    eq = next(x.value for x in at.latex if r"\begin{aligned}" in x.value)
    assert rf"\overleftarrow{{h}}_{{{T + 1}}} = 0" in eq


# --- steps t = 1..T everywhere -----------------------------------------------------------------


@pytest.mark.parametrize("arch", ["single", "bidirectional"])
def test_steps_count_from_one_in_every_view(open_page, arch):
    """'Steps are numbered t = 1, ..., T, in the text, the equations, the tables, the chart axes, the CSV'"""
    at = opened(open_page, arch)
    cfg, task, model, x, y, tr = page_numbers(at)
    T = len(cfg.sequence)
    slider = at.slider(key="l2_t").proto
    assert (slider.min, slider.max) == (1, T)
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace_ in spec["data"]:
            if trace_["type"] == "heatmap":
                assert array(trace_["x"])[0] == 1 and array(trace_["x"])[-1] == T
                assert array(trace_["customdata"])[0, 0] == f"1:{cfg.sequence[0]}"
    assert states_frame(tr, cfg)["t"].tolist() == list(range(1, T + 1)) * len(tr.layers)
    assert outputs_frame(tr, cfg, task.vocab, y)["t"].tolist() == list(range(1, T + 1))
    assert f"Step 1 reads x_1 = '{cfg.sequence[0]}'" in texts(at)


def test_csv_tables_hold_the_traces_numbers(open_page):
    for arch in ("pyramid", "stacked"):
        at = opened(open_page, arch)
        cfg, task, model, x, y, tr = page_numbers(at)
        frame = states_frame(tr, cfg)
        for lt in tr.layers:
            part = frame[(frame["layer"] == lt.layer + 1)]
            np.testing.assert_allclose(part.filter(like="h_t[").to_numpy(), lt.h, atol=1e-7)
        out = outputs_frame(tr, cfg, task.vocab, y)
        assert out["t"].tolist() == ([len(x)] if arch == "pyramid" else list(range(1, len(x) + 1)))


# --- the prose, sentence by sentence -----------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_untrained_spread_is_what_the_info_box_says(open_page, arch):
    """'each character gets a probability from lo to hi, where uniform would be 1/V'"""
    at = opened(open_page, arch)
    cfg, task, model, x, y, tr = page_numbers(at)
    box = next(i.value for i in at.info if "untrained" in i.value)
    lo, hi, uni = (float(v) for v in re.findall(r"from (\d\.\d+) to (\d\.\d+), where uniform would be 1/V = "
                                                   r"(\d\.\d+)", box)[0])  # fmt: skip
    assert ("its one prediction gives" in box) == (arch == "pyramid")
    assert (lo, hi) == (round(float(tr.probs.min()), 3), round(float(tr.probs.max()), 3))
    assert uni == round(1 / len(task.vocab), 3) and lo < uni < hi


def test_torch_names_and_shapes_of_the_expander(open_page):
    """'W_xh is weight_ih_l0 (H x V), W_hh weight_hh_l0 (H x H), b_h = bias_ih_l0 + bias_hh_l0, W_hy V x H'"""
    at = opened(open_page)
    cfg, task, model, *_ = page_numbers(at)
    H, V = cfg.hidden_size, len(task.vocab)
    rnn = model.layers[0].rnn
    assert rnn.weight_ih_l0.shape == (H, V) and rnn.weight_hh_l0.shape == (H, H)
    assert rnn.bias_ih_l0.shape == rnn.bias_hh_l0.shape == (H,)
    assert model.head.weight.shape == (V, H) and model.head.bias.shape == (V,)
    assert f"$V = {V}$" in texts(at)


def test_red_bar_caption_is_the_models_probability(open_page):
    at = opened(open_page)
    at.slider(key="l2_t").set_value(4).run()
    cfg, task, model, x, y, tr = page_numbers(at)
    cap = next(c.value for c in at.caption if c.value.startswith("Red bar"))
    assert f"('{task.vocab[int(y[3])]}')" in cap
    assert f"p = {tr.probs[3, int(y[3])]:.3f}" in cap


def test_bidirectional_caption_says_what_each_direction_has_read(open_page):
    """'the forward state, which has read x_1..x_t, and the backward state, which has read x_t..x_T'"""
    at = opened(open_page, "bidirectional")
    at.slider(key="l2_t").set_value(4).run()
    cfg, task, model, x, y, tr = page_numbers(at)
    seq = cfg.sequence
    cap = next(c.value for c in at.caption if c.value.startswith("At step 4"))
    assert (
        f"has read '{seq[:4]}'" in cap
        and f"has read '{seq[3:]}'" in cap
        and f"{2 * cfg.hidden_size} numbers" in cap
    )
    H = cfg.hidden_size
    m = copy.deepcopy(model).double()
    with torch.no_grad():
        base = m.features(x[None])[0][0]
        for k in range(len(x)):  # change one character at a time: who moves at step 4?
            x2 = x.clone()
            x2[k] = (x[k] + 1) % len(task.vocab)
            moved = (m.features(x2[None])[0][0] - base)[3].abs()
            assert bool(moved[:H].max() > 0) == (k <= 3), k  # forward: x_1..x_4
            assert bool(moved[H:].max() > 0) == (k >= 3), k  # backward: x_4..x_T


def test_stacked_layer_reads_the_layer_below_at_the_same_step(open_page):
    at = opened(open_page, "stacked")
    at.slider(key="l2_t").set_value(5).run()
    at.radio(key="l2_eq_layer").set_value(1).run()
    cfg, task, model, x, y, tr = page_numbers(at)
    assert "Here x_5 is h_5 of layer 1, the layer below, at the same step." in texts(at)
    np.testing.assert_allclose(tr.layer(1).x[4], tr.layer(0).h[4])


def test_pyramid_note_and_its_single_prediction(open_page):
    at = opened(open_page, "pyramid")
    at.slider(key="l2_t").set_value(7).run()
    at.radio(key="l2_eq_layer").set_value(1).run()
    cfg, task, model, x, y, tr = page_numbers(at)
    seq = cfg.sequence
    assert f"Layer 2 step 4 reads x_4 = [h_7; h_8] of layer 1: the characters '{seq[6:8]}'." in texts(at)
    np.testing.assert_allclose(tr.layer(1).x[3], np.concatenate([tr.layer(0).h[6], tr.layer(0).h[7]]))
    assert pyramid_tokens(seq, cfg.layers)[1][3] == seq[6:8]
    out = [x.value for x in at.latex if "softmax" in x.value and "p(" in x.value]
    at.slider(key="l2_t").set_value(2).run()
    assert [
        x.value for x in at.latex if "softmax" in x.value and "p(" in x.value
    ] == out  # t does not change it
    assert any("t does not change it" in c.value for c in at.caption)


def test_w_hh_is_the_only_path_from_the_past(open_page):
    """Section 2: 'W_hh is the only thing that carries information from one step to the next.'"""
    at = opened(open_page)
    cfg, task, model, x, y, tr = page_numbers(at)
    cut = copy.deepcopy(edited(model, WeightEdit(scale=0.0))).double()
    x2 = x.clone()
    x2[0] = (x[0] + 1) % len(task.vocab)
    with torch.no_grad():
        a, b = cut.features(x[None])[0][0], cut.features(x2[None])[0][0]
    assert float((a[0] - b[0]).abs().max()) > 0 and float((a[1:] - b[1:]).abs().max()) == 0


# --- 1b. the cheat, measured ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cheat():
    return bidir.measure_cheat(bidir.CheatConfig(seed=0))  # the page's measurement at seed 0 (cached)


def test_the_cheat_is_unmistakable(cheat):
    r = cheat
    assert r.chance == pytest.approx(np.log(4))
    assert r.chance - 0.05 < r.single.mean() < r.chance + 0.1  # one direction: chance, it cannot do better
    assert r.bidirectional.mean() < r.single.mean() / 5  # "15 times lower" at seed 0
    assert r.bidirectional[:-1].max() < 0.05  # copies x_(t+1) at t = 1..T-1
    assert r.bidirectional[-1] > 0.8 * r.chance  # the last step cannot see its next letter
    said = " ".join(bidir.cheat_sentences(r))
    assert f"**{r.single.mean():.2f}**, no better than chance" in said
    assert f"**{r.bidirectional.mean():.2f}**" in said and "has already read $x_{t+1}$ and copies it" in said
    assert f"the loss is {r.bidirectional[-1]:.2f}, chance again" in said


def test_cheat_wording_follows_other_numbers(cheat):
    r = cheat
    no_cheat = bidir.CheatResult(r.config, r.chance, r.single, r.single.copy())
    said = " ".join(bidir.cheat_sentences(no_cheat))
    assert "has not (yet) learnt to copy" in said and "copies it" not in said
    lucky = bidir.CheatResult(r.config, r.chance, r.single - 0.3, r.bidirectional)
    assert "no better than chance" not in " ".join(bidir.cheat_sentences(lucky))


def test_the_page_shows_the_measured_cheat(open_page, cheat):
    at = opened(open_page, "bidirectional")
    assert "Your sequence, repeated, may hide it" in " ".join(w.value for w in at.warning)
    at.button(key="l2_measure").click().run()
    assert errors(at) == []
    said = bidir.cheat_sentences(cheat)
    assert said[0] + "\n" + "\n".join(said[1:3]) + "\n\n" + said[3] in [m.value for m in at.markdown]
    spec = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if "one direction" in c.proto.spec))
    lines = {d["name"]: array(d["y"]) for d in spec["data"]}
    np.testing.assert_allclose(lines["one direction"], cheat.single)
    np.testing.assert_allclose(lines["bidirectional"], cheat.bidirectional)


LEAK = "02_elman_rnn.py (leakage)"  # the leakage question's own lesson key, apart from the page's


def made_up(cheat, bidirectional):
    return bidir.CheatResult(cheat.config, cheat.chance, cheat.single, np.asarray(bidirectional, float))


def test_leak_question_answer_follows_the_per_step_losses(cheat):
    T = cheat.config.window
    copying = np.full(T, 0.01)
    copying[-1] = 1.3  # the measured shape: copies x_(t+1) except at the last step
    assert bidir.leak_question(made_up(cheat, copying)).answer == 2
    assert bidir.leak_question(made_up(cheat, np.full(T, 1.38))).answer == 3  # flat: nothing learnt
    first = np.full(T, 0.01)
    first[0] = 1.0
    assert bidir.leak_question(made_up(cheat, first)).answer == 0
    middle = np.full(T, 0.01)
    middle[T // 2] = 1.0
    q = bidir.leak_question(made_up(cheat, middle))
    assert q.answer == 1 and f"The highest is at t = {T // 2 + 1}, 1.00 nats" in q.why
    barely = np.full(T, 1.3)
    barely[-1] = 1.3 + bidir.FLAT * 0.9  # within FLAT: "about the same"; just beyond it: the last step
    assert bidir.leak_question(made_up(cheat, barely)).answer == 3
    barely[-1] = 1.3 + bidir.FLAT * 1.1
    assert bidir.leak_question(made_up(cheat, barely)).answer == 2


def test_leak_question_on_the_measurement_explains_with_its_numbers(cheat):
    q = bidir.leak_question(cheat)
    b, T = cheat.bidirectional, cheat.config.window
    assert int(np.argmax(b)) == T - 1 and q.answer == 2 and q.options[2] == f"t = {T}, the last step"
    assert f"at most {b[:-1].max():.3f} nats" in q.why and f"the loss is {b[-1]:.2f}" in q.why
    assert "has already read $x_{t+1}$" in q.why and f"$x_{{{T + 1}}}$ lies outside the window" in q.why
    assert f"one-direction model's is {cheat.single[-1]:.2f} there" in q.why
    assert set(q.hints) == {0, 1, 3} and all(f"{b[-1]:.2f} at t = {T}" in h for h in q.hints.values())


def test_the_page_asks_the_leak_question_after_the_measurement(open_page, cheat):
    at = opened(open_page, "bidirectional")
    assert not any(r.key == f"check_{LEAK}" for r in at.radio)  # not before the measurement has run
    at.button(key="l2_measure").click().run()  # measure_cheat is cached: the fixture's numbers, no retraining
    assert errors(at) == []
    q = bidir.leak_question(cheat)
    assert at.session_state[f"check_{LEAK}_answer"] == q.answer == 2
    radio = at.radio(key=f"check_{LEAK}")
    assert radio.label == q.question and list(radio.options) == q.options
    radio.set_value(q.answer).run()
    assert any(s.value == f"Right. {q.why}" for s in at.success)
    at.radio(key=f"check_{LEAK}").set_value(0).run()
    assert any(e.value == f"Not quite. {q.hints[0]}" for e in at.error)


# --- 1c. not two RNNs stacked ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 3])
def test_backward_state_at_step_1_has_read_x_T_and_a_stacked_one_has_not(open_url, seed):
    at = open_url(PAGE, {"l2_arch": "bidirectional", "seed": str(seed)})
    assert errors(at) == []
    cfg = ElmanConfig(architecture="bidirectional", seed=seed)
    task = make_task(cfg)
    x, _ = sequence_ids(cfg, task)
    model = model_of(at)
    stacked = make_model(ElmanConfig(architecture="stacked", num_layers=2, seed=seed), task)
    r = bidir.reach_of_last_input(model, stacked, x, task.vocab)
    assert r.backward.min() > 0  # every h<-_t has read x_T
    assert not r.forward[:-1].any() and r.forward[-1] > 0  # h->_t reads x_T only at t = T
    assert not r.stacked[:-1].any() and r.stacked[-1] > 0  # so does a stacked net, layer on layer
    assert (r.width_bidirectional, r.width_stacked) == (2 * cfg.hidden_size, cfg.hidden_size)
    sentence = bidir.reach_sentence(r, lambda c: f"'{c}'")
    assert sentence in texts(at)
    assert "moves by exactly 0" in sentence and f"moves by {r.backward[0]:.2g}" in sentence
    table = next(d.value for d in at.dataframe if "‖Δh←_t‖ (this model)" in d.value.columns)
    np.testing.assert_allclose(table["‖Δh←_t‖ (this model)"], r.backward)


# --- 4. backpropagation through time ----------------------------------------------------------------


def elman(**kw):
    cfg = ElmanConfig(**kw)
    task = make_task(cfg)
    x, y = sequence_ids(cfg, task)
    return cfg, task, make_model(cfg, task), x, y


def trained(model, task, steps=40):
    torch.manual_seed(0)
    Trainer(model, task, TrainConfig(lr=0.03, batch_size=16, seed=0, checkpoint_every=0)).run(steps, 60)
    return model


@pytest.mark.parametrize("case", ["default", "trained", "edited", "H12"])
def test_delta_table_equals_autograd_in_float64(case):
    cfg, task, model, x, y = elman(
        **({"hidden_size": 12, "sequence": "abcabd", "seed": 3} if case == "H12" else {})
    )
    if case == "trained":
        model = trained(model, task)
    if case == "edited":
        model = edited(model, WeightEdit(scale=0.5, row=0, col=1, value=2.0))
    hand, auto = bptt.delta_table(model, x, y), bptt.autograd(model, x, y)
    assert bptt.largest_difference(hand, auto) < 1e-12
    for a, b in [(hand.dh, auto.dh), (hand.dW_hh, auto.dW_hh), (hand.dW_xh, auto.dW_xh), (hand.db, auto.db)]:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(hand.own + hand.from_next, hand.dh, rtol=0, atol=1e-15)
    assert not hand.from_next[-1].any()  # nothing flows back into the last step
    assert hand.loss == pytest.approx(auto.loss, abs=1e-12)
    # autograd() differentiates the model itself: its loss is T times the model's mean loss
    batch = type("B", (), {"x": x[None], "y": y[None], "mask": None})()
    model.zero_grad()
    mean, _ = model.loss(batch)
    mean.backward()
    assert auto.loss == pytest.approx(mean.item() * len(x), rel=1e-5)
    W = model.layers[0].rnn.weight_hh_l0.grad.double().numpy()
    np.testing.assert_allclose(auto.dW_hh, W * len(x), atol=1e-5)
    frame = hand.frame(task.vocab, i=2, j=1)
    assert frame["t"].tolist() == list(range(len(x), 0, -1))
    assert frame["Σ so far: dL/dW_hh[2,1]"].iloc[-1] == pytest.approx(auto.dW_hh[2, 1], abs=1e-12)
    np.testing.assert_allclose(frame["dL/dh_t[2]"], auto.dh[::-1, 2], atol=1e-12)


def test_the_page_prints_the_delta_table_and_autograds_agreement(open_page):
    at = opened(open_page)
    at.number_input(key="l2_bptt_i").set_value(3).run()
    at.number_input(key="l2_bptt_j").set_value(2).run()
    at.slider(key="l2_bptt_t").set_value(4).run()
    assert errors(at) == []
    cfg, task, model, x, y, tr = page_numbers(at)
    auto = bptt.autograd(model, x, y)
    shown = next(d.value for d in at.dataframe if "dL/dh_t[3]" in d.value.columns)
    np.testing.assert_allclose(shown["dL/dh_t[3]"], auto.dh[::-1, 3], atol=1e-12)
    assert shown["Σ so far: dL/dW_hh[3,2]"].iloc[-1] == pytest.approx(auto.dW_hh[3, 2], abs=1e-12)
    said = next(m.value for m in at.markdown if "torch.autograd on the same model" in m.value)
    assert f"L = {auto.loss:.4f}" in said and "gives the same numbers" in said
    assert float(re.findall(r"every gradient is (\S+)\.$", said)[0]) < 1e-12
    step = next(x.value for x in at.latex if r"\text{own loss } L_{4}" in x.value)
    own, back, dh, dh2, slope, delta = bmatrices(step)
    np.testing.assert_allclose(dh, auto.dh[3], atol=6e-4)
    np.testing.assert_allclose(own + back, dh, atol=2e-3)
    totals = next(x.value for x in at.latex if r"\partial W_{hh}} = \sum_{t=1}" in x.value)
    W_hh, b_h, W_xh = bmatrices(totals)
    np.testing.assert_allclose(W_hh, auto.dW_hh.ravel(), atol=6e-4)
    np.testing.assert_allclose(b_h, auto.db, atol=6e-4)
    np.testing.assert_allclose(W_xh, auto.dW_xh[:, :8].ravel(), atol=6e-4)  # cut at 8 columns


def scalar_autograd(w_h, w_x, xs, y):
    wx = torch.tensor(w_x, dtype=torch.float64, requires_grad=True)
    h = torch.zeros((), dtype=torch.float64)
    for x in xs:
        h = torch.tanh(w_h * h + wx * x)
    (0.5 * (h - y) ** 2).backward()
    return float(wx.grad)


@pytest.mark.parametrize(
    "w_h, w_x, xs, y",
    [(0.8, 0.5, "1, -0.5, 2, 0, 1", 0.0), (-1.3, 2.0, "3, -1, 0.5, 2, -2, 1", 0.5), (1.0, 1.0, "1", -1.0)],
)
def test_scalar_chain_sums_its_paths_to_autograd(open_page, w_h, w_x, xs, y):
    at = opened(open_page)
    at.number_input(key="l2_sc_wh").set_value(w_h)
    at.number_input(key="l2_sc_wx").set_value(w_x)
    at.text_input(key="l2_sc_xs").set_value(xs)
    at.number_input(key="l2_sc_y").set_value(y).run()
    assert errors(at) == []
    values = [float(v) for v in xs.split(",")]
    truth = scalar_autograd(w_h, w_x, values, y)
    said = next(m.value for m in at.markdown if m.value.startswith("Summed over the"))
    assert f"**{truth:.6f}**" in said and "(the same)" in said and f"the {len(values)} paths" in said
    table = next(d.value for d in at.dataframe if "k (path through x_k)" in d.value.columns)
    assert table["(h_T−y)·∏·(1−h_k²)x_k"].sum() == pytest.approx(truth, abs=1e-12)
    # each path: the chain of tanh steps after k, written out here once more
    h = [0.0]
    for v in values:
        h.append(np.tanh(w_h * h[-1] + w_x * v))
    for k in range(1, len(values) + 1):
        chain = np.prod([w_h * (1 - h[s] ** 2) for s in range(k + 1, len(values) + 1)])
        assert table["∏_(s=k+1..T) w_h(1−h_s²)"].iloc[k - 1] == pytest.approx(chain, abs=1e-12)


def test_scalar_chain_bad_input_says_what_to_type(open_page):
    at = opened(open_page)
    at.text_input(key="l2_sc_xs").set_value("1, two, 3").run()
    assert not at.exception and any("numbers separated by commas" in e.value for e in at.error)


# --- the check question ----------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [{}, {"hidden_size": 3, "sequence": "abcabd", "seed": 4}])
def test_check_answer_is_what_the_backward_pass_shows_at_w_hh_0(kw):
    cfg, task, model, x, y = elman(**kw)
    cut = edited(model, WeightEdit(scale=0.0))
    auto = bptt.autograd(cut, x, y)
    p = bptt.params_of(cut)
    # with W_hh = 0, dL/dh_t is the step's own term W_hy^T (y_t - e_t): nothing from t + 1 ...
    with torch.no_grad():
        logits, _ = copy.deepcopy(cut).double()(x[None])
    err = torch.softmax(logits[0], -1).numpy()
    err[np.arange(len(y)), y.numpy()] -= 1
    np.testing.assert_allclose(auto.dh, err @ p.W_hy, atol=1e-12)
    # ... yet dL/dW_hh is not zero: option 1
    assert np.abs(auto.dW_hh).max() > 1e-3
    assert bptt.cut_outcome(model, x, y) == 1
    assert "stays non-zero" in bptt.CUT_OUTCOMES[1] and "'from t+1' column becomes 0" in bptt.CUT_OUTCOMES[1]


def test_check_question_grades_against_the_live_model(open_page):
    at = opened(open_page)
    cfg, task, model, x, y, tr = page_numbers(at)
    right = bptt.cut_outcome(model, x, y)
    at.radio(key=f"check_{PAGE}").set_value(right).run()
    assert any(s.value.startswith("Right.") and "tanh(W_xh x_(t−1) + b_h)" in s.value for s in at.success)
    at.radio(key=f"check_{PAGE}").set_value(0).run()
    assert at.error and at.error[0].value.startswith("Not quite.")
    at = opened(open_page, "stacked")
    assert any("check question is about the one-layer RNN" in i.value for i in at.info)


def test_bptt_latex_builders_show_the_numbers():
    cfg, task, model, x, y = elman(hidden_size=4)
    hand = bptt.delta_table(model, x, y)
    T = len(x)
    tex = charts.bptt_step_latex(hand, T)
    own, back, dh, dh2, slope, delta = bmatrices(tex)
    assert not back.any() and r"\delta_{" + str(T + 1) + "} = 0" in tex
    np.testing.assert_allclose(delta, hand.delta[-1], atol=6e-4)
    np.testing.assert_allclose(slope, 1 - hand.h[T] ** 2, atol=6e-4)


def test_try_this_scaling_w_hh_saturates_the_heatmap(open_page):
    """Try this 2: 'Then try 2 or 3 and watch the heatmap saturate at ±1.'"""
    at = opened(open_page)
    at.slider(key="l2_scale").set_value(3.0).run()
    cfg, task, model, x, y, tr = page_numbers(at)
    cut = trace(edited(model, WeightEdit(scale=3.0)), x, y, jacobians=False)
    assert np.abs(cut.layer(0).h).max() > 0.99 > np.abs(tr.layer(0).h).max()
    spec = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if "h of layer 1" in c.proto.spec))
    assert np.abs(array(spec["data"][0]["z"])).max() > 0.99
