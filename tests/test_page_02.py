"""Lesson 2 page (the Elman RNN) under AppTest: the equation it renders is the model's own step.

Every check rebuilds the numbers outside the page (the session's model, or a fresh one from the same
config and seed), traces them, and compares with the LaTeX the page shows.
"""

import re

import numpy as np
import pytest

import apptools
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
    assert at.slider(key="l2_t").value == 1 and at.button(key="l2_play").label == "Play"
    assert len(at.get("plotly_chart")) >= 3  # heatmap, contributions, output bars
    # the model the page shows is the one the config and seed 0 build
    cfg = ElmanConfig()
    task = make_task(cfg)
    fresh = make_model(cfg, task)
    x, y = sequence_ids(cfg, task)
    tr = trace(fresh, x, y, jacobians=False)
    np.testing.assert_allclose(shown_result(at), tr.layer(0).h[0], atol=0.006)
    assert (
        "{h}_{0} = 0" in step_equation(at)
        and "{h}_{1} &=" in step_equation(at)
        and r"\text{column }\text{'h'}" in step_equation(at)
    )


def test_time_slider_moves_the_equation(page):
    at = page
    at.slider(key="l2_t").set_value(6).run()
    assert error_texts(at) == []
    assert "x_{6}" in step_equation(at)
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[5], atol=0.006)
    assert "[" + "␣" + "]" in " ".join(m.value for m in at.markdown)  # step 6 of 'hello world' is the space
    assert "Step 6 reads x_6 = '␣'" in " ".join(m.value for m in at.markdown)


def test_scaling_and_editing_w_hh_change_every_view(page):
    at = page
    at.slider(key="l2_t").set_value(4).run()
    before = shown_result(at)
    at.slider(key="l2_scale").set_value(0.0).run()
    assert error_texts(at) == []
    cut = page_trace(at, WeightEdit(scale=0.0))
    np.testing.assert_allclose(shown_result(at), cut.layer(0).h[3], atol=0.006)
    assert not np.allclose(shown_result(at), before, atol=0.006)
    entry = next(n for n in at.number_input if n.label == "W_hh[0, 1]")
    entry.set_value(3.0).run()
    at.slider(key="l2_scale").set_value(1.0).run()
    assert error_texts(at) == []
    changed = page_trace(at, WeightEdit(row=0, col=1, value=3.0))
    np.testing.assert_allclose(shown_result(at), changed.layer(0).h[3], atol=0.006)
    assert any("edited copy" in c.value for c in at.caption)
    # the trained weights were never touched, and Restore shows them again
    at.button(key="l2_restore").click().run()
    assert at.slider(key="l2_scale").value == 1.0
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[3], atol=0.006)
    np.testing.assert_allclose(shown_result(at), before, atol=1e-9)


def test_play_advances_the_step_and_stops_at_the_end(page):
    at = page
    at.button(key="l2_play").click().run()
    assert at.button(key="l2_play").label == "Pause" and at.slider(key="l2_t").value == 1
    at.run()  # each run of the playing fragment shows the next step
    at.run()
    assert at.slider(key="l2_t").value == 3
    assert "x_{3}" in step_equation(at)
    T = len(at.text_input(key="l2_sequence").value)
    at.slider(key="l2_t").set_value(T - 2).run()
    at.run()
    at.run()
    assert at.slider(key="l2_t").value == T
    assert at.button(key="l2_play").label == "Play" and not at.session_state["l2_playing"]
    at.run()
    assert at.slider(key="l2_t").value == T  # stopped
    assert error_texts(at) == []


def test_training_changes_the_numbers_shown(page):
    at = page
    at.slider(key="l2_t").set_value(3).run()
    before = shown_result(at)
    at.button(key="l2_model_train").click().run()
    assert error_texts(at) == []
    assert at.session_state["l2_model_trainer"][1].step > 0
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0).h[2], atol=0.006)
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
    np.testing.assert_allclose(shown_result(at), page_trace(at).layer(0, 1).h[1], atol=0.006)
    out = next(x.value for x in at.latex if r"\overrightarrow{h}_{2};" in x.value)
    assert "softmax" in out


