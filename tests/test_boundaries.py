"""House rules that keep the layers apart and the pages finished.

- rnnviz/ never imports streamlit (checked in the source and by importing every module);
- rnnviz/ knows nothing of the app: it never imports the root modules (app.py, course.py), ui/,
  app_pages/, bench/ or the tests' helpers, neither in its code nor in code kept in strings
  (a script run in a subprocess, a docstring's example);
- plotly only inside rnnviz/charts/;
- no page tells a student that something is a placeholder or coming soon.
"""

import ast
import doctest
import io
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import course

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnnviz"
# strings and comments; f-string text is its own token from Python 3.12 on
TEXT_TOKENS = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
# every top-level name the app and its tooling import by: root modules, the folders beside rnnviz/
# that hold Python (ui, app_pages, bench, tests) and the tests' helpers (browser, apptools, conftest)
APP_ROOTS = frozenset(
    {p.stem for p in ROOT.glob("*.py")}
    | {d.name for d in ROOT.iterdir() if d.is_dir() and d != PACKAGE and any(d.glob("*.py"))}
    | {p.stem for p in (ROOT / "tests").glob("*.py")}
)
OUTSIDE = APP_ROOTS | {"streamlit"}
UNFINISHED = re.compile(r"coming soon|placeholder|under construction|lorem ipsum", re.IGNORECASE)


def imported_roots(source: str) -> set[str]:
    """Top-level package names imported anywhere in `source` (import x.y, from x.y import z)."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def code_in_strings(source: str) -> list[tuple[int, str]]:
    """(line, code) for every piece of Python kept in a string of `source`: a string constant that
    parses as Python with at least one import, and each docstring example (``>>>`` lines)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        pieces = [ex.source for ex in doctest.DocTestParser().get_examples(node.value)]
        if "import" in node.value:
            try:
                ast.parse(node.value)
                pieces.append(node.value)
            except SyntaxError:
                pass  # prose, not code
        for piece in pieces:
            try:
                ast.parse(piece)
            except SyntaxError:
                continue  # the middle of a multi-line example: its own first line carries it
            found.append((node.lineno, piece))
    return found


def unfinished_words(source: str) -> list[str]:
    """Words like "coming soon" in the strings and comments of `source` (not in names: the
    `placeholder=` argument of st.text_input is fine)."""
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in TEXT_TOKENS:
            found += [f"line {tok.start[0]}: {m.group(0)}" for m in UNFINISHED.finditer(tok.string)]
    return found


def package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_scanners_find_what_they_look_for():
    src = "import os\nimport streamlit as st\nfrom plotly import graph_objects\n"
    src += "importlib.import_module('torch.nn')\n"
    assert imported_roots(src) == {"os", "streamlit", "plotly", "torch"}
    assert imported_roots("from . import charts\n") == set()
    page = 'st.text_input("Text", placeholder="hello")\nst.info("Coming soon!")  # placeholder\n'
    assert unfinished_words(page) == ["line 2: Coming soon", "line 2: placeholder"]
    script = 'RUN = """\nimport sys\nfrom streamlit.testing.v1 import AppTest\n"""\n'
    doc = 'def f():\n    """Doc.\n\n    >>> import course\n    >>> 1 + 1\n    2\n    """\n'
    prose = '"""rnnviz never imports streamlit, so import it in ui/."""\n'
    assert [imported_roots(code) for _, code in code_in_strings(script)] == [{"sys", "streamlit"}]
    assert [imported_roots(code) for _, code in code_in_strings(doc)] == [{"course"}, set()]
    assert code_in_strings(prose) == []
    assert {"app", "course", "ui", "app_pages", "bench", "tests", "browser", "conftest"} <= APP_ROOTS
    assert "rnnviz" not in APP_ROOTS


def test_rnnviz_source_never_imports_streamlit():
    assert package_files(), "rnnviz/ has no Python files"
    offenders = [
        str(p.relative_to(ROOT)) for p in package_files() if "streamlit" in imported_roots(p.read_text())
    ]
    assert offenders == [], "rnnviz/ must not import streamlit: move the UI code to app_pages/ or ui/"


def test_rnnviz_source_never_imports_the_app():
    offenders = {
        str(p.relative_to(ROOT)): sorted(found)
        for p in package_files()
        if (found := imported_roots(p.read_text()) & APP_ROOTS)
    }
    assert offenders == {}, "rnnviz/ must not know the app: move the code to ui/, bench/ or tests/"


def test_no_code_in_rnnviz_strings_imports_streamlit_or_the_app():
    offenders = [
        f"{p.relative_to(ROOT)}:{line}: {sorted(found)}"
        for p in package_files()
        for line, code in code_in_strings(p.read_text())
        if (found := imported_roots(code) & OUTSIDE)
    ]
    assert offenders == [], "a script or example in rnnviz/ drives the app: it belongs in bench/ or tests/"


def test_plotly_only_in_charts():
    charts = PACKAGE / "charts"
    offenders = [
        str(p.relative_to(ROOT))
        for p in package_files()
        if charts not in p.parents and "plotly" in imported_roots(p.read_text())
    ]
    assert offenders == [], "figures belong in rnnviz/charts/"


def module_name(path: Path) -> str:
    """rnnviz/tasks/adding.py -> rnnviz.tasks.adding; rnnviz/charts/__init__.py -> rnnviz.charts."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_importing_every_rnnviz_module_loads_neither_streamlit_nor_the_app():
    # every file, also in folders without __init__.py; not __main__.py, which would run a command
    names = [module_name(p) for p in package_files() if p.name != "__main__.py"]
    probe = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(OUTSIDE)!r})))\n"
    )
    # a fresh interpreter: this pytest process has streamlit loaded through AppTest
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    "path", [ROOT / "app.py", *sorted(course.PAGES_DIR.glob("*.py"))], ids=lambda p: p.name
)
def test_no_page_promises_unfinished_work(path):
    assert unfinished_words(path.read_text()) == []


def test_no_file_names_the_old_benchmark_command():
    """The benchmarks moved to the top-level bench/ (``python -m bench``): a page, a docstring or the
    README that still names the old package path tells a student a command that fails."""
    old = "rnnviz" + ".bench"  # split, so this file does not name it either
    files = [p for ext in ("py", "md") for p in ROOT.rglob(f"*.{ext}") if ".git" not in p.parts]
    stale = [str(p.relative_to(ROOT)) for p in files if old in p.read_text(errors="replace")]
    assert stale == []
