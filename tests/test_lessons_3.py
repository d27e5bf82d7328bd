"""Lesson 3 backend: unit ranking, per-step losses and BPTT, bits per character, well-formed lines, charts."""

import dataclasses
import math
import re

import numpy as np
import pytest
import torch

from rnnviz.charts import lm as charts
from rnnviz.errors import InputError
from rnnviz.lessons import charlm as lm
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.sample import Sample, next_distribution, surprisal
from rnnviz.tasks.charlm import CharLM
from rnnviz.tasks.corpora import markup, tag_depth
from rnnviz.trace import trace

TEXT = markup(n_lines=120, max_depth=4, seed=5)  # ~3,000 characters of the lesson's markup


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread, as app.py runs: these step-by-step loops are tiny, and on a busy 2-core machine
    a second thread makes each step wait for the other (measured: 35x slower sampling under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small(cell="lstm", layers=1, hidden=12, seq_len=16) -> lm.LMSettings:
    return lm.LMSettings(cell=cell, hidden_size=hidden, num_layers=layers, seq_len=seq_len, batch_size=8)


@pytest.fixture(scope="module")
def trained():
    """A tiny LSTM trained a few steps (not to any quality: the tests check the bookkeeping)."""
    tr = lm.build_trainer(TEXT, dataclasses.replace(small(), lr=1e-2), seed=3)
    tr.run(30, 30.0)
    return tr


# --- ranking units ----------------------------------------------------------------------------


def test_a_planted_depth_unit_ranks_first():
    depth = tag_depth(TEXT[:1500]).astype(float)
    rng = np.random.default_rng(0)
    h = np.tanh(rng.normal(size=(len(depth), 20)))  # (T, H) unrelated units
    h[:, 13] = 0.3 * depth - 0.2  # the planted unit: an affine copy of the depth
    h[:, 4] = -depth + rng.normal(scale=1.5, size=len(depth))  # anti-correlated, noisy
    h[:, 7] = 0.25  # a unit that never changes
    ranked = lm.rank_units(h, depth)
    assert [s.unit for s in ranked[:2]] == [13, 4]
    assert ranked[0].r == pytest.approx(1.0, abs=1e-9)
    assert -0.9 < ranked[1].r < -0.3
    assert sorted(s.unit for s in ranked) == list(range(20))
    assert next(s.r for s in ranked if s.unit == 7) == 0.0
    assert all(abs(a.r) >= abs(b.r) for a, b in zip(ranked, ranked[1:], strict=False))
    # Pearson r as numpy computes it, for every unit that varies
    for s in ranked:
        if s.unit != 7:
            assert s.r == pytest.approx(np.corrcoef(h[:, s.unit], depth)[0, 1], abs=1e-9)


def test_ranking_refuses_a_constant_signal_and_bad_shapes():
    with pytest.raises(InputError, match="never changes"):
        lm.rank_units(np.ones((50, 4)), np.zeros(50))
    with pytest.raises(InputError):
        lm.rank_units(np.ones((50, 4)), np.arange(49.0))


def test_structural_signals_follow_the_text():
    src = 'def f(x):\n    return "a"\n'
    sig = lm.structural_signals(src)
    assert set(sig) == {"tag depth", "inside a string", "indentation level", "position in the line"}
    assert all(v.shape == (len(src),) for v in sig.values())
    assert sig["inside a string"][src.index('"')] == 1 and sig["inside a string"][0] == 0
    assert sig["indentation level"][src.index("return")] == 1
    assert lm.structural_signals("<b><i>x</i></b>")["tag depth"].max() == 2
    assert sig["position in the line"].tolist()[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert lm.line_position("ab\n\nxyz").tolist() == [0, 1, 2, 0, 0, 1, 2]


# --- hidden states, per-step losses, BPTT -----------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn_tanh", "gru", "lstm"])
def test_hidden_states_equal_the_step_by_step_replay(cell):
    task = CharLM(TEXT, seq_len=16)
    model = SeqModel(small(cell, layers=2).model_config(task, seed=1))
    ids = task.encode(TEXT[:50])
    hs = lm.hidden_states(model, ids)
    tr = trace(model, ids, jacobians=False)
    assert len(hs) == 2
    for k in range(2):
        np.testing.assert_allclose(hs[k], tr.layer(k).h, atol=1e-5)


def test_step_losses_sum_to_the_sequence_negative_log_likelihood(trained):
    model, task = trained.model, trained.task
    text = "<b><i>cat</i></b>\n<p>no</p>"
    sl = lm.step_losses(model, task, text)
    ids = task.encode(text)
    probs = next_distribution(model, ids[:-1])  # (T-1, V): p(x_{t+1} | x_<=t)
    p_next = probs[np.arange(len(ids) - 1), ids[1:].numpy()]
    assert sl.inputs == text[:-1] and sl.targets == text[1:]
    np.testing.assert_allclose(sl.loss, -np.log(p_next), rtol=1e-4, atol=1e-5)
    # L = sum_t L_t = -ln prod_t p(x_{t+1} | x_<=t)
    assert sl.total == pytest.approx(-np.log(p_next).sum(), rel=1e-4)
    assert sl.bits_per_char == pytest.approx(surprisal(model, ids).mean(), rel=1e-4)
    np.testing.assert_allclose(sl.probs.sum(axis=1), 1.0, atol=1e-5)


def test_bptt_gradient_of_the_sum_collects_every_later_loss(trained):
    model, task = trained.model, trained.task
    text = "<u><a>sun</a></u>"
    sl = lm.step_losses(model, task, text)
    ids = task.encode(text)
    T = len(ids) - 1
    only_last = trace(model, ids[:-1], ids[1:], grad_of=T - 1, jacobians=False).layer(0)
    # the last step's h_T feeds only L_T, so the gradient of the sum there is that of L_T alone
    assert sl.grad_h_norm[-1] == pytest.approx(only_last.grad_h_norm[-1], rel=1e-5)
    # an earlier h_t feeds L_t and every later loss: dL/dh_t = sum over s >= t of dL_s/dh_t
    t = 3
    parts = sum(
        trace(model, ids[:-1], ids[1:], grad_of=s, jacobians=False).layer(0).grad_h[t] for s in range(t, T)
    )
    np.testing.assert_allclose(np.linalg.norm(parts), sl.grad_h_norm[t], rtol=1e-4)


def test_step_losses_refuse_bad_text(trained):
    with pytest.raises(InputError, match="at least 2"):
        lm.step_losses(trained.model, trained.task, "<")
    with pytest.raises(InputError, match="€"):
        lm.step_losses(trained.model, trained.task, "<b>€</b>")
    with pytest.raises(InputError, match="at most"):
        lm.step_losses(trained.model, trained.task, TEXT[: lm.MAX_SCORED + 1])


def test_bits_per_char_carries_the_state_across_chunks(trained):
    model, task = trained.model, trained.task
    ids = task.ids[:2500]  # read in 3 chunks of up to 1000 characters
    expected = surprisal(model, ids).mean()  # one pass over all 2500
    assert lm.bits_per_char(model, task, "train", max_chars=2500) == pytest.approx(expected, rel=1e-4)
    n_val = task.split_sizes["val"]
    held_out = surprisal(model, task.ids[-n_val:]).mean()
    assert lm.bits_per_char(model, task, "val") == pytest.approx(held_out, rel=1e-4)
    assert model.training  # a training model is left in training mode


def test_untrained_model_is_near_uniform_and_training_lowers_bits(trained):
    task = trained.task
    fresh = SeqModel(trained.model.cfg)
    uniform = math.log2(len(task.vocab))
    assert abs(lm.bits_per_char(fresh, task) - uniform) < 0.3
    assert lm.bits_per_char(trained.model, task) < lm.bits_per_char(lm.model_at(trained, 0), task) - 0.3


def test_surprisal_nats_marks_the_first_character_unknown(trained):
    ids = trained.task.encode("<b>ok</b>")
    nats = lm.surprisal_nats(trained.model, ids)
    assert np.isnan(nats[0])
    np.testing.assert_allclose(nats[1:] / math.log(2), surprisal(trained.model, ids), rtol=1e-5)


# --- checkpoints, settings, determinism ------------------------------------------------------


def test_model_at_copies_a_checkpoint_without_touching_the_trainer(trained):
    first = lm.model_at(trained, 0)
    fresh = SeqModel(trained.model.cfg)  # the same seed gives the initial weights
    for (name, a), b in zip(first.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    live = trained.model.layers[0].params()["weight_hh"]
    assert not torch.equal(first.layers[0].params()["weight_hh"], live)  # training moved the weights
    assert trained.checkpoints[-1][0] == trained.step
    last = lm.model_at(trained, -1)
    assert torch.equal(last.layers[0].params()["weight_hh"], live)
    with pytest.raises(InputError):
        lm.model_at(trained, len(trained.checkpoints))


def test_same_settings_and_seed_give_the_same_run():
    a = lm.build_trainer(TEXT, small("gru"), seed=7)
    b = lm.build_trainer(TEXT, small("gru"), seed=7)
    c = lm.build_trainer(TEXT, small("gru"), seed=8)
    for tr in (a, b, c):
        tr.run(5, 30.0)
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    assert [r.loss for r in a.history] != [r.loss for r in c.history]


def test_learning_rate_halves_every_half_life_after_the_first():
    s = lm.LMSettings(lr=0.01, lr_half_life=100)
    assert s.lr_at(0) == s.lr_at(100) == 0.01
    assert s.lr_at(200) == pytest.approx(0.005) and s.lr_at(300) == pytest.approx(0.0025)
    assert s.lr_at(150) == pytest.approx(0.01 / math.sqrt(2))
    assert lm.LMSettings(lr_half_life=0).lr_at(10**6) == lm.LMSettings().lr
    settings = dataclasses.replace(small(), lr=0.01, lr_half_life=4)
    tr = lm.build_trainer(TEXT, settings, seed=0)
    tr.run(20, 30.0, callback=settings.schedule)  # the callback runs at every log row (every 10 steps)
    assert tr.optimizer.param_groups[0]["lr"] == pytest.approx(settings.lr_at(20)) == pytest.approx(0.01 / 16)


def test_settings_and_texts_reject_bad_input():
    with pytest.raises(InputError, match="cell"):
        lm.LMSettings(cell="transformer")
    with pytest.raises(InputError, match="temperature"):
        lm.LMSettings(temperature=0.0)
    with pytest.raises(InputError, match="half-life"):
        lm.LMSettings(lr_half_life=-1)
    with pytest.raises(InputError, match="empty"):
        lm.build_trainer("", small())
    with pytest.raises(InputError, match="seq_len"):
        lm.build_trainer("short text, only a line.", small(seq_len=100))
    with pytest.raises(InputError, match="unknown text"):
        lm.builtin_text("Shakespeare")


def test_builtin_markup_is_at_the_issues_difficulty():
    text = lm.builtin_text(lm.MARKUP, seed=0)
    lines = text.splitlines()
    assert len(lines) == lm.MARKUP_LINES and all(lm.is_well_formed(line) for line in lines)
    assert max(tag_depth(line).max() for line in lines) == 4
    assert len(set(re.findall(r"<(\w+)>", text))) >= 4
    assert lm.builtin_text(lm.MARKUP, seed=0) == text and lm.builtin_text(lm.MARKUP, seed=1) != text


# --- well-formed lines ----------------------------------------------------------------------


def test_well_formed_rate_judges_only_complete_lines(monkeypatch, trained):
    drawn = iter(["\n<b>x</b>\n<b>x</i>\n<p>unfinished", "\n<u>ok</u>\n\n<a><i>no</i></a>\n<i>cut"])

    def fake_sample(model, task, prime, length, temperature, top_k, seed):
        text = next(drawn)
        return Sample(text, prime, [], np.zeros((0, 1)))

    monkeypatch.setattr(lm, "sample", fake_sample)
    wf = lm.well_formed_rate(trained.model, trained.task, n_lines=5)
    # round 1 gives 2 complete lines, round 2 gives 3 more (one empty); the unfinished tails are not judged
    assert wf.lines == ("<b>x</b>", "<b>x</i>", "<u>ok</u>", "", "<a><i>no</i></a>")
    assert wf.ok == (True, False, True, False, True)
    assert wf.rate == pytest.approx(3 / 5)


def test_well_formed_rate_on_a_real_model_is_deterministic(trained):
    # temperature 1 so that even a barely trained model ends lines (about 1 character in 27 is a newline)
    a = lm.well_formed_rate(trained.model, trained.task, n_lines=20, temperature=1.0, seed=2, max_rounds=1)
    b = lm.well_formed_rate(trained.model, trained.task, n_lines=20, temperature=1.0, seed=2, max_rounds=1)
    assert a == b and len(a.lines) == 20 and all("\n" not in line for line in a.lines)
    assert a.rate == sum(a.ok) / 20
    no_lines = CharLM("abcabcabcabcabcabcabcabcabcabc", seq_len=4)
    model = SeqModel(ModelConfig.for_task(no_lines, hidden_size=4))
    with pytest.raises(InputError, match="line breaks"):
        lm.well_formed_rate(model, no_lines)


# --- charts ----------------------------------------------------------------------------------


def test_colored_text_escapes_markup_and_shows_every_value():
    text = "<b>a</b>\nx"
    values = np.array([np.nan, 0.5, 1.0, 2.0, 0.1, 0.2, 0.3, 0.4, 0.0, 3.0])
    out = charts.colored_text(text, values, "L_t", unit=" nats")
    assert "<b>" not in out and "&lt;" in out and "&gt;" in out  # the tags are escaped, not rendered
    assert out.count("<span") >= len(text)
    assert "L_t = 3.000 nats" in out and "L_t: none" in out
    assert "<br>" in out  # the newline breaks the line
    with pytest.raises(ValueError):
        charts.colored_text("abc", np.zeros(2))


def test_colored_text_colour_scales():
    low, mid, high = charts._colors("RdBu_r", np.array([0.0, 0.5, 1.0]))
    assert low == "rgb(5, 48, 97)" and mid == "rgb(247, 247, 247)" and high == "rgb(103, 0, 31)"
    signed = charts.colored_text("ab", np.array([-1.0, 1.0]), "h", signed=True)
    assert "rgb(5, 48, 97)" in signed and "rgb(103, 0, 31)" in signed


def test_step_loss_figure_shows_losses_and_their_sum():
    loss = np.array([0.5, 1.5, 0.25, 2.0])
    fig = charts.step_loss_figure("abcd", "bcde", loss, np.array([1.0, 0.8, 0.5, 0.2]))
    bars, running, grad = fig.data
    np.testing.assert_allclose(bars.y, loss)
    assert running.y[-1] == pytest.approx(loss.sum())
    np.testing.assert_allclose(grad.y, [1.0, 0.8, 0.5, 0.2])


def test_next_char_figure_ranks_candidates_and_marks_the_actual_one():
    vocab = ("a", "b", "c", "\n")
    probs = np.array([[0.1, 0.6, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1], [0.05, 0.05, 0.1, 0.8]])
    fig = charts.next_char_figure(probs, vocab, "xab", "bc\n", k=3)
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z)[0], [0.6, 0.7, 0.8])  # rank 1 row
    labels = np.asarray(heat.text)
    assert labels[0, 0] == "<b>b</b>" and labels[0, 1] == "a" and labels[0, 2] == "<b>↵</b>"
    assert "<b>c</b>" in labels[:, 1]


def test_unit_ranking_figure_keeps_the_order():
    fig = charts.unit_ranking_figure([5, 2, 9], [0.9, -0.7, 0.1], "tag depth")
    assert list(fig.data[0].y) == ["unit 5", "unit 2", "unit 9"]
    np.testing.assert_allclose(fig.data[0].x, [0.9, -0.7, 0.1])


def test_own_text_bench_runs_and_reports_its_fields(monkeypatch):
    """The bench's user-style text: both sizes of model, a held-out curve, the overfitting verdict and
    the share of sampled lines that pass the format's own rule (a tiny run: the figures are README's)."""
    from bench import charlm as bench

    monkeypatch.setattr(bench, "OWN_TEXT_RUNS", ((3000, 30),))
    monkeypatch.setattr(bench, "N_LINES", 5)
    out = bench.own_text()
    # the built-in texts' H, then the size default
    assert [r["hidden_size"] for r in out["runs"]] == [128, 32]
    for r in out["runs"]:
        assert r["steps"] == 30 and set(r["held_out_curve"]) == {0, 30}
        assert r["best_held_out_bits_per_char"] == min(r["held_out_curve"].values())
        assert isinstance(r["overfitting"], bool) and r["well_formed_best"].endswith("/5")


def test_lm_lesson_holds_every_training_setting_and_no_view_setting():
    from dataclasses import asdict, fields

    from rnnviz.lessons import charlm_lesson
    from rnnviz.lessons.charlm import LMSettings

    own = {f.name for f in fields(charlm_lesson.LMLesson)} - {"text_id", "seed"}
    # a setting added to LMSettings and not to the lesson config would silently keep the old model
    assert own == {f.name for f in fields(LMSettings)} - set(charlm_lesson.VIEW_ONLY)
    lesson = charlm_lesson.LMLesson(text_id="markup", hidden_size=32, clip=None, seed=4)
    assert lesson.settings == LMSettings(hidden_size=32, clip=None)
    assert "temperature" not in asdict(lesson)
    assert asdict(lesson) != asdict(charlm_lesson.LMLesson(text_id="markup", hidden_size=32, seed=4))
    with pytest.raises(InputError, match="half-life"):
        charlm_lesson.LMLesson(text_id="markup", lr_half_life=-1)
    own_text = charlm_lesson.text_id(charlm_lesson.OWN, "abc")
    assert charlm_lesson.text_id("markup", "abc") == "markup" and len(own_text) == 40
