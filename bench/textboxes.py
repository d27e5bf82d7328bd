"""Text boxes fed hostile amounts of text (issue 15): seconds until the answer or the refusal, and
on the real server what one submit at a box's cap costs.

Before the fix, collecting 689 kB of distinct unknown words took 55 s (a list membership scan,
quadratic) and lesson 8's vocabulary box parsed 40k words in 6.2 s.

``live`` (skipped with BENCH_TEXTBOXES_LIVE=0): ``streamlit run app.py`` and two tabs of headless
Chromium (bench/_live.py). Tab A opens a page, types the box's cap into it (lesson 3's training
text: 2,000,000 characters; its scored sequence; lesson 7's date) and submits; meanwhile tab B, a
second session on the home page, switches presenter mode again and again (a cheap rerun). Per
box: the seconds until A's page has finished, the server's resident memory at its highest during
the click above its level just before (/proc VmRSS every 20 ms, MB of 10^6 bytes), B's reruns
alone and during A's click, and whether the click stays under issue 15's limits (400 MB, 2 s).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import _live
from bench._live import Widget
from rnnviz.embeddings.onehot import parse_words
from rnnviz.errors import InputError
from rnnviz.tasks.base import Vocab


def _seconds(fn, *args) -> float:
    start = time.perf_counter()
    try:
        fn(*args)
    except InputError:
        pass  # a refusal is the expected answer here
    return round(time.perf_counter() - start, 4)


LOG = _live.ROOT / "tests" / "artifacts" / "bench_textboxes.log"


def run() -> dict:
    report = offline()
    if os.environ.get("BENCH_TEXTBOXES_LIVE", "1") != "0":
        LOG.parent.mkdir(parents=True, exist_ok=True)
        report["live"] = live()
        report["limits"] = {"rss_added_mb": CLICK_MB_LIMIT, "other_waited_extra_s": OTHERS_WAIT_LIMIT_S}
    return report


def offline() -> dict:
    words = [f"w{i:06d}" for i in range(100_000)]  # 100,000 distinct unknown words, ~800 kB typed
    vocab = Vocab(("<pad>", "a", "b"), unit="word")
    forty_k = " ".join(f"word{i}" for i in range(40_000))
    return {
        "encode_kb": round(len(" ".join(words)) / 1000),
        "encode_distinct_unknown_s": _seconds(vocab.encode, words),
        "vocab_box_40k_words_s": _seconds(parse_words, forty_k),
        "vocab_box_at_cap_s": _seconds(parse_words, ("cat dog " * 100)[:600]),
    }


# ---------------------------------------------------------------------------------------------
# On the real server: what one submit of a text box at its cap costs the server and the class

# Issue 15, item 4: one click may add at most this much resident memory above the idle server,
# and make another session's cheap rerun wait at most this much longer than it does alone.
CLICK_MB_LIMIT = 400.0
OTHERS_WAIT_LIMIT_S = 2.0
CHEAP = Widget("toggle", "Presenter mode")  # the other student: a cheap rerun of the home page
SAMPLE_S = 0.02  # how often the server's resident memory is read while the click runs


@dataclass(frozen=True)
class Box:
    page: str  # url_path, with any query the box needs first (lesson 3: its own-text source)
    label: str  # the text box's label as shown
    text: Callable[[object], str]  # what the student submits, given the box (a Playwright locator)
    why: str  # which cap this is


def prose(chars: int) -> str:
    """``chars`` characters of plain lines (a few dozen distinct letters, as a pasted book has)."""
    words = "the of and a to in is was that for on with as by at from his her it be this an".split()
    out, i, total = [], 0, 0
    while total < chars:  # a running total: summing the lines each time took 22 s at 2,000,000
        line = (" ".join(words[(i * 7 + k * 3) % len(words)] for k in range(8 + i % 5)) + ".\n").capitalize()
        out.append(line)
        total += len(line)
        i += 1
    return "".join(out)[:chars]


SCORED_LABEL = "A sequence to score (from the held-out text; edit it)"


def boxes() -> list[Box]:
    from rnnviz.lessons.charlm import MAX_SCORED
    from rnnviz.seq2seq.dates import MAX_TYPED_WORDS, WORDS
    from rnnviz.tasks.base import MAX_TEXT_CHARS

    own = "char-lm?l3_source=Your+own+text"
    date_cap = 2 * MAX_TYPED_WORDS * (max(map(len, WORDS)) + 1)  # app_pages/07_attention.py MAX_DATE_CHARS
    return [
        Box(own, "Paste a text", lambda _: prose(MAX_TEXT_CHARS), f"MAX_TEXT_CHARS = {MAX_TEXT_CHARS:,}"),
        # the held-out text the box starts with, repeated to the cap: characters the model knows
        Box(
            own,
            SCORED_LABEL,
            lambda box: _repeat(box.input_value(), MAX_SCORED),
            f"MAX_SCORED = {MAX_SCORED}",
        ),
        # one unknown word at the box's cap (a longer paste is not taken by the browser at all)
        Box("seq2seq-attention", "Type a date in words", lambda _: "x" * date_cap, f"max_chars = {date_cap}"),
    ]


def _repeat(text: str, chars: int) -> str:
    """``text`` (its lines joined by spaces) repeated to ``chars`` characters."""
    unit = text.replace("\n", " ") + " "
    return (unit * (chars // len(unit) + 1))[:chars]


# Typing 2 MB through Playwright's fill timed out (120 s); a paste sets the value at once, as this
# does (React reads the value from the input event), and the submit then goes as a student's does.
_PASTE = """([e, text]) => {
    const proto = e.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(e, text);
    e.dispatchEvent(new Event("input", {bubbles: true}));
}"""


def _rss_mib(pid: int) -> float:
    return _live.status_kib(Path(f"/proc/{pid}/status").read_text(), "VmRSS") / _live.KIB_PER_MIB


def _submit(chromium, server, box: Box) -> dict:
    """Tab A submits ``box`` at its cap; tab B (another session) reruns cheaply until A is done."""
    browser = _live.helpers()
    pid = server.process.pid
    with _live.tab(chromium) as other, _live.tab(chromium) as page:
        browser.open_page(other, server.url, "")
        alone = [_live.nudge(other, CHEAP) for _ in range(3)]
        browser.open_page(page, server.url, box.page)
        field = page.get_by_label(box.label, exact=True).first
        text = box.text(field)
        page.evaluate(_PASTE, [field.element_handle(), text])  # in the browser: the server sees it on submit
        is_area = field.evaluate("e => e.tagName") == "TEXTAREA"
        idle = _rss_mib(pid)
        peak, done = [idle], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak.append(_rss_mib(pid))
                time.sleep(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        browser._arm(page)
        start = time.perf_counter()
        field.press("Control+Enter" if is_area else "Enter")
        page.wait_for_function("() => window.__rnnvizRuns > 0", timeout=browser.RERUN_START_MS)
        waits = []
        while page.locator(browser._IDLE).count() == 0:  # the other student clicks meanwhile
            waits.append(_live.nudge(other, CHEAP))
        browser.wait_idle(page)
        click_s = time.perf_counter() - start
        done.set()
        sampler.join()
        said = browser.problems(page)
        taken = len(field.input_value())
    alone_s = _live.percentile(alone, 50)
    return {
        "box": f"{box.page.split('?')[0]}: {box.label}",
        "cap": box.why,
        "chars_pasted": len(text),
        "chars_taken": taken,
        "click_s": round(click_s, 2),
        "rss_idle_mib": round(idle, 1),
        "rss_added_mb": _live.mb(max(peak) - idle),
        "other_rerun_alone_s": round(alone_s, 2),
        "other_reruns_meanwhile_s": [round(w, 2) for w in waits],
        "other_waited_extra_s": round(max(waits, default=alone_s) - alone_s, 2),
        "page_said": [p[:200] for p in said],
    }


def within_limits(row: dict) -> bool:
    """Issue 15's bounds for one click: memory added and the other session's extra wait."""
    return row["rss_added_mb"] < CLICK_MB_LIMIT and row["other_waited_extra_s"] < OTHERS_WAIT_LIMIT_S


def live() -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with open(LOG, "w") as log, sync_playwright() as p:
        chromium = _live.helpers().launch(p)
        try:
            with _live.server(log) as (server, _):
                only = os.environ.get("BENCH_TEXTBOXES_ONLY", "")  # e.g. "date": the boxes whose label has it
                for box in (b for b in boxes() if only.lower() in b.label.lower()):
                    try:
                        row = _submit(chromium, server, box)
                        row["within_limits"] = within_limits(row)
                    except Exception as e:  # a box that fails is a finding; the others still count
                        row = {"box": f"{box.page}: {box.label}", "failed": _live.failure(e)}
                    rows.append(row)
        finally:
            chromium.close()
    return rows
