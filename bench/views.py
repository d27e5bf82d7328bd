"""How fast a view answers: in Chromium on a warm server, for every page, the first view and a setting
a student moves while reading (no training), from the key press to the page settled.

One fresh ``streamlit run app.py`` and one tab (one session), as in bench/server.py. Every page is
visited once first by its sidebar link (its modules imported, its cached data built), then:

- ``first_view_s``: a second visit by the sidebar link, click to every chart drawn (warm);
- ``change_s``: ``REPEATS`` arrow-key steps of each slider in ``VIEWS`` (right while it can go right,
  else left), each from the key press to the rerun it caused finished and every chart drawn again:
  median, p95 and max. Most of these sliders sit in a lesson section (ui.lesson.section, a fragment),
  so their rerun is the section's alone.

Wall time on the machine that runs it, the browser included (Chromium shares the 2 cores): the load
average is reported beside the figures.
"""

from __future__ import annotations

import time

import course
from bench import _live

REPEATS = 7
LOG = _live.ROOT / "tests" / "artifacts" / "bench_views.log"

# A view change per page that needs no training: the slider a student moves while reading.
VIEWS = {
    "why-recurrence": ["Sequence length n"],
    "elman-rnn": ["Time step t"],
    "char-lm": ["Temperature τ"],
    "vanishing-gradients": ["w_h (recurrent weight)"],
    "lstm-cell": ["Time step t"],
    "gru-highway": ["Time step t"],
    "seq2seq-attention": ["Output step s"],
    "word-embeddings": ["How many"],
}


def step(page, label: str) -> float:
    """One arrow-key step of slider ``label``; seconds until its rerun has finished and charts are drawn."""
    browser = _live.helpers()
    thumb = browser.widget(page, "stSlider", label).locator("input[type='range']").first
    thumb.wait_for(state="visible", timeout=10_000)
    value, top = float(thumb.input_value()), float(thumb.get_attribute("max"))
    browser._arm(page)
    start = time.perf_counter()
    thumb.focus()
    thumb.press("ArrowRight" if value < top else "ArrowLeft")
    page.wait_for_function("() => window.__rnnvizRuns > 0", timeout=browser.RERUN_START_MS)
    browser.wait_idle(page)
    browser.wait_for_charts(page)
    return time.perf_counter() - start


def run() -> dict:
    from playwright.sync_api import sync_playwright

    nav = course.available()
    pages: dict = {}
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "w") as log, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            with _live.server(log) as (server, _), _live.tab(chromium) as page:
                for i, lesson in enumerate(nav):  # warm-up: every page once
                    _live.visit(page, server.url, lesson, by_url=i == 0)
                for lesson in nav:
                    first = _live.visit(page, server.url, lesson, by_url=False)
                    row: dict = {"first_view_s": round(first, 2)}
                    for label in VIEWS.get(lesson.url_path, []):
                        try:
                            times = [step(page, label) for _ in range(REPEATS)]
                            row[label] = _live.summary(times)
                        except Exception as e:  # a slider that fails is a finding; the others still count
                            row[label] = {"failed": _live.failure(e)}
                    row["errors"] = _live.helpers().problems(page)
                    pages[lesson.url_path] = row
        finally:
            chromium.close()
    return {"repeats": REPEATS, "pages": pages, "load_average_after": _live.load()}
