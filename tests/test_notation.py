"""One notation everywhere: the home page's table, and the conventions it states, hold in the app."""

import ast
import json
from pathlib import Path

import numpy as np
import torch

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.notation import NOTATION, markdown_table

ROOT = Path(__file__).resolve().parents[1]
SCREEN_FILES = [ROOT / "app.py", ROOT / "course.py", *sorted((ROOT / "app_pages").glob("*.py"))]


def on_screen_strings(path: Path) -> list[str]:
    """Every string constant of a page file (what it can put on screen), docstrings excluded."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_home_page_shows_the_notation_table(open_app):
    at = open_app()
    assert not at.exception and not at.error
    (notation,) = [e for e in at.expander if "Notation" in e.label]
    shown = "\n".join(m.value for m in notation.markdown)
    assert shown == markdown_table()
    for symbol in NOTATION:
        assert f"${symbol.course}$" in shown and f"${symbol.app}$" in shown


def test_one_name_per_matrix_on_screen():
    """The input matrix is W_xh on every page (torch's weight_ih appears only as torch's own name)."""
    assert len(SCREEN_FILES) >= 10  # app.py, course.py and every page
    for path in SCREEN_FILES:
        for text in on_screen_strings(path):
            for old in ("W_ih", "W_{ih}"):
                assert old not in text, f"{path.name}: {old!r} in {text[:80]!r}: write W_xh"


def test_embedding_matrix_is_stored_one_row_per_word():
    """The table says rnnviz's E is V x d (torch's nn.Embedding): e_w = E^T o_w is row w."""
    cfg = ModelConfig(
        cell="rnn_tanh", input_kind="tokens", input_size=7, output_size=3, head="many_to_one", embed_dim=5
    )
    model = SeqModel(cfg)
    embedding = next(m for m in model.modules() if isinstance(m, torch.nn.Embedding))
    assert tuple(embedding.weight.shape) == (7, 5)
    one_hot = torch.zeros(7)
    one_hot[4] = 1.0
    assert torch.equal(embedding.weight.T @ one_hot, embedding(torch.tensor(4)))


def test_the_playgrounds_wrapped_text_counts_steps_from_1():
    """Line i of a wrapped sequence starts at t = i * width + 1; position p in it is t = i * width + p."""
    import numpy as np

    from rnnviz.charts.playground import coloured_tokens

    tokens = list("abcdefghij")
    values = np.arange(20, dtype=float).reshape(2, 10)
    wrapped = coloured_tokens(tokens, values, ["h0", "h1"], wrap=4).data[0]
    assert list(wrapped.x) == [1, 2, 3, 4]
    assert list(wrapped.y) == ["h0 · t 1+", "h1 · t 1+", "h0 · t 5+", "h1 · t 5+", "h0 · t 9+", "h1 · t 9+"]
    assert wrapped.customdata[0][0].startswith("1:") and wrapped.customdata[2][0].startswith("5:")
    one_line = coloured_tokens(tokens, values, ["h0", "h1"], wrap=48).data[0]
    assert list(one_line.x) == list(range(1, 11)) and list(one_line.y) == ["h0", "h1"]


def test_the_cell_diagrams_write_the_unit_by_unit_product_as_the_lessons_do():
    """Lesson 5's text says "⊙ multiplies unit by unit": its diagram's product circles say ⊙ too."""
    from rnnviz.charts import gates

    lesson_5 = " ".join(on_screen_strings(ROOT / "app_pages" / "05_lstm.py"))
    assert "⊙ multiplies unit by unit" in lesson_5
    for cell in ("lstm", "lstm_peephole", "gru", "gru_minimal"):
        fig = gates.cell_diagram(cell, "output")
        marks = [a.text for a in fig.layout.annotations]
        assert "<b>⊙</b>" in marks and not any("×" in m for m in marks), cell
        circles = sum(s.type == "circle" for s in fig.layout.shapes)
        assert circles == sum(m in ("<b>⊙</b>", "<b>+</b>") for m in marks), cell


def test_lesson_2_terms_chart_names_the_state_before_as_h_t_minus_1():
    """The legend said "W_hh h_prev": the lesson's h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)."""
    from types import SimpleNamespace

    from rnnviz.charts import elman

    zeros = np.zeros(3)
    terms = SimpleNamespace(h=zeros, Wh=zeros, Wx=zeros, b=zeros, pre=zeros)
    names = [trace.name for trace in elman.step_contributions(terms).data]
    assert names[:3] == ["W_hh h_{t-1} (memory)", "W_xh x_t (input)", "b_h (bias)"]
    assert not any("prev" in name for name in names)


def test_lesson_4s_charts_write_a_norm_as_its_text_does():
    """Lesson 4 writes ‖dL/dh_t‖, ‖W_hh‖₂, ‖g‖ (LaTeX \\| and its titles): its charts said ||g||."""
    from types import SimpleNamespace

    from rnnviz.charts import gradients

    T, ones = 6, np.ones(6)
    run = SimpleNamespace(step=np.arange(T), loss=ones, grad_norm=ones, diverged_step=3)
    run.grad_norm_clipped = ones
    figs = [
        gradients.gradient_bound(ones, ones, ones),
        gradients.factor_strip(ones, ones),
        gradients.training_heatmap([0, 10], np.ones((2, T))),
        gradients.truncation_rows(ones, np.r_[np.zeros(3), ones[3:]], k=3),
        gradients.clipping_runs(run, SimpleNamespace(**{**vars(run), "diverged_step": None, "clip": 1.0})),
    ]
    lesson = " ".join(on_screen_strings(ROOT / "app_pages" / "04_gradients.py"))
    assert "‖dL/dh_t‖" in lesson and "‖W_hh‖" in lesson
    for fig in figs:
        shown = json.dumps(fig.to_plotly_json(), ensure_ascii=False, default=str)
        assert "‖" in shown and "||" not in shown, fig.layout.title.text
