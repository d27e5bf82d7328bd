"""Helpers to drive the running app in headless Chromium (Playwright, Debian's chromium).

The fixtures in conftest.py give a test ``app_url`` (one server per session) and ``page``
(a fresh tab). A lesson's main interaction test reads like a student's clicks::

    import browser

    @pytest.mark.browser
    def test_lstm_train_button(page, app_url):
        browser.open_page(page, app_url, "lstm-cell")
        browser.set_slider(page, "Hidden units", 8)
        browser.click_button(page, "Train")
        browser.assert_clean(page)
        assert browser.wait_for_charts(page) >= 1

Every action waits until Streamlit has finished the rerun it caused, so the next line
sees the new page.
"""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHROMIUM = "/usr/bin/chromium"
# No GPU, no sandbox (CI runs as root), and no network traffic of Chromium's own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}  # a projector-sized window
TIMEOUT_MS = 120_000  # one page may train a tiny model on a busy 2-core machine
RERUN_START_MS = 3_000  # how long an action may take to start a rerun before we assume none
QUIET_MS = 600  # idle this long after an action: no rerun is still on its way
QUIET_ROUNDS = 3  # for key-driven widgets: give up waiting for quiet after this many idle moments

_APP = "[data-testid='stApp']"
_IDLE = f"{_APP}[data-test-script-state='notRunning']"
_CONNECTED = f"{_APP}[data-test-connection-state='CONNECTED']"
ERROR_TEST_IDS = ("stException", "stAlertContentError")


# ---------------------------------------------------------------------------------------------
# The server


@dataclass
class AppServer:
    url: str  # e.g. http://127.0.0.1:43211
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(app: Path, log: IO, timeout_s: float = 60) -> AppServer:
    """`streamlit run app` on a free local port; returns once /_stcore/health answers ok."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, cwd=app.parent, stdout=log, stderr=subprocess.STDOUT)
    server = AppServer(url, process)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout_s:.0f} s; see {log.name}")


def launch(playwright):
    """Debian's Chromium, headless; never a browser downloaded by Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ---------------------------------------------------------------------------------------------
# Waiting for Streamlit


