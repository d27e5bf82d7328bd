"""Lesson 1 page (why recurrence) under AppTest: live counts, the examples, bad input, training."""

import functools

import pytest
import streamlit as st

import apptools
from rnnviz.lessons import recurrence

PAGE = "01_why_recurrence.py"


def metric(at, label_start: str) -> int:
    m = next(m for m in at.metric if m.label.startswith(label_start))
    return int(m.value.replace(",", ""))


def error_texts(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


@pytest.fixture
def page(open_page):
    at = open_page(PAGE)
    assert error_texts(at) == []
    return at


def test_defaults_show_live_counts_and_every_pattern(page):
    at = page
    D, H, K, n = (at.slider(key=f"l1_{k}").value for k in "DHKn")
    assert metric(at, "RNN") == recurrence.rnn_params(D, H, K)
    assert metric(at, f"Fully connected over n = {n}") == recurrence.fc_params(n, D, H, K)
    assert len(at.get("plotly_chart")) >= 9  # unrolled, growth, 5 patterns (+ bars), ff vs rnn
    assert [t.label for t in at.tabs] == [
        "one-to-one", "one-to-many", "many-to-one", "many-to-many, aligned", "many-to-many, unaligned",
    ]  # fmt: skip
    assert "untrained" in at.info[0].value
    tags = at.dataframe[0].value
    assert tags["x_t (word)"].tolist() == ["i", "like", "cake"] and len(tags["y_t (tag)"]) == 3
    assert "21-03" in " ".join(c.value for c in at.caption)  # the unaligned example's target


def test_sequence_length_changes_the_window_net_only(page):
    at = page
    rnn, fc = metric(at, "RNN"), metric(at, "Fully connected over n = 4")
    at.slider(key="l1_n").set_value(8).run()
    assert error_texts(at) == []
    assert metric(at, "RNN") == rnn
    assert metric(at, "Fully connected over n = 8") > fc
    at.slider(key="l1_H").set_value(16).run()
    assert metric(at, "RNN") == recurrence.rnn_params(3, 16, 2)


def test_bad_inputs_show_errors_not_tracebacks(page):
    at = page
    at.text_input(key="l1_sentence").set_value("I like pizza").run()
    assert not at.exception
    assert len(at.error) == 1 and "pizza" in at.error[0].value
    at.text_input(key="l1_review").set_value("").run()
    assert not at.exception and len(at.error) == 2
    at.text_input(key="l1_phrase").set_value("the day after tomorrow").run()
    assert not at.exception and len(at.error) == 3
    at.text_input(key="l1_sentence").set_value("they swim like fish").run()
    at.text_input(key="l1_review").set_value("the food was bad").run()
    at.text_input(key="l1_phrase").set_value("first of may").run()
    assert error_texts(at) == []
    assert at.dataframe[0].value["x_t (word)"].tolist() == ["they", "swim", "like", "fish"]


@pytest.fixture
def quick_examples(monkeypatch):
    """Train the examples for a few steps only; the shared cache is emptied again afterwards."""
    st.cache_resource.clear()
    monkeypatch.setattr(
        recurrence, "ExamplesConfig", functools.partial(recurrence.ExamplesConfig, steps=30, lm_steps=5)
    )
    yield
    st.cache_resource.clear()


def test_train_button_trains_the_examples(quick_examples, open_page):
    at = open_page(PAGE)
    before = at.dataframe[0].value["p(tag)"].tolist()
    at.button(key="l1_train").click().run()
    assert error_texts(at) == []
    assert "Trained: sentiment 30 steps, tagging 30 steps, character model 5 steps" in at.success[0].value
    assert at.dataframe[0].value["p(tag)"].tolist() != before  # the tagger's outputs changed
    assert all(b.key != "l1_train" for b in at.button)  # trained once per seed, then no button
    at.button(key="l1_resample").click().run()
    assert error_texts(at) == []


# --- shareable links, presenter mode, the check question (issue 6) ------------------------------


def view(at) -> dict:
    """Every number the page shows: metrics, texts, tables and the data of every chart."""
    return apptools.view(at, "metrics", "markdown", "captions", "tables", "charts")


LINK = {
    "l1_D": "5", "l1_H": "9", "l1_K": "3", "l1_n": "7", "l1_L": "5", "seed": "3",
    "l1_word": "awful", "l1_review": "the food was bad", "l1_sentence": "they eat fish",
    "l1_phrase": "first of may", "l1_prime": "<b>", "l1_pattern": "many-to-one",
}  # fmt: skip


def test_a_link_reproduces_the_view_in_a_fresh_session(open_url, page):
    first = apptools.opened_twice(open_url, PAGE, LINK, view)
    assert view(first) != view(page)  # the link's settings took effect
    assert [first.slider(key=f"l1_{k}").value for k in "DHKnL"] == [5, 9, 3, 7, 5]
    assert metric(first, "RNN") == recurrence.rnn_params(5, 9, 3)
    assert first.dataframe[0].value["x_t (word)"].tolist() == ["they", "eat", "fish"]
    assert first.session_state["l1_pattern"] == "many-to-one"
    assert dict(first.query_params) == LINK  # nothing dropped: the link the sidebar shows is the same


def test_presenter_mode_folds_the_prose(open_url, open_page):
    at = open_url(PAGE, {"present": "true"})
    assert error_texts(at) == []
    folded = folded_texts(at)
    assert any("summarises what it has read" in text for text in folded)  # section 1's paragraph
    assert any("What you will learn" in text for text in folded)
    assert len(at.get("plotly_chart")) >= 9 and len(at.metric) == 3  # charts and numbers stay out
    assert not any("summarises what it has read" in text for text in unfolded(at))
    # without presenter mode the same paragraph is on the page, not folded
    assert not any("summarises what it has read" in text for text in folded_texts(open_page(PAGE)))


def folded_texts(at) -> list[str]:
    return [m.value for e in at.expander for m in e.markdown]


def unfolded(at) -> list[str]:
    """Markdown outside every expander."""
    rest = [m.value for m in at.markdown]
    for text in folded_texts(at):
        rest.remove(text)
    return rest


@pytest.mark.parametrize(
    "params",
    [
        {"l1_D": "0", "l1_H": "1000000", "l1_K": "-3", "l1_n": "9", "l1_L": "abc"},
        {"l1_D": "😀", "l1_H": "", "l1_n": "2.5", "l1_word": "notaword", "l1_pattern": "two-to-three"},
        {"l1_review": "😀 " * 2000, "l1_sentence": "   ", "l1_phrase": "x" * 10000, "l1_prime": "☃☃"},
    ],
)
def test_bad_link_values_run_clean(open_url, params):
    at = open_url(PAGE, params)
    assert not at.exception
    assert [s.value for s in at.slider if s.key in ("l1_D", "l1_K", "l1_L")] == [3, 2, 4]  # defaults
    assert len(at.metric) == 3  # the counts still draw
    assert all("Traceback" not in e.value for e in at.error)


def test_traces_have_csv_buttons(page):
    shown = [b.proto.id.rsplit("-", 1)[-1] for b in page.get("download_button")]
    assert [k for k in shown if "_csv_" in k] == ["l1_csv_unrolled", "l1_csv_growth", "l1_csv_tags"]