def test_pyramid_shows_halving_layers(page):
    at = page
    at.radio(key="l2_arch").set_value("pyramid").run()
    at.slider(key="l2_layers").set_value(3).run()
    assert error_texts(at) == []
    at.slider(key="l2_t").set_value(7).run()
    at.radio(key="l2_eq_layer").set_value(2).run()
    assert error_texts(at) == []
    tr = page_trace(at)
    assert [len(tr.layer(k).h) for k in range(3)] == [11, 5, 2]
    np.testing.assert_allclose(shown_result(at), tr.layer(2).h[6 // 4], atol=0.006)
    assert "column" not in step_equation(at)  # layer 3 reads pairs of layer-2 states, not a character
    assert "{h}^{(3)}_{2} &=" in step_equation(at)  # step 7 of the input is in layer 3's step 2
    at.slider(key="l2_t").set_value(10).run()  # layer 3 covers steps 1..8 only: 9 and 10 were dropped
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


# --- shareable links, presenter mode, the check question (issue 6) ------------------------------


def view(at) -> dict:
    """Every number the page shows: equations, texts, metrics and the data of every chart."""
    return apptools.view(at, "latex", "markdown", "captions", "charts")


LINK = {
    "l2_sequence": "abcabd", "l2_H": "4", "l2_arch": "stacked (deep)", "l2_layers": "3",
    "l2_scale": "0.5", "l2_edit_where": "layer 2", "l2_edit_i": "2", "l2_edit_j": "3", "l2_w": "2.5",
    "l2_t": "4", "l2_eq_layer": "layer 2", "seed": "5",
}  # fmt: skip


def test_a_link_reproduces_the_view_in_a_fresh_session(open_url, page):
    first = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert view(first) != view(page)  # the link's settings took effect
    assert dict(first.query_params) == LINK
    assert first.slider(key="l2_t").value == 4 and first.number_input(key="l2_w").value == 2.5
    # the equation is layer 2's step 4 of the edited copy: W_hh[2, 3] of layer 2 = 2.5, all W_hh times 0.5
    cfg = ElmanConfig(sequence="abcabd", hidden_size=4, architecture="stacked", num_layers=3, seed=5)
    task = make_task(cfg)
    x, y = sequence_ids(cfg, task)
    edit = WeightEdit(scale=0.5, layer=1, row=2, col=3, value=2.5)
    tr = trace(edited(make_model(cfg, task), edit), x, y, jacobians=False)
    np.testing.assert_allclose(shown_result(first), tr.layer(1).h[3], atol=0.006)


def test_the_weight_entry_follows_i_and_j_under_a_stable_key(page):
    at = page
    at.number_input(key="l2_w").set_value(3.0).run()
    assert at.number_input(key="l2_w").value == 3.0
    at.number_input(key="l2_edit_i").set_value(2).run()  # another entry: its own trained value again
    trained = float(session_model(at).layers[0].params(0)["weight_hh"][2, 1].detach())
    assert at.number_input(key="l2_w").value == pytest.approx(round(trained, 4))
    at.number_input(key="l2_edit_i").set_value(5)
    at.slider(key="l2_H").set_value(3).run()  # i = 5 does not fit H = 3: clamped, no exception
    assert error_texts(at) == [] and at.number_input(key="l2_edit_i").value == 2


def test_presenter_mode_folds_the_prose(open_url, open_page):
    said = "the only thing that carries information"  # section 2's paragraph
    at = open_url(PAGE, {"present": "true", "l2_arch": "bidirectional"})
    assert error_texts(at) == []
    folded = [m.value for e in at.expander for m in e.markdown]
    assert any(said in text for text in folded) and any("Bidirectional RNN" in text for text in folded)
    assert any("cheats" in w.value for w in at.warning)  # the warning stays in view
    assert len(at.get("plotly_chart")) >= 4 and any(r"\begin{aligned}" in x.value for x in at.latex)
    plain = open_page(PAGE)
    assert not any(said in m.value for e in plain.expander for m in e.markdown)
    assert any(said in m.value for m in plain.markdown)


@pytest.mark.parametrize(
    "params",
    [
        {"l2_edit_i": "99", "l2_edit_j": "-5", "l2_w": "1e9", "l2_t": "500", "l2_scale": "nan", "l2_H": "😀"},
        {"l2_arch": "zzz", "l2_layers": "", "l2_edit_where": "layer 9", "l2_eq_layer": "x", "l2_eq_dir": "2"},
        {"l2_sequence": "hello world" * 1000, "l2_t": "39"},
    ],
)
def test_bad_link_values_run_clean(open_url, params):
    at = open_url(PAGE, params)
    assert error_texts(at) == []
    assert at.slider(key="l2_H").value == 6 and at.radio(key="l2_arch").value == "single"
    assert len(at.get("plotly_chart")) >= 3


@pytest.mark.parametrize("bad", ["😀😀😀", "   ", ""])
def test_bad_sequence_in_a_link_shows_an_error(open_url, bad):
    at = open_url(PAGE, {"l2_sequence": bad, "l2_t": "2"})
    assert not at.exception and len(at.error) == 1


def test_traces_have_csv_buttons(page):
    shown = [b.proto.id.rsplit("-", 1)[-1] for b in page.get("download_button")]
    assert [k for k in shown if "_csv_" in k] == ["l2_csv_h", "l2_csv_y", "l2_csv_bptt"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"l2_bptt_i": "99", "l2_bptt_j": "-4", "l2_bptt_t": "500", "l2_sc_wh": "nan", "l2_sc_xs": "1,"*500},
         "from 1 to 12 inputs"),
        ({"l2_bptt_i": "5", "l2_H": "3", "l2_sc_xs": "😀"}, "separated by commas"),
        ({"l2_sequence": "ab", "l2_bptt_t": "2", "l2_sc_wx": "1e9"}, None),
    ],
)  # fmt: skip
def test_bad_backward_pass_links_run_clean(open_url, params, message):
    at = open_url(PAGE, params)
    assert not at.exception
    assert [e.value for e in at.error if message and message in e.value] or (not message and not at.error)
    assert any(r"\text{own loss }" in x.value for x in at.latex)  # the delta table's step still shows
