"""Lesson 2 page (the Elman RNN) under AppTest: the equation it renders is the model's own step.

Every check rebuilds the numbers outside the page (the session's model, or a fresh one from the same
config and seed), traces them, and compares with the LaTeX the page shows.
"""

import re

import numpy as np
import pytest

from rnnviz.lessons.elman import ElmanConfig, WeightEdit, edited, make_model, make_task, sequence_ids
from rnnviz.trace import trace

PAGE = "02_elman_rnn.py"


def error_texts(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def step_equation(at) -> str:
    return next(x.value for x in at.latex if r"\begin{aligned}" in x.value)


def shown_result(at) -> np.ndarray:
    """h_t as the page prints it: the last bmatrix of the step equation."""
    last = re.findall(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", step_equation(at))[-1]
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+", last)])


def session_model(at):
    return at.session_state["l2_model_trainer"][1].model


def page_trace(at, edit: WeightEdit | None = None):
    """Trace of the session's model (edited like the page edits it) over the typed sequence."""
    arch = at.radio(key="l2_arch").value
    cfg = ElmanConfig(
        sequence=at.text_input(key="l2_sequence").value,
        hidden_size=at.slider(key="l2_H").value,
        architecture=arch,
        num_layers=at.slider(key="l2_layers").value,
    )
    task = make_task(cfg)
    x, y = sequence_ids(cfg, task)
    return trace(edited(session_model(at), edit or WeightEdit()), x, y, jacobians=False)


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert error_texts(at) == []
    return at


def test_defaults_render_the_step_of_a_fresh_seeded_model(page):
    at = page
    assert at.slider(key="l2_t").value == 0 and at.button(key="l2_play").label == "Play"
    assert len(at.get("plotly_chart")) >= 3  # heatmap, contributions, output bars
    # the model the page shows is the one the config and seed 0 build
    cfg = ElmanConfig()
    task = make_task(cfg)
    fresh = make_model(cfg, task)
    x, y = sequence_ids(cfg, task)
    tr = trace(fresh, x, y, jacobians=False)
    np.testing.assert_allclose(shown_result(at), tr.layer(0).h[0], atol=0.006)
    assert "{h}_{-1} = 0" in step_equation(at) and r"\text{column }\text{'h'}" in step_equation(at)


def test_time_slider_moves_the_equation(page):
    at = page
    at.slider(key="l2_t").set_value(5).run()
    assert error_texts(at) == []
    assert "x_{5}" in step_equation(at)
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[5], atol=0.006)
    assert "[" + "␣" + "]" in " ".join(m.value for m in at.markdown)  # step 5 of 'hello world' is the space


def test_scaling_and_editing_w_hh_change_every_view(page):
    at = page
    at.slider(key="l2_t").set_value(4).run()
    before = shown_result(at)
    at.slider(key="l2_scale").set_value(0.0).run()
    assert error_texts(at) == []
    cut = page_trace(at, WeightEdit(scale=0.0))
    np.testing.assert_allclose(shown_result(at), cut.layer(0).h[4], atol=0.006)
    assert not np.allclose(shown_result(at), before, atol=0.006)
    entry = next(n for n in at.number_input if n.label == "W_hh[0, 1]")
    entry.set_value(3.0).run()
    at.slider(key="l2_scale").set_value(1.0).run()
    assert error_texts(at) == []
    changed = page_trace(at, WeightEdit(row=0, col=1, value=3.0))
    np.testing.assert_allclose(shown_result(at), changed.layer(0).h[4], atol=0.006)
    assert any("edited copy" in c.value for c in at.caption)
    # the trained weights were never touched, and Restore shows them again
    at.button(key="l2_restore").click().run()
    assert at.slider(key="l2_scale").value == 1.0
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[4], atol=0.006)
    np.testing.assert_allclose(shown_result(at), before, atol=1e-9)


def test_play_advances_the_step_and_stops_at_the_end(page):
    at = page
    at.button(key="l2_play").click().run()
    assert at.button(key="l2_play").label == "Pause" and at.slider(key="l2_t").value == 0
    at.run()  # each run of the playing fragment shows the next step
    at.run()
    assert at.slider(key="l2_t").value == 2
    assert "x_{2}" in step_equation(at)
    T = len(at.text_input(key="l2_sequence").value)
    at.slider(key="l2_t").set_value(T - 3).run()
    at.run()
    at.run()
    assert at.slider(key="l2_t").value == T - 1
    assert at.button(key="l2_play").label == "Play" and not at.session_state["l2_playing"]
    at.run()
    assert at.slider(key="l2_t").value == T - 1  # stopped
    assert error_texts(at) == []


def test_training_changes_the_numbers_shown(page):
    at = page
    at.slider(key="l2_t").set_value(3).run()
    before = shown_result(at)
    at.button(key="l2_model_train").click().run()
    assert error_texts(at) == []
    assert at.session_state["l2_model_trainer"][1].step > 0
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[3], atol=0.006)
    assert not np.allclose(shown_result(at), before, atol=0.006)


def test_bidirectional_shows_both_directions_and_their_concatenation(page):
    at = page
    at.radio(key="l2_arch").set_value("bidirectional").run()
    assert error_texts(at) == []
    assert any("cheats" in w.value for w in at.warning)
    at.slider(key="l2_t").set_value(2).run()
    at.radio(key="l2_eq_dir").set_value(1).run()
    assert error_texts(at) == []
    eq = step_equation(at)
    assert r"\overleftarrow{h}_{2}" in eq and r"\overleftarrow{h}_{3}" in eq
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0, 1).h[2], atol=0.006)
    out = next(x.value for x in at.latex if r"\overrightarrow{h}_{2};" in x.value)
    assert "softmax" in out


def test_pyramid_shows_halving_layers(page):
    at = page
    at.radio(key="l2_arch").set_value("pyramid").run()
    at.slider(key="l2_layers").set_value(3).run()
    assert error_texts(at) == []
    at.slider(key="l2_t").set_value(6).run()
    at.radio(key="l2_eq_layer").set_value(2).run()
    assert error_texts(at) == []
    tr = page_trace(at)
    assert [len(tr.layer(k).h) for k in range(3)] == [11, 5, 2]
    np.testing.assert_allclose(shown_result(at), tr.layer(2).h[6 // 4], atol=0.006)
    assert "column" not in step_equation(at)  # layer 3 reads pairs of layer-2 states, not a character
    at.slider(key="l2_t").set_value(9).run()  # layer 3 covers steps 0..7 only: 8 and 9 were dropped
    assert error_texts(at) == []
    assert any("dropped" in i.value for i in at.info)


@pytest.mark.parametrize("bad", ["a", "aaaa", "two\nlines"])
def test_bad_sequence_shows_an_error_and_the_page_recovers(page, bad):
    at = page
    at.text_input(key="l2_sequence").set_value(bad).run()
    assert not at.exception
    assert len(at.error) == 1
    at.text_input(key="l2_sequence").set_value("abcab").run()
    assert error_texts(at) == []
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[0], atol=0.006)
