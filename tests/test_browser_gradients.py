"""Lesson 4 in a real browser: spectral-radius slider, training, exploding preset, lag measurement,
connectivity."""

from pathlib import Path

import pytest

import browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
URL_PATH = "vanishing-gradients"


def metric_text(page, label: str) -> str:
    return page.get_by_test_id("stMetric").filter(has_text=label).first.inner_text()


def ordered_text(page) -> str:
    """Section 7's check of the gathered product, on section 2's copy."""
    return page.get_by_text("On the copy of section 2", exact=False).first.inner_text()


def test_gradients_page_controls(page, app_url):
    browser.open_page(page, app_url, URL_PATH)
    browser.assert_clean(page)
    charts = browser.wait_for_charts(page)
    assert charts >= 6

    notes_before = ordered_text(page)
    browser.set_slider(page, "spectral radius ρ(W_hh)", 1.5)
    browser.assert_clean(page)
    assert "1.500" in metric_text(page, "ρ(W_hh) drawn")
    assert page.get_by_text("the gradient grows", exact=False).count() >= 1  # rho = 1.5 explodes on screen
    # sections 2 and 6 rerun together as fragments: the address bar has the new value, and section
    # 6's check on section 2's copy now reads the copy at rho = 1.5
    assert "l4_rho=1.5" in page.url
    assert ordered_text(page) != notes_before

    browser.set_slider(page, "w_h (recurrent weight)", 1.5)  # section 1 reruns alone
    browser.assert_clean(page)
    assert "l4_w_h=1.5" in page.url and "l4_rho=1.5" in page.url
    assert "1.500" in metric_text(page, "ρ(W_hh) drawn")

    browser.click_button(page, "Train")
    browser.assert_clean(page)
    assert page.get_by_role("button", name="Continue training", exact=True).count() == 1

    browser.click_button(page, "Train both runs (300 steps each)")
    browser.assert_clean(page)
    assert page.get_by_test_id("stAlertContentWarning").filter(has_text="diverged at step").count() == 1
    assert browser.wait_for_charts(page) == charts + 2  # the training history and the clipping chart
    assert page.get_by_text("the same direction", exact=False).count() >= 1  # cos(g, g') = 1

    browser.set_slider(page, "lag to measure", "5")
    browser.set_slider(page, "steps per cell", "100")
    browser.click_button(page, "Measure RNN, LSTM and GRU at lag 5")
    browser.assert_clean(page)
    assert browser.wait_for_charts(page) >= charts
    table = page.get_by_test_id("stDataFrame").first
    assert table.is_visible()

    # section 6, connectivity, at its smallest budget (six models, 50 steps each), in the same tab
    shown = browser.wait_for_charts(page)
    browser.set_slider(page, "steps per model", "50")
    browser.click_button(page, "Train RNN, LSTM and GRU for connectivity (50 steps each)")
    browser.assert_clean(page)
    assert browser.wait_for_charts(page) == shown + 2  # C[T, t] per cell and the C[s, t] maps
    assert page.get_by_text("the answer to the first word after 50 training steps", exact=False).count() == 1
    browser.set_slider(page, "checkpoint (training step)", "0")  # the section reruns alone
    browser.assert_clean(page)
    assert page.get_by_text("the answer to the first word at the initial weights", exact=False).count() == 1
    assert "l4_conn_steps=50" in page.url
    browser.screenshot(page, SCREENSHOTS / "04_gradients_used.png")
