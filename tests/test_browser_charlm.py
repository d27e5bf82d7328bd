"""Lesson 3 in a real browser: the coloured texts draw, and a Train click streams samples and a live
loss curve while it trains (the fragment's updates, which AppTest cannot watch), then redraws every view,
with the held-out curve of the checkpoints and its sentence on overfitting."""

import re

import pytest

import browser

pytestmark = pytest.mark.browser

URL_PATH = "char-lm"
LIVE_WAIT_MS = 60_000  # the first sample shows about 2 s into the run on an idle machine


def trained_step(page) -> int:
    box = page.get_by_test_id("stMetric").filter(has_text="Model at training step")
    return int(re.search(r"(\d+)\s*$", box.inner_text().strip()).group(1))


def coloured_characters(page) -> int:
    """Characters drawn with a hover value in the coloured texts (st.html)."""
    return page.locator("[data-testid='stHtml'] span[title]").count()


def test_training_streams_samples_then_redraws_the_views(page, app_url):
    browser.open_page(page, app_url, URL_PATH)
    browser.assert_clean(page)
    assert browser.wait_for_charts(page) >= 4
    assert trained_step(page) == 0
    assert coloured_characters(page) > 300  # the scored sequence, the sample and the unit view
    before = page.get_by_test_id("stHtml").nth(1).inner_text()
    # section 7, the pattern search: the sentence, the selection and the ranked matches in context draw
    assert page.get_by_text(re.compile(r"Over steps 1 to 3, \*?\*?\d+ units? stay")).count() == 1
    matches = page.locator("[data-testid='stHtml'] ol li b")
    assert matches.count() >= 2  # the selection and at least one match, in bold
    assert page.get_by_text(re.compile(r"this search took \d+ ms")).count() == 1

    page.get_by_role("button", name="Train", exact=True).first.click()
    # while the run goes on: a progress bar, and a sample printed from the model as it learns
    page.get_by_test_id("stProgress").first.wait_for(state="visible", timeout=LIVE_WAIT_MS)
    live_sample = page.get_by_test_id("stCode").filter(has_text=re.compile(r"sample at step \d+"))
    live_sample.first.wait_for(timeout=LIVE_WAIT_MS)
    browser.wait_idle(page)  # the run ends and the page reruns with the trained model
    page.get_by_role("button", name="Continue training", exact=True).wait_for(timeout=LIVE_WAIT_MS)
    browser.wait_idle(page)

    browser.assert_clean(page)
    assert browser.wait_for_charts(page) >= 6  # the training history and the held-out curve join the views
    verdict = re.compile(r"No sign of overfitting yet|The model is overfitting|above its lowest")
    assert page.get_by_text(verdict).count() == 1  # the curve's sentence, in words
    assert trained_step(page) > 0
    assert page.get_by_text(re.compile(r"Samples printed during training")).count() == 1
    assert page.get_by_test_id("stHtml").nth(1).inner_text() != before  # the trained model writes anew
    trained = re.compile(rf"At training step {trained_step(page)}, the unit that best tells 'inside a tag'")
    assert page.get_by_text(trained).count() == 1  # the finding, recomputed for the trained checkpoint
