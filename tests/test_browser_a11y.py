"""axe-core (the engine behind most accessibility checkers) on every page, in Debian's Chromium.

Each page is opened at its defaults; the test fails on any critical or serious violation that is
not on the allow-list below. Results per page are written to tests/artifacts/axe/<page>.json
for a look at the details (which elements, which rule).
"""

import json
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

import browser
from course import LESSONS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "axe"
BLOCKING = ("critical", "serious")

# (rule id, a fragment of the element's selector or HTML) -> why it is allowed. Each entry is markup
# that Streamlit 1.67 renders itself and the app cannot change, or (marked SHARED) a fix that needs a
# shared file (app.py's CSS or .streamlit/config.toml) that the lesson code cannot edit.
ALLOWED: dict[tuple[str, str], str] = {
    ("list", "stSidebarNavItems"): "st.navigation's sidebar puts <div> section wrappers directly in its <ul>",
    ("listitem", "e1o1t1hb4"): "the same sidebar: its <li> nav items sit inside those <div> wrappers",
    ("color-contrast", "stWidgetLabel"): "a disabled widget's label, greyed by Streamlit: WCAG exempts "
    "inactive controls, but Streamlit does not mark the label disabled, so axe cannot tell",
    ("scrollable-region-focusable", "<pre"): "st.code's block scrolls and Streamlit gives it no tabindex",
}
KATEX_SLACK_PX = 4  # st.latex's scrolling span overflows by 1-2 px of rounding: nothing is hidden


def allowed_node(rule: str, node: dict) -> bool:
    where = " ".join(map(str, node["target"])) + " " + node["html"]
    return any(rule == r and fragment in where for r, fragment in ALLOWED)


def katex_hides_nothing(page, node: dict) -> bool:
    """A display-math span that overflows by at most KATEX_SLACK_PX. A wider overflow hides part of
    an equation (a real clipping): not allowed."""
    if "katex-display" not in node["html"]:
        return False
    over = page.evaluate(
        "s => { const e = document.querySelector(s); return e.scrollWidth - e.clientWidth }",
        node["target"][0],
    )
    return over <= KATEX_SLACK_PX


def blocking(page, results: dict) -> list[dict]:
    """Critical and serious violations, each with its nodes not explained by ALLOWED."""
    out = []
    for v in results["violations"]:
        if v.get("impact") not in BLOCKING:
            continue
        nodes = [
            n
            for n in v["nodes"]
            if not allowed_node(v["id"], n)
            and not (v["id"] == "scrollable-region-focusable" and katex_hides_nothing(page, n))
        ]
        if nodes:
            out.append({**v, "nodes": nodes})
    return out


def nothing_cut(page, width: int) -> None:
    """At ``width`` px (a 1280 laptop, a 1024 tablet: app.py's narrow-screen CSS), sidebar open: no
    equation wider than its column, no chart or page wider than the window."""
    page.set_viewport_size({"width": width, "height": 800 if width >= 1280 else 768})
    page.wait_for_timeout(500)  # charts and columns re-lay out on resize: no rerun
    cut = page.evaluate(
        """slack => [...document.querySelectorAll('.katex-display')]
             .filter(e => e.scrollWidth - e.clientWidth > slack)
             .map(e => [e.scrollWidth, e.clientWidth, e.textContent.slice(0, 60)])""",
        KATEX_SLACK_PX,
    )
    assert not cut, f"{width} px: equations wider than their column (scroll, client, text): {cut}"
    sideways = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMainBlockContainer"]');
            const right = main.getBoundingClientRect().right + 2;
            const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                .filter(e => e.getBoundingClientRect().right > right).length;
            const doc = document.scrollingElement;
            return {charts, page: doc.scrollWidth - doc.clientWidth};
        }"""
    )
    assert sideways == {"charts": 0, "page": 0}, f"{width} px: wider than the window: {sideways}"


HOME = next(lesson.url_path for lesson in LESSONS if lesson.file == "00_home.py")


# every page: axe at 1400 x 900 (a projector window), then nothing cut at 1280 x 800 and 1024 x 768
@pytest.mark.parametrize("url_path", [lesson.url_path for lesson in LESSONS])
def test_no_serious_axe_violations_and_nothing_cut_at_1280_or_1024(page, app_url, url_path):
    browser.open_page(page, app_url, url_path)
    browser.wait_for_charts(page)
    results = Axe().run(page).response
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{url_path}.json").write_text(json.dumps(results["violations"], indent=1))
    found = blocking(page, results)
    summary = [f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {v['nodes'][0]['html'][:80]}" for v in found]
    assert not found, "\n".join(summary)
    if url_path != HOME:  # every lesson shows equations: none drawn means the page did not run
        assert page.locator(".katex-display").count(), "no equation on the page: did it run?"
    for width in (1280, 1024):
        nothing_cut(page, width)
