"""Lesson 8's PCA-beside-t-SNE maps in a real browser: typed words, the 3-D maps, a refused word."""

import re
from pathlib import Path

import pytest

import browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
WORDS = "Words to map (1 to 8)"


def map_titles(page) -> list[str]:
    return [t.text_content() for t in page.get_by_test_id("stPlotlyChart").locator(".gtitle").all()]


def test_words_typed_drawn_by_pca_and_tsne_then_in_3d(page, app_url):
    browser.open_page(page, app_url, "word-embeddings")
    browser.assert_clean(page)
    browser.fill_text(page, WORDS, "frog guitar paris")
    browser.assert_clean(page)
    browser.wait_for_charts(page)
    assert {"PCA, 2-D", "t-SNE, 2-D, perplexity 8.6"} <= set(map_titles(page))  # 27 words: < (27 - 1) / 3
    page.get_by_text(re.compile(r"Perplexity 10 is too large for 27 words")).first.wait_for()
    page.get_by_text(re.compile(r"^27 words: each typed word")).first.wait_for()
    page.get_by_text(re.compile(r"^The two maps disagree most about")).first.wait_for()
    assert "frog" in page.url.replace("+", " ").replace("%20", " ")  # the words are in the link

    browser._arm(page)
    page.get_by_test_id("stRadio").filter(has_text="3-D (drag to rotate)").get_by_text(
        "3-D (drag to rotate)"
    ).click()
    browser._settle(page, browser.TIMEOUT_MS)
    browser.assert_clean(page)
    browser.wait_for_charts(page)
    assert {"PCA, 3-D", "t-SNE, 3-D, perplexity 8.6"} <= set(map_titles(page))
    browser.screenshot(page, SCREENSHOTS / "08_maps_3d.png")

    browser.fill_text(page, WORDS, "frog qqqzzx")
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 1 and "qqqzzx" in errors.first.inner_text()
    assert page.get_by_test_id("stException").count() == 0
