"""One notation everywhere: the home page's table, and the conventions it states, hold in the app."""

import ast
from pathlib import Path

import torch

from rnnviz.model import ModelConfig, SeqModel
from rnnviz.notation import NOTATION, markdown_table

ROOT = Path(__file__).resolve().parents[1]
SCREEN_FILES = [ROOT / "app.py", ROOT / "lessons.py", *sorted((ROOT / "app_pages").glob("*.py"))]


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
    assert len(SCREEN_FILES) >= 10  # app.py, lessons.py and every page
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
