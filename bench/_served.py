"""``python -m bench._served APP PORT PROBE_PORT``: ``streamlit run APP`` in this very process, with a
probe on a second local port that reports where the sessions' memory goes (bench/server.py's
``memory`` section; nothing in the app imports this).

The probe answers one line of JSON per connection, for the request it reads (one word):

- ``sessions``: for every session, in the order Streamlit lists them, the bytes each adds to the ones
  before it (one shared set of seen objects: the first session pays for what all share, each further
  one only for its own), split into tensor storage (torch's allocator, counted once per storage) and
  Python objects (``sys.getsizeof``, which tracemalloc would also see), by session_state key; then what
  Streamlit itself keeps for the session beyond those values (its widget states, queued messages,
  fragments: a walk from the AppSession object).
- ``malloc``: glibc's mallinfo2 (bytes in use, free but kept in the arenas, mmapped), the number of
  threads, and VmRSS; ``trim``: the same after ``malloc_trim(0)`` (what RSS held only as free memory).
- ``media``: Streamlit's in-memory media files (download buttons' data, images), all sessions.
- ``globals``: per session, the pages whose last run's namespace the session still reaches, and
  what it holds.
- ``gc``: a full ``gc.collect()`` then the same as ``trim`` (what cyclic garbage held).
- ``snap`` / ``diff``: tracemalloc snapshots (started at launch when BENCH_TRACEMALLOC=1): the Python
  allocations added since ``snap``, top files.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import socket
import sys
import threading
import tracemalloc
import types
from pathlib import Path

_SKIP = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.FrameType,
)


def _skip_names() -> tuple:
    """Objects a walk must not enter: the runtime and its threads (shared by every session)."""
    from streamlit.runtime.runtime import Runtime
    from streamlit.runtime.scriptrunner import ScriptRunner

    return (*_SKIP, threading.Thread, Runtime, ScriptRunner, socket.socket)


def walk(root, seen: dict, skip: tuple, storages: set) -> tuple[int, int]:
    """(python bytes, tensor bytes) reachable from ``root`` and not in ``seen`` (id -> object, which
    grows; it holds the objects so that no id is reused by a new object while a report runs)."""
    import torch

    python = tensors = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen[id(obj)] = obj
        python += sys.getsizeof(obj, 0)
        if isinstance(obj, torch.Tensor):
            try:
                storage = obj.untyped_storage()
                ptr = storage.data_ptr()
                if ptr not in storages:
                    storages.add(ptr)
                    tensors += storage.nbytes()
            except (RuntimeError, NotImplementedError):
                pass
            if obj.grad is not None:
                stack.append(obj.grad)
            stack.append(getattr(obj, "__dict__", {}))
            continue
        stack.extend(gc.get_referents(obj))
    return python, tensors


def sessions_report() -> list[dict]:
    from streamlit.runtime.runtime import Runtime

    skip = _skip_names()
    seen: dict = {}
    storages: set = set()
    out = []
    for info in Runtime.instance()._session_mgr.list_sessions():
        session = info.session
        state = session._session_state
        keys = {}
        try:
            items = list(state.filtered_state.items())
        except Exception as e:  # a run in progress: report what could not be read
            items = [("<unreadable>", repr(e))]
        for key, value in items:
            py, ts = walk(value, seen, skip, storages)
            keys[str(key)] = {"python": py, "tensors": ts}
        py, ts = walk(session, seen, skip, storages)  # Streamlit's own: widgets, queue, fragments
        queue = getattr(session._browser_queue, "_queue", [])
        out.append(
            {
                "id": session.id[:8],
                "session_state_python": sum(v["python"] for v in keys.values()),
                "session_state_tensors": sum(v["tensors"] for v in keys.values()),
                "streamlit_python": py,
                "streamlit_tensors": ts,
                "queued_messages": len(queue),
                "queued_bytes": sum(m.ByteSize() for m in queue),
                "by_key": dict(sorted(keys.items(), key=lambda kv: -(kv[1]["python"] + kv[1]["tensors"]))),
            }
        )
    return out


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_report(trim: bool = False) -> dict:
    libc = ctypes.CDLL("libc.so.6")
    if trim:
        libc.malloc_trim(0)
    libc.mallinfo2.restype = _Mallinfo2
    m = libc.mallinfo2()
    status = Path("/proc/self/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return {
        "in_use_bytes": m.uordblks + m.hblkhd,
        "free_kept_bytes": m.fordblks,
        "mmapped_bytes": m.hblkhd,
        "threads": threading.active_count(),
        "rss_bytes": rss * 1024,
    }


_snapshot: list = []


def answer(request: str) -> object:
    if request == "sessions":
        return sessions_report()
    if request in ("malloc", "trim"):
        return malloc_report(trim=request == "trim")
    if request == "gc":  # a full collection (Streamlit's post-run one is off: runner.postScriptGC)
        found = gc.collect()
        return {"collected_objects": found, **malloc_report(trim=True)}
    if request == "snap":
        if not tracemalloc.is_tracing():
            return {"error": "tracemalloc is off (BENCH_TRACEMALLOC=1)"}
        _snapshot[:] = [tracemalloc.take_snapshot()]
        return {"ok": True}
    if request == "diff":
        if not _snapshot:
            return {"error": "no snap yet"}
        stats = tracemalloc.take_snapshot().compare_to(_snapshot[0], "filename")
        return [{"file": str(s.traceback[0].filename), "added_bytes": s.size_diff} for s in stats[:20]]
    if request == "types":
        return live_types()
    if request == "media":
        from streamlit.runtime.runtime import Runtime

        mgr = Runtime.instance().media_file_mgr
        files = getattr(mgr._storage, "_files_by_id", {})
        return {
            "files": len(files),
            "bytes": sum(len(f.content) for f in files.values()),
            "deferred_callables": len(getattr(mgr, "_deferred_callables", {})),
        }
    if request == "prune":
        return prune_page_namespaces()
    if request == "globals":
        return page_globals()
    if request.startswith("holders "):
        return namespace_holders(request.split(" ", 1)[1])
    return {"error": f"unknown request {request!r}"}


def live_types() -> dict:
    """Every live object the collector tracks, by type: count and bytes (ndarray data and tensor
    storage counted once each, besides the objects' own sizes)."""
    import numpy as np
    import torch

    by: dict[str, list[int]] = {}
    storages: set = set()
    for obj in gc.get_objects():
        name = f"{getattr(type(obj), '__module__', '')}.{getattr(type(obj), '__qualname__', '')}"
        size = sys.getsizeof(obj, 0)
        if isinstance(obj, np.ndarray) and obj.base is None:
            size += obj.nbytes
        elif isinstance(obj, torch.Tensor):
            try:
                storage = obj.untyped_storage()
                if storage.data_ptr() not in storages:
                    storages.add(storage.data_ptr())
                    size += storage.nbytes()
            except (RuntimeError, NotImplementedError):
                pass
        row = by.setdefault(name, [0, 0])
        row[0] += 1
        row[1] += size
    return {k: v for k, v in by.items() if v[1] > 20_000}


def names_used(space: dict) -> set[str]:
    """Every global name the functions defined in a page's namespace (and the code nested in them)
    can look up when they are called later (a widget callback, a format_func, a fragment's rerun)."""
    names, todo = (
        set(),
        [
            o.__code__
            for o in gc.get_objects()
            if isinstance(o, types.FunctionType) and o.__globals__ is space
        ],
    )
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def prune_page_namespaces() -> dict:
    """An experiment for the fix proposed in bench/server.py's report: drop from every page namespace
    that outlived its run the names no function of the page can use, then collect; RSS before/after."""
    before = malloc_report(trim=True)
    pruned = 0
    for space in [
        o for o in gc.get_objects() if type(o) is dict and "app_pages" in str(o.get("__file__", ""))
    ]:
        keep = names_used(space)
        for name in [n for n in space if not n.startswith("__") and n not in keep]:
            del space[name]
            pruned += 1
    gc.collect()
    return {"names_dropped": pruned, "before": before, "after": malloc_report(trim=True)}


def page_globals() -> list[dict]:
    """For every session: the pages whose module namespace (the globals of a page's last run, and so
    every value the page computed) the session still reaches, following functions into their globals,
    with the path from the session to it."""
    from streamlit.runtime.runtime import Runtime

    skip = tuple(t for t in _skip_names() if t is not types.FunctionType)
    sizing, storages, out = {}, set(), []
    for info in Runtime.instance()._session_mgr.list_sessions():
        found, parent, queue, seen = {}, {}, [info.session], {id(info.session)}
        while queue:
            obj = queue.pop(0)
            refs = obj.__globals__.values() if isinstance(obj, types.FunctionType) else gc.get_referents(obj)
            if isinstance(obj, types.FunctionType):
                refs = [obj.__globals__, *gc.get_referents(obj)]
            for ref in refs:
                if id(ref) in seen or isinstance(ref, skip):
                    continue
                seen.add(id(ref))
                parent[id(ref)] = obj
                if isinstance(ref, dict) and "app_pages" in str(ref.get("__file__", "")):
                    path, at = [], obj
                    while at is not info.session and len(path) < 12:
                        path.append(
                            type(at).__name__ + (f" {at.__qualname__}" if hasattr(at, "__qualname__") else "")
                        )
                        at = parent.get(id(at), info.session)
                    py, ts = walk(dict(ref), sizing, _skip_names(), storages)
                    found[Path(ref["__file__"]).name] = {
                        "python": py,
                        "tensors": ts,
                        "held_by": list(reversed(path)),
                    }
                    continue
                queue.append(ref)
        out.append({"id": info.session.id[:8], "pages": found})
    return out


def _describe(x) -> str:
    label = type(x).__name__ + " " + str(getattr(x, "__qualname__", ""))
    if type(x) is dict:
        label += "{" + ", ".join(sorted(map(str, x))[:5]) + "}"
        label += " <- " + ", ".join(type(y).__name__ for y in gc.get_referrers(x))[:120]
    elif isinstance(x, types.CellType):
        label += (
            " <- "
            + ", ".join(
                type(y).__name__ + " " + str(getattr(y, "__qualname__", "")) for y in gc.get_referrers(x)
            )[:200]
        )
    return label


def namespace_holders(page_file: str) -> list[list[str]]:
    """What refers to each live namespace of page ``page_file`` (a module dict whose __file__ ends so)."""
    spaces = [
        o for o in gc.get_objects() if type(o) is dict and str(o.get("__file__", "")).endswith(page_file)
    ]
    out = []
    for space in spaces:
        rows = []
        for r in gc.get_referrers(space):
            if r is spaces or isinstance(r, types.FrameType):
                continue
            label = type(r).__name__ + " " + str(getattr(r, "__qualname__", ""))
            if isinstance(r, types.FunctionType):
                label += (
                    " <- " + ", ".join(_describe(x) for x in gc.get_referrers(r) if x is not spaces)[:400]
                )
            if isinstance(r, (list, tuple)):
                label += (
                    f" len {len(r)}, held by "
                    + ", ".join(
                        type(x).__name__ + " " + str(getattr(x, "__qualname__", ""))
                        for x in gc.get_referrers(r)
                        if x is not spaces and not isinstance(x, types.FrameType)
                    )[:300]
                )
            rows.append(label[:400])
        out.append(rows)
    del spaces
    return out


def _serve_probe(port: int) -> None:
    with socket.create_server(("127.0.0.1", port)) as listener:
        while True:
            conn, _ = listener.accept()
            with conn:
                request = conn.makefile().readline().strip()
                try:
                    reply = answer(request)
                except Exception as e:  # the probe never takes the server down
                    reply = {"error": f"{type(e).__name__}: {e}"}
                conn.sendall((json.dumps(reply) + "\n").encode())


def ask(port: int, request: str, timeout: float = 120) -> object:
    """The probe's answer to ``request`` (from the bench process)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall((request + "\n").encode())
        return json.loads(conn.makefile().readline())


def main(argv: list[str]) -> None:
    app, port, probe_port = argv
    if os.environ.get("BENCH_TRACEMALLOC") == "1":
        tracemalloc.start(1)
    threading.Thread(target=_serve_probe, args=(int(probe_port),), daemon=True, name="bench-probe").start()
    from streamlit.web import cli

    sys.argv = [
        "streamlit", "run", app,
        "--server.headless", "true",
        "--server.port", port,
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
