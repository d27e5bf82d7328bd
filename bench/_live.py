"""Driving the live app for the server benchmarks (bench/server.py): small statistics, the
server process's memory, the server and browser tabs, and a student's actions on a page.

The waits come from tests/browser.py (the browser tests' helpers), imported inside functions, as
is Playwright: importing this module loads neither, nor streamlit.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import course

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
RUN_TIMEOUT_MS = 180_000  # one training run on a busy machine
KIB_PER_MIB = 1024
BYTES_PER_KIB = 1024


@dataclass(frozen=True)
class Widget:
    kind: str  # "slider" (one ArrowRight on st.slider / st.select_slider) or "toggle"
    label: str  # the widget's label as shown


@dataclass(frozen=True)
class Train:
    button: str  # the first button with exactly this label starts the run
    done: str  # a regular expression: text or a button label that shows once the run is over
    play_seconds: float = 0.0  # > 0: the button is Play; pause after this long


# ---------------------------------------------------------------------------------------------
# Pure helpers


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), interpolating linearly between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(values: list[float]) -> dict:
    """Median, p95 and max, rounded to 0.01; all None for no values."""
    if not values:
        return {"median": None, "p95": None, "max": None}
    figures = {"median": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}
    return {k: round(v, 2) for k, v in figures.items()}


def status_kib(status: str, field: str) -> int:
    """A memory field of /proc/<pid>/status in KiB, e.g. ``status_kib(text, "VmRSS")``."""
    m = re.search(rf"^{field}:\s+(\d+)\s+kB$", status, re.MULTILINE)
    if m is None:
        raise ValueError(f"{field} is not in this /proc status")
    return int(m.group(1))


def parent_pid(stat: str) -> int:
    """The parent pid from /proc/<pid>/stat (field 4; the command name in field 2 may hold spaces)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(parents: dict[int, int], root: int) -> list[int]:
    """Every process below ``root``, given {pid: parent pid}."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        kids = [child for child, parent in parents.items() if parent == pid]
        found += kids
        todo += kids
    return sorted(found)


def cpu_seconds(stat: str, ticks_per_second: int = 100) -> float:
    """User + system CPU seconds of a process (all its threads) from /proc/<pid>/stat (fields 14, 15)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def process_cpu_seconds(pid: int) -> float:
    return cpu_seconds(Path(f"/proc/{pid}/stat").read_text(), os.sysconf("SC_CLK_TCK"))


def largest_n_under(p95_by_n: dict[int, float | None], limit: float) -> int:
    """The largest N whose p95 is under ``limit`` with every smaller N under it too; 0 if none.
    None (some session did not finish) counts as over."""
    best = 0
    for n in sorted(p95_by_n):
        p95 = p95_by_n[n]
        if p95 is None or p95 >= limit:
            break
        best = n
    return best


def mb(mib: float) -> float:
    """MiB (what /proc reports, in KiB) to MB of 10^6 bytes (how the issue and hosts quote limits)."""
    return round(mib * KIB_PER_MIB * BYTES_PER_KIB / 1e6, 1)


# ---------------------------------------------------------------------------------------------
# The server process


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                out[int(entry)] = parent_pid(Path(f"/proc/{entry}/stat").read_text())
            except (OSError, IndexError, ValueError):
                continue  # gone in the meantime
    return out


def memory_mib(pid: int) -> dict:
    """Resident memory of ``pid`` and its children now, and the process's own high-water mark."""
    pids = [pid, *descendants(_parents(), pid)]
    rss = 0
    for p in pids:
        try:
            rss += status_kib(Path(f"/proc/{p}/status").read_text(), "VmRSS")
        except (OSError, ValueError):
            pass  # a child that just exited
    hwm = status_kib(Path(f"/proc/{pid}/status").read_text(), "VmHWM")
    return {
        "rss_mib": round(rss / KIB_PER_MIB, 1),
        "hwm_mib": round(hwm / KIB_PER_MIB, 1),
        "processes": len(pids),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def helpers():
    """tests/browser.py, the browser tests' waits: one way to tell that a page has finished."""
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import browser

    return browser


@contextmanager
def server(log):
    """``streamlit run app.py`` on a free port: yields (server, seconds until /_stcore/health said ok)."""
    start = time.perf_counter()
    running = helpers().start_app(APP, log)
    try:
        yield running, time.perf_counter() - start
    finally:
        running.stop()


@contextmanager
def tab(chromium):
    """A new browser context (no cookies: a new session once it loads the app) with one tab."""
    browser = helpers()
    context = chromium.new_context(viewport=browser.VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(browser.TIMEOUT_MS)
        yield page
    finally:
        context.close()


# ---------------------------------------------------------------------------------------------
# A student's actions, each timed until the page has finished and its charts are drawn


def visit(page, base_url: str, lesson, by_url: bool) -> float:
    """Open ``lesson`` by its URL (a new session) or by its sidebar link (the same session)."""
    browser = helpers()
    start = time.perf_counter()
    if by_url:  # the home page at the root, as a student opens it
        browser.open_page(page, base_url, "" if lesson.file == course.HOME_FILE else lesson.url_path)
    else:
        browser.click_nav(page, lesson.title)
    browser.wait_for_charts(page)
    return time.perf_counter() - start


def nudge(page, widget: Widget) -> float:
    """Change ``widget`` once; seconds until the rerun it caused has finished and charts are drawn."""
    browser = helpers()
    if widget.kind == "toggle":
        target = browser.widget(page, "stCheckbox", widget.label).locator("label").first
    else:
        target = browser.widget(page, "stSlider", widget.label).locator("input[type='range']").first
    target.wait_for(state="visible", timeout=10_000)
    if widget.kind == "slider" and target.is_disabled():
        raise RuntimeError(f"slider {widget.label!r} is disabled")
    browser._arm(page)
    start = time.perf_counter()
    if widget.kind == "toggle":
        target.click()
    else:
        target.focus()
        target.press("ArrowRight")
    page.wait_for_function("() => window.__rnnvizRuns > 0", timeout=browser.RERUN_START_MS)
    browser.wait_idle(page)
    browser.wait_for_charts(page)
    seconds = time.perf_counter() - start
    if widget.kind == "toggle":  # switch it back: a toggle like presenter mode follows the session
        browser._arm(page)
        target.click()
        browser._settle(page, browser.TIMEOUT_MS)
    return seconds


def train(page, spec: Train) -> float:
    """Click the page's training button and wait until the run is over (Play: paused again)."""
    browser = helpers()
    start = time.perf_counter()
    page.get_by_role("button", name=spec.button, exact=True).first.click()
    if spec.play_seconds > 0:
        pause = page.get_by_role("button", name="Pause", exact=True)
        pause.wait_for(timeout=RUN_TIMEOUT_MS)
        page.wait_for_timeout(spec.play_seconds * 1000)
        pause.click()
        page.get_by_role("button", name=spec.button, exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    else:
        done = re.compile(spec.done)
        shown = page.get_by_role("button", name=done).or_(page.get_by_text(done)).first
        shown.wait_for(timeout=RUN_TIMEOUT_MS)
    browser.wait_idle(page)
    return time.perf_counter() - start


def failure(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
