"""rnnviz router: page setup, torch threads, navigation over app_pages/, the shared sidebar.

Run with ``streamlit run app.py``. Every lesson is a file in ``app_pages/`` listed in
``course.LESSONS``; a lesson appears in the navigation once its file exists.
"""

import streamlit as st
import torch
from streamlit.errors import StreamlitInvalidLayoutContextError

from course import OWN_URL_STATE, available, by_section
from ui.heap import return_freed_memory
from ui.lesson import LINK_HOOK, PRESENT_KEY, ROUTED_KEY, PageStop
from ui.links import MAX_LINK_CHARS, LinkCheck, boolean, home_alias, live_params, shareable, whole_number
from ui.namespace import prune, take
from ui.safe import plain

# One intra-op thread per process. Streamlit serves every browser session from threads of
# one process, and the models here are tiny (hidden sizes of tens of units), so extra
# threads buy little and fight each other. Measured on the 2-core machine this app is
# built on, a 64-unit LSTM training step (batch 32, 50 steps): alone, 8.4 ms with 1 thread
# and 5.4 ms with 2; with two runs at once, 7-8 ms each with 1 thread and 23 ms each with 2.
# A projected class has many sessions at once, so 1 thread keeps everyone responsive.
TORCH_THREADS = 1
if torch.get_num_threads() != TORCH_THREADS:  # app.py reruns on every click: set it once
    torch.set_num_threads(TORCH_THREADS)
return_freed_memory()  # once per process: memory follows what sessions hold, not their peak (ui/heap.py)

st.set_page_config(
    page_title="rnnviz",
    page_icon=":material/cycle:",
    layout="wide",
    initial_sidebar_state="expanded",
    menu_items={"About": "rnnviz: recurrent neural networks, trained live and inspected step by step."},
)

sections = by_section(available())
pages = {
    section: [
        st.Page(
            lesson.path,
            title=lesson.title,
            icon=lesson.icon,
            url_path=lesson.url_path,
            default=lesson.section == "Start",
        )
        for lesson in lessons
    ]
    for section, lessons in sections.items()
}
home_alias(sections["Start"][0].url_path if "Start" in sections else None)  # /start opens the home page
current = st.navigation(pages, expanded=True)

# Presenter mode: larger type for a projector (charts grow through ui.lesson.chart, and lesson prose
# folds into expanders). Streamlit sizes its text in rem, so the root font size scales all of it.
# Captions: Streamlit draws them in the text colour at 60% opacity (#76797c on white, 4.37:1, below
# WCAG AA's 4.5:1); a solid #5c5f63 is 6.4:1 on white and 5.9:1 on the sidebar (tests/test_browser_a11y.py).
BASE_CSS = (
    "<style>[data-testid='stCaptionContainer'] { color: #5c5f63; opacity: 1; }"
    # equations side by side in columns at 1.1 em (KaTeX's 1.21 em put lesson 5's peephole f_t
    # ~10 px past its half column at 1280 px)
    " [data-testid='stColumn'] .katex-display > .katex { font-size: 1.1em; }"
    # A 1024-px tablet with the sidebar open leaves 724 px, of which Streamlit pads 160 away: the
    # lesson gets 676 px instead of 564 (tests/test_browser_a11y.py, 1024 px)
    "@media (max-width: 1100px) { .stMainBlockContainer { padding-left: 1.5rem; padding-right: 1.5rem; }"
    # and columns that hold equations stack (a 330-px half column cuts lesson 5's and 7's equations)
    " [data-testid='stHorizontalBlock']:has(.katex-display) { flex-wrap: wrap; }"
    " [data-testid='stHorizontalBlock']:has(.katex-display) > [data-testid='stColumn'] { min-width: 100%; }"
    # and display equations about body-text size (KaTeX sets 1.21 em: lesson 2's widest was 822 px)
    " .katex-display > .katex { font-size: 0.96em; } }"
    "</style>"
)
PRESENTER_CSS = "<style>html { font-size: 20px; } .stMainBlockContainer { max-width: 100%; }</style>"


