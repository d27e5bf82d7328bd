"""Lesson 3's claims: every sentence about the live model at the page's defaults, and every equation on
screen checked against the model's own numbers (float64 where it matters).

Each test names the sentence or equation it pins. The page's default model is the untrained LSTM of
``LMSettings()`` on the built-in markup (seed 0), rebuilt here from the same config.
"""

import base64
import copy
import dataclasses
import hashlib
import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from rnnviz.lessons import charlm as lm
from rnnviz.lessons import charlm_bptt as lm_bptt
from rnnviz.lessons import charlm_fit as lm_fit
from rnnviz.lessons import charlm_temperature as lm_temp
from rnnviz.lessons.charlm_lesson import LMLesson
from rnnviz.lessons.charlm_records import is_record_line, records_text
from rnnviz.sample import sample

ROOT = Path(__file__).resolve().parents[1]
PAGE = "app_pages/03_char_lm.py"


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as app.py runs
    yield
    torch.set_num_threads(before)


def open_at(params: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update(params or {})
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


@pytest.fixture(scope="module")
def page() -> AppTest:
    return open_at()


@pytest.fixture(scope="module")
def default_trainer():
    """The page's model at its defaults, built from the same config (untrained: step 0)."""
    return lm.build_trainer(lm.builtin_text(lm.MARKUP, seed=0), lm.LMSettings(), seed=0)


def figure(at, title_start: str) -> dict:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"].get("title", {}).get("text", "").startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def array(value) -> np.ndarray:
    """Plotly's JSON stores numpy arrays as {'dtype', 'bdata' (base64), 'shape'}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def f64(model):
    """A float64 copy of a model (the fixture's model stays as it is)."""
    return copy.deepcopy(model).double()


SHOWN = {" ": "␣", "\n": "↵"}


def markdown(at, start: str) -> str:
    return next(m.value for m in at.markdown if m.value.startswith(start))


def latex(at, part: str) -> str:
    return next(x.value for x in at.latex if part in x.value)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def number(text: str, pattern: str) -> float:
    return float(re.search(pattern, text).group(1).rstrip("."))


# --- section 2 and 4: L = sum_t L_t over T - 1 steps, bits per character, indices from 1 -------------


def test_sum_of_step_losses_and_bits_per_character_shown_match_the_bars(page, default_trainer):
    """'T = ..: L = sum_{t=1}^{T-1} L_t = ... => p(x_2..x_T | x_1) = e^{-L}, L / ((T-1) ln 2) = ... bits'."""
    seq = page.text_area(key="l3_seq").value
    T = len(seq)
    shown = latex(page, r"\text{bits per character}")
    bars = next(d for d in figure(page, "L_t of each step")["data"] if d["type"] == "bar")
    loss = array(bars["y"]).astype(float)
    assert array(bars["x"]).tolist() == list(range(1, T))  # step t = 1..T-1: the chart counts from 1
    assert f"T = {T}:" in shown and rf"\sum_{{t=1}}^{{{T - 1}}}" in shown
    assert r"p(x_2..x_T \mid x_1)" in shown and r"(T-1) \ln 2" in shown
    total = number(shown, r"L_t = ([\d.]+)")
    bits = number(shown, r"= ([\d.]+)\\ \\text\{bits per character\}")
    assert total == pytest.approx(loss.sum(), abs=0.006)
    assert bits == pytest.approx(loss.sum() / ((T - 1) * math.log(2)), abs=6e-4)
    assert abs(bits - loss.sum() / (T * math.log(2))) > 1e-3  # dividing by T would be seen
    # the bars are -log y_t[x_{t+1}] of the model itself, for x_1..x_{T-1} read and x_2..x_T predicted
    ids = default_trainer.task.encode(seq)
    m64 = f64(default_trainer.model)
    with torch.no_grad():
        logits, _ = m64(ids[None, :-1])
    want = F.cross_entropy(logits[0], ids[1:], reduction="none").numpy()
    np.testing.assert_allclose(loss, want, rtol=1e-5, atol=1e-5)
    # bits per character = mean of -log2 p over the T - 1 predicted characters
    step = lm.step_losses(default_trainer.model, default_trainer.task, seq)
    assert step.bits_per_char == pytest.approx(float(np.mean(want / math.log(2))), rel=1e-5)


def test_most_surprising_step_counts_from_one_like_the_chart_and_table(page):
    """'The most surprising step is t = k: after reading x_k = 'c' ... x_{k+1} = 'd' only p = ...'."""
    seq = page.text_area(key="l3_seq").value
    bars = next(d for d in figure(page, "L_t of each step")["data"] if d["type"] == "bar")
    y = array(bars["y"]).astype(float)
    k = int(array(bars["x"])[int(np.argmax(y))])
    said = markdown(page, "The most surprising step")
    assert f"step is t = {k}:" in said
    assert f"x_{k} = `{seq[k - 1]!r}`" in said and f"x_{k + 1} = `{seq[k]!r}`" in said
    assert number(said, r"only p = ([\d.]+)") == pytest.approx(math.exp(-y.max()), abs=6e-4)
    # the table / CSV behind the download button counts from 1 as well, the unit trace too
    trace = figure(page, "h_t[")
    assert array(trace["data"][0]["x"])[0] == 1
    nxt = figure(page, "The 5 most likely next characters")
    assert array(nxt["data"][0]["x"])[0] == 1


def test_the_last_step_gets_gradient_only_from_its_own_loss(page, default_trainer):
    """'The last step, t = T-1, gets gradient only from its own loss; every earlier step collects it from
    its own loss and from every later one'."""
    seq = page.text_area(key="l3_seq").value
    assert f"The last step, t = T-1 = {len(seq) - 1}," in markdown(page, "The lower panel")
    bp = lm_bptt.bptt(default_trainer.model, default_trainer.task.encode(seq))
    ids = default_trainer.task.encode(seq)
    # the direct term e_t = W_hy^T (y_t - onehot(x_{t+1})), in float64
    m64 = f64(default_trainer.model)
    W_hy = m64.head.weight.detach().numpy()
    with torch.no_grad():
        logits, _ = m64(ids[None, :-1])
    err = torch.softmax(logits[0], -1).numpy()
    err[np.arange(len(ids) - 1), ids[1:].numpy()] -= 1
    direct = err @ W_hy
    np.testing.assert_allclose(bp.autograd_grad_h[-1], direct[-1], atol=1e-12)
    later = np.abs(bp.autograd_grad_h[:-1] - direct[:-1]).max(axis=1)
    assert (later > 1e-6).all()  # every earlier step gets more than its own loss's gradient


# --- section 2: the BPTT recursion for the cell in use, and dL/dW_hh = sum_t delta_t h_{t-1}^T -----


def _unrolled_step_grads(model, ids, grad_h: bool = False) -> np.ndarray:
    """Autograd's own per-step parts of dL/dW_hh: a separate copy of W_hh at every step (float64).
    ``grad_h``: return autograd's dL/dh_t (n, H) of the same unrolled graph instead."""
    cfg = model.cfg
    params = {n.rsplit(".", 1)[-1]: p.detach().double() for n, p in model.named_parameters()}
    W_ih, W_hh = params["weight_ih_l0"], params["weight_hh_l0"]
    b_ih, b_hh = params["bias_ih_l0"], params["bias_hh_l0"]
    W_hy, b_y = params["weight"], params["bias"]
    H = cfg.hidden_size
    x = F.one_hot(ids[:-1], cfg.input_size).double()
    h, c = torch.zeros(H, dtype=torch.float64), torch.zeros(H, dtype=torch.float64)
    copies, hs, loss = [], [], 0.0
    for t in range(len(ids) - 1):
        W = W_hh.clone().requires_grad_()
        copies.append(W)
        a, u = W_ih @ x[t] + b_ih, W @ h + b_hh
        if cfg.cell == "rnn_tanh":
            h = torch.tanh(a + u)
        elif cfg.cell == "lstm":
            i, f, g, o = (a + u).chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            (ar, az, an), (ur, uz, un) = a.chunk(3), u.chunk(3)
            r, z = torch.sigmoid(ar + ur), torch.sigmoid(az + uz)
            n = torch.tanh(an + r * un)
            h = (1 - z) * n + z * h
        h.retain_grad()
        hs.append(h)
        loss = loss + F.cross_entropy((W_hy @ h + b_y)[None], ids[t + 1 : t + 2])
    loss.backward()
    if grad_h:
        return np.stack([h.grad.numpy() for h in hs])
    return np.stack([W.grad.numpy() for W in copies])


@pytest.mark.parametrize("cell", ["rnn_tanh", "lstm", "gru"])
def test_recursion_shown_for_each_cell_equals_autograd(cell):
    """The page's recursion for the cell in use: dL/dh_t (and dL/dc_t) equal autograd's, each step's
    delta_t h_{t-1}^T equals autograd's gradient of that step's own copy of W_hh, and their sum equals
    autograd's dL/dW_hh."""
    text = lm.builtin_text(lm.MARKUP)[:4000]
    tr = lm.build_trainer(text, lm.LMSettings(cell=cell, hidden_size=24, seq_len=32, batch_size=8), seed=1)
    tr.run(40, 60.0)  # a little training: gates away from their initial values
    ids = tr.task.encode(text[100:170])
    bp = lm_bptt.bptt(tr.model, ids)
    scale = np.abs(bp.autograd_grad_h).max()
    assert bp.grad_h_error < 1e-10 * scale
    if cell == "lstm":
        assert bp.grad_c_error < 1e-10 * np.abs(bp.autograd_grad_c).max()
    per_step = _unrolled_step_grads(tr.model, ids)
    np.testing.assert_allclose(bp.contributions, per_step, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bp.w_hh, bp.autograd_w_hh, rtol=1e-9, atol=1e-12)
    assert np.abs(bp.contributions[0]).max() == 0.0  # step 1 adds nothing: h_0 = 0
    assert len(lm_bptt.RECURSION_LATEX[cell]) >= 1 and cell in lm_bptt.PATHS


def test_the_lstm_needs_both_paths(default_trainer, page):
    """The LSTM's dL/dc_t has a path through h_t and one through c_{t+1}: leaving out either is wrong on
    the page's own model (the old single-path recursion would fail this)."""
    seq = page.text_area(key="l3_seq").value
    bp = lm_bptt.bptt(default_trainer.model, default_trainer.task.encode(seq))
    from rnnviz.trace import trace

    ids = default_trainer.task.encode(seq)
    top = trace(f64(default_trainer.model), ids[:-1], ids[1:], grad_of="total", jacobians=False).layer(0)
    through_h = bp.autograd_grad_h * top.gates["o"] * (1 - np.tanh(top.c) ** 2)
    through_c = np.vstack([top.gates["f"][1:] * bp.autograd_grad_c[1:], np.zeros((1, top.c.shape[1]))])
    np.testing.assert_allclose(through_h + through_c, bp.autograd_grad_c, atol=1e-12)
    assert np.abs(through_c).max() > 0.1 * np.abs(bp.autograd_grad_c).max()
    assert np.abs(through_h[:-1]).max() > 0.1 * np.abs(bp.autograd_grad_c).max()
    shown = " ".join(x.value for x in page.latex)
    assert r"\text{through } h_t" in shown and r"\text{through } c_{t+1}" in shown
    assert r"W_{hh}^\top \delta_{t+1}" in shown


def test_bptt_sentence_reports_the_live_check(page, default_trainer):
    """'BPTT on this sequence: ... the same dL/dh_t as autograd ... the step that adds most is t = k'."""
    seq = page.text_area(key="l3_seq").value
    said = markdown(page, "**BPTT on this sequence")
    per_step = _unrolled_step_grads(default_trainer.model, default_trainer.task.encode(seq))
    norms = np.linalg.norm(per_step, axis=(1, 2))
    assert f"the step that adds most is t = {int(np.argmax(norms)) + 1} " in said
    assert "DIFFERS" not in said and "the same" in said
    assert number(said, r"its largest entry is ([\d.e+-]+)\)") == pytest.approx(
        np.abs(per_step.sum(0)).max(), rel=2e-3
    )


def test_the_bptt_sentence_says_so_when_the_recursion_is_wrong(default_trainer):
    bp = lm_bptt.bptt(default_trainer.model, default_trainer.task.encode("<b>cat</b>\n<i>dog</i>"))
    assert "the same" in lm_bptt.check_sentence(bp)
    broken = dataclasses.replace(bp, grad_h=bp.grad_h * 1.01)
    assert "DIFFERS" in lm_bptt.check_sentence(broken)
    broken = dataclasses.replace(bp, contributions=bp.contributions[:-1])  # a step left out of the sum
    assert "DIFFERS" in lm_bptt.check_sentence(broken)


# --- section 3: held-out bits per character, the untrained model -------------------------------------


def test_held_out_metric_and_uniform_guessing(page, default_trainer):
    """The metric is the mean -log2 p over the held-out text's first 5,000 characters; 'Guessing
    uniformly' is log2 V; section 2 says 'a model that guesses uniformly scores ln V = ...'."""
    task = default_trainer.task
    V = len(task.vocab)
    ids = task.ids[-task.split_sizes["val"] :][: lm_fit.HELD_OUT_CHARS]
    with torch.no_grad():
        logits, _ = default_trainer.model(ids[None, :-1])
    want = float(F.cross_entropy(logits[0], ids[1:]).double() / math.log(2))
    assert float(metric(page, "Held-out bits per character")) == pytest.approx(want, abs=6e-4)
    assert float(metric(page, "Guessing uniformly")) == pytest.approx(math.log2(V), abs=6e-4)
    assert f"$\\ln V = {math.log(V):.2f}$" in markdown(page, "Each click trains")


def test_untrained_model_predicts_about_uniformly(page, default_trainer):
    """'The model is untrained: ... it predicts every character with about the same probability'."""
    assert any("untrained" in i.value for i in page.info)
    task = default_trainer.task
    V = len(task.vocab)
    with torch.no_grad():
        logits, _ = default_trainer.model(task.ids[-2000:][None])
    p = torch.softmax(logits[0], -1).numpy()
    assert p.max() < 1.5 / V and p.min() > 0.5 / V
    for cell in ("rnn_tanh", "gru"):  # the other cells the page offers, untrained on the same text
        other = lm.build_trainer(task.text, lm.LMSettings(cell=cell), seed=0).model
        with torch.no_grad():
            p = torch.softmax(other(task.ids[-2000:][None])[0][0], -1).numpy()
        assert p.max() < 1.5 / V and p.min() > 0.5 / V, cell
    python = lm.build_trainer(lm.builtin_text(lm.PYTHON), lm.LMSettings(), seed=0)  # the other built-in text
    V = len(python.task.vocab)
    with torch.no_grad():
        p = torch.softmax(python.model(python.task.ids[-2000:][None])[0][0], -1).numpy()
    assert p.max() < 1.5 / V and p.min() > 0.5 / V


def test_windows_come_from_the_first_90_percent(default_trainer):
    """'Training windows come from the first 90%; the last 10% is held out.'"""
    task = default_trainer.task
    n_train = task.split_sizes["train"]
    g = torch.Generator().manual_seed(0)
    train, held_out = task.text[:n_train], task.text[n_train:]
    b = task.batch(64, g)
    for row_x, row_y in zip(b.x, b.y, strict=True):
        window = task.decode(row_x) + task.decode(row_y[-1:])  # x_1..x_T and the last target
        assert task.decode(row_y) == window[1:]
        assert window in train
    v = task.batch(16, g, split="val")
    assert all(task.decode(x) in held_out for x in v.x)
    assert task.split_sizes["val"] == len(task.text) // 10


# --- section 5: temperature ------------------------------------------------------------------------


@pytest.mark.parametrize("tau", [0.5, 1.5])
def test_shown_distribution_is_softmax_of_logits_over_tau(default_trainer, tau):
    """p_i = exp(z_i / tau) / sum_j exp(z_j / tau): every distribution the sample was drawn from equals
    the softmax of the model's own scores divided by tau (float64), at tau != 1."""
    model, task = default_trainer.model, default_trainer.task
    smp = sample(model, task, "\n", 30, tau, seed=0)
    ids = task.encode(smp.text)
    with torch.no_grad():
        z = f64(model)(ids[None, :-1])[0][0][-30:]
    want = torch.softmax(z / tau, -1).numpy()
    np.testing.assert_allclose(smp.probs, want, atol=1e-6)
    assert np.abs(smp.probs - torch.softmax(z, -1).numpy()).max() > 1e-3  # not the tau = 1 distribution


def test_page_chart_shows_the_distribution_at_the_slider_tau(default_trainer):
    at = open_at({"l3_temp": "1.5"})
    spec = figure(at, "The 5 most likely next characters")
    heat = spec["data"][0]
    model, task = default_trainer.model, default_trainer.task
    smp = sample(model, task, "\n", 300, 1.5, seed=0)
    top = np.sort(smp.probs[:40], axis=1)[:, ::-1][:, :5].T  # (5, 40) ranks x positions
    np.testing.assert_allclose(array(heat["z"]).astype(float), top, atol=1e-6)
    # bold = the character drawn at that position
    gen = smp.text[1:]
    for t, column in enumerate(np.asarray(heat["text"], dtype=object).T):
        bold = [label for label in column if label.startswith("<b>")]
        assert len(bold) <= 1
        if bold:
            assert bold[0][3:-4] == SHOWN.get(gen[t], gen[t])


def test_lower_temperature_sharpens_higher_flattens(default_trainer):
    """'tau < 1 sharpens the distribution (the top character's share grows and the entropy falls),
    tau > 1 flattens it', on the page's model after the default prime."""
    model, task = default_trainer.model, default_trainer.task
    cold, hot = lm_temp.after_prime(model, task, "\n", 0.5), lm_temp.after_prime(model, task, "\n", 1.5)
    assert cold.p_top_tau > cold.p_top_1 and cold.entropy_tau < cold.entropy_1
    frozen = lm_temp.after_prime(
        model, task, "\n", 1e-4
    )  # 'as tau -> 0 the model always writes its top choice'
    gap = np.sort(frozen.logits)[-1] - np.sort(frozen.logits)[-2]
    assert gap > 0 and frozen.p_top_tau > 0.99
    assert hot.p_top_tau < hot.p_top_1 and hot.entropy_tau > hot.entropy_1
    assert cold.entropy_1 == pytest.approx(hot.entropy_1)


def test_temperature_check_question_is_graded_by_the_live_model(page, default_trainer):
    """The PREDICT question: its options carry p(top) at tau = 1, the answer is what tau = 0.5 does to it,
    and the explanation's p_i(0.5) = p_i^2 / sum_j p_j^2 holds."""
    radio = next(r for r in page.radio if r.label.startswith("After the priming text"))
    model, task = default_trainer.model, default_trainer.task
    with torch.no_grad():
        z = f64(model)(task.encode("\n")[None])[0][0, -1]
    p1 = torch.softmax(z, -1).numpy()
    top = int(np.argmax(p1))
    assert f"p = {p1[top]:.3f} at τ = 1" in radio.label
    shown = SHOWN.get(task.vocab[top], task.vocab[top])
    assert f"character '{shown}' p" in radio.label
    assert radio.options[0].startswith(f"More than {p1[top]:.3f}")
    effect = lm_temp.after_prime(model, task, "\n", 0.5)
    q = lm_temp.question(effect, "x", "\n")
    p05 = p1[top] ** 2 / (p1**2).sum()
    assert q.answer == 0 and effect.p_top_tau == pytest.approx(p05, rel=1e-9)
    assert f"p = {p05:.3f}" in q.why
    radio.set_value(0).run()
    assert page.success and f"p = {p05:.3f}" in page.success[0].value
    radio.set_value(None).run()  # leave the module's page as it was


def test_temperature_question_answer_follows_the_numbers():
    """Equal scores: tau changes nothing, and the question's answer becomes 'exactly'."""
    flat = lm_temp.TemperatureEffect(0.5, np.zeros(4), 0, 0.25, 0.25, 2.0, 2.0)
    assert lm_temp.question(flat, "a", "x").answer == 2
    odd = lm_temp.TemperatureEffect(0.5, np.zeros(4), 0, 0.5, 0.4, 1.0, 1.2)
    assert lm_temp.question(odd, "a", "x").answer == 1


# --- section 6: the unit ranking caption ------------------------------------------------------------


def test_ranking_caption_follows_the_ranking(page, default_trainer):
    said = next(c.value for c in page.caption if c.value.startswith("Pearson r over"))
    probe = lm.builtin_text(lm.MARKUP)[-default_trainer.task.split_sizes["val"] :][:1500]
    h = lm.hidden_states(default_trainer.model, default_trainer.task.encode(probe))[0]
    best = lm.rank_units(h, lm.tag_depth(probe).astype(float))[0]
    assert f"unit {best.unit}, correlates" in said and f"r = {best.r:+.2f}" in said
    word = "strongly" if abs(best.r) >= 0.7 else "moderately" if abs(best.r) >= 0.4 else "only weakly"
    assert f"correlates {word} with it" in said
    sentence = lm.ranking_sentence([lm.UnitScore(3, 0.9)], "tag depth", 10, 5)
    assert "strongly" in sentence and "weakly" not in sentence


def test_markup_caption_counts_the_well_formed_lines(page, default_trainer):
    said = next(c.value for c in page.caption if "complete lines are well formed" in c.value)
    smp = sample(default_trainer.model, default_trainer.task, "\n", 300, 0.5, seed=0)
    lines = smp.text.split("\n")[1:-1]
    ok = sum(lm.is_well_formed(line) for line in lines)
    assert said.startswith(f"{ok} of {len(lines)} complete lines")


# --- the student's own text: overfitting noticed, the best held-out checkpoint kept -------------------

RECORDS = records_text(4000, seed=0)  # ~180 lines: the page's defaults overfit it within a few hundred steps


@pytest.fixture(scope="module")
def overfit():
    """The page's default settings on a short text of records, each checkpoint measured as the page does."""
    settings = lm.LMSettings()
    tr = lm.build_trainer(RECORDS, settings, seed=0)
    tracker = lm_fit.FitTracker()

    def on_row(trainer, row):
        settings.schedule(trainer, row)
        tracker.observe(trainer)

    tr.run(600, 600.0, callback=on_row)
    tracker.observe(tr)
    return tr, tracker


def test_the_records_text_is_well_formed_by_its_own_rule():
    lines = RECORDS.split("\n")[:-1]
    assert all(is_record_line(line) for line in lines)
    assert not is_record_line("2024-02-30 kiwi 7 ok") and not is_record_line("2024-02-03 kiwi 100 ok")


def test_overfitting_is_noticed_and_worded(overfit):
    tr, tracker = overfit
    fit = tracker.report(tr)
    val = dict(zip(fit.steps, fit.held_out, strict=True))
    train = dict(zip(fit.steps, fit.train, strict=True))
    assert fit.best_step < fit.latest_step == 600
    assert val[600] - val[fit.best_step] >= lm_fit.RISE_BITS  # held-out rose ...
    assert train[600] < train[fit.best_step] or math.isnan(train[fit.best_step])  # ... training fell
    assert fit.overfitting
    said = fit.sentence()
    assert "overfitting" in said and f"step {fit.best_step}" in said
    assert f"{val[fit.best_step]:.3f} to {val[600]:.3f}" in said
    assert "fewer hidden units" in said
    # the held-out figures are the page's metric: mean -log2 p over the first 5,000 held-out characters
    best = tracker.best_model(tr.model.cfg)
    assert lm.bits_per_char(best, tr.task, "val", lm_fit.HELD_OUT_CHARS) == pytest.approx(val[fit.best_step])
    # the training figure is the trainer's own history, in bits
    rows = [r.loss for r in tr.history if 500 < r.step <= 600]
    assert train[600] == pytest.approx(np.mean(rows) / math.log(2))


def test_no_overfitting_word_before_it_happens(overfit):
    tr, tracker = overfit
    early = lm_fit.FitTracker(curve={s: v for s, v in tracker.curve.items() if s <= tracker.best_step})
    fit = early.report(tr)
    assert not fit.overfitting and "No sign of overfitting" in fit.sentence()


def test_the_best_checkpoint_survives_thinning():
    tr = lm.build_trainer(RECORDS, lm.LMSettings(hidden_size=16, seq_len=16, batch_size=8), seed=0)
    tr.cfg = dataclasses.replace(tr.cfg, checkpoint_every=10, max_checkpoints=4)
    tracker = lm_fit.FitTracker()
    tr.run(120, 600.0, callback=lambda trainer, row: tracker.observe(trainer))
    tracker.observe(tr)
    assert len(tracker.curve) == 13  # steps 0, 10, ..., 120: each measured before it could be thinned
    saved = lm_fit.saved_states(tr, tracker)
    assert tracker.best_step in saved
    model = lm_fit.model_from_state(tr.model.cfg, saved[tracker.best_step])
    assert lm.bits_per_char(model, tr.task, "val", lm_fit.HELD_OUT_CHARS) == pytest.approx(
        tracker.curve[tracker.best_step]
    )


def test_the_best_checkpoint_is_kept_when_the_trainer_drops_it(overfit):
    tr, tracker = overfit
    best = tracker.best_step
    assert 0 < best < tr.step
    thinned = type("Thinned", (), {"checkpoints": [c for c in tr.checkpoints if c[0] != best]})()
    saved = lm_fit.saved_states(thinned, tracker)
    assert best in saved
    kept = dict(tr.checkpoints)[best]
    assert all(torch.equal(saved[best][k], kept[k]) for k in kept)


def test_page_warns_and_samples_from_the_best_checkpoint(overfit):
    """On the student's own text the page says it overfits, in words, and its views (the sample too) use
    the best held-out checkpoint."""
    tr, tracker = overfit
    # the page's rebuild key for this text at the defaults: its lesson config
    config = dataclasses.asdict(LMLesson(text_id=hashlib.sha1(RECORDS.encode()).hexdigest(), seed=0))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update({"l3_source": "Your own text", "l3_hidden": "128"})  # the built-in texts' H
    at.run()
    at.switch_page(PAGE)
    at.session_state["l3_pasted"] = RECORDS
    at.session_state["l3_model_trainer"] = (config, tr)
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    fit = tracker.report(tr)
    assert at.warning and "overfitting" in at.warning[0].value
    assert at.select_slider(key="l3_ckpt").value == fit.best_step
    assert metric(at, "Model at training step") == str(fit.best_step)
    assert float(metric(at, "Held-out bits per character")) == pytest.approx(
        tracker.curve[fit.best_step], abs=6e-4
    )
    best = tracker.best_model(tr.model.cfg)
    smp = sample(best, tr.task, "\n", 300, 0.5, seed=0)
    shown = at.get("html")[1].proto.body.split('<div style="font-size:14px')[0]  # the text, not its legend
    drawn = html.unescape("".join(re.findall(r">([^<]*)</span>", shown)))
    assert drawn.replace("↵", "\n") == smp.text
    curve = figure(at, "Bits per character at each checkpoint")
    held = next(d for d in curve["data"] if d["name"] == "held out")
    assert array(held["x"]).tolist() == list(fit.steps)
    assert array(held["y"]).astype(float).tolist() == pytest.approx(list(fit.held_out))


def test_own_text_starts_with_a_hidden_size_by_its_length(page):
    """'For your own text H starts by its size: 32 units under 20,000 characters, 64 under 200,000'."""
    assert page.select_slider(key="l3_hidden").value == lm.LMSettings().hidden_size  # the built-in text
    assert [lm_fit.settings_for_text(n).hidden_size for n in (300, 19_999, 20_000, 199_999, 200_000)] == [
        32, 32, 64, 64, 128,
    ]  # fmt: skip
    at = open_at({"l3_source": "Your own text"})
    assert at.select_slider(key="l3_hidden").value == 32  # the example text: 3 lines
    at.text_area(key="l3_pasted").set_value(records_text(25_000)).run()
    assert at.select_slider(key="l3_hidden").value == 64
    at.select_slider(key="l3_hidden").set_value(96).run()
    at.text_area(key="l3_pasted").set_value(records_text(30_000, seed=1)).run()
    assert at.select_slider(key="l3_hidden").value == 96  # same size class: the student's choice stays


def test_overfitting_needs_a_real_rise_and_a_falling_training_loss():
    """The warning's two conditions, each on its own: a rise of RISE_BITS or more since the best checkpoint,
    and a training loss that fell meanwhile (a rise with a rising training loss is not overfitting)."""

    def report(held_out, train):
        return lm_fit.FitReport((0, 100, 200, 300), held_out, train, 100, 300)

    assert report((4.5, 1.0, 1.05, 1.10), (math.nan, 1.2, 1.0, 0.9)).overfitting
    small = report((4.5, 1.0, 1.005, 1.01), (math.nan, 1.2, 1.0, 0.9))
    assert not small.overfitting and "less than the 0.02 bits" in small.sentence()
    assert f"{small.rise:.3f} above its lowest" in small.sentence()
    assert not report((4.5, 1.0, 1.05, 1.10), (math.nan, 1.2, 1.3, 1.4)).overfitting  # training rose too


def test_bptt_check_question_is_graded_by_the_live_gradients(page, default_trainer):
    """The PREDICT question on the recursion: ||dL/dh_1|| against its own part ||dL_1/dh_1||, from the
    page's sequence and model; the answer and the numbers in its explanation are autograd's."""
    radio = next(r for r in page.radio if r.label.startswith("Section 4's sequence has"))
    seq = page.text_area(key="l3_seq").value
    task, model = default_trainer.task, default_trainer.model
    ids = task.encode(seq)
    assert radio.label.startswith(f"Section 4's sequence has {len(seq) - 1} predictions")
    m64 = f64(model)
    with torch.no_grad():  # step 1's own part: the gradient of L_1 at the output h_1 alone
        out, _ = m64.layers[0](m64.embed(ids[None, :2]))
    h1 = out[0, 0].clone().requires_grad_()
    own = torch.autograd.grad(F.cross_entropy(m64.head(h1)[None], ids[1:2]), h1)[0].norm().item()
    total = float(np.linalg.norm(_unrolled_step_grads(model, ids, grad_h=True)[0]))  # every path
    q = lm_bptt.first_step_question(lm_bptt.bptt(model, ids))
    assert q.answer == (0 if total > own else 1)
    assert f"||dL/dh_1|| = {total:.4g} and ||dL_1/dh_1|| = {own:.4g}" in q.why
    assert radio.options == q.options
    # one prediction: nothing flows back from later steps, and the answer says so
    one = lm_bptt.first_step_question(lm_bptt.bptt(model, task.encode("<b")))
    assert one.answer == 2


def test_readout_and_chain_rule_shown_hold_for_the_model(page, default_trainer):
    """y_t = softmax(W_hy h_t + b_y) with h_t the top layer's state, and p(x_2..x_T | x_1) = e^{-L} =
    prod_t y_t[x_{t+1}] for the page's sequence (float64)."""
    seq = page.text_area(key="l3_seq").value
    task = default_trainer.task
    m64 = f64(default_trainer.model)
    ids = task.encode(seq)
    h = lm.hidden_states(m64, ids[:-1])[-1]  # (T-1, H)
    W_hy, b_y = m64.head.weight.detach().numpy(), m64.head.bias.detach().numpy()
    z = h @ W_hy.T + b_y
    y = np.exp(z - z.max(1, keepdims=True))
    y /= y.sum(1, keepdims=True)
    with torch.no_grad():
        want = torch.softmax(m64(ids[None, :-1])[0][0], -1).numpy()
    np.testing.assert_allclose(y, want, atol=1e-12)
    picked = y[np.arange(len(seq) - 1), ids[1:].numpy()]
    total = number(latex(page, r"\text{bits per character}"), r"L_t = ([\d.]+)")
    assert -np.log(picked).sum() == pytest.approx(total, abs=0.006)  # L = -log prod_t y_t[x_{t+1}]


def test_a_large_model_learns_a_short_text_by_heart_sooner(overfit):
    """The H help: 'A large model learns a short text by heart sooner.' On the records text the page's
    H = 32 for such a text reaches its best held-out checkpoint later than H = 128, and has risen less
    above it by step 600."""
    big_tr, big = overfit
    settings = lm_fit.settings_for_text(len(RECORDS))
    assert settings.hidden_size == 32
    tr = lm.build_trainer(RECORDS, settings, seed=0)
    small = lm_fit.FitTracker()

    def on_row(trainer, row):
        settings.schedule(trainer, row)
        small.observe(trainer)

    tr.run(600, 600.0, callback=on_row)
    small.observe(tr)
    assert small.best_step > big.best_step
    assert small.report(tr).rise < big.report(big_tr).rise


# --- section 7: the pattern search and the separating unit (LSTMVis) ---------------------------------


def _check_pattern_section(at, text: str, model, region: str) -> None:
    """Section 7's sentences and chart at the page's settings, from the model's own one-pass h_t."""
    from rnnviz.lessons import pattern_finding as pf
    from rnnviz.lessons import pattern_search as ps

    searched = text[: ps.SEARCH_CHARS]
    task = lm.build_trainer(text, lm.LMSettings(), seed=0).task
    h = lm.hidden_states(model, task.encode(searched))[-1].astype(np.float16)  # (N, H), one pass
    mask = pf.REGIONS[region][0](searched)
    # the finding: the best cut of any unit over the first FINDING_CHARS characters, worded from its numbers
    n = pf.FINDING_CHARS
    sep = pf.separating_unit(h[:n], mask[:n])
    said = markdown(at, "At training step 0, the unit that best tells")
    assert f"'{region}'" in said and f"**unit {sep.unit}**" in said
    side = h[:n, sep.unit].astype(np.float32) > np.float32(sep.threshold)
    side = side if sep.above else ~side
    assert f"on {side[mask[:n]].mean():.0%} of the characters {region}" in said
    assert f"on {side[~mask[:n]].mean():.0%} of the others" in said
    # the search from the default selection (the first tag / short string) at the default θ
    start = at.slider(key="l3_ps_start").value - 1
    stop = start + at.slider(key="l3_ps_len").value
    theta = float(at.select_slider(key="l3_ps_thr").value)
    assert searched[start:stop] == searched[slice(*pf.region_for(searched, region).span)]
    units = [j for j in range(h.shape[1]) if (h[start:stop, j] > theta).all()]
    assert len(units) >= 3 and len([j for j in units if (h[start:stop, j] > theta + 0.01).all()]) < 3
    said = markdown(at, f"Over steps {start + 1} to {stop}, **{len(units)} units stay** above θ = {theta:g}")
    on = (h[:, units] > theta).all(axis=1)  # steps where all of U is on
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    runs = [(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True) if not (a < stop and b > start)]
    assert f"**{len(runs):,}** other spans" in said
    matched = np.zeros(len(h), bool)
    for a, b in runs:
        matched[a:b] = True
    assert f"{mask[matched].mean():.0%} of the matched characters are {region}" in said
    assert f"against {mask.mean():.0%} of all characters" in said
    # the score shown for the best match: (|U ∩ V| - |V \ U|) / |U| with V its own on set
    res = ps.search(h, searched, start, stop, theta)
    best = res.matches[0]
    V = set(np.flatnonzero((h[best.start : best.stop] > theta).all(axis=0)).tolist())
    score = (len(V & set(units)) - len(V - set(units))) / len(units)
    assert f"the best scores {score:.2f}" in said and best.score == score
    assert f"score {score:.2f} · {best.length} chars · t = {best.start + 1}..{best.stop}" in " ".join(
        x.proto.body for x in at.get("html")
    )
    fig = figure(at, "h_t of the on set around the selection")
    a = max(0, start - 20)
    np.testing.assert_allclose(array(fig["data"][0]["z"]), h[a : stop + 20][:, units[:24]].T.astype(float))


def test_pattern_search_sentences_at_the_markup_default(page, default_trainer):
    _check_pattern_section(page, lm.builtin_text(lm.MARKUP), default_trainer.model, "inside a tag")


def test_pattern_search_sentences_on_the_python_source():
    at = open_at({"l3_source": lm.PYTHON})
    text = lm.builtin_text(lm.PYTHON)
    model = lm.build_trainer(text, lm.LMSettings(), seed=0).model
    _check_pattern_section(at, text, model, "inside a string")
