"""The app in a real browser: every page loads clean, draws its charts, and leaves a screenshot.

Screenshots land in tests/artifacts/screenshots/<page file>.png for a human to look at.
"""

import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import browser
import course

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
CHART_TIMEOUT_MS = 30_000  # charts draw after the script has finished
NAV = course.available()


def address(lesson: course.Lesson) -> str:
    """The url path a student opens: the home page lives at the root."""
    return "" if lesson.file == course.HOME_FILE else lesson.url_path


def seed_input(page):
    return page.get_by_test_id("stSidebar").get_by_test_id("stNumberInput").filter(has_text="Seed")


def test_navigation_links_exactly_the_existing_lessons(page, app_url):
    browser.open_page(page, app_url, "")
    assert browser.nav_paths(page, app_url) == {address(lesson) for lesson in NAV}
    sections = page.get_by_test_id("stNavSectionHeader").all_inner_texts()
    assert [s.strip() for s in sections] == list(course.by_section(NAV))


@pytest.mark.parametrize("lesson", NAV, ids=lambda lesson: Path(lesson.file).stem)
def test_page_loads_clean_and_draws_its_charts(page, app_url, lesson):
    browser.open_page(page, app_url, address(lesson))
    try:
        browser.wait_for_charts(page, CHART_TIMEOUT_MS)
    finally:  # a picture of what went wrong is worth keeping too
        browser.screenshot(page, SCREENSHOTS / f"{Path(lesson.file).stem}.png")
    browser.assert_clean(page)
    assert seed_input(page).count() == 1, "the sidebar of app.py is missing"
    for chart in page.get_by_test_id("stPlotlyChart").all():
        box = chart.bounding_box()  # None inside a closed tab or expander
        assert box is None or (box["width"] > 100 and box["height"] > 100), "a chart drew at a useless size"


STAND_IN_LESSON = """import streamlit as st

st.title("Stand-in lesson")
st.write(f"seed is {st.session_state['seed']}")
"""


@pytest.fixture
def stand_in_app(tmp_path) -> Path:
    """A copy of the router and home page with one small lesson: a server of its own, cheap to start."""
    for name in ("app.py", "course.py"):
        shutil.copy(course.ROOT / name, tmp_path / name)
    for package in ("ui", "rnnviz"):  # what app.py imports (the sidebar's presenter toggle)
        (tmp_path / package).symlink_to(course.ROOT / package, target_is_directory=True)
    pages = tmp_path / course.PAGES_DIR.name
    pages.mkdir()
    shutil.copy(course.PAGES_DIR / course.HOME_FILE, pages / course.HOME_FILE)
    (pages / "05_lstm.py").write_text(STAND_IN_LESSON)
    return tmp_path / "app.py"


@contextmanager
def first_request_to_a_fresh_server(chromium, app: Path, url_path: str):
    """A server of its own for ``app``, and a new browser page whose request for ``url_path`` is the
    server's first (as after every wake from sleep on Community Cloud)."""
    with open(app.with_name("streamlit.log"), "w") as log:
        server = browser.start_app(app, log)
        context = chromium.new_context(viewport=browser.VIEWPORT)
        try:
            page = context.new_page()
            page.set_default_timeout(browser.TIMEOUT_MS)
            browser.open_page(page, server.url, url_path)
            yield page
        finally:
            context.close()
            server.stop()


def test_a_teachers_link_on_a_cold_server(chromium, stand_in_app):
    """The link is often the first request after the server (re)starts; the seed then follows the student."""
    lesson = next(lesson for lesson in course.LESSONS if lesson.file == "05_lstm.py")
    with first_request_to_a_fresh_server(chromium, stand_in_app, lesson.url_path) as page:
        not_found = page.get_by_role("dialog").filter(has_text="Page not found")
        dialog_shown = not_found.count() > 0
        if dialog_shown:
            page.keyboard.press("Escape")
            not_found.wait_for(state="detached")
        assert seed_input(page).count() == 1, "the lesson ran without app.py"
        assert page.get_by_text("seed is 0").count() == 1
        browser.assert_clean(page)

        browser.fill_text(page, "Seed", "7")
        assert page.get_by_text("seed is 7").count() == 1
        browser.click_nav(page, "Home")
        assert seed_input(page).locator("input").input_value() == "7"
        browser.click_nav(page, lesson.title)
        address = urlsplit(page.url)
        assert address.path.rstrip("/").endswith(lesson.url_path)
        assert "seed=7" in address.query  # the seed is part of the link
        assert page.get_by_text("seed is 7").count() == 1
    assert not dialog_shown, "a deep link on a fresh server opened under 'Page not found'"


def test_the_home_pages_own_address_on_a_cold_server(chromium, stand_in_app):
    """/start (the home page's url_path) as the first request after a start: the home page, no dialog."""
    home = next(lesson for lesson in course.LESSONS if lesson.file == course.HOME_FILE)
    with first_request_to_a_fresh_server(chromium, stand_in_app, home.url_path + "?seed=3") as page:
        assert page.get_by_role("dialog").filter(has_text="Page not found").count() == 0
        assert page.get_by_role("heading", name=re.compile("^rnnviz")).count() == 1
        assert seed_input(page).locator("input").input_value() == "3"
        browser.assert_clean(page)
