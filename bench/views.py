"""How fast a view answers: in Chromium on a warm server, for every page, the first view and a setting
a student moves while reading (no training), from the key press to the page settled.

One fresh ``streamlit run app.py`` and one tab (one session), as in bench/server.py. Every page is
visited once first by its sidebar link (its modules imported, its cached data built), then:

- ``first_view_s``: a second visit by the sidebar link, click to every chart drawn (warm);
- ``change_s``: ``REPEATS`` arrow-key steps of each slider in ``VIEWS`` (right while it can go right,
  else left), each from the key press to the rerun it caused finished and every chart drawn again
  (``SETTLED``, checked in the page at every frame): median, p95 and max. Most of these sliders sit
  in a lesson section (ui.lesson.section, a fragment), so their rerun is the section's alone.

Two settings, from the environment:

- ``BENCH_VIEWS_PAGES=lstm-cell,gru-highway``: only these pages (url paths), to measure one change;
- ``BENCH_VIEWS_BEFORE=/path/to/other/checkout``: an A/B run. A second server runs that checkout's
  app.py (e.g. ``git archive <commit> | tar -x -C /tmp/before``) in its own tab, and every slider step
  alternates between the two servers, so both see the same load; each slider then reports
  ``before``, ``after`` and ``ratio`` (after's median / before's). The figures to quote for a change.

Wall time on the machine that runs it, the browser included (Chromium shares the 2 cores): the load
average is reported beside the figures.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from pathlib import Path

import course
from bench import _live

REPEATS = 7
LOG = _live.ROOT / "tests" / "artifacts" / "bench_views.log"

# A view change per page that needs no training: the sliders a student moves while reading.
VIEWS = {
    "why-recurrence": ["Sequence length n"],
    "elman-rnn": ["Time step t"],
    "char-lm": ["Temperature τ"],
    "vanishing-gradients": ["w_h (recurrent weight)"],
    "lstm-cell": ["Time step t", "Unit j"],
    "gru-highway": ["Time step t", "Unit j"],
    "seq2seq-attention": ["Output step s"],
    "word-embeddings": ["How many"],
}


def step(page, label: str) -> float:
    """One arrow-key step of slider ``label``; seconds until its rerun has finished and charts are drawn."""
    browser = _live.helpers()
    thumb = browser.widget(page, "stSlider", label).locator("input[type='range']").first
    thumb.wait_for(state="visible", timeout=10_000)
    value, top = float(thumb.input_value()), float(thumb.get_attribute("max"))
    thumb.focus()
    browser._arm(page)
    start = time.perf_counter()
    thumb.press("ArrowRight" if value < top else "ArrowLeft")
    page.wait_for_function(SETTLED, timeout=browser.TIMEOUT_MS, polling="raf")
    return time.perf_counter() - start


# The page has settled after a slider step, tested in the page at every animation frame: a rerun has
# started since the key press (tests/browser._arm counts them), the script has finished, nothing lazily
# loaded still shows its skeleton, and every Plotly chart has drawn. One check in the page, where
# tests/browser's wait_idle + wait_for_charts make one Playwright round trip per condition and per chart
# (15 on lesson 5, each a few tens of ms on the loaded machine: time no student waits for).
SETTLED = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!(window.__rnnvizRuns > 0) || !app) return false;
    if (app.getAttribute("data-test-script-state") !== "notRunning") return false;
    if (app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
    if (document.querySelector("[data-testid='stSkeleton']")) return false;
    return [...document.querySelectorAll("[data-testid='stPlotlyChart']")]
        .every((chart) => chart.querySelector("svg.main-svg, canvas"));
}"""


def chosen_pages() -> list:
    """The pages to visit: all of course.available(), or those named in BENCH_VIEWS_PAGES."""
    nav = course.available()
    wanted = [p for p in os.environ.get("BENCH_VIEWS_PAGES", "").split(",") if p]
    if not wanted:
        return nav
    unknown = sorted(set(wanted) - {lesson.url_path for lesson in nav})
    if unknown:
        raise SystemExit(f"BENCH_VIEWS_PAGES: no page {unknown}")
    return [lesson for lesson in nav if lesson.url_path in wanted]


def run() -> dict:
    from playwright.sync_api import sync_playwright

    nav = chosen_pages()
    before = os.environ.get("BENCH_VIEWS_BEFORE")
    apps = {"after": _live.APP}
    if before:
        apps = {"before": Path(before).resolve() / "app.py", **apps}
    pages: dict = {}
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, ExitStack() as stack:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium")
        stack.callback(chromium.close)
        tabs = {}
        for name, app in apps.items():
            log = stack.enter_context(open(LOG.with_suffix(f".{name}.log"), "w"))
            running = _live.helpers().start_app(app, log)
            stack.callback(running.stop)
            tabs[name] = (running, stack.enter_context(_live.tab(chromium)))
        for running, page in tabs.values():  # warm-up: every page once, on every server
            for i, lesson in enumerate(nav):
                _live.visit(page, running.url, lesson, by_url=i == 0)
        for lesson in nav:
            row: dict = {}
            for name, (running, page) in tabs.items():
                row.setdefault("first_view_s", {})[name] = round(
                    _live.visit(page, running.url, lesson, by_url=False), 2
                )
            for label in VIEWS.get(lesson.url_path, []):
                times: dict[str, list[float]] = {name: [] for name in tabs}
                try:
                    for _ in range(REPEATS):  # alternate: both servers see the same load
                        for name, (_, page) in tabs.items():
                            times[name].append(step(page, label))
                    row[label] = {name: _live.summary(ts) for name, ts in times.items()}
                    if before:
                        b, a = row[label]["before"]["median"], row[label]["after"]["median"]
                        row[label]["ratio"] = round(a / b, 2) if b else None
                except Exception as e:  # a slider that fails is a finding; the others still count
                    row[label] = {"failed": _live.failure(e)}
            row["errors"] = {name: _live.helpers().problems(page) for name, (_, page) in tabs.items()}
            if not before:  # one server: the figures as before, without the "after" level
                row = {k: v["after"] if isinstance(v, dict) and "after" in v else v for k, v in row.items()}
            pages[lesson.url_path] = row
    return {"repeats": REPEATS, "pages": pages, "load_average_after": _live.load()}
