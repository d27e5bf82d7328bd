"""Links, presenter mode and model files in a real browser: what AppTest cannot see (the address
bar, the CSS, file downloads and uploads)."""

import json
import pickle
import re
import struct
from urllib.parse import urlencode

import pytest

import browser

pytestmark = pytest.mark.browser

SEED_INPUT = "section[data-testid='stSidebar'] input[aria-label='Seed']"


def set_seed(page, value: int) -> None:
    box = page.locator(SEED_INPUT)
    browser._arm(page)
    box.fill(str(value))
    box.press("Enter")
    browser._settle(page, browser.TIMEOUT_MS)


def test_a_copied_link_opens_the_same_view_in_a_new_session(page, app_url, chromium):
    browser.open_page(page, app_url, "elman-rnn")
    set_seed(page, 5)
    assert re.search(r"[?&]seed=5(&|$)", page.url), page.url  # the address bar follows the control
    link = browser.shown_link(page)
    assert link == page.url  # "Link to this view" is exactly the address bar
    first_numbers = page.locator("[data-testid='stMarkdown']").all_inner_texts()

    other = chromium.new_context(viewport=browser.VIEWPORT).new_page()  # another student
    try:
        other.set_default_timeout(browser.TIMEOUT_MS)
        other.goto(link)
        browser.wait_idle(other)
        browser.assert_clean(other)
        assert other.locator(SEED_INPUT).input_value() == "5"
        assert other.locator("[data-testid='stMarkdown']").all_inner_texts() == first_numbers
    finally:
        other.context.close()


def test_the_link_follows_a_slider_inside_a_section_that_reruns_alone(page, app_url):
    browser.open_page(page, app_url, "vanishing-gradients")
    assert "l4_w_h" not in browser.shown_link(page)
    browser.set_slider(page, "w_h (recurrent weight)", 1.5)  # section 1: a fragment
    page.wait_for_url(re.compile(r"[?&]l4_w_h=1\.5(&|$)"))
    # each arrow key press reruns the section; the address bar follows the slider at once, the link
    # box when the rerun for the last press has written it: wait for that rerun, not a fixed time
    for _ in range(40):
        browser.wait_idle(page)
        if (link := browser.shown_link(page)) == page.url:
            break
        page.wait_for_timeout(250)
    # the link box is written again by the section's own rerun, with the slider's value even when
    # quick presses coalesce into a run whose address predates the last one (ui.links.live_params)
    assert link == page.url
    browser.assert_clean(page)


def test_presenter_mode_enlarges_the_type_and_stays_in_the_link(page, app_url):
    browser.open_page(page, app_url, "elman-rnn")
    root_px = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    assert page.evaluate(root_px) == 16
    browser._arm(page)
    page.get_by_text("Presenter mode").click()
    browser._settle(page, browser.TIMEOUT_MS)
    assert page.evaluate(root_px) == 20 and "present=true" in page.url
    page.reload()
    browser.wait_idle(page)
    assert page.evaluate(root_px) == 20  # a reload (or the link) keeps it on
    browser.assert_clean(page)


def test_a_downloaded_model_uploads_again_and_a_pickle_or_crafted_file_is_refused(page, app_url, tmp_path):
    browser.open_page(page, app_url, "elman-rnn")
    browser.click_button(page, "Train")
    steps = page.get_by_text(re.compile(r"^\d+ training steps so far")).first.inner_text()
    trained = int(steps.split()[0])
    assert trained > 0
    page.get_by_text("Save this model, or load one to continue").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the model (.safetensors)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".safetensors" and saved.stat().st_size > 0

    browser.click_button(page, "Reset model")
    assert page.get_by_text(re.compile(r"^0 training steps so far")).count() == 1
    browser.upload_model(page, saved)
    page.get_by_text(re.compile(rf"the model is back at step {trained}")).wait_for()
    assert page.get_by_text(re.compile(rf"^{trained} training steps so far")).count() == 1
    browser.assert_clean(page)

    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"weight": [1.0, 2.0]}))
    browser.upload_model(page, evil)
    refusal = page.get_by_text(re.compile("not a safetensors file|too short|not saved by rnnviz")).first
    refusal.wait_for(state="visible")  # the upload may finish after the helper's quiet moment
    browser.wait_idle(page)
    assert page.get_by_text(re.compile(rf"^{trained} training steps so far")).count() == 1  # nothing lost

    # a real file with one field crafted: refused naming the field, the trained model kept
    data = saved.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    config = json.loads(header["__metadata__"]["config"])
    header["__metadata__"]["config"] = json.dumps({**config, "forget_bias": "high"})
    blob = json.dumps(header).encode()
    crafted = tmp_path / "crafted.safetensors"
    crafted.write_bytes(struct.pack("<Q", len(blob)) + blob + data[8 + n :])
    browser.upload_model(page, crafted)
    page.get_by_text("the model file's config.forget_bias is not valid").first.wait_for(state="visible")
    browser.wait_idle(page)
    assert page.get_by_text(re.compile(rf"^{trained} training steps so far")).count() == 1


def test_a_link_cannot_put_links_or_images_into_the_apps_messages(page, app_url):
    evil = "[prize](https://evil.example/x) ![p](https://evil.example/p.png) :red[boo] www.evil.example"
    browser.open_page(page, app_url, "?" + urlencode({"seed": evil}))
    warning = page.locator("section[data-testid='stSidebar'] [data-testid='stAlert']").first
    warning.wait_for(state="visible")
    text = warning.inner_text().replace("\u200b", "")  # zero-width spaces break bare addresses
    assert "Ignored from the link" in text and "[prize](https://evil.example/x)" in text  # shown as typed
    assert warning.locator("a, img").count() == 0
    assert warning.locator("[style*='color']").count() == 0
    browser.assert_clean(page)
