"""What a page's run leaves behind: drop the values no later call can reach.

Streamlit runs a page file in a fresh module namespace and, once the run is over, keeps that
namespace alive for as long as any function the page defined is kept: a widget's ``on_change`` or
``format_func``, a ``st.fragment``'s body, a cached function. Those functions look their globals up in
the namespace, so it holds every value the page's top level computed (traces, figures, tables, a
model's weights): measured with bench/_served.py, 40-45 MiB per student after a visit to every lesson,
of which session_state itself was under 8.

After the run, :func:`prune` deletes from the namespace every name that no function defined in the
page's code can look up (the names its nested code objects use, read from the compiled file), so
the values only the finished top level used can be freed, and the callbacks and fragments keep
exactly what they can still read. A page's namespace is recorded by :func:`remember` (ui.lesson.header
calls it with its caller's globals) and taken once by app.py after the run.
"""

from __future__ import annotations

import functools
import threading
import types
from pathlib import Path

_RUN = threading.local()  # the page namespace of the run on this thread (each session has its own)


def remember(space: dict) -> None:
    """Note the namespace of the page running on this thread (a page file's module globals)."""
    if str(space.get("__file__", "")).endswith(".py"):
        _RUN.space = space


def take() -> dict | None:
    """The namespace noted since the last call, or None; forgets it (nothing here keeps it alive)."""
    space = getattr(_RUN, "space", None)
    _RUN.space = None
    return space


@functools.lru_cache(maxsize=64)
def _names_used(path: str, mtime_ns: int) -> frozenset[str]:
    """Every global name the code nested in page ``path`` (functions, lambdas, classes and what they
    nest) can look up, read from its compiled code; the module's own top level is not included."""
    code = compile(Path(path).read_text(encoding="utf-8"), path, "exec")
    names: set[str] = set()
    todo = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    while todo:
        nested = todo.pop()
        names.update(nested.co_names)  # globals and attributes alike: keeping too many is harmless
        todo += [c for c in nested.co_consts if isinstance(c, types.CodeType)]
    return frozenset(names)


def prune(space: dict) -> int:
    """Delete from a finished page's namespace the names no function of the page can reach; returns
    how many. Dunder names stay (``__file__``, ``__builtins__``: functions need the latter)."""
    path = str(space.get("__file__", ""))
    try:
        keep = _names_used(path, Path(path).stat().st_mtime_ns)
    except (OSError, SyntaxError, ValueError):
        return 0  # not a file we can read: leave it whole
    dropped = [name for name in space if not name.startswith("__") and name not in keep]
    for name in dropped:
        del space[name]
    return len(dropped)
