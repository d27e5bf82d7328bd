"""Shared fixtures: AppTest of the router, and a live app in headless Chromium.

AppTest (fast, no browser)::

    def test_my_page(open_page):
        at = open_page("05_lstm.py")  # runs app.py, then switches to app_pages/05_lstm.py
        at.slider(key="lstm_steps").set_value(20).run()
        assert not at.exception

Browser (marker ``browser``; helpers in tests/browser.py)::

    import browser

    @pytest.mark.browser
    def test_lstm_trains(page, app_url):
        browser.open_page(page, app_url, "lstm-cell")
        browser.click_button(page, "Train")
        browser.assert_clean(page)
"""

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

import browser
import course

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
ARTIFACTS = ROOT / "tests" / "artifacts"

# One torch thread for the whole run, as app.py sets for the server: on a busy 2-core machine a
# second thread made training tests 10x slower, not faster.
torch.set_num_threads(1)

# Seconds one AppTest run may take: lesson pages train tiny models on a busy 2-core machine.
APPTEST_TIMEOUT = 120


def page_files() -> list[str]:
    """File names of every lesson script that exists in the pages folder, sorted."""
    return sorted(p.name for p in course.PAGES_DIR.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture
def open_app() -> Callable[[], AppTest]:
    """Run app.py once under AppTest (the home page) and return it."""

    def run() -> AppTest:
        return AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT).run()

    return run


@pytest.fixture
def open_page(open_app) -> Callable[[str], AppTest]:
    """Open one lesson the way a student does: through the router, with the default seed."""

    def run(file: str) -> AppTest:
        at = open_app()
        assert not at.exception, f"app.py failed before reaching {file}: {at.exception}"
        return at.switch_page(f"{course.PAGES_DIR.name}/{file}").run()

    return run


@pytest.fixture
def open_url() -> Callable[[str, dict], AppTest]:
    """Open a lesson the way a shared link does: ``open_url("02_elman_rnn.py", {"l2_H": "9"})`` is
    http://host/elman-rnn?l2_H=9 in a fresh session (the parameters are in place before the first run)."""

    def run(file: str, params: dict) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=APPTEST_TIMEOUT)
        at.query_params.update(params)
        at.run()
        assert not at.exception, f"app.py failed before reaching {file}: {at.exception}"
        return at.switch_page(f"{course.PAGES_DIR.name}/{file}").run()

    return run


# ---------------------------------------------------------------------------------------------
# Browser fixtures: one streamlit server and one Chromium per test session.


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not Path(browser.CHROMIUM).exists():
        return f"Debian's chromium is not at {browser.CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    """Skip browser tests when Chromium or Playwright is missing, but fail them under CI."""
    reason = _browser_missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium(browser_available):
    """One headless Chromium for the whole session (each test gets its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = browser.launch(p)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def app_url(chromium) -> Iterator[str]:
    """Base URL of `streamlit run app.py` on a free local port, stopped after the session.

    The home page is opened once before any test (a warm server, as students mostly meet it);
    tests/test_browser.py checks the cold start on a server of its own.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # one server per pytest-xdist worker (gw0, gw1, ...), each with its own log
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    with open(ARTIFACTS / f"streamlit{'-' + worker if worker else ''}.log", "w") as log:
        server = browser.start_app(APP, log)
        try:
            context = chromium.new_context(viewport=browser.VIEWPORT)
            browser.open_page(context.new_page(), server.url, "")
            context.close()
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def page(chromium):
    """A fresh browser tab (new context: no cookies, no session) sized like a projector."""
    context = chromium.new_context(viewport=browser.VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(browser.TIMEOUT_MS)
    yield tab
    context.close()


def pytest_report_header(config) -> list[str]:
    found = _browser_missing() or "chromium and playwright found"
    return [f"rnnviz: python {sys.version.split()[0]}; browser tests: {found}"]
