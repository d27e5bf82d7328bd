"""Every docstring example under rnnviz/ runs as a doctest, so the examples stay true.

An example shows its setup lines and real outputs; outputs are deterministic (seeds, step budgets,
never wall time), and ELLIPSIS / NORMALIZE_WHITESPACE are on, so ``...`` may stand for a long tail.
The benchmarks (bench/) are not collected here: their docstrings describe runs of minutes that
drive the real server, and ``python -m bench`` is how they run.
"""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rnnviz"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def module_name(path: Path) -> str:
    """rnnviz/tasks/adding.py -> rnnviz.tasks.adding; rnnviz/charts/__init__.py -> rnnviz.charts."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_with_examples() -> list[str]:
    """Every rnnviz module whose source holds a ``>>>`` line (a cheap scan: nothing imported yet)."""
    return sorted(
        module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py" and ">>> " in p.read_text()
    )


def run_examples(name: str) -> tuple[int, int, str]:
    """(examples attempted, failed, the report of the failures) for the docstrings of module `name`."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    return result.attempted, result.failed, "".join(report)


def test_the_runner_catches_an_example_that_is_not_true(tmp_path, monkeypatch):
    (tmp_path / "h2_doc_probe.py").write_text(
        '"""A probe.\n\n>>> 1 + 1\n2\n>>> sorted({3, 1})\n[1, 3, 2]\n>>> undefined_name\n"""\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    attempted, failed, report = run_examples("h2_doc_probe")
    assert (attempted, failed) == (3, 2)
    assert "[1, 3, 2]" in report and "NameError" in report


def test_the_scan_finds_examples():
    found = modules_with_examples()
    assert "rnnviz.tasks.adding" in found and len(found) >= 30


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_are_true(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name repository files as the app does: "assets/memory_lag.json"
    attempted, failed, report = run_examples(name)
    assert attempted > 0, f"{name} has '>>> ' lines but doctest found no example"
    assert failed == 0, report
