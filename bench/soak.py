"""Soak: many sessions doing random lesson actions on the real server for a while (issue 15, item 3).

``streamlit run app.py`` and ``BENCH_SOAK_SESSIONS`` tabs of headless Chromium (one browser context
each: one session each) for ``BENCH_SOAK_MINUTES``. Round robin over the tabs, each in turn does one
random action (``ACTIONS``, seeded by ``BENCH_SOAK_SEED``): go to another lesson by the sidebar,
move the page's cheap widget (bench/server.py ``WIDGETS``), click its Train button without waiting
for the run (so runs overlap and queue for the two training slots), or open a hostile link
(``HOSTILE``: values every page must refuse with a note). After the load: every tab must answer a
cheap rerun, and one more Train click must start at once (no wait for a slot: a slot held by a dead
run would show "Other students are training").

Figures: actions done and failed (a timeout is a failure), Streamlit tracebacks seen (stException
elements: any is a bug), the server's resident memory after the first minute and at the end (a
leak shows as growth; the issue's bound is 10%), the high-water mark. The full run the issue asks
for is 30 sessions for 10 minutes on a quiet machine; a shared 2-core machine runs a few.
"""

from __future__ import annotations

import os
import random
import time

import course
from bench import _live
from bench.server import TRAIN, WIDGETS

SESSIONS = int(os.environ.get("BENCH_SOAK_SESSIONS", "30"))
MINUTES = float(os.environ.get("BENCH_SOAK_MINUTES", "10"))
SEED = int(os.environ.get("BENCH_SOAK_SEED", "0"))
ACTIONS = ("visit", "visit", "nudge", "nudge", "train", "hostile")
HOSTILE = (
    "?seed=inf",
    "?present=maybe&seed=1e400",
    "?l2_H=-5&l2_model_trained=99999999",
    "?l7_text=" + "x" * 2000,
    "?l7_attn=inf&l7_s=-1",
    "?task=charlm&text=own&own=%00%01",
    "?l8_u=[x](https://evil.example/x)",
)
LOG = _live.ROOT / "tests" / "artifacts" / "bench_soak.log"


def _tracebacks(page) -> int:
    return page.get_by_test_id("stException").count()


def _act(page, server, rng: random.Random, nav: list, where: dict) -> str:
    """One random action in ``page``; returns its name. ``where`` holds the tab's current url_path."""
    browser = _live.helpers()
    action = rng.choice(ACTIONS)
    here = where["url_path"]
    if action == "visit":
        lesson = rng.choice(nav)
        browser.click_nav(page, lesson.title)
        where["url_path"] = lesson.url_path
    elif action == "nudge" and here in WIDGETS:
        _live.nudge(page, WIDGETS[here])
    elif action == "train" and here in TRAIN and TRAIN[here].play_seconds == 0:
        button = page.get_by_role("button", name=TRAIN[here].button, exact=True).first
        if button.count():
            button.click()  # not waited on: the run goes on while other tabs act
    elif action == "hostile":
        lesson = rng.choice(nav)
        browser.open_page(page, server.url, lesson.url_path + rng.choice(HOSTILE))
        where["url_path"] = lesson.url_path
    else:
        return "skipped"
    return action


def run() -> dict:
    from playwright.sync_api import sync_playwright

    browser = _live.helpers()
    nav = [lesson for lesson in course.available() if lesson.file != course.HOME_FILE]
    rng = random.Random(SEED)
    done: dict[str, int] = {}
    failed: list[str] = []
    tracebacks = 0
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "w") as log, sync_playwright() as p:
        chromium = browser.launch(p)
        try:
            with _live.server(log) as (server, _):
                pid = server.process.pid
                contexts = [chromium.new_context(viewport=browser.VIEWPORT) for _ in range(SESSIONS)]
                pages, where = [], []
                for context in contexts:
                    page = context.new_page()
                    page.set_default_timeout(_live.RUN_TIMEOUT_MS)
                    browser.open_page(page, server.url, "")
                    pages.append(page)
                    where.append({"url_path": ""})
                start = time.monotonic()
                after_first_minute = None
                while time.monotonic() - start < MINUTES * 60:
                    for page, at in zip(pages, where, strict=True):
                        try:
                            name = _act(page, server, rng, nav, at)
                            done[name] = done.get(name, 0) + 1
                        except Exception as e:  # a timeout or a vanished element: counted, go on
                            failed.append(f"{at['url_path']}: {_live.failure(e)}")
                        tracebacks += _tracebacks(page)
                        if after_first_minute is None and time.monotonic() - start >= 60:
                            after_first_minute = _live.memory_mib(pid)
                load_end = time.monotonic()
                # every tab still answers: a cheap rerun on the home page
                answered = 0
                for page in pages:
                    try:
                        browser.open_page(page, server.url, "")
                        _live.nudge(page, WIDGETS["start"])
                        answered += 1
                    except Exception as e:
                        failed.append(f"final rerun: {_live.failure(e)}")
                for context in contexts:
                    context.close()
                # the slots are free: one more Train starts without waiting in line
                with _live.tab(chromium) as last:
                    browser.open_page(last, server.url, "elman-rnn")
                    last.get_by_role("button", name="Train", exact=True).first.click()
                    last.get_by_text("step ").first.wait_for(timeout=60_000)
                    queued = last.get_by_text("Other students are training").count() > 0
                    browser.wait_idle(last)
                end = _live.memory_mib(pid)
        finally:
            chromium.close()
    first = after_first_minute or end
    return {
        "sessions": SESSIONS,
        "minutes": MINUTES,
        "seed": SEED,
        "actions": done,
        "actions_failed": len(failed),
        "failures": failed[:20],
        "tracebacks_seen": tracebacks,
        "sessions_answering_at_the_end": answered,
        "last_train_waited_for_a_slot": queued,
        "rss_after_first_minute_mib": first["rss_mib"],
        "rss_at_end_mib": end["rss_mib"],
        "rss_growth_after_first_minute": round(end["rss_mib"] / first["rss_mib"] - 1, 3),
        "peak_mib": end["hwm_mib"],
        "in_mb": {"after_first_minute": _live.mb(first["rss_mib"]), "end": _live.mb(end["rss_mib"])},
        "load_seconds": round(load_end - start, 1),
        "load_average_after": _live.load(),
    }
