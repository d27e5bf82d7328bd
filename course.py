"""The one table of pages: the router (app.py) and the home page both read it.

A lesson shows up in the navigation only once its file exists in ``app_pages/``, so lessons
can land one at a time and no link ever points at a missing page.
"""

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PAGES_DIR = ROOT / "app_pages"  # not "pages/": see PAGES_FOLDER below


@dataclass(frozen=True)
class Lesson:
    file: str  # file name under app_pages/, e.g. "05_lstm.py"
    title: str  # shown in the navigation and on the home page
    summary: str  # one line: what the student sees and learns there
    icon: str  # Streamlit icon: a ":material/name:" symbol
    section: str  # navigation section, one of SECTIONS
    url_path: str  # address of the page: http://host/<url_path>; see URL_PATH_RULE below

    @property
    def path(self) -> str:
        """Path relative to app.py, as st.Page, st.page_link and AppTest.switch_page take it."""
        return f"{PAGES_DIR.name}/{self.file}"


# url_paths of pages that write their whole state, seed included, into the URL themselves
OWN_URL_STATE = frozenset({"rnn-playground"})

# Navigation sections in the order the sidebar lists them.
SECTIONS = ("Start", "Foundations", "Memory and gating", "Attention and embeddings", "Playground")

HOME_FILE = "00_home.py"

# PAGES_FOLDER: the lessons live in app_pages/, not pages/. Streamlit 1.67 decides once per server
# process, when the first browser session is created, whether a folder named pages/ sits beside the
# main script (PagesManager.uses_pages_directory); while that holds, sessions run its old folder-based
# multipage mode instead of app.py until some session's st.navigation clears it. So the first
# request after a start (every wake from sleep on Community Cloud, often a teacher's deep link)
# opened under a "Page not found" dialog. No public setting or hook runs before that first session,
# so the folder has another name; url_paths are unchanged and every old link still works.
# tests/test_browser.py opens a deep link as the first request to a fresh server.
#
# URL_PATH_RULE: a url_path must differ from the name Streamlit infers from the file name
# ("05_lstm.py" -> "lstm"). It mattered while the folder was pages/ (an inferred name then ran the
# lesson without the router); kept so that a folder renamed back could never run a lesson bare.
# tests/test_app.py checks the rule.

LESSONS = (
    Lesson(
        HOME_FILE,
        "Home",
        "What rnnviz teaches and how to use it in class or alone.",
        ":material/home:",
        "Start",
        "start",
    ),
    Lesson(
        "01_why_recurrence.py",
        "Why recurrence",
        "Why a fixed window falls short on sequences, and how a hidden state h_t carries the past.",
        ":material/replay:",
        "Foundations",
        "why-recurrence",
    ),
    Lesson(
        "02_elman_rnn.py",
        "The Elman RNN",
        "One cell, step by step: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), unrolled in time.",
        ":material/cycle:",
        "Foundations",
        "elman-rnn",
    ),
    Lesson(
        "03_char_lm.py",
        "Char-RNN language model",
        "Train a character-level model on your text, then sample from it with temperature and top-k.",
        ":material/text_fields:",
        "Foundations",
        "char-lm",
    ),
    Lesson(
        "04_gradients.py",
        "Vanishing and exploding gradients",
        "Watch the gradient norm shrink or blow up back through time, and what clipping does.",
        ":material/trending_down:",
        "Memory and gating",
        "vanishing-gradients",
    ),
    Lesson(
        "05_lstm.py",
        "LSTM",
        "The gates i, f, g, o and the cell state c_t, traced step by step on a memory task.",
        ":material/memory:",
        "Memory and gating",
        "lstm-cell",
    ),
    Lesson(
        "06_gru.py",
        "GRU and highway connections",
        "Reset r and update z gates: torch's GRU, the paper's variant and the minimal GRU side by side.",
        ":material/alt_route:",
        "Memory and gating",
        "gru-highway",
    ),
    Lesson(
        "10_rnns_today.py",
        "Recurrent networks today",
        "minGRU, minLSTM and a selective linear recurrence: gates that read x_t only, a parallel scan equal "
        "to the loop, timed live; linear attention as an RNN.",
        ":material/bolt:",
        "Memory and gating",
        "rnns-today",
    ),
    Lesson(
        "07_attention.py",
        "Seq2seq and attention",
        "An encoder-decoder that learns where to look: the attention weights, step by step.",
        ":material/visibility:",
        "Attention and embeddings",
        "seq2seq-attention",
    ),
    Lesson(
        "11_pointer.py",
        "Pointer networks",
        "Sorting and convex hulls: attention over the input positions is the answer, so one model "
        "handles longer inputs that a fixed output vocabulary cannot write.",
        ":material/near_me:",
        "Attention and embeddings",
        "pointer-networks",
    ),
    Lesson(
        "08_embeddings.py",
        "Word embeddings",
        "GloVe word vectors: nearest neighbours, analogies and a 2-D map of meaning.",
        ":material/scatter_plot:",
        "Attention and embeddings",
        "word-embeddings",
    ),
    Lesson(
        "09_playground.py",
        "Playground",
        "Pick a task, a cell and sizes; train live and inspect every hidden unit and gate.",
        ":material/science:",
        "Playground",
        "rnn-playground",
    ),
)


def available(pages_dir: Path = PAGES_DIR) -> list[Lesson]:
    """The rows of LESSONS whose file exists in ``pages_dir``, in table order."""
    return [lesson for lesson in LESSONS if (pages_dir / lesson.file).is_file()]


def by_section(lessons: list[Lesson]) -> dict[str, list[Lesson]]:
    """Group lessons by section in SECTIONS order, leaving out empty sections."""
    grouped = {section: [lesson for lesson in lessons if lesson.section == section] for section in SECTIONS}
    return {section: rows for section, rows in grouped.items() if rows}
