"""A teacher trains, copies "Link to this view", and a fresh browser opens it: the same trained
model, the same numbers (the step count, the metrics, the lesson's text)."""

import re

import pytest

import browser

pytestmark = pytest.mark.browser

STEPS = re.compile(r"^\d+ training steps so far")
OWN_SEED = 4242
SHARED = "This run was computed once for everyone"  # ui/training.SHARED_NOTE, under the copied run


def numbers(page) -> dict:
    return {
        "steps": page.get_by_text(STEPS).first.inner_text().split(",")[0],
        "metrics": page.locator("[data-testid='stMetricValue']").all_inner_texts(),
        "markdown": page.locator("[data-testid='stMain'] [data-testid='stMarkdown']").all_inner_texts(),
    }


def test_a_teachers_trained_link_opens_the_trained_model_in_a_fresh_browser(page, app_url, chromium):
    # a seed no other test trains: the server's store holds none of this test's runs, so the
    # teacher's first click is computed here (and not copied from another test's identical click)
    browser.open_page(page, app_url, f"elman-rnn?seed={OWN_SEED}")
    browser.click_button(page, "Train")
    taught = numbers(page)
    trained = int(taught["steps"].split()[0])
    assert trained > 0
    link = browser.shown_link(page)
    assert re.search(rf"[?&]l2_model_trained={trained}t?(&|$)", link), link
    assert link == page.url  # the address bar says the same

    student = chromium.new_context(viewport=browser.VIEWPORT).new_page()
    try:
        student.set_default_timeout(browser.TIMEOUT_MS)
        student.goto(link)
        browser.wait_idle(student)
        browser.assert_clean(student)
        seen = numbers(student)
        # the one difference: the panel says how each session got its model
        only_teacher = [t for t in taught["markdown"] if t not in seen["markdown"]]
        only_student = [t for t in seen["markdown"] if t not in taught["markdown"]]
        assert [t.startswith("trained ") for t in only_teacher] == [True], only_teacher
        assert [t.startswith("Trained ") for t in only_student] == [True], only_student
        assert {**seen, "markdown": 0} == {**taught, "markdown": 0}
        assert student.get_by_text("as the link says").count() == 1

        # teacher and student click Continue at once: one computes the run, the other follows it
        # live (or, had its click come after the run, copies it from the store) and says so
        browser.click_together([page, student], "Continue training")
        assert [p.get_by_text(SHARED).count() for p in (page, student)] in ([1, 0], [0, 1])
        after, seen_after = numbers(page), numbers(student)
        assert int(after["steps"].split()[0]) > trained
        assert {**seen_after, "markdown": 0} == {**after, "markdown": 0}
    finally:
        student.context.close()


def test_an_uploaded_model_takes_the_training_out_of_the_link(page, app_url, tmp_path):
    """A model loaded from a file was trained in ways no link can replay: the link says so by
    carrying no steps (and Train on it adds none)."""
    browser.open_page(page, app_url, "elman-rnn")
    browser.click_button(page, "Train")
    assert "l2_model_trained=" in browser.shown_link(page)
    page.get_by_text("Save this model, or load one to continue").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the model (.safetensors)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    browser.click_button(page, "Reset model")
    assert "l2_model_trained=" not in browser.shown_link(page)
    browser.upload_model(page, saved)
    page.get_by_text(re.compile("the model is back at step")).wait_for()
    assert "l2_model_trained=" not in browser.shown_link(page) and "l2_model_trained" not in page.url
    browser.click_button(page, "Continue training")
    assert "l2_model_trained=" not in browser.shown_link(page)
    browser.assert_clean(page)