def wait_idle(page, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script has finished running.

    After a fresh load the script state goes initial -> running -> notRunning, so waiting
    for notRunning cannot return before the first run. Then wait for the skeletons of
    elements whose code loads lazily (Plotly charts, data frames) to be replaced.
    """
    page.wait_for_selector(_CONNECTED, timeout=timeout_ms)
    page.wait_for_selector(_IDLE, timeout=timeout_ms)
    # charts, tables and other lazily loaded elements show a skeleton until their code has loaded
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout_ms, polling=100
    )


def _arm(page) -> None:
    """Start counting script runs, so an action can wait for the rerun it causes."""
    page.evaluate(
        """() => {
            window.__rnnvizRuns = 0;
            if (window.__rnnvizObserver) window.__rnnvizObserver.disconnect();
            const app = document.querySelector("[data-testid='stApp']");
            window.__rnnvizObserver = new MutationObserver(() => {
                if (app.getAttribute("data-test-script-state") !== "notRunning") window.__rnnvizRuns += 1;
            });
            const watch = {attributes: true, attributeFilter: ["data-test-script-state"]};
            window.__rnnvizObserver.observe(app, watch);
        }"""
    )


def _settle(page, timeout_ms: int, quiet_rounds: int = 0) -> None:
    """Wait for the rerun an action started (if it started one within RERUN_START_MS), then idle.

    With `quiet_rounds`, also wait until the app stays idle for QUIET_MS (at most that many
    times): a slider moved by several key presses sends its changes one by one, so an idle
    moment between two reruns is not yet the end. Buttons do not need it, and a fragment
    with run_every (a Play button) is never quiet.
    """
    try:
        page.wait_for_function("() => window.__rnnvizRuns > 0", timeout=RERUN_START_MS)
    except Exception as e:  # no rerun: the action changed nothing the script reads
        if type(e).__name__ != "TimeoutError":
            raise
    wait_idle(page, timeout_ms)
    for _ in range(quiet_rounds):
        runs = page.evaluate("() => window.__rnnvizRuns")
        page.wait_for_timeout(QUIET_MS)
        if page.evaluate("() => window.__rnnvizRuns") == runs and page.locator(_IDLE).count() == 1:
            return
        wait_idle(page, timeout_ms)


def wait_for_charts(page, timeout_ms: int = TIMEOUT_MS) -> int:
    """Wait until every Plotly chart on the page has drawn (an svg or canvas inside); return the count."""
    charts = page.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):
        charts.nth(i).locator("svg.main-svg, canvas").first.wait_for(state="attached", timeout=timeout_ms)
    return charts.count()


# ---------------------------------------------------------------------------------------------
# What a student does


def open_page(page, app_url: str, url_path: str = "", timeout_ms: int = TIMEOUT_MS) -> None:
    """Load a page by its url_path ("" is home) and wait until it has finished running."""
    page.goto(f"{app_url}/{url_path}", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def widget(page, test_id: str, label: str):
    """The first widget of a kind (its data-testid, e.g. "stSlider") whose label is exactly `label`."""
    label_box = page.get_by_test_id("stWidgetLabel").filter(has=page.get_by_text(label, exact=True))
    return page.get_by_test_id(test_id).filter(has=label_box).first


_widget = widget  # the name the first lesson tests used


def _slider_input(page, label: str):
    """The range input that carries a slider's value and takes its keys (Streamlit 1.67: react-aria)."""
    return widget(page, "stSlider", label).locator("input[type='range']").first


def slider_value(page, label: str) -> float:
    """The number st.slider `label` is set to (for st.select_slider: the option's index)."""
    return float(_slider_input(page, label).input_value())


def upload_model(page, path) -> None:
    """Open the training panel's "Save this model, or load one" box if it is shut, give it the file
    at ``path`` and wait for the rerun the upload causes."""
    if page.get_by_role("button", name="Download the model (.safetensors)").count() == 0:
        page.get_by_text("Save this model, or load one to continue").click()
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']").first
    _arm(page)
    uploader.set_input_files(str(path))
    _settle(page, TIMEOUT_MS)


def click_button(page, label: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Click the button (or form submit button) showing `label` and wait for the rerun."""
    _arm(page)
    page.get_by_role("button", name=label, exact=True).first.click()
    _settle(page, timeout_ms)


def click_and_settle(page, target, timeout_ms: int = TIMEOUT_MS) -> None:
    """Click the locator `target` (a radio option, a checkbox label) and wait for the rerun it
    starts, a fragment's or the page's, to end."""
    _arm(page)
    target.click()
    _settle(page, timeout_ms)


def click_together(pages: list, label: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Click the button `label` in each page, one right after another (tens of ms apart: students
    clicking at once), then wait for every page's rerun."""
    for page in pages:
        _arm(page)
    for page in pages:
        page.get_by_role("button", name=label, exact=True).first.click()
    for page in pages:
        _settle(page, timeout_ms)


def click_nav(page, title: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Follow the sidebar navigation link `title` and wait until the page has run."""
    _arm(page)
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).first.click()
    _settle(page, timeout_ms)


def set_slider(page, label: str, value, timeout_ms: int = TIMEOUT_MS) -> None:
    """Move st.slider / st.select_slider `label` to `value` with the arrow keys, then wait.

    A number moves the slider by whole steps from where it is; any other value is an option
    of a select_slider, found by its shown text stepping from the far left.
    """
    thumb = _slider_input(page, label)
    _arm(page)
    thumb.focus()
    if isinstance(value, int | float):
        now, step = float(thumb.input_value()), float(thumb.get_attribute("step") or 1)
        moves = round((value - now) / step)
        for _ in range(abs(moves)):
            page.keyboard.press("ArrowRight" if moves > 0 else "ArrowLeft")
        page.wait_for_function(
            "([e, v]) => Math.abs(Number(e.value) - v) <= 1e-9 * Math.max(1, Math.abs(v))",
            arg=[thumb.element_handle(), float(value)],
            timeout=RERUN_START_MS,
        )
    else:
        page.keyboard.press("Home")
        for _ in range(1000):
            if thumb.get_attribute("aria-valuetext") == str(value):
                break
            page.keyboard.press("ArrowRight")
        else:
            raise AssertionError(f"slider {label!r} has no option {value!r}")
    _settle(page, timeout_ms, QUIET_ROUNDS)


def fill_text(page, label: str, text: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Type into st.text_input / st.text_area `label` and submit it (Enter / Ctrl+Enter)."""
    box = page.get_by_label(label, exact=True).first
    _arm(page)
    box.fill(text)
    is_area = box.evaluate("e => e.tagName") == "TEXTAREA"
    box.press("Control+Enter" if is_area else "Enter")
    _settle(page, timeout_ms)


def select_option(page, label: str, option: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Pick `option` (its shown text) in st.selectbox `label` and wait for the rerun."""
    exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
    choice = page.get_by_role("listbox").get_by_role("option").filter(has_text=exact).first
    for _ in range(3):  # a rerun that redraws the box closes its list: open it again
        wait_idle(page, timeout_ms)
        widget(page, "stSelectbox", label).get_by_role("button", name="Open").click()
        try:
            choice.wait_for(state="visible", timeout=RERUN_START_MS)
            break
        except Exception as e:
            if type(e).__name__ != "TimeoutError":
                raise
    _arm(page)
    choice.click()
    _settle(page, timeout_ms)


# ---------------------------------------------------------------------------------------------
# What the student sees


def problems(page) -> list[str]:
    """Texts of exception and error boxes on the page (each once: an exception box holds an alert)."""
    texts: list[str] = []
    for test_id in ERROR_TEST_IDS:
        boxes = page.get_by_test_id(test_id)
        for i in range(boxes.count()):
            text = boxes.nth(i).inner_text().strip()[:500]
            if not any(text in seen or seen in text for seen in texts):
                texts.append(text)
    return texts


def assert_clean(page) -> None:
    """No exception and no st.error box on the page."""
    found = problems(page)
    assert not found, "the page shows errors:\n" + "\n---\n".join(found)


def nav_paths(page, app_url: str) -> set[str]:
    """url_paths linked from the sidebar navigation ("" for the home page)."""
    links = page.get_by_test_id("stSidebarNavLink")
    hrefs = {links.nth(i).get_attribute("href") or "" for i in range(links.count())}
    return {href.replace(app_url, "").strip("/") for href in hrefs}


def screenshot(page, path: Path, max_height: int = 16_000) -> Path:
    """PNG of the whole page for a human to look at; returns the path.

    Streamlit scrolls inside its main area, so a "full page" screenshot would stop at the
    window: the window is made as tall as the content for the shot, then put back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    content = page.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll(
            "[data-testid='stMain'], [data-testid='stSidebarContent']")].map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], content), max_height)})
    try:
        page.wait_for_timeout(500)  # charts redraw for the new size
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


def shown_link(page) -> str:
    """The sidebar's "Link to this view", as its popover shows it (opened, read, closed)."""
    page.get_by_text("Link to this view", exact=True).click()
    code = page.locator("[data-testid='stPopoverBody'] code").first
    code.wait_for()
    text = code.inner_text().strip()
    page.keyboard.press("Escape")
    return text
