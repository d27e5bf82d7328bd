"""Lesson 2 in a real browser: Play moves the time step on its own (a timed fragment, which AppTest
cannot run), Pause stops it, and training redraws the views."""

import re

import pytest

import browser

pytestmark = pytest.mark.browser

URL_PATH = "elman-rnn"
STEP_INPUT = "input[type='range'][aria-label='Time step t']"
PLAY_WAIT_MS = 30_000  # a step per second on an idle machine; a busy one may be slower


def step_input(page):
    # Streamlit 1.67 draws st.slider as an <input type="range"> (value, no aria-valuenow)
    return page.locator(STEP_INPUT).first


def time_step(page) -> int:
    return int(step_input(page).input_value())


def set_time_step(page, value: int) -> None:
    box = step_input(page)
    browser._arm(page)
    box.focus()
    box.press("Home")  # step 1: steps count from 1
    for _ in range(value - 1):
        box.press("ArrowRight")
    browser._settle(page, browser.TIMEOUT_MS)
    assert time_step(page) == value


def reading(page) -> str:
    """The line under the slider, e.g. "Step 3 reads x_3 = 'l': ..." (steps count from 1)."""
    return page.get_by_text(re.compile(r"^Step \d+ reads")).first.inner_text()


def test_play_steps_through_the_sequence_and_pause_stops(page, app_url):
    browser.open_page(page, app_url, URL_PATH)
    browser.assert_clean(page)
    assert browser.wait_for_charts(page) >= 3
    assert time_step(page) == 1 and reading(page).startswith("Step 1 reads x_1 = 'h'")

    browser.click_button(page, "Play")
    page.wait_for_function(
        f"() => Number(document.querySelector({STEP_INPUT!r}).value) >= 3",
        timeout=PLAY_WAIT_MS,
    )
    browser.click_button(page, "Pause")
    page.wait_for_timeout(2_500)  # a tick already on its way may still land
    browser.wait_idle(page)
    stopped = time_step(page)
    assert stopped >= 3
    page.wait_for_timeout(2_500)  # more than two play intervals: nothing moves any more
    browser.wait_idle(page)
    assert time_step(page) == stopped
    assert reading(page).startswith(f"Step {stopped} reads")
    assert page.get_by_role("button", name="Play", exact=True).count() == 1
    browser.assert_clean(page)


def test_training_redraws_the_equation(page, app_url):
    browser.open_page(page, app_url, URL_PATH)
    set_time_step(page, 3)
    katex = page.locator(".katex-display annotation").filter(has_text="begin{aligned}").first
    before = katex.text_content()
    browser.click_button(page, "Train")
    page.get_by_text(re.compile(r"^[1-9]\d* training steps so far")).first.wait_for()
    browser.assert_clean(page)
    after = page.locator(".katex-display annotation").filter(has_text="begin{aligned}").first.text_content()
    assert "x_{3}" in after and after != before


def test_backward_pass_and_the_cheat_render(page, app_url):
    """The BPTT equations typeset (no KaTeX error), and the bidirectional panels draw after Measure."""
    browser.open_page(page, app_url, URL_PATH)
    own = page.locator(".katex-display annotation").filter(has_text="own loss").first
    own.wait_for(state="attached")
    assert page.locator(".katex-error").count() == 0
    assert page.get_by_text(
        re.compile(r"torch\.autograd on the same model in float64 gives the same")
    ).count()
    browser.open_page(page, app_url, URL_PATH + "?l2_arch=bidirectional")
    before = browser.wait_for_charts(page)
    browser.click_button(page, "Measure the cheat (trains two small RNNs)", timeout_ms=180_000)
    page.get_by_text(re.compile(r"^On 3,000 random letters")).first.wait_for(timeout=180_000)
    assert browser.wait_for_charts(page) == before + 1  # the loss-per-step chart
    assert page.get_by_text("1c. Course notes often write: a bidirectional RNN is two RNNs stacked").count()
    assert page.locator(".katex-error").count() == 0
    browser.assert_clean(page)
