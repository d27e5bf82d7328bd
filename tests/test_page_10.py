"""Lesson 10 page (recurrent networks today) under AppTest: it opens, trains, checks, refuses bad links."""

import pytest

PAGE = "10_rnns_today.py"


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def page(request):
    """One page opened through the router for the whole module (each open costs seconds)."""
    from conftest import APP, APPTEST_TIMEOUT
    from streamlit.testing.v1 import AppTest

    import course

    at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT).run()
    at = at.switch_page(f"{course.PAGES_DIR.name}/{PAGE}").run()
    assert not at.exception, at.exception
    return at


def test_defaults_render_untrained(page):
    at = page
    assert not at.error
    assert len(at.get("plotly_chart")) >= 4  # timing, a_t, memory length, gradient
    assert at.session_state["l10_trainer"][1].model.cfg.cell == "min_gru"
    assert at.session_state["l10_trainer"][1].step == 0
    assert at.session_state["l10_sel_trainer"][1].model.cfg.cell == "selective"
    assert at.session_state["l10_elman_trainer"][1].model.cfg.cell == "rnn_tanh"
    assert float(metric(at, "max |log-space scan - loop|")) < 1e-10
    assert float(metric(at, "max |doubling scan - loop|")) < 1e-10
    assert float(metric(at, "max |recurrent - parallel| (float64)")) < 1e-10
    assert len(at.get("plotly_chart")) >= 6  # + S_t and ||S_t||


def test_train_buttons_train(page):
    at = page
    at.button(key="l10_train").click().run()
    assert not at.exception and not at.error
    assert at.session_state["l10_trainer"][1].step > 0
    assert float(metric(at, "max |log-space scan - loop|")) < 1e-10  # trained weights: still equal
    at.button(key="l10_mem_train").click().run()
    assert not at.exception and not at.error
    assert (
        at.session_state["l10_sel_trainer"][1].step > 0 and at.session_state["l10_elman_trainer"][1].step > 0
    )


def test_min_lstm_and_unit_picker(page):
    at = page
    at.selectbox(key="l10_cell").set_value("min_lstm").run()
    assert not at.exception and not at.error
    assert at.session_state["l10_trainer"][1].model.cfg.cell == "min_lstm"
    at.select_slider(key="l10_unit").set_value(3).run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if "h_t (loop)" in df.value.columns)
    assert (table["|log scan - loop|"] < 1e-10).all()


def test_the_pair_task_switch_keeps_each_tasks_models(page):
    at = page
    at.radio(key="l10_pair_task").set_value("latest_country").run()
    assert not at.exception and not at.error
    assert at.session_state["l10_sel_reset_trainer"][1].task.name == "latest_country"
    assert at.session_state["l10_sel_trainer"][1].task.name == "first_word"
    at.radio(key="l10_pair_task").set_value("first_word").run()
    assert not at.exception and not at.error


def test_the_attention_step_slider_moves_the_state(page):
    import json

    at = page
    T = len(at.text_input(key="l10_text").value.split())
    assert at.select_slider(key="l10_att_t").value == T  # starts at the last word: the whole state
    at.select_slider(key="l10_att_t").set_value(2).run()
    assert not at.exception and not at.error
    heat = next(c for c in at.get("plotly_chart") if "S_t after t = 2" in c.proto.spec)
    assert json.loads(heat.proto.spec)["data"][0]["type"] == "heatmap"
    assert any(m.value.startswith("After t = 2 (") for m in at.markdown)


def test_check_question(page):
    at = page
    key = "check_10_rnns_today.py"
    right = at.session_state[f"{key}_answer"]
    options = at.radio(key=key).options
    wrong = next(i for i in range(len(options)) if i != right)
    at.radio(key=key).set_value(wrong).run()
    assert any(e.value.startswith("Not quite.") for e in at.error)
    at.radio(key=key).set_value(right).run()
    assert any(s.value.startswith("Right.") for s in at.success)


def test_unknown_word_shows_an_error_and_the_page_goes_on(page):
    at = page
    at.text_input(key="l10_text").set_value("Spain the spaceship fluent").run()
    assert not at.exception
    assert len(at.error) == 1 and "spaceship" in at.error[0].value
    assert len(at.get("plotly_chart")) >= 4
    at.text_input(key="l10_text").set_value("Spain the sea fluent").run()
    assert not at.exception and not at.error


@pytest.mark.parametrize(
    "bad",
    [
        {"l10_lag": "0", "l10_hidden": "5", "l10_unit": "99", "l10_cell": "gru", "l10_pair_task": "copy"},
        {"l10_text": "😀 " * 300, "l10_lag": "1e9", "l10_trained": "banana", "l10_att_t": "99"},
    ],
)
def test_bad_link_values_run_clean(open_url, bad):
    at = open_url(PAGE, bad)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 4  # the page went on
    assert len(at.error) <= 1
    if "l10_text" in bad:
        assert at.error and "e.g." in at.error[0].value.replace("\\", "")


def test_presenter_mode_runs_clean(open_url):
    at = open_url(PAGE, {"present": "true"})
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 6


def test_a_training_link_retrains_the_same_models(open_url):
    """The URL a Train click leaves (l10_trained, l10_sel_trained, ...) rebuilds those models."""
    import torch

    from rnnviz.lessons.modern_lesson import ModernLesson

    at = open_url(PAGE, {"l10_trained": "60", "l10_sel_trained": "40", "l10_elman_trained": "40"})
    assert not at.exception and not at.error
    steps = {k: at.session_state[f"{k}_trainer"][1].step for k in ("l10", "l10_sel", "l10_elman")}
    assert steps == {"l10": 60, "l10_sel": 40, "l10_elman": 40}
    again = ModernLesson(cell="selective").trainer()
    again.run(40, 600)
    for a, b in zip(
        again.model.parameters(), at.session_state["l10_sel_trainer"][1].model.parameters(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=0)  # the same seed, batches and steps: the same weights
