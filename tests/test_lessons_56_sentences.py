"""Lessons 5 and 6's computed sentences (rnnviz.lessons.lstm_memory, gru_forms): the wording follows
the numbers, and the GRU's updates are checked against the live model's own h_t."""

import numpy as np
import pytest

from rnnviz.lessons import gating, gru_forms, lstm_memory, worked
from rnnviz.model import ModelConfig, SeqModel
from rnnviz.tasks import FirstWord
from rnnviz.trace import trace

TASK = FirstWord(lag=4, n_countries=3)
SENTENCE = "France the rain walked school fluent"


def _layer(cell, seed=1):
    model = SeqModel(ModelConfig.for_task(TASK, cell=cell, hidden_size=5, seed=seed))
    return model, trace(model, TASK.encode(SENTENCE), jacobians=False)


def test_the_slogan_sentence_follows_which_state_moves_more():
    _, tr = _layer("lstm")
    lt = tr.layer(0)
    changes = gating.state_changes(lt)
    holds, dc, dh = lstm_memory.slogan_holds(changes)
    (c_name, c_steps), (h_name, h_steps) = changes.items()
    assert c_name.startswith("||c") and h_name.startswith("||h")
    assert (dc, dh) == (pytest.approx(c_steps[1:].mean()), pytest.approx(h_steps[1:].mean()))
    assert holds == (dc < dh)
    f_mean = lt.gates["f"][1:].mean()
    for c, h in ((c_steps * 0.01, h_steps), (c_steps + 10.0, h_steps)):  # c slower, then faster than h
        text = lstm_memory.slogan_sentence(lt, {c_name: c, h_name: h})
        slow = c[1:].mean() < h[1:].mean()
        assert ("the slogan holds" in text) == slow and ("moves *more* than h" in text) == (not slow)
        assert f"c moves {c[1:].mean():.3f}" in text or f"({c[1:].mean():.3f} against" in text
        assert f"averages {f_mean:.3f}" in text


@pytest.mark.parametrize("cell", ["lstm", "lstm_coupled"])
def test_the_coupling_check_is_max_of_f_plus_i_minus_1(cell):
    _, tr = _layer(cell)
    lt = tr.layer(0)
    gap = np.abs(lt.gates["f"] + lt.gates["i"] - 1).max()
    assert lstm_memory.coupling_gap(lt) == pytest.approx(gap)
    assert (gap < 1e-7) == (cell == "lstm_coupled")
    text = lstm_memory.coupling_sentence(lt, "X", cell == "lstm_coupled")
    assert f"**{gap:.4f}**" in text and ("exactly 0" in text) == (cell == "lstm_coupled")


def test_the_clamp_position_is_said_outside_the_span_only():
    assert "comes before the clamped steps 3 to 5" in lstm_memory.clamp_position(2, (3, 5), "f")
    assert lstm_memory.clamp_position(3, (3, 5), "f") == lstm_memory.clamp_position(5, (3, 5), "f") == ""
    assert "t = 6 comes after the clamped steps 3 to 5: i is free again" in lstm_memory.clamp_position(
        6, (3, 5), "i"
    )


@pytest.mark.parametrize("cell", ["gru", "gru_paper"])
def test_the_correct_update_is_the_models_h_and_the_miswritten_one_is_not(cell):
    _, tr = _layer(cell)
    lt = tr.layer(0)
    for t, unit in ((0, 0), (2, 3), (5, 4)):
        v = worked.worked_step(tr, t, unit).values
        m = gru_forms.miswritten_update(v)
        z, n = float(lt.gates["z"][t, unit]), float(lt.gates["n"][t, unit])
        h_prev = float(lt.h[t - 1, unit]) if t else 0.0  # h_0 = 0
        # h_t = (1 - z_t) n_t + z_t h_{t-1}, and Γ_u = 1 - z_t
        assert m.right == pytest.approx(float(lt.h[t, unit]), abs=1e-6)
        assert m.wrong == pytest.approx((1 - z) * n + (2 - z) + h_prev, abs=1e-6)
        assert m.leaves_range == (abs(m.wrong) >= 1)
        caption = m.caption(unit, t + 1)
        assert f"unit {unit} at step {t + 1}" in caption
        assert ("leaves the range (-1, 1)" in caption) == m.leaves_range


def test_the_other_form_is_measured_on_the_same_weights():
    model, tr = _layer("gru")
    x = TASK.encode(SENTENCE)
    guess = int(np.argmax(tr.probs))
    form = gru_forms.other_form(model, x, None, tr, guess)
    twin = trace(gating.with_cell(model, "gru_paper"), x, jacobians=False)
    assert form.cell == "gru_paper"
    assert form.gap == pytest.approx(np.abs(twin.layer(0).h - tr.layer(0).h).max())
    assert form.p_other == pytest.approx(twin.probs[guess]) and form.p_own == pytest.approx(tr.probs[guess])
    text = gru_forms.other_form_sentence(form, "paper", "Spain")
    assert f"**{form.gap:.4f}**" in text and ("do not transfer exactly" in text) == (form.gap > 1e-6)
    same = gru_forms.OtherForm("gru", 0.0, 0.5, 0.5)
    assert "agree to 6 decimals" in gru_forms.other_form_sentence(same, "torch", "Spain")
