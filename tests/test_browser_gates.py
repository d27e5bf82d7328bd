"""Lessons 5 and 6 in a real browser: train, clamp, race and the deep stacks, with every chart drawn.

Screenshots after the interactions land in tests/artifacts/screenshots/ for a human to look at.
"""

import re
from pathlib import Path

import pytest

import browser

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
RUN_TIMEOUT_MS = 120_000  # a click trains for a few seconds; the shared machine may be slow


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox ``label``. Streamlit 1.67's selectbox is a react-aria combobox
    whose list opens from its "Open" button (a click on the text field only focuses it)."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).first
    choice = page.get_by_role("option", name=option, exact=True).first
    for _ in range(10):  # a rerun still under way redraws the widget and closes the list: open it again
        browser.wait_idle(page)
        box.get_by_role("button", name="Open").click()
        try:
            choice.wait_for(timeout=5_000)
        except Exception as e:  # playwright's TimeoutError, named only in its private module
            if type(e).__name__ != "TimeoutError":
                raise
            continue
        choice.click()
        return
    raise AssertionError(f"the list of {label!r} never showed {option!r}")


def test_lstm_page_trains_selects_and_clamps(page, app_url):
    browser.open_page(page, app_url, "lstm-cell")
    assert browser.wait_for_charts(page) >= 12
    browser.assert_clean(page)
    # at 1400 px the four stages of the cell sit on one line (they wrapped when labelled at length)
    stages = page.get_by_test_id("stRadio").first.get_by_role("radio")
    assert stages.count() == 4
    tops = {round(stages.nth(k).locator("xpath=..").bounding_box()["y"]) for k in range(4)}
    assert len(tops) == 1, tops
    # steps count from 1: the picker's first stop is t = 1, and the first word's axis label is 1:<word>
    assert page.get_by_text("1:Spain").count() >= 1 or page.get_by_text(re.compile(r"^1:")).count() >= 1
    browser.click_button(page, "Train")
    page.get_by_text(re.compile(r"trained \d+ steps")).first.wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    # by its shown text: Streamlit 1.67's slider thumb has aria-valuetext but no aria-valuenow
    browser.set_slider(page, "Time step t", "4")
    pick(page, "Gate", "o")
    page.get_by_text("Clamp o to", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    try:
        assert browser.wait_for_charts(page) >= 13  # + the training history
    finally:
        browser.screenshot(page, SCREENSHOTS / "05_lstm_trained.png")
    browser.assert_clean(page)
    assert page.get_by_text("4. output").count() == 1
    # the backward step and the tanh-less output, written out on the trained model
    assert page.get_by_text("One step of the backward pass, on real numbers").count() == 1
    assert page.get_by_text(re.compile(r"comes along the cell \(through f_t\)")).count() == 1
    assert page.get_by_text(re.compile(r"Read the whole sentence with")).count() == 1
    assert "step t=4" in page.get_by_test_id("stPlotlyChart").nth(1).inner_text()


def test_gru_page_races_and_trains_the_deep_stacks(page, app_url):
    browser.open_page(page, app_url, "gru-highway")
    charts = browser.wait_for_charts(page)
    browser.assert_clean(page)
    browser.click_button(page, "Train both (same task, same seed)")
    page.get_by_text(re.compile("a GRU step takes")).wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    browser.click_button(page, "Train all three")
    page.get_by_text("Training loss").first.wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    # the grid LSTM against the stacked LSTM (the same page load): trained, scored, both memories drawn
    browser.click_button(page, "Train the grid and the stacked LSTM")
    verdict = page.get_by_text(
        re.compile(r"^After \d+ steps for the grid LSTM and \d+ steps for the stacked")
    )
    verdict.first.wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    try:
        # race accuracy, the deep training loss, the grid's training curves
        assert browser.wait_for_charts(page) >= charts + 3
        shown = page.get_by_test_id("stPlotlyChart")
        assert shown.filter(has_text="Training accuracy on the recall steps, same batches").count() == 1
        assert shown.filter(has_text="m: passed up a layer (depth)").count() == 1
        assert page.get_by_text(re.compile(r"depth memory is largest at layer \d+, step \d+")).count() == 1
        # the section's own widgets rerun it alone (a fragment): its own colour scale for m, then step t = 2
        page.get_by_text("each its own", exact=True).click()
        page.get_by_text(re.compile(r"^Largest \|m\| of unit 0")).first.wait_for(timeout=RUN_TIMEOUT_MS)
        browser.wait_idle(page)
        browser.set_slider(page, "Step t", 2)
        page.get_by_text(re.compile(r"^Unit 0 at step t = 2 ")).first.wait_for(timeout=RUN_TIMEOUT_MS)
        browser.assert_clean(page)
    finally:
        browser.screenshot(page, SCREENSHOTS / "06_gru_trained.png", max_height=40_000)
    browser.assert_clean(page)


def test_gru_page_agreement_trains_clamps_and_refuses_a_bad_sentence(page, app_url):
    browser.open_page(page, app_url, "gru-highway")
    browser.assert_clean(page)
    browser.click_button(page, "Train GRU, LSTM and RNN")
    page.get_by_text(re.compile(r"^GRU: clamping .* the verb flips")).first.wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    browser.assert_clean(page)
    label = "Your sentence, without its verb (words of the task)"
    browser.fill_text(page, label, "the cats was")  # the verb typed too: refused, the example read instead
    assert any("leave out the verb" in p for p in browser.problems(page))
    browser.fill_text(page, label, "the cats near the dog with the boy")
    browser.wait_idle(page)
    browser.assert_clean(page)
    page.get_by_text("at the subject only (then the cell's own gates carry it)").click()
    page.get_by_text(re.compile(r"^GRU: clamping .* at the subject only")).first.wait_for(
        timeout=RUN_TIMEOUT_MS
    )
    browser.wait_idle(page)
    try:
        charts = page.get_by_test_id("stPlotlyChart")
        assert charts.filter(has_text="and the drawn gate").count() == 1  # drawn, its title in the SVG
        assert charts.filter(has_text="Held-out accuracy, 256 sentences per length").count() == 1
    finally:
        browser.screenshot(page, SCREENSHOTS / "06_gru_agreement.png", max_height=40_000)
    browser.assert_clean(page)