def link_to_this_view() -> tuple[str, list[str]]:
    """The address of this page with every bound setting in it as its widget holds it now (what the
    browser's address bar shows once it has caught up: see ui.links.live_params), and the settings
    left out because the link would be too long to share."""
    params = [(key, value) for key in st.query_params for value in st.query_params.get_all(key)]
    return shareable(st.context.url or f"/{current.url_path}", live_params(params))


SEED_MAX = 2**31 - 1
# the sidebar's bound widgets and what each can take; checked before the widgets read the URL. The
# Playground binds no seed widget: its seed is part of its own URL state, which rnnviz.playground.url
# checks and names in the page itself (a seed refused here would vanish there without a word).
OWN_STATE = current.url_path in OWN_URL_STATE
link = LinkCheck(
    current.url_path, {PRESENT_KEY: boolean} | ({} if OWN_STATE else {"seed": whole_number(0, SEED_MAX)})
)

with st.sidebar:
    link_notice = st.empty()  # what a link asked that this page did not take: known once it has run
    st.toggle(
        "Presenter mode",
        key=PRESENT_KEY,
        bind="query-params",
        help="Larger text and charts for a projector; the explanations fold away. The link keeps it on.",
    )
    st.number_input(
        "Seed",
        min_value=0,
        max_value=SEED_MAX,
        value=0,
        step=1,
        key="seed",
        # the Playground keeps its whole setup, its own seed included, in the URL itself
        bind=None if OWN_STATE else "query-params",
        help="Every page draws its data and initial weights from this seed: the same seed and settings "
        "give everyone the same starting model, and the same number of training steps the same numbers.",
    )
    with st.popover("Link to this view", icon=":material/link:", width="stretch"):
        st.caption(
            "Everyone who opens this link sees this page with the same settings and seed, and on a "
            "lesson every model trained as far as it is here: the link lists each training panel's "
            "runs (..._trained= in the link), and the server trains them again, or copies them from "
            "its store, to the same weights; the Playground's runs likewise. Not in the link: a model "
            "loaded from a file (share the file). Copy the link with the "
            "button at the right of the box (the address bar holds the same link)."
        )
        # filled after the page has run: its bound widgets bring the URL up to date as they
        # register (a Restore that puts a setting back to its default removes it only then)
        link_slot = st.empty()
    st.caption("rnnviz: small recurrent networks, trained live in your browser and inspected step by step.")

st.html(BASE_CSS)
if st.session_state.get(PRESENT_KEY):
    st.html(PRESENTER_CSS)


def write_link() -> None:
    """Fill the sidebar's link box with the link to what is on screen now: after the page has run,
    and after each of its sections' own reruns (ui.lesson.section calls this through LINK_HOOK, so
    a slider inside a section that changes the address bar changes the link too)."""
    shared, left_out = link_to_this_view()
    try:
        box = link_slot.container()
    except StreamlitInvalidLayoutContextError:
        # A section inside another section (lesson 7's step views inside its date views) rerunning
        # with the outer one: Streamlit 1.67 lets only a fragment that wrote here in the last full
        # run write here, and the inner one's write raised (a traceback on every typed date). The
        # outer section writes the link when it ends.
        return
    with box:
        st.code(shared, language=None, wrap_lines=True)
        if left_out:
            st.caption(
                f"Left out, too long for a link (over {MAX_LINK_CHARS:,} characters in all): "
                + ", ".join(plain(name) for name in left_out)
                + ". Whoever opens the link gets this page's default there: share that text another way."
            )


st.session_state[LINK_HOOK] = write_link
st.session_state[ROUTED_KEY] = True
take()  # forget what a page that ended before its header left on this thread
try:
    current.run()
except PageStop:
    pass  # the page ended early on purpose (ui.lesson.stop); the sidebar still gets its link below
finally:
    # the Playground checks its own settings (playground.url): here only what the rules above dropped
    link.after_run(widgets=not OWN_STATE)
    if message := link.message():
        link_notice.warning(message, icon=":material/link_off:")
    write_link()
    if (space := take()) is not None:
        prune(space)  # free what only the page's finished top level used (ui/namespace.py)
