"""The Playground in a real browser: Play trains live (the step counter and the loss curve move),
Pause stops it; paused, the view pickers rerun the views
(a fragment) and keep the address and the teacher's link in step; a teacher's link hides the
controls it names."""

import pytest

import browser

pytestmark = pytest.mark.browser

PATH = "rnn-playground"
# Points on the training-loss lines of the first chart (the loss curves); held-out lines excluded.
LOSS_POINTS = """() => {
    const c = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
    if (!c || !c.data) return -1;
    return c.data.filter(t => !(t.name || "").includes("held out"))
                 .reduce((n, t) => n + (t.x ? t.x.length : 0), 0);
}"""


def step_counter(page) -> int:
    return int(page.get_by_test_id("stMetricValue").first.inner_text())


def pick_gate(page, gate: str) -> None:
    """Click ``gate`` in the "Gate to show" radio and wait until the gate view says it."""
    radio = page.get_by_test_id("stRadio").filter(has_text="Gate to show")
    browser.click_and_settle(page, radio.get_by_text(gate, exact=True))
    page.get_by_text(f"Gate {gate}", exact=True).first.wait_for(timeout=60_000)


def example_text(page) -> str:
    return page.get_by_test_id("stCode").first.inner_text()


def test_play_moves_the_step_counter_and_the_loss_curve_then_pause_stops_it(page, app_url, chromium):
    browser.open_page(page, app_url, PATH)
    browser.wait_for_charts(page)
    browser.assert_clean(page)
    assert step_counter(page) == 0 and page.evaluate(LOSS_POINTS) == 0
    # Play keeps the script busy (it trains in runs of a few seconds), so wait on what is drawn
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function(f"() => ({LOSS_POINTS})() > 0", timeout=60_000, polling=50)
    page.wait_for_timeout(3000)
    first_steps, first_points = step_counter(page), page.evaluate(LOSS_POINTS)
    page.wait_for_function(
        f"() => ({LOSS_POINTS})() > {first_points}", timeout=60_000, polling=100
    )  # the curve grows while it plays
    assert step_counter(page) > first_steps > 0
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for(timeout=60_000)
    browser.wait_idle(page)
    paused = step_counter(page)
    page.wait_for_timeout(1500)
    assert step_counter(page) == paused
    browser.assert_clean(page)

    # the link carries the training: a fresh browser sees the same step and the same numbers
    link = browser.shown_link(page)
    assert f"trained=1%2C{paused}" in link or f"trained=1,{paused}" in link, link
    numbers = page.get_by_test_id("stMetricValue").all_inner_texts()
    student = chromium.new_context(viewport=browser.VIEWPORT).new_page()
    try:
        student.set_default_timeout(browser.TIMEOUT_MS)
        student.goto(link)
        browser.wait_idle(student)
        browser.assert_clean(student)
        assert student.get_by_test_id("stMetricValue").all_inner_texts() == numbers
        assert student.get_by_text("Trained as the link says").count() == 1
    finally:
        student.context.close()


def test_a_teachers_link_hides_controls_and_keeps_its_settings(page, app_url):
    browser.open_page(page, app_url, f"{PATH}?task=copy&lag=7&cell=gru&hide=task,model")
    browser.wait_for_charts(page)
    browser.assert_clean(page)
    labels = page.get_by_test_id("stWidgetLabel").all_inner_texts()
    assert "Task" not in labels and "Cell" not in labels and "Learning rate" in labels
    captions = " ".join(page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").all_inner_texts())
    assert "hides some controls" in captions
    assert "lag=7" in page.url and "cell=gru" in page.url


def test_paused_the_view_pickers_redraw_the_views_the_address_and_the_link(page, app_url):
    browser.open_page(page, app_url, PATH)
    browser.wait_for_charts(page)
    before, steps = example_text(page), step_counter(page)
    box = page.get_by_label("Example number", exact=True)
    box.fill("4")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('ex=4')", timeout=60_000, polling=50)
    browser.wait_idle(page)
    assert example_text(page) != before and step_counter(page) == steps
    pick_gate(page, "f")
    pick_gate(page, "c")
    page.get_by_text("For teachers: share this setup as a link").click()
    link = page.get_by_test_id("stCode").filter(has_text="?task=")
    assert "ex=" not in link.inner_text()
    browser.click_and_settle(page, page.get_by_text("Open on the example number shown above"))
    assert page.get_by_role("checkbox", name="Open on the example number shown above").is_checked()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stCode]')]"
        ".some(e => e.innerText.includes('&ex=4'))",
        timeout=60_000,
        polling=50,
    )
    browser.wait_for_charts(page)
    browser.assert_clean(page)
