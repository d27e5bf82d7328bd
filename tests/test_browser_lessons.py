"""Lessons 1, 7 and 8 in a real browser: the main interaction of each, as a student does it."""

import re
from pathlib import Path

import pytest

import browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"


def metric_value(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return box.get_by_test_id("stMetricValue").inner_text()


def test_why_recurrence_counts_grow_and_a_review_is_classified(page, app_url):
    browser.open_page(page, app_url, "why-recurrence")
    browser.assert_clean(page)
    rnn_before = metric_value(page, "RNN, any n")
    fc_before = metric_value(page, "Fully connected over n = 4")

    browser.set_slider(page, "Sequence length n", 7)
    browser.assert_clean(page)
    assert metric_value(page, "RNN, any n") == rnn_before  # the same weights at every step
    fc_after = metric_value(page, "Fully connected over n = 7")
    assert int(fc_after.replace(",", "")) > int(fc_before.replace(",", ""))

    page.get_by_role("tab", name="many-to-one").click()
    browser.fill_text(page, "A review", "the food was not bad")
    browser.assert_clean(page)
    verdict = page.get_by_text(re.compile(r"The model says: (positive|negative)")).first
    verdict.wait_for()
    assert "not bad" in page.url.replace("+", " ").replace("%20", " ")  # the typed review is in the link
    assert browser.wait_for_charts(page) >= 3


def test_attention_trains_then_shows_the_heatmap_and_one_step(page, app_url):
    browser.open_page(page, app_url, "seq2seq-attention")
    browser.assert_clean(page)
    browser.set_slider(page, "Steps per click", "50")
    browser.click_button(page, "Train")
    browser.assert_clean(page)
    answer = page.get_by_text(re.compile(r"^Model at step (\d+) answers")).first
    assert int(re.search(r"step (\d+)", answer.inner_text()).group(1)) > 0

    browser.fill_text(page, "Type a date in words", "the third of june")
    browser.assert_clean(page)
    assert page.get_by_text(re.compile(r"^Model at step \d+ answers")).count() == 1
    charts = browser.wait_for_charts(page)
    browser.set_slider(page, "Output step s", 2)
    browser.assert_clean(page)
    assert browser.slider_value(page, "Output step s") == 2
    assert browser.wait_for_charts(page) == charts
    browser.screenshot(page, SCREENSHOTS / "07_attention_used.png")


def test_an_analogy_typed_in_the_browser_and_an_unknown_word(page, app_url):
    browser.open_page(page, app_url, "word-embeddings")
    browser.assert_clean(page)
    browser.fill_text(page, "a", "paris")
    browser.fill_text(page, "is to b", "france")
    browser.fill_text(page, "as c", "rome")
    browser.assert_clean(page)
    page.get_by_text(re.compile(r"paris : france :: rome : italy")).first.wait_for()

    browser.fill_text(page, "as c", "qqqzzx")
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 1 and "qqqzzx" in errors.first.inner_text()  # a message, not a traceback
    assert page.get_by_test_id("stException").count() == 0
    browser.fill_text(page, "as c", "berlin")  # the session keeps working
    browser.assert_clean(page)
    page.get_by_text(re.compile(r"paris : france :: berlin : germany")).first.wait_for()
