"""Lesson 11 (pointer networks) in a real browser: train both, a longer list, a bad list, a checkpoint."""

import re
from pathlib import Path

import pytest

import browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
NUMBERS = "Your numbers (at most 30)"


def test_pointer_trains_reads_a_longer_list_and_refuses_a_bad_one(page, app_url):
    browser.open_page(page, app_url, "pointer-networks")
    browser.assert_clean(page)
    browser.set_slider(page, "Steps per click", "50")
    browser.click_button(page, "Train both")
    browser.assert_clean(page)
    assert page.get_by_text(re.compile(r"^Pointer network at step 50\.")).count() == 1
    charts = browser.wait_for_charts(page)
    assert charts >= 5  # the loss curves, pointer matrix, the drawn answer, sharpening, accuracy by length

    browser.fill_text(page, NUMBERS, "0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.6")  # T = 7 > the training length 5
    browser.assert_clean(page)
    page.get_by_text(re.compile(r"cannot write this answer: it needs position t = 7")).first.wait_for()
    assert "0.05" in page.url  # the typed list is in the link

    browser.fill_text(page, NUMBERS, "0.5, seven, 0.3")
    assert any("'seven' is not a number" in p for p in browser.problems(page)), browser.problems(page)
    assert page.get_by_test_id("stException").count() == 0

    browser.fill_text(page, NUMBERS, "0.9 0.1 0.5")
    browser.assert_clean(page)
    browser.set_slider(page, "Pointer network's weights after training step (checkpoints)", 0)
    browser.assert_clean(page)
    page.get_by_text("Pointer matrix at step 0").first.wait_for()
    browser.screenshot(page, SCREENSHOTS / "11_pointer_used.png")
